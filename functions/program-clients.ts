/**
 * What every function needs: the service clients of the program's process. Dynamic providers
 * cannot serve invokes, so functions run in the program itself; they read the same `vcpp:*`
 * stack config as the provider, through one registry built on first use. Logins and tokens are
 * shared with everything else in the process by the token sources (provider/auth/).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { InputError } from "../provider/errors";
import { ClientRegistry, ServiceClients } from "../provider/registry";

let clients: ClientRegistry | undefined;

/** The program's clients, configured from its stack config on first use (a failed read is not kept). */
export function programClients(): ServiceClients {
  if (!clients) {
    const registry = new ClientRegistry();
    // The raw config map: secret keys are read without the SDK's "secret read as plain" path, and
    // never leave this process except as the credentials the clients send.
    registry.configure((key) => pulumi.runtime.getConfig(`vcpp:${key}`));
    clients = registry;
  }
  return clients;
}

/** Forgets the program's clients, so that the next function reads the config again (tests). */
export function forgetProgramClients(): void {
  clients = undefined;
}

/** A function's arguments, checked at call time; the error names the function, the field and the rule. */
export function parseArgs<S extends z.ZodType>(fn: string, schema: S, args: unknown): z.infer<S> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  throw InputError.fromZod(fn, parsed.error.issues, "(arguments)");
}

/**
 * The Output form of a function: waits for its Input arguments, then calls it. The result is
 * secret when an argument is; functions whose results carry credentials wrap them in
 * `pulumi.secret` themselves.
 */
export function outputOf<A, R>(
  args: pulumi.Input<A> | undefined,
  fn: (args: pulumi.Unwrap<A>) => Promise<R>,
): pulumi.Output<R> {
  return pulumi.output(args ?? ({} as A)).apply((resolved) => fn(resolved as pulumi.Unwrap<A>)) as pulumi.Output<R>;
}
