import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ServiceClients } from "../provider/registry";
import { ProxySpec, UsageMeterClient } from "../provider/usage-meter/client";
import { shimFor } from "./shim";
import { checkInputs, hostName, inputsOf, isUnknown, nonEmpty, parseInputs, port, Same, usageMeterChanged, usageMeterName } from "./validation";

/** Inputs of a {@link ProxyConfig}. */
export interface ProxyConfigArgs {
  /** Name of the appliance in `vcpp:usageMeters`; omit to use the `vcpp:usageMeter*` keys. */
  usageMeter?: pulumi.Input<string>;
  /** `none` for a direct connection to the cloud, or the kind of proxy the appliance goes through. */
  type: pulumi.Input<"none" | "http" | "https">;
  /** The proxy's host name or address (required unless `type` is `none`). */
  host?: pulumi.Input<string>;
  /** The proxy's port (required unless `type` is `none`). */
  port?: pulumi.Input<number>;
  /** Account on the proxy, if it needs one. */
  user?: pulumi.Input<string>;
  /** That account's password; always stored as a secret. */
  password?: pulumi.Input<string>;
  /** Accept VMware's data usage terms on the appliance (default `true`); it reports nothing until they are accepted. */
  acceptDataUsage?: pulumi.Input<boolean>;
}

/** The appliance's network connection as it reports it. */
export interface ProxyConfigOutputs {
  /** Name of the appliance in `vcpp:usageMeters`; absent for the `vcpp:usageMeter*` keys. */
  usageMeter?: string;
  /** `none` for a direct connection, or the kind of proxy, as the appliance reports it. */
  type: "none" | "http" | "https";
  /** The proxy's host name or address; absent for a direct connection. */
  host?: string;
  /** The proxy's port; absent for a direct connection. */
  port?: number;
  /** Account on the proxy, if any. */
  user?: string;
  /** That account's password, as declared (the appliance never returns it); a secret. */
  password?: string;
  /** As declared: whether the data usage terms are to be accepted. */
  acceptDataUsage: boolean;
  /** The appliance's API base URL. */
  usageMeterUrl: string;
  /** Whether the appliance has the data usage terms accepted. */
  dataUsageAccepted: boolean;
}

/** @internal */
export const proxyConfigInputs = z
  .object({
    usageMeter: usageMeterName,
    type: z.enum(["none", "http", "https"], "must be none, http or https"),
    host: hostName.optional(),
    port: port.optional(),
    user: nonEmpty.optional(),
    password: nonEmpty.optional(),
    acceptDataUsage: z.boolean("must be true or false").default(true),
  })
  .superRefine((args, ctx) => {
    if (args.type === "none") {
      for (const field of ["host", "port", "user", "password"] as const) {
        if (args[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: "must not be set when type is none (a direct connection)" });
      }
      return;
    }
    if (args.host === undefined) ctx.addIssue({ code: "custom", path: ["host"], message: `is required when type is ${args.type}` });
    if (args.port === undefined) ctx.addIssue({ code: "custom", path: ["port"], message: `is required when type is ${args.type}` });
    if (args.password !== undefined && args.user === undefined) ctx.addIssue({ code: "custom", path: ["user"], message: "is required when password is set" });
  });
/** @internal */
export type ProxyConfigInputs = z.infer<typeof proxyConfigInputs>;
// The public interfaces are plain TypeScript (zod's declarations do not compile in every
// program); these fail to compile when they and the schema drift apart.
true satisfies Same<keyof ProxyConfigArgs, keyof z.input<typeof proxyConfigInputs>>;
true satisfies Same<Pick<ProxyConfigOutputs, keyof ProxyConfigInputs>, ProxyConfigInputs>;

/** Inputs that are credentials: redacted from every error and log line. */
const SECRET_FIELDS = ["password"];
const DECLARED_FIELDS = ["type", "host", "port", "user", "password"] as const;

/** @internal */
export class ProxyConfigProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(proxyConfigInputs, news, this.context);
  }

  async diff(_id: string, olds: ProxyConfigOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    const replaces = usageMeterChanged(olds.usageMeter, news.usageMeter) ? ["usageMeter"] : [];
    const declaredChanged = DECLARED_FIELDS.some((f) => isUnknown(news[f]) || olds[f] !== news[f]);
    const wantsAccepted = (news.acceptDataUsage ?? true) as boolean;
    const acceptanceDrifted = olds.acceptDataUsage !== wantsAccepted || olds.dataUsageAccepted !== wantsAccepted;
    return { changes: replaces.length > 0 || declaredChanged || acceptanceDrifted, replaces };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(proxyConfigInputs, inputs, "ProxyConfig", SECRET_FIELDS);
    const client = this.context.usageMeter(args.usageMeter);
    const outs = await apply(client, args);
    return { id: client.baseUrl, outs };
  }

  async read(id: string, props: ProxyConfigOutputs): Promise<pulumi.dynamic.ReadResult> {
    const client = this.context.usageMeter(props.usageMeter);
    const outs = await observe(client, props);
    // Inputs as the appliance reports them, so the next preview shows which declared field differs.
    return { id, props: outs, inputs: inputsOf(proxyConfigInputs, outs) };
  }

  async update(_id: string, _olds: ProxyConfigOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(proxyConfigInputs, news, "ProxyConfig", SECRET_FIELDS);
    return { outs: await apply(this.context.usageMeter(args.usageMeter), args) };
  }

  /** Deleting the declaration restores a direct connection; the data usage acceptance is left as it is. */
  async delete(_id: string, props: ProxyConfigOutputs): Promise<void> {
    await this.context.usageMeter(props.usageMeter).applyProxy({ type: "none" });
  }
}

async function apply(client: UsageMeterClient, args: ProxyConfigInputs): Promise<ProxyConfigOutputs> {
  if ((await client.dataUsageAccepted()) !== args.acceptDataUsage) await client.setDataUsageAcceptance(args.acceptDataUsage);
  const { type, host, port, user, password } = args;
  const spec: ProxySpec = type === "none" ? { type } : { type, host, port, user, password };
  await client.applyProxy(spec);
  return observe(client, args);
}

/** The declared inputs overlaid with what the appliance reports; the proxy password cannot be read back. */
async function observe(client: UsageMeterClient, declared: ProxyConfigInputs): Promise<ProxyConfigOutputs> {
  const [proxy, dataUsageAccepted] = await Promise.all([client.proxySettings(), client.dataUsageAccepted()]);
  const direct = proxy.type === "none";
  const outs: ProxyConfigOutputs = {
    usageMeter: declared.usageMeter,
    type: proxy.type,
    host: direct ? undefined : (proxy.host ?? undefined),
    port: direct ? undefined : (proxy.port ?? undefined),
    user: direct ? undefined : (proxy.user ?? undefined),
    password: direct ? undefined : declared.password,
    acceptDataUsage: declared.acceptDataUsage,
    usageMeterUrl: client.baseUrl,
    dataUsageAccepted,
  };
  return Object.fromEntries(Object.entries(outs).filter(([, v]) => v !== undefined)) as ProxyConfigOutputs;
}

/**
 * The Usage Meter appliance's network connection to the cloud (direct, or through an HTTP(S)
 * proxy), and its acceptance of the data usage terms. One per appliance. Deleting it restores a
 * direct connection.
 */
export class ProxyConfig extends pulumi.dynamic.Resource {
  /** Name of the appliance in `vcpp:usageMeters`; undefined for the `vcpp:usageMeter*` keys. */
  declare readonly usageMeter: pulumi.Output<string | undefined>;
  /** `none` for a direct connection, or the kind of proxy, as the appliance reports it. */
  declare readonly type: pulumi.Output<"none" | "http" | "https">;
  /** The proxy's host name or address as the appliance reports it; undefined for a direct connection. */
  declare readonly host: pulumi.Output<string | undefined>;
  /** The proxy's port as the appliance reports it; undefined for a direct connection. */
  declare readonly port: pulumi.Output<number | undefined>;
  /** Account on the proxy as the appliance reports it, if any. */
  declare readonly user: pulumi.Output<string | undefined>;
  /** That account's password as declared (the appliance never returns it); a secret. */
  declare readonly password: pulumi.Output<string | undefined>;
  /**
   * As declared: whether the data usage terms are to be accepted.
   * @default true
   */
  declare readonly acceptDataUsage: pulumi.Output<boolean>;
  /** The appliance's API base URL, e.g. `https://usage-meter.corp.example:8443/api/v1`. */
  declare readonly usageMeterUrl: pulumi.Output<string>;
  /** Whether the appliance has the data usage terms accepted, as it reports it. */
  declare readonly dataUsageAccepted: pulumi.Output<boolean>;

  constructor(name: string, args: ProxyConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("ProxyConfig"),
      name,
      { usageMeterUrl: undefined, dataUsageAccepted: undefined, ...args, password: args.password && pulumi.secret(args.password) },
      { ...opts, additionalSecretOutputs: SECRET_FIELDS },
      "vcpp",
      "ProxyConfig",
    );
  }
}
