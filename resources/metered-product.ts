import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ResourceError, ServiceError } from "../provider/errors";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { isProductGone, normalizeFingerprint, ProductSpec, UsageMeterClient } from "../provider/usage-meter/client";
import { CertificateAction, Product, PRODUCT_TYPES, ProductType } from "../provider/usage-meter/schemas";
import { shimFor } from "./shim";
import { checkInputs, hostName, inputsOf, isUnknown, nonEmpty, parseInputs, port, usageMeterChanged, usageMeterName } from "./validation";

/** Inputs of a {@link MeteredProduct}. */
export interface MeteredProductArgs {
  /** Name of the appliance in `vcpp:usageMeters`; omit to use the `vcpp:usageMeter*` keys. */
  usageMeter?: pulumi.Input<string>;
  /** The appliance's product type code (case-sensitive), e.g. `VCAV` for Cloud Director Availability. Changing it replaces the product. */
  productType: pulumi.Input<ProductType>;
  /** Host name or IP address of the product's endpoint. Changing it replaces the product. */
  host: pulumi.Input<string>;
  /** Port of the product's endpoint (default 443). Changing it replaces the product. */
  port?: pulumi.Input<number>;
  /** Account the appliance collects with (for VCAV, the root account). Updated in place. */
  user: pulumi.Input<string>;
  /** That account's password; always stored as a secret. Updated in place. */
  password: pulumi.Input<string>;
  /**
   * Accept the certificate the product presents (default `true`), `false` to leave it pending,
   * or the expected SHA-256 fingerprint, so that only a matching certificate is accepted.
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

/** What the appliance reports about a registered product. */
export interface MeteredProductOutputs extends Omit<MeteredProductInputs, "acceptCertificate"> {
  acceptCertificate: boolean | string;
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
  /** Product name and version as the appliance reports them. */
  fullName?: string;
  version?: string;
}

const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;
const ACCEPT_CERTIFICATE_RULE = "must be true, false, or a SHA-256 fingerprint (64 hex digits, optionally in colon-separated pairs)";

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
    const required: Partial<Record<ProductType, (keyof typeof args)[]>> = { "NSX-V": ["vcId"], TKGM: ["vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"] };
    for (const field of required[args.productType] ?? []) {
      if (args[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required when productType is ${args.productType}` });
    }
  });
export type MeteredProductInputs = z.infer<typeof meteredProductInputs>;

/** Inputs that are credentials: redacted from every error and log line. */
const SECRET_FIELDS = ["password", "tkgmToken"];
/** Fields whose change means a different product on the appliance. */
const REPLACING_FIELDS = ["usageMeter", "productType", "host", "port"] as const;
/** Fields `PUT /product` changes in place. */
const UPDATABLE_FIELDS = ["user", "password", "vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"] as const;

/** How long to wait for the appliance to fetch a new product's certificate. */
const CERTIFICATE_WAIT_MS = 30_000;
const CERTIFICATE_POLL_MS = 1_000;

export class MeteredProductProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(meteredProductInputs, news, this.context);
  }

  async diff(_id: string, olds: MeteredProductOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
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
    const certificateWaiting = olds.pendingCertificateFingerprint !== undefined && news.acceptCertificate !== false;
    const changes = replaces.length > 0 || [...UPDATABLE_FIELDS, "acceptCertificate"].some(differs) || olds.active === false || certificateWaiting;
    // Same host under another type or port: the appliance refuses two products with one host name.
    const sameHost = !differs("host") && !differs("usageMeter");
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && sameHost };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(meteredProductInputs, inputs, "MeteredProduct", SECRET_FIELDS);
    const client = this.context.usageMeter(args.usageMeter);
    const spec = toSpec(args);
    const product = await this.registerOrAdopt(client, spec);
    const outs = await this.settle(client, args, product, undefined);
    return { id: String(outs.productId), outs };
  }

  async read(id: string, props: MeteredProductOutputs): Promise<pulumi.dynamic.ReadResult> {
    const client = this.context.usageMeter(props.usageMeter);
    const product = await client.getProduct(props.productType, Number(id));
    if (!product) return { id: "", props: {} };
    const pending = await pendingFor(client, product.id);
    const outs = outputs(props, product, props.certificateFingerprint, pending);
    // Inputs as the appliance reports them: the next preview then shows `user: "admin" => "root"`.
    return { id, props: outs, inputs: inputsOf(meteredProductInputs, outs) };
  }

  async update(id: string, olds: MeteredProductOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(meteredProductInputs, news, "MeteredProduct", SECRET_FIELDS);
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
    return { outs: await this.settle(client, args, product, olds.certificateFingerprint) };
  }

  async delete(id: string, props: MeteredProductOutputs): Promise<void> {
    const client = this.context.usageMeter(props.usageMeter);
    const removed = await client.deleteProduct(props.productType, Number(id));
    if (!removed) log.info(`MeteredProduct ${props.productType} ${props.host}:${props.port} (id ${id}) was already gone from ${client.baseUrl}`);
  }

  /**
   * Registers the product, or adopts the one already registered with the same type, host and
   * port (left by an interrupted run, or made by hand), applying the declared credentials.
   * The POST is never repeated: when its answer is lost or it conflicts, the product is looked up.
   */
  private async registerOrAdopt(client: UsageMeterClient, spec: ProductSpec): Promise<Product> {
    const existing = await client.findProduct(spec.productType, spec.host, spec.port);
    if (existing) {
      log.info(`MeteredProduct: adopting ${spec.productType} ${spec.host}:${spec.port}, already registered on ${client.baseUrl} as id ${existing.id}`);
      return client.updateProduct(existing.id, spec);
    }
    try {
      return await client.registerProduct(spec);
    } catch (error) {
      const answerLost = error instanceof ServiceError && (error.status === undefined || error.status >= 500 || error.status === 409);
      if (!answerLost) throw error;
      const registered = await client.findProduct(spec.productType, spec.host, spec.port);
      if (!registered) throw error;
      log.info(`MeteredProduct: ${spec.productType} ${spec.host}:${spec.port} was registered (id ${registered.id}) although the answer was ${(error as ServiceError).status ?? "lost"}; adopting it`);
      return client.updateProduct(registered.id, spec);
    }
  }

  /** Accepts the product's pending certificate as declared, then reads the product's final state. */
  private async settle(client: UsageMeterClient, args: MeteredProductInputs, product: Product, acceptedBefore: string | undefined): Promise<MeteredProductOutputs> {
    let accepted = acceptedBefore;
    let pending = await pendingFor(client, product.id, product.metered === false && args.acceptCertificate !== false ? CERTIFICATE_WAIT_MS : 0);
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
      await client.acceptCertificate(pending);
      accepted = fingerprint;
      pending = undefined;
    }
    const current = (await client.getProduct(args.productType, product.id)) ?? product;
    return outputs(args, current, accepted, pending);
  }
}

function toSpec(args: MeteredProductInputs): ProductSpec {
  const extra = Object.fromEntries(
    (["vcId", "tkgmToken", "tkgmEdition", "tkgmMetric"] as const).filter((k) => args[k] !== undefined).map((k) => [k, args[k] as string]),
  );
  return { productType: args.productType, host: args.host, port: args.port, user: args.user, password: args.password, extra };
}

async function pendingFor(client: UsageMeterClient, productId: number, waitMs = 0): Promise<CertificateAction | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const action = (await client.pendingCertificates()).find((a) => a.data.productId === productId);
    if (action || Date.now() >= deadline) return action;
    await new Promise((resolve) => setTimeout(resolve, CERTIFICATE_POLL_MS));
  }
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

/** Pulumi state cannot hold `undefined`; absent outputs are left out. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A product (Cloud Director Availability, vCenter, NSX, …) registered for metering on a Usage
 * Meter appliance, its certificate accepted. Creating adopts a product already registered with
 * the same type, host and port instead of registering it twice.
 */
export class MeteredProduct extends pulumi.dynamic.Resource {
  declare readonly usageMeter: pulumi.Output<string | undefined>;
  declare readonly productType: pulumi.Output<ProductType>;
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly user: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;
  declare readonly acceptCertificate: pulumi.Output<boolean | string>;
  declare readonly productId: pulumi.Output<number>;
  declare readonly active: pulumi.Output<boolean>;
  declare readonly metered: pulumi.Output<boolean>;
  declare readonly status: pulumi.Output<{ code: string; text: string }>;
  declare readonly certificateFingerprint: pulumi.Output<string | undefined>;
  declare readonly pendingCertificateFingerprint: pulumi.Output<string | undefined>;
  declare readonly fullName: pulumi.Output<string | undefined>;
  declare readonly version: pulumi.Output<string | undefined>;

  constructor(name: string, args: MeteredProductArgs, opts?: pulumi.CustomResourceOptions) {
    const outputsUnknownAtCreate = { productId: undefined, active: undefined, metered: undefined, status: undefined, certificateFingerprint: undefined, pendingCertificateFingerprint: undefined, fullName: undefined, version: undefined };
    super(
      shimFor("MeteredProduct"),
      name,
      { ...outputsUnknownAtCreate, ...args, password: pulumi.secret(args.password), tkgmToken: args.tkgmToken && pulumi.secret(args.tkgmToken) },
      { ...opts, additionalSecretOutputs: SECRET_FIELDS },
      "vcpp",
      "MeteredProduct",
    );
  }
}
