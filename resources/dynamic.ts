/**
 * What the serialized shims load at call time (`pulumi-vcpp/dynamic`): one provider per resource
 * kind, sharing one context, hence one set of settings, sessions and tokens, per process.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ResourceError, VcppError } from "../provider/errors";
import { registerSecret } from "../provider/redact";
import { ClientRegistry } from "../provider/registry";
import { MeteredProductProvider } from "./metered-product";
import { ProxyConfigProvider } from "./proxy-config";
import { VcaUserProvider } from "./vca-user";
import { VcppOrderProvider } from "./vcpp-order";
import type { ProviderKind } from "./shim";
import { UsageMeterRegistrationProvider } from "./usage-meter-registration";
import type { KindProvider } from "./validation";

const context = new ClientRegistry();

const providers: Record<ProviderKind, KindProvider> = {
  MeteredProduct: new MeteredProductProvider(context),
  ProxyConfig: new ProxyConfigProvider(context),
  VcaUser: new VcaUserProvider(context),
  UsageMeterRegistration: new UsageMeterRegistrationProvider(context),
  VcppOrder: new VcppOrderProvider(context),
};

export function provider(kind: ProviderKind): Required<pulumi.dynamic.ResourceProvider> {
  const implementation = providers[kind];
  if (!implementation) {
    const message = `pulumi-vcpp has no provider for ${kind}: the state was written by another version of the package`;
    throw new ResourceError({ resource: kind, code: "UNKNOWN_RESOURCE_KIND", message });
  }
  return {
    /** The engine sends the whole stack config, decrypted; only `vcpp:*` keys are read. */
    configure: (req) => reported(async () => context.configure((key) => req.config.get(`vcpp:${key}`))),
    ...guarded(implementation),
  };
}

/**
 * Every method the shim calls, as the engine calls it: the credentials among its arguments (inputs
 * or state) registered for redaction first, and its expected failures reported once (`reported`).
 */
export function guarded(implementation: KindProvider): Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> {
  const call = <T>(values: object[], method: () => Promise<T>) =>
    reported(() => {
      for (const value of values) registerSecrets(value, implementation.secretFields ?? []);
      return method();
    });
  return {
    check: (olds, news) => call([olds, news], () => implementation.check(olds, news)),
    diff: (id, olds, news) => call([olds, news], () => implementation.diff(id, olds, news)),
    create: (inputs) => call([inputs], () => implementation.create(inputs)),
    read: (id, props) => call([props], () => implementation.read(id, props)),
    update: (id, olds, news) => call([olds, news], () => implementation.update(id, olds, news)),
    delete: (id, props) => call([props], () => implementation.delete(id, props)),
  };
}

function registerSecrets(values: object | undefined, secretFields: readonly string[]): void {
  const record = (values ?? {}) as Record<string, unknown>;
  for (const field of secretFields) if (typeof record[field] === "string") registerSecret(record[field]);
}

/*
 * How a failure reaches the user. Pulumi's dynamic-provider server (@pulumi/pulumi
 * cmd/dynamic-provider) returns a failed method's `error.message` to the engine, which shows it
 * against the resource: that is the one report we want. For check, diff, read and delete (and the
 * configure inside them) the server also prints `${error}: ${error.stack}` to stderr, which the
 * engine shows again against the stack: the message twice on one line ("X: X"), then a stack trace
 * into files the package does not ship, and the non-interactive display repeats all of it.
 *
 * A VcppError is an expected failure (refused credentials, bad config, a service's error): its
 * message says everything, so the server's line for it is dropped. Only that exact line, and only
 * for an error of this package that this wrapper saw fail: anything else the server prints (a
 * TypeError's trace, for one: a bug keeps its stack) goes through untouched. Reshaping the error's
 * `stack` or `toString` instead cannot help: the server's template prints something either way.
 */
const unprintedFailures = new Set<string>();

async function reported<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // Create and update failures are never printed, so a few lines may stay until the process ends.
    if (error instanceof VcppError) unprintedFailures.add(`${error}: ${error.stack}`);
    throw error;
  }
}

const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (args.length === 1 && typeof args[0] === "string" && unprintedFailures.delete(args[0])) return;
  printError(...args);
};
