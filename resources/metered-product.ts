import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ResourceError, ServiceError } from "../provider/errors";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { waitFor } from "../provider/wait";
import { isProductGone, normalizeFingerprint, ProductSpec, UsageMeterClient } from "../provider/usage-meter/client";
import { PRODUCT_TYPES, ProductType } from "../provider/usage-meter/product-types";
import { CertificateAction, Product } from "../provider/usage-meter/schemas";
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

/** Inputs of a {@link MeteredProduct}. */
export interface MeteredProductArgs {
  /** Name of the appliance in `vcpp:usageMeters`; omit to use the `vcpp:usageMeter*` keys. */
  usageMeter?: pulumi.Input<string>;
  /** The appliance's product type code (case-sensitive), e.g. `VCAV` for Cloud Director Availability. Changing it replaces the product. */
  productType: pulumi.Input<ProductType>;
  /** Host name or IP address of the product's endpoint. Changing it replaces the product. */
  host: pulumi.Input<string>;
  /**
   * Port of the product's endpoint. Changing it replaces the product.
   * @default 443
   */
  port?: pulumi.Input<number>;
  /** Account the appliance collects with (for VCAV, the root account). Updated in place. */
  user: pulumi.Input<string>;
  /** That account's password; always stored as a secret. Updated in place. */
  password: pulumi.Input<string>;
  /**
   * Accept the certificate the product presents (default `true`), `false` to leave it pending,
   * or the expected SHA-256 fingerprint, so that only a matching certificate is accepted.
   * @default true
   */
  acceptCertificate?: pulumi.Input<boolean | string>;
  /** NSX-V and TKGM: the id of the vCenter product on the appliance they belong to. */
  vcId?: pulumi.Input<string>;
  /** TKGM: the Tanzu token; stored as a secret. */
  tkgmToken?: pulumi.Input<string>;
  /** TKGM: the edition metered. */
  tkgmEdition?: pulumi.Input<string>;
  /** TKGM: the metric metered. */
  tkgmMetric?: pulumi.Input<string>;
}

/** What the appliance reports about a registered product: the inputs as it reports them, and its state. */
export interface MeteredProductOutputs {
  /** Name of the appliance in `vcpp:usageMeters`; absent for the `vcpp:usageMeter*` keys. */
  usageMeter?: string;
  /** The product's type code. */
  productType: ProductType;
  /** Host name or IP address of the product's endpoint, as the appliance reports it. */
  host: string;
  /** Port of the product's endpoint. */
  port: number;
  /** Account the appliance collects with, as the appliance reports it. */
  user: string;
  /** That account's password, as declared (the appliance never returns it); a secret. */
  password: string;
  /** As declared: `true`, `false`, or the expected SHA-256 fingerprint. */
  acceptCertificate: boolean | string;
  /** NSX-V and TKGM: the id of the vCenter product they belong to. */
  vcId?: string;
  /** TKGM: the Tanzu token, as declared; a secret. */
  tkgmToken?: string;
  /** TKGM: the edition metered. */
  tkgmEdition?: string;
  /** TKGM: the metric metered. */
  tkgmMetric?: string;
  /** The appliance's id of the product. */
  productId: number;
  /** Whether the product is active on the appliance. */
  active: boolean;
  /** Whether the appliance meters it (false until its certificate is accepted). */
  metered: boolean;
  /** The appliance's status line for it. */
  status: { code: string; text: string };
  /** SHA-256 fingerprint of the certificate this resource accepted. */
  certificateFingerprint?: string;
  /** SHA-256 fingerprint of a certificate waiting for acceptance, if any. */
  pendingCertificateFingerprint?: string;
  /** Product name as the appliance reports it. */
  fullName?: string;
  /** Product version as the appliance reports it. */
  version?: string;
}

const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;
const ACCEPT_CERTIFICATE_RULE =
  "must be true, false, or a SHA-256 fingerprint (64 hex digits, optionally in colon-separated pairs)";

/** @internal */
export const meteredProductInputs = z
  .object({
    usageMeter: usageMeterName,
    productType: z.enum(PRODUCT_TYPES, `must be one of ${PRODUCT_TYPES.join(", ")} (case-sensitive)`),
    host: hostName,
    port: port.default(443),
    user: nonEmpty,
    password: nonEmpty,
    acceptCertificate: z
      // The rule is on the string too: zod reports a string that misses the pattern with the string's own message, not the union's.
      .union([z.boolean(), z.string().regex(FINGERPRINT, ACCEPT_CERTIFICATE_RULE)], ACCEPT_CERTIFICATE_RULE)
      .default(true),
    vcId: nonEmpty.optional(),
    tkgmToken: nonEmpty.optional(),
    tkgmEdition: nonEmpty.optional(),
    tkgmMetric: nonEmpty.optional(),
  })
  .superRefine((args, ctx) => {
    const required: Partial<Record<ProductType, (keyof typeof args)[]>> = {
      "NSX-V": ["vcId"],
      TKGM: ["vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"],
    };
    for (const field of required[args.productType] ?? []) {
      if (args[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `is required when productType is ${args.productType}` });
    }
  });
/** @internal */
export type MeteredProductInputs = z.infer<typeof meteredProductInputs>;
// The public interfaces are plain TypeScript (zod's declarations do not compile in every
// program); these fail to compile when they and the schema drift apart.
true satisfies Same<keyof MeteredProductArgs, keyof z.input<typeof meteredProductInputs>>;
true satisfies Same<Pick<MeteredProductOutputs, keyof MeteredProductInputs>, MeteredProductInputs>;

/** Inputs that are credentials: redacted from every error and log line. */
const SECRET_FIELDS = ["password", "tkgmToken"];
/** Fields whose change means a different product on the appliance. */
const REPLACING_FIELDS = ["usageMeter", "productType", "host", "port"] as const;
/** Fields `PUT /product` changes in place. */
const UPDATABLE_FIELDS = ["user", "password", "vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"] as const;

/** How long to wait for the appliance to fetch the certificate of a product it just registered. */
const CERTIFICATE_WAIT_MS = 30_000;
const CERTIFICATE_POLL_MS = 1_000;
const CERTIFICATE_PROGRESS_MS = 5_000;

/** @internal */
export class MeteredProductProvider implements KindProvider {
  readonly secretFields = SECRET_FIELDS;

  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(meteredProductInputs, news, this.context);
  }

  async diff(
    _id: string,
    olds: MeteredProductOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.DiffResult> {
    const differs = (field: string) => {
      const [before, after] = [(olds as unknown as Record<string, unknown>)[field], news[field]];
      if (isUnknown(after)) return true;
      if (field === "usageMeter") return usageMeterChanged(before, after);
      if (field === "host") return String(before ?? "").toLowerCase() !== String(after ?? "").toLowerCase();
      if (field === "port") return (before ?? 443) !== (after ?? 443);
      if (field === "acceptCertificate") return normalizeAccept(before) !== normalizeAccept(after);
      return before !== after;
    };
    const replaces = REPLACING_FIELDS.filter(differs);
    const unmetered = unmeteredState({ ...olds, acceptCertificate: news.acceptCertificate as boolean | string });
    const repair = replaces.length === 0 && unmetered?.repairable === true;
    // The engine shows no reason for an update whose inputs did not change; this line is printed
    // by `pulumi preview` (provider stderr, after the plan; verified with CLI 3.250).
    if (repair) log.warn(`${describe(olds)}: update planned, ${unmetered.reason}; ${unmetered.advice}`);
    const changes = replaces.length > 0 || [...UPDATABLE_FIELDS, "acceptCertificate"].some(differs) || repair;
    // Same host under another type or port: the appliance refuses two products with one host name.
    const sameHost = !differs("host") && !differs("usageMeter");
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && sameHost };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(meteredProductInputs, inputs, "MeteredProduct");
    const client = this.context.usageMeter(args.usageMeter);
    const spec = toSpec(args);
    const { product, registeredNow } = await this.registerOrAdopt(client, spec);
    const outs = await this.settle(client, args, product, undefined, registeredNow);
    warnIfUnmetered(outs, "after pulumi up");
    return { id: String(outs.productId), outs };
  }

  async read(id: string, props: MeteredProductOutputs): Promise<pulumi.dynamic.ReadResult> {
    const client = this.context.usageMeter(props.usageMeter);
    // Both lists are shared by every read of the process: asked for together, not one after the other.
    const [product, pending] = await Promise.all([
      client.getProduct(props.productType, Number(id)),
      pendingFor(client, Number(id)),
    ]);
    if (!product) return { id: "", props: {} };
    const outs = outputs(props, product, props.certificateFingerprint, pending);
    warnIfUnmetered(outs, "on the appliance");
    // Inputs as the appliance reports them: the next preview then shows `user: "admin" => "root"`.
    return { id, props: outs, inputs: inputsOf(meteredProductInputs, outs) };
  }

  async update(
    id: string,
    olds: MeteredProductOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(meteredProductInputs, news, "MeteredProduct");
    const client = this.context.usageMeter(args.usageMeter);
    const credentialsChanged = UPDATABLE_FIELDS.some((f) => olds[f] !== args[f]);
    const gone = (cause?: unknown) =>
      new ResourceError({
        resource: "MeteredProduct",
        code: "GONE",
        message: `MeteredProduct ${args.productType} ${args.host}:${args.port} (id ${id}) no longer exists on ${client.baseUrl}: run pulumi refresh, then pulumi up to register it again`,
        cause,
      });
    let product: Product | undefined;
    if (credentialsChanged || olds.active === false) {
      try {
        product = await client.updateProduct(Number(id), toSpec(args));
      } catch (error) {
        if (isProductGone(error)) throw gone(error);
        throw error;
      }
    } else {
      product = await client.getProduct(args.productType, Number(id));
      if (!product) throw gone();
    }
    const outs = await this.settle(client, args, product, olds.certificateFingerprint, false);
    warnIfUnmetered(outs, "after pulumi up");
    return { outs };
  }

  async delete(id: string, props: MeteredProductOutputs): Promise<void> {
    const client = this.context.usageMeter(props.usageMeter);
    const removed = await client.deleteProduct(props.productType, Number(id));
    if (!removed)
      log.info(
        `MeteredProduct ${props.productType} ${props.host}:${props.port} (id ${id}) was already gone from ${client.baseUrl}`,
      );
  }

  /**
   * Registers the product, or adopts the one already registered with the same type, host and
   * port (left by an interrupted run, or made by hand), applying the declared credentials.
   * The POST is never repeated: when its answer is lost or it conflicts, the product is looked up.
   */
  private async registerOrAdopt(
    client: UsageMeterClient,
    spec: ProductSpec,
  ): Promise<{ product: Product; registeredNow: boolean }> {
    const existing = await client.findProduct(spec.productType, spec.host, spec.port);
    if (existing) {
      log.info(
        `MeteredProduct: adopting ${spec.productType} ${spec.host}:${spec.port}, already registered on ${client.baseUrl} as id ${existing.id}`,
      );
      return { product: await client.updateProduct(existing.id, spec), registeredNow: false };
    }
    try {
      return { product: await client.registerProduct(spec), registeredNow: true };
    } catch (error) {
      const answerLost =
        error instanceof ServiceError && (error.status === undefined || error.status >= 500 || error.status === 409);
      if (!answerLost) throw error;
      const registered = await client.findProduct(spec.productType, spec.host, spec.port);
      if (!registered) throw error;
      log.info(
        `MeteredProduct: ${spec.productType} ${spec.host}:${spec.port} was registered (id ${registered.id}) although the answer was ${(error as ServiceError).status ?? "lost"}; adopting it`,
      );
      return { product: await client.updateProduct(registered.id, spec), registeredNow: true };
    }
  }

  /**
   * Accepts the product's pending certificate as declared, and returns the product's final state,
   * built from the answers already received (no read after acceptance).
   * A product registered by this very run, with `acceptCertificate: true`, is accepted straight
   * away with the documented `certificateId` (`host:port`): no pending actions are listed. Only
   * a pinned fingerprint, or an appliance that says the certificate is not there yet, lists them
   * (and waits for the certificate: the appliance fetches it after answering). One registered
   * before (adopted, or in the state) that has none pending gets none.
   */
  private async settle(
    client: UsageMeterClient,
    args: MeteredProductInputs,
    product: Product,
    acceptedBefore: string | undefined,
    registeredNow: boolean,
  ): Promise<MeteredProductOutputs> {
    const expectCertificate = registeredNow && product.metered !== true && args.acceptCertificate !== false;
    if (expectCertificate && args.acceptCertificate === true) {
      const accepted = await client.acceptCertificate(product);
      // Accepted without seeing the certificate: its fingerprint is not known (README, MeteredProduct).
      if (accepted) return outputs(args, accepted, undefined, undefined);
    }
    let accepted = acceptedBefore;
    let polls = 0;
    let pending = await waitFor({
      what: `the appliance to fetch the certificate of ${args.productType} ${args.host}:${args.port} (id ${product.id})`,
      timeoutMs: expectCertificate ? CERTIFICATE_WAIT_MS : 0,
      pollMs: CERTIFICATE_POLL_MS,
      progressEveryMs: CERTIFICATE_PROGRESS_MS,
      // The first look may share the process's list; each later one needs a list newer than the last look.
      poll: () => pendingFor(client, product.id, polls++ === 0 ? undefined : CERTIFICATE_POLL_MS),
    });
    if (pending && args.acceptCertificate !== false) {
      const fingerprint = normalizeFingerprint(pending.data.certData.fingerprint_sha256);
      if (typeof args.acceptCertificate === "string" && normalizeFingerprint(args.acceptCertificate) !== fingerprint) {
        throw new ResourceError({
          resource: "MeteredProduct",
          code: "CERTIFICATE_MISMATCH",
          message:
            `MeteredProduct ${args.productType} ${args.host}:${args.port}: the certificate it presents has SHA-256 fingerprint ${fingerprint}, not the expected ${normalizeFingerprint(args.acceptCertificate)}. ` +
            `It was not accepted, so the product is registered (id ${product.id}) but not metered. Verify the certificate, then set acceptCertificate to its fingerprint and run pulumi up again`,
        });
      }
      product = (await client.acceptCertificate(product, pending.data)) ?? product;
      accepted = fingerprint;
      pending = undefined;
    }
    // Otherwise the answer to the POST, PUT or GET just made is the appliance's current state.
    return outputs(args, product, accepted, pending);
  }
}

function toSpec(args: MeteredProductInputs): ProductSpec {
  const extra = Object.fromEntries(
    (["vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"] as const)
      .filter((k) => args[k] !== undefined)
      .map((k) => [k, args[k] as string]),
  );
  return {
    productType: args.productType,
    host: args.host,
    port: args.port,
    user: args.user,
    password: args.password,
    extra,
  };
}

/** A product's pending certificate; `maxAgeMs` when polling, so that each poll sees a new list. */
async function pendingFor(
  client: UsageMeterClient,
  productId: number,
  maxAgeMs?: number,
): Promise<CertificateAction | undefined> {
  return (await client.pendingCertificates(maxAgeMs)).find((a) => a.data.productId === productId);
}

type MeteringState = Pick<
  MeteredProductOutputs,
  "active" | "metered" | "status" | "pendingCertificateFingerprint" | "acceptCertificate"
>;

/**
 * Why a product is not being metered, and whether an update of this resource repairs it.
 * Repairable: deactivation (PUT /product re-activates) and a pending certificate the inputs
 * accept. Not repairable: a certificate left pending by `acceptCertificate: false`, and a product
 * that is active, has nothing pending and is still not metered (a rejected certificate, a
 * collection failure): no call of this provider changes that, so no update is planned for it.
 */
export function unmeteredState(
  state: MeteringState,
): { reason: string; advice: string; repairable: boolean } | undefined {
  const { active, metered, status, pendingCertificateFingerprint: pending, acceptCertificate } = state;
  const says = status?.text ? ` (the appliance says "${status.code}: ${status.text}")` : "";
  if (active === false)
    return {
      reason: `it is deactivated on the appliance${says}`,
      advice: "pulumi up re-activates it",
      repairable: true,
    };
  if (pending !== undefined && acceptCertificate === false) {
    return {
      reason: `its certificate (SHA-256 ${pending}) waits for acceptance and acceptCertificate is false`,
      advice: "set acceptCertificate to true or to that fingerprint once verified, or accept it on the appliance",
      repairable: false,
    };
  }
  if (pending !== undefined) {
    const pinned =
      typeof acceptCertificate === "string" &&
      !isUnknown(acceptCertificate) &&
      normalizeFingerprint(acceptCertificate) !== pending;
    const advice = pinned
      ? "it does not match acceptCertificate: verify it, then set acceptCertificate to its fingerprint"
      : "pulumi up accepts it";
    return { reason: `a certificate (SHA-256 ${pending}) waits for acceptance`, advice, repairable: true };
  }
  if (metered !== false) return undefined;
  const rejected = /reject/i.test(status?.text ?? "");
  return {
    reason: rejected ? `its certificate was rejected${says}` : `no certificate is pending and it is active${says}`,
    advice: rejected
      ? "accept the certificate on the appliance, or register the product anew with pulumi up --replace <its URN>"
      : "check the product on the appliance (its status, credentials and certificate); this provider cannot repair it",
    repairable: false,
  };
}

function describe(product: Pick<MeteredProductOutputs, "productType" | "host" | "port" | "productId">): string {
  return `MeteredProduct ${product.productType} ${product.host}:${product.port} (id ${product.productId})`;
}

/** Registered without being metered is the failure that matters for billing: never silent. */
function warnIfUnmetered(outs: MeteredProductOutputs, when: string): void {
  const unmetered = unmeteredState(outs);
  if (unmetered)
    log.warn(`${describe(outs)} is registered but not metered ${when}: ${unmetered.reason}; ${unmetered.advice}`);
}

function normalizeAccept(value: unknown): unknown {
  return typeof value === "string" ? normalizeFingerprint(value) : (value ?? true);
}

/** Outputs: the declared inputs, overlaid with what the appliance reports. */
function outputs(
  inputs: Omit<MeteredProductInputs, "acceptCertificate"> & { acceptCertificate: boolean | string },
  product: Product,
  certificateFingerprint: string | undefined,
  pending: CertificateAction | undefined,
): MeteredProductOutputs {
  const { usageMeter, password, acceptCertificate, vcId, tkgmToken, tkgmEdition, tkgmMetric } = inputs;
  return dropUndefined({
    usageMeter,
    productType: product.productType as ProductType,
    host: product.host,
    port: product.port,
    user: product.user ?? inputs.user,
    password,
    acceptCertificate,
    vcId,
    tkgmToken,
    tkgmEdition,
    tkgmMetric,
    productId: product.id,
    active: product.active ?? true,
    metered: product.metered ?? false,
    status: { code: product.status?.code ?? "Unknown", text: product.status?.text ?? "" },
    certificateFingerprint,
    pendingCertificateFingerprint: pending && normalizeFingerprint(pending.data.certData.fingerprint_sha256),
    fullName: product.fullName ?? undefined,
    version: product.version ?? undefined,
  });
}

/**
 * A product (Cloud Director Availability, vCenter, NSX, …) registered for metering on a Usage
 * Meter appliance, its certificate accepted. Creating adopts a product already registered with
 * the same type, host and port instead of registering it twice.
 */
export class MeteredProduct extends pulumi.dynamic.Resource {
  /** Name of the appliance in `vcpp:usageMeters`; undefined for the `vcpp:usageMeter*` keys. */
  declare readonly usageMeter: pulumi.Output<string | undefined>;
  /** The product's type code, e.g. `VCAV`. */
  declare readonly productType: pulumi.Output<ProductType>;
  /** Host name or IP address of the product's endpoint, as the appliance reports it. */
  declare readonly host: pulumi.Output<string>;
  /**
   * Port of the product's endpoint, as the appliance reports it.
   * @default 443
   */
  declare readonly port: pulumi.Output<number>;
  /** Account the appliance collects with, as the appliance reports it (drift shows here). */
  declare readonly user: pulumi.Output<string>;
  /** That account's password as declared (the appliance never returns it); a secret. */
  declare readonly password: pulumi.Output<string>;
  /**
   * As declared: `true`, `false`, or the expected SHA-256 fingerprint.
   * @default true
   */
  declare readonly acceptCertificate: pulumi.Output<boolean | string>;
  /** NSX-V and TKGM: the id of the vCenter product they belong to. */
  declare readonly vcId: pulumi.Output<string | undefined>;
  /** TKGM: the Tanzu token as declared; a secret. */
  declare readonly tkgmToken: pulumi.Output<string | undefined>;
  /** TKGM: the edition metered. */
  declare readonly tkgmEdition: pulumi.Output<string | undefined>;
  /** TKGM: the metric metered. */
  declare readonly tkgmMetric: pulumi.Output<string | undefined>;
  /** The appliance's id of the product (also the resource's id). */
  declare readonly productId: pulumi.Output<number>;
  /** Whether the product is active on the appliance; `false` after it was deactivated by hand. */
  declare readonly active: pulumi.Output<boolean>;
  /** Whether the appliance meters it: `false` until its certificate is accepted. */
  declare readonly metered: pulumi.Output<boolean>;
  /** The appliance's status line for the product (`code`, e.g. `Ok`, and its text). */
  declare readonly status: pulumi.Output<{ code: string; text: string }>;
  /** SHA-256 fingerprint of the certificate this resource accepted. */
  declare readonly certificateFingerprint: pulumi.Output<string | undefined>;
  /** SHA-256 fingerprint of a certificate waiting for acceptance (e.g. after a renewal), if any. */
  declare readonly pendingCertificateFingerprint: pulumi.Output<string | undefined>;
  /** Product name as the appliance reports it. */
  declare readonly fullName: pulumi.Output<string | undefined>;
  /** Product version as the appliance reports it. */
  declare readonly version: pulumi.Output<string | undefined>;

  constructor(name: string, args: MeteredProductArgs, opts?: pulumi.CustomResourceOptions) {
    const outputsUnknownAtCreate = {
      productId: undefined,
      active: undefined,
      metered: undefined,
      status: undefined,
      certificateFingerprint: undefined,
      pendingCertificateFingerprint: undefined,
      fullName: undefined,
      version: undefined,
    };
    super(
      shimFor("MeteredProduct"),
      name,
      {
        ...outputsUnknownAtCreate,
        ...args,
        password: pulumi.secret(args.password),
        tkgmToken: args.tkgmToken && pulumi.secret(args.tkgmToken),
      },
      { ...opts, additionalSecretOutputs: SECRET_FIELDS },
      "vcpp",
      "MeteredProduct",
    );
  }
}
