import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { ProxySpec, UsageMeterClient } from "../provider/usage-meter/client";
import { shimFor } from "./shim";
import {
  checkInputs,
  dropUndefined,
  hostName,
  inputsOf,
  isUnknown,
  KindProvider,
  nonEmpty,
  parseInputs,
  port,
  Same,
  usageMeterChanged,
  usageMeterName,
} from "./validation";

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
  /**
   * Accept VMware's data usage terms on the appliance; it reports nothing until they are accepted.
   * @default true
   */
  acceptDataUsage?: pulumi.Input<boolean>;
}

/** Outputs that can be the appliance's word rather than the declared value (see `confirmed`). */
export type ConfirmedOutput = "type" | "host" | "port" | "user" | "proxyInUse" | "dataUsageAccepted";

/**
 * The appliance's network connection as it reports it. The API documents no way to read the
 * proxy back: the login answer's flags say whether a proxy is in use and whether the terms are
 * accepted (4.x only), and `GET /http_proxy`, `GET /data_usage_acceptance` (undocumented) add the
 * details where an appliance has them. What the appliance could not say keeps the declared value.
 */
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
  /** Whether the appliance has the data usage terms accepted (the declared value if it could not say). */
  dataUsageAccepted: boolean;
  /** Whether the appliance goes through a proxy; absent when it could not say (9.x without `GET /http_proxy`). */
  proxyInUse?: boolean;
  /** The outputs that are what the appliance reported; every other one is the declared value. */
  confirmed: ConfirmedOutput[];
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
        if (args[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: "must not be set when type is none (a direct connection)",
          });
      }
      return;
    }
    if (args.host === undefined)
      ctx.addIssue({ code: "custom", path: ["host"], message: `is required when type is ${args.type}` });
    if (args.port === undefined)
      ctx.addIssue({ code: "custom", path: ["port"], message: `is required when type is ${args.type}` });
    if (args.password !== undefined && args.user === undefined)
      ctx.addIssue({ code: "custom", path: ["user"], message: "is required when password is set" });
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
export class ProxyConfigProvider implements KindProvider {
  readonly secretFields = SECRET_FIELDS;

  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(proxyConfigInputs, news, this.context);
  }

  async diff(_id: string, olds: ProxyConfigOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    const replaces = usageMeterChanged(olds.usageMeter, news.usageMeter) ? ["usageMeter"] : [];
    const declaredChanged = DECLARED_FIELDS.some((f) => isUnknown(news[f]) || olds[f] !== news[f]);
    const wantsAccepted = (news.acceptDataUsage ?? true) as boolean;
    const acceptanceDrifted = olds.acceptDataUsage !== wantsAccepted || olds.dataUsageAccepted !== wantsAccepted;
    // Without the settings read back, the login's flag still shows a proxy set, or removed, by hand.
    const proxyInUseDrifted =
      olds.proxyInUse !== undefined && !isUnknown(news.type) && olds.proxyInUse !== (news.type !== "none");
    return { changes: replaces.length > 0 || declaredChanged || acceptanceDrifted || proxyInUseDrifted, replaces };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(proxyConfigInputs, inputs, "ProxyConfig");
    const client = this.context.usageMeter(args.usageMeter);
    const outs = await apply(client, args);
    return { id: client.baseUrl, outs };
  }

  async read(id: string, props: ProxyConfigOutputs): Promise<pulumi.dynamic.ReadResult> {
    const client = this.context.usageMeter(props.usageMeter);
    const outs = await observe(client, props);
    if (outs.proxyInUse && props.type === "none" && !outs.confirmed.includes("type")) {
      log.warn(
        `ProxyConfig on ${client.baseUrl}: the appliance reports that it goes through a proxy, where a direct connection is declared; it does not say which (no GET /http_proxy). pulumi up sets the declared connection`,
      );
    }
    // Inputs as the appliance reports them, so the next preview shows which declared field differs.
    return { id, props: outs, inputs: inputsOf(proxyConfigInputs, outs) };
  }

  async update(
    _id: string,
    _olds: ProxyConfigOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(proxyConfigInputs, news, "ProxyConfig");
    return { outs: await apply(this.context.usageMeter(args.usageMeter), args) };
  }

  /** Deleting the declaration restores a direct connection; the data usage acceptance is left as it is. */
  async delete(_id: string, props: ProxyConfigOutputs): Promise<void> {
    await this.context.usageMeter(props.usageMeter).applyProxy({ type: "none" });
  }
}

/**
 * Only documented calls decide: the terms are set when the appliance's word (the login's flag, or
 * the undocumented read where it answers) differs from the declaration, or is not known
 * (setting a flag to its value is harmless); then `PUT /test_proxy` applies the connection.
 */
async function apply(client: UsageMeterClient, args: ProxyConfigInputs): Promise<ProxyConfigOutputs> {
  const accepted = await knownAcceptance(client, true);
  if (accepted !== args.acceptDataUsage) await client.setDataUsageAcceptance(args.acceptDataUsage);
  const { type, host, port, user, password } = args;
  const spec: ProxySpec = type === "none" ? { type } : { type, host, port, user, password };
  await client.applyProxy(spec);
  return observe(client, args, true);
}

/**
 * What the appliance reports, over the declaration. `afterWrite`: the create or update already
 * happened, so a failing extra read is a warning, never a failure of it (read lets it fail).
 */
async function observe(
  client: UsageMeterClient,
  declared: ProxyConfigInputs,
  afterWrite = false,
): Promise<ProxyConfigOutputs> {
  const [settings, dataUsageAccepted] = await Promise.all([
    extra(client.readProxySettings(), afterWrite, client),
    knownAcceptance(client, afterWrite),
  ]);
  const { proxyInUse } = await client.applianceFlags();
  const confirmed: ConfirmedOutput[] = [];
  if (proxyInUse !== undefined) confirmed.push("proxyInUse");
  if (dataUsageAccepted !== undefined) confirmed.push("dataUsageAccepted");
  // The settings when read back; else "no proxy" is the whole truth, and "a proxy" says too little.
  const reported = settings ?? (proxyInUse === false ? { type: "none" as const } : undefined);
  if (reported) confirmed.unshift("type", "host", "port", "user");
  const connection = reported ?? declared;
  const direct = connection.type === "none";
  const outs: ProxyConfigOutputs = {
    usageMeter: declared.usageMeter,
    type: connection.type,
    host: direct ? undefined : (connection.host ?? undefined),
    port: direct ? undefined : (connection.port ?? undefined),
    user: direct ? undefined : (connection.user ?? undefined),
    password: direct ? undefined : declared.password,
    acceptDataUsage: declared.acceptDataUsage,
    usageMeterUrl: client.baseUrl,
    dataUsageAccepted: dataUsageAccepted ?? declared.acceptDataUsage,
    proxyInUse,
    confirmed,
  };
  return dropUndefined(outs);
}

/** The acceptance as the undocumented read reports it where the appliance has it, else the login's flag. */
async function knownAcceptance(client: UsageMeterClient, tolerant: boolean): Promise<boolean | undefined> {
  return (
    (await extra(client.readDataUsageAcceptance(), tolerant, client)) ??
    (await client.applianceFlags()).dataUsageAccepted
  );
}

async function extra<T>(
  read: Promise<T | undefined>,
  tolerant: boolean,
  client: UsageMeterClient,
): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (!tolerant) throw error;
    log.warn(`ProxyConfig on ${client.baseUrl}: ${(error as Error).message}; taken as not known`);
    return undefined;
  }
}

/**
 * The Usage Meter appliance's network connection to the cloud (direct, or through an HTTP(S)
 * proxy), and its acceptance of the data usage terms. One per appliance. Deleting it restores a
 * direct connection.
 */
export class ProxyConfig extends pulumi.dynamic.Resource {
  /** Name of the appliance in `vcpp:usageMeters`; undefined for the `vcpp:usageMeter*` keys. */
  declare readonly usageMeter: pulumi.Output<string | undefined>;
  /** `none` for a direct connection, or the kind of proxy (the appliance's word when `confirmed` says so). */
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
  /** Whether the appliance has the data usage terms accepted (the declared value if it could not say). */
  declare readonly dataUsageAccepted: pulumi.Output<boolean>;
  /** Whether the appliance goes through a proxy; undefined when it could not say (9.x without `GET /http_proxy`). */
  declare readonly proxyInUse: pulumi.Output<boolean | undefined>;
  /** The outputs that are what the appliance reported; every other one is the declared value. */
  declare readonly confirmed: pulumi.Output<ConfirmedOutput[]>;

  constructor(name: string, args: ProxyConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("ProxyConfig"),
      name,
      {
        usageMeterUrl: undefined,
        dataUsageAccepted: undefined,
        proxyInUse: undefined,
        confirmed: undefined,
        ...args,
        password: args.password && pulumi.secret(args.password),
      },
      { ...opts, additionalSecretOutputs: SECRET_FIELDS },
      "vcpp",
      "ProxyConfig",
    );
  }
}
