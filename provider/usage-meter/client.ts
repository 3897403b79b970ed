/**
 * Typed client of the Usage Meter appliance API (4.x at `https://UM:8443/api/v1` with a
 * `sessionId` header; 9.x at `https://UM/api/v1` with a bearer token). One login per appliance
 * URL and user per process, shared by every resource; a refused session logs in again once.
 */
import { z } from "zod";
import { Authenticator, Call, Endpoint, HttpClient } from "../http/client";
import { UsageMeterConnection } from "./settings";
import { ServiceError } from "../errors";
import { usageMeterSession, usageMeterSessionKey } from "../auth/usage-meter-session";
import { credentialId } from "../auth/token-source";
import { SharedReads } from "../shared-reads";
import * as log from "../log";
import {
  agentInfoSchema,
  ApplianceFlags,
  CertificateAction,
  dataUsageSchema,
  loginFlagsSchema,
  Product,
  productSchema,
  ProductType,
  ProxySettings,
  proxySettingsSchema,
  proxyTestSchema,
  userActionSchema,
} from "./schemas";

export const SERVICE = "Usage Meter";

/** For answers whose body this client does not use (the reference documents none, or it is not needed). */
const ignoredBody = z.unknown();

/** What registering or updating a product sends. */
export interface ProductSpec {
  productType: ProductType;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Product-specific fields (NSX-V `vcId`; TKGM `tkgmToken`, `tkgmEdition`, `tkgmMetric`, `vcId`). */
  extra?: Record<string, string>;
}

export interface ProxySpec {
  type: "none" | "http" | "https";
  host?: string;
  port?: number;
  user?: string;
  password?: string;
}

/**
 * What the appliance said about its settings in its login answer (4.x: `http_proxy`,
 * `data_usage_acceptance`; 9.x: nothing, so undefined), overlaid with what this process set or
 * read since: the login is shared and cached for the process, so its flags would otherwise go
 * stale the moment this process applies a proxy or accepts the terms. A change by hand after
 * the login is seen by the next login, i.e. the next `pulumi` command (a new provider process).
 * Kept by appliance, user and a hash of the password, as the login itself is shared.
 */
const flagsByLogin = new Map<string, ApplianceFlags>();

/** Statuses with which an appliance says it has no such route: the undocumented reads are extras. */
const NO_SUCH_ROUTE = [404, 405, 501];

/** "No such product" is a 502 with the appliance's own error body; a bare 502 (a proxy's) is a failure. */
const isUsageMeterError = (status: number, body: string) => status === 502 && /"errCode"\s*:/.test(body);

/** Whether a call failed because the appliance has no such product (see isUsageMeterError). */
export function isProductGone(error: unknown): boolean {
  return error instanceof ServiceError && error.status === 502 && error.errCode !== undefined;
}

/** The status this client records for a product whose certificate it accepted: the acceptance answers no body. */
export const ACCEPTED_STATUS = { code: "OK", text: "Certificate accepted" };

/** What `PUT /accept_certificate` names: the documented `certificateId` is the product's `host:port`. */
export interface CertificateTarget {
  certificateId: string;
  productType: string;
  productId: number;
}

export function apiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}

export class UsageMeterClient {
  readonly http: HttpClient;
  readonly baseUrl: string;
  private readonly auth: Authenticator;
  private readonly loginKey: string;
  /** Lists shared by this client's operations; a new client (a new `configure`) starts with none. */
  readonly reads = new SharedReads();

  constructor(
    readonly connection: UsageMeterConnection,
    options: Partial<Endpoint> = {},
  ) {
    this.baseUrl = apiBaseUrl(connection.url);
    this.http = new HttpClient({
      service: SERVICE,
      baseUrl: this.baseUrl,
      tls: connection.tls,
      isFinalAnswer: isUsageMeterError,
      hint: usageMeterHint,
      ...options,
    });
    this.loginKey = credentialId(usageMeterSessionKey(this.http, connection));
    this.auth = usageMeterSession(this.http, connection, (answer) =>
      flagsByLogin.set(this.loginKey, loginFlagsSchema.parse(answer)),
    );
  }

  async agentInfo(): Promise<z.infer<typeof agentInfoSchema>> {
    return this.http.request(
      {
        operation: "read appliance identity",
        method: "GET",
        path: "agent_info",
        searchParams: { um_uuid: true },
        schema: agentInfoSchema,
      },
      this.auth,
    );
  }

  /** The appliance's flags as this process knows them (logging in if it has not yet). */
  async applianceFlags(): Promise<ApplianceFlags> {
    await this.auth.headers();
    return { ...flagsByLogin.get(this.loginKey) };
  }

  /** Keeps the login's flags current; a flag the login did not report (9.x) stays not known. */
  private recordFlags(flags: ApplianceFlags): void {
    const known = flagsByLogin.get(this.loginKey);
    if (!known) return;
    for (const key of ["proxyInUse", "dataUsageAccepted"] as const)
      if (known[key] !== undefined && flags[key] !== undefined) known[key] = flags[key];
  }

  /** `GET /data_usage_acceptance`, undocumented: undefined when the appliance has no such route. */
  async readDataUsageAcceptance(): Promise<boolean | undefined> {
    const answer = await this.extra({
      operation: "read data usage acceptance",
      method: "GET",
      path: "data_usage_acceptance",
      schema: dataUsageSchema,
    });
    if (answer !== undefined) this.recordFlags({ dataUsageAccepted: answer.accepted });
    return answer?.accepted;
  }

  async setDataUsageAcceptance(accepted: boolean): Promise<void> {
    await this.http.request(
      // Sets a flag to a value: repeating it is harmless, so it is retried like a PUT.
      {
        operation: "set data usage acceptance",
        method: "POST",
        path: "data_usage_acceptance",
        json: { accepted },
        schema: ignoredBody,
        idempotent: true,
      },
      this.auth,
    );
    this.recordFlags({ dataUsageAccepted: accepted });
  }

  /** `GET /http_proxy`, undocumented: undefined when the appliance has no such route. */
  async readProxySettings(): Promise<ProxySettings | undefined> {
    const settings = await this.extra({
      operation: "read network connection",
      method: "GET",
      path: "http_proxy",
      schema: proxySettingsSchema,
    });
    if (settings !== undefined) this.recordFlags({ proxyInUse: settings.type !== "none" });
    return settings;
  }

  /** A call to a route no reference documents: its absence (404, 405, 501) is "not known", not a failure. */
  private async extra<S extends z.ZodType>(call: Call<S>): Promise<z.infer<S> | undefined> {
    const reply = await this.http.send({ ...call, acceptStatuses: NO_SUCH_ROUTE }, this.auth);
    if (reply.ok) return reply.body;
    log.debug(`${SERVICE} at ${this.baseUrl} has no ${call.method} /${call.path} (${reply.status}): not known`);
    return undefined;
  }

  /**
   * Applies a network connection; the appliance tests it first and keeps it only if the test
   * passes. `test_result` is read liberally (schemas.ts); a value that is neither a pass nor a
   * failure is trusted as the 2xx it came with, and warned about.
   */
  async applyProxy(spec: ProxySpec): Promise<void> {
    const json = spec.type === "none" ? { type: "none", host: "direct" } : spec;
    const call = { operation: "set network connection", method: "PUT" as const, path: "test_proxy" };
    const answer = await this.http.request({ ...call, json, schema: proxyTestSchema }, this.auth);
    const result = answer?.test_result;
    const through = spec.type === "none" ? "a direct connection" : `${spec.type}://${spec.host}:${spec.port}`;
    if (result?.outcome === "failed") {
      throw new ServiceError({
        call: this.http.describe(call),
        detail: `the appliance could not reach the cloud through ${through}${answer?.message ? `: ${answer.message}` : ""}`,
        code: "PROXY_TEST_FAILED",
        status: 202,
        errCode: answer?.error_code,
        serverMessage: answer?.message,
        hint: "Check the proxy host, port and credentials, and that the proxy allows the appliance out",
      });
    }
    // An absent test_result (seed 000 shows no body at all) is the 2xx's pass.
    if (result?.outcome === "unrecognised" && result.value !== undefined && result.value !== null) {
      const said = [answer?.message, answer?.error_code && `error code ${answer.error_code}`]
        .filter(Boolean)
        .join(", ");
      log.warn(
        `${SERVICE} at ${this.baseUrl}: the test of ${through} answered test_result ${JSON.stringify(result.value)}${said ? ` (${said})` : ""}, which this client does not know; taken as a pass, as the answer was a success status`,
      );
    }
    this.recordFlags({ proxyInUse: spec.type !== "none" });
  }

  /**
   * The products of a type, one `GET /product?productType=` shared by every caller of the
   * process (see SharedReads). The appliance's own 502 ("no such product") is read as none.
   */
  products(productType: ProductType): Promise<Product[]> {
    return this.reads.read(productsKey(productType), async () => {
      const reply = await this.unlessGone({
        operation: "list products",
        method: "GET",
        path: "product",
        searchParams: { productType },
        schema: z.array(productSchema),
      });
      return reply.gone ? [] : reply.body;
    });
  }

  /** The product registered for this host, port and type, if any: the natural key used for adoption. */
  async findProduct(productType: ProductType, host: string, port: number): Promise<Product | undefined> {
    const products = await this.products(productType);
    return products.find(
      (p) => p.productType === productType && p.host.toLowerCase() === host.toLowerCase() && p.port === port,
    );
  }

  /** A product by id, from the shared list of its type; undefined when the appliance does not have it. */
  async getProduct(productType: ProductType, id: number): Promise<Product | undefined> {
    return (await this.products(productType)).find((p) => p.id === id);
  }

  /** POST /product: never retried; callers look the product up by its natural key when the answer is lost. */
  async registerProduct(spec: ProductSpec): Promise<Product> {
    const product = await this.productWrite(spec.productType, () =>
      this.http.request(
        {
          operation: "register product",
          method: "POST",
          path: "product",
          json: productBody(spec),
          schema: productSchema,
        },
        this.auth,
      ),
    );
    this.recordProduct(spec.productType, product);
    return product;
  }

  /** PUT /product with the id in the body: updates credentials and re-activates. */
  async updateProduct(id: number, spec: ProductSpec): Promise<Product> {
    const product = await this.productWrite(spec.productType, () =>
      this.http.request(
        {
          operation: "update product",
          method: "PUT",
          path: "product",
          json: { id, ...productBody(spec) },
          schema: productSchema,
        },
        this.auth,
      ),
    );
    this.recordProduct(spec.productType, product);
    return product;
  }

  /** Removes a product; true if it was there. */
  async deleteProduct(productType: ProductType, id: number): Promise<boolean> {
    const reply = await this.productWrite(productType, () =>
      this.unlessGone({
        operation: "remove product",
        method: "DELETE",
        path: "product",
        searchParams: { productType, id, forget: true },
        schema: ignoredBody,
      }),
    );
    this.reads.update<Product[]>(productsKey(productType), (products) => products.filter((p) => p.id !== id));
    return !reply.gone;
  }

  /**
   * A write to the products of a type. It may add or drop a pending certificate (the appliance
   * fetches one after it answers), so the pending actions are read anew after it; a failed one
   * (perhaps applied, its answer lost) drops the shared list of its type too.
   */
  private async productWrite<T>(productType: ProductType, write: () => Promise<T>): Promise<T> {
    try {
      return await this.reads.writing([USER_ACTIONS_KEY], write);
    } catch (error) {
      this.reads.invalidate(productsKey(productType));
      throw error;
    }
  }

  /** What the appliance answered to a write is its current state: later readers of the list see it. */
  private recordProduct(productType: ProductType, product: Product): void {
    this.reads.update<Product[]>(productsKey(productType), (products) => [
      ...products.filter((p) => p.id !== product.id),
      product,
    ]);
  }

  /** Sends a call about one product, telling "the appliance has no such product" apart from a failure. */
  private async unlessGone<S extends z.ZodType>(
    call: Call<S>,
  ): Promise<{ gone: false; body: z.infer<S> } | { gone: true }> {
    const reply = await this.http.send({ ...call, acceptStatuses: [502] }, this.auth);
    if (reply.ok) return { gone: false, body: reply.body };
    if (!isUsageMeterError(reply.status, reply.text)) throw this.http.httpError(call, reply.status, reply.text);
    return { gone: true };
  }

  /**
   * Certificates waiting for acceptance: one `GET /user_action` shared by every caller of the
   * process; `maxAgeMs` bounds the age of a shared answer (a poller passes its interval).
   */
  async pendingCertificates(maxAgeMs?: number): Promise<CertificateAction[]> {
    const actions = await this.reads.read(
      USER_ACTIONS_KEY,
      () =>
        this.http.request(
          {
            operation: "list pending user actions",
            method: "GET",
            path: "user_action",
            schema: z.array(userActionSchema),
          },
          this.auth,
        ),
      maxAgeMs,
    );
    return actions.filter((a): a is CertificateAction => a.code === "Cert" && "data" in a);
  }

  /**
   * `PUT /accept_certificate` for a product, with the documented `certificateId` (`host:port`)
   * unless a pending action names another. Returns the product as accepting leaves it (the
   * answer has no body: metered, {@link ACCEPTED_STATUS}), or undefined when the appliance
   * answers 400, i.e. it has no such certificate waiting (not fetched yet): the caller then
   * lists the pending actions and waits.
   */
  async acceptCertificate(product: Product, target?: CertificateTarget): Promise<Product | undefined> {
    const { certificateId, productType, productId } = target ?? {
      certificateId: `${product.host}:${product.port}`,
      productType: product.productType,
      productId: product.id,
    };
    const reply = await this.reads.writing([USER_ACTIONS_KEY], () =>
      this.http.send(
        {
          operation: "accept product certificate",
          method: "PUT",
          path: "accept_certificate",
          json: { certificateId, accepted: true, productType, productId },
          schema: ignoredBody,
          acceptStatuses: target ? undefined : [400],
        },
        this.auth,
      ),
    );
    if (!reply.ok) {
      log.debug(
        `${SERVICE} at ${this.baseUrl}: no certificate ${certificateId} waits yet (${reply.status}: ${reply.text})`,
      );
      return undefined;
    }
    const accepted: Product = { ...product, metered: true, status: { ...ACCEPTED_STATUS, lastChanged: Date.now() } };
    this.recordProduct(product.productType as ProductType, accepted);
    return accepted;
  }
}

const USER_ACTIONS_KEY = "user_action";
const productsKey = (productType: ProductType) => `product:${productType}`;

function productBody(spec: ProductSpec): Record<string, unknown> {
  return {
    productType: spec.productType,
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    ...spec.extra,
  };
}

/**
 * Refresh, `preview --refresh` and destroy run the provider with the stack config recorded in
 * state by the last `pulumi up` (even one that changed no resource), not the config as it is now: after a
 * password is corrected they keep failing until something records the new one (CLI 3.250 has
 * `--run-program` for refresh, preview, up and destroy).
 */
export const CREDENTIALS_REFUSED =
  "The appliance refused the credentials: check vcpp:usageMeterUser and vcpp:usageMeterPassword (or the named appliance in vcpp:usageMeters). " +
  "A refresh (pulumi refresh, pulumi preview --refresh, pulumi up --refresh) and pulumi destroy use the configuration recorded in state by the last pulumi up, not the stack config as it is now: " +
  "after correcting it, run pulumi up, or add --run-program (pulumi refresh --run-program, pulumi preview --refresh --run-program), which runs the program and uses the current configuration";

function usageMeterHint(status: number | undefined, errCode: string | undefined): string | undefined {
  if (status === 401) return CREDENTIALS_REFUSED;
  if (errCode === "ERR_PM_HOST_NAME_CONFLICT")
    return "Another product is already registered with this host name: remove it on the appliance, or declare it with its own product type";
  if (status === 400) return "The appliance rejected the request body: check the product's fields for its type";
  return undefined;
}

/** Normalises a SHA-256 fingerprint to upper-case hex pairs joined by colons. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  return hex.match(/.{2}/g)?.join(":") ?? hex;
}
