/**
 * Typed client of the Usage Meter appliance API (4.x at `https://UM:8443/api/v1` with a
 * `sessionId` header; 9.x at `https://UM/api/v1` with a bearer token). One login per appliance
 * URL and user per process, shared by every resource; a refused session logs in again once.
 */
import { z } from "zod";
import { Authenticator, Call, Endpoint, HttpClient } from "../http/client";
import { UsageMeterConnection } from "./settings";
import { ServiceError } from "../errors";
import { usageMeterSession } from "../auth/usage-meter-session";
import { agentInfoSchema, CertificateAction, dataUsageSchema, Product, productSchema, ProductType, ProxySettings, proxySettingsSchema, proxyTestSchema, userActionSchema } from "./schemas";

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

/** "No such product" is a 502 with the appliance's own error body; a bare 502 (a proxy's) is a failure. */
const isUsageMeterError = (status: number, body: string) => status === 502 && /"errCode"\s*:/.test(body);

/** Whether a call failed because the appliance has no such product (see isUsageMeterError). */
export function isProductGone(error: unknown): boolean {
  return error instanceof ServiceError && error.status === 502 && error.errCode !== undefined;
}

export function apiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}

export class UsageMeterClient {
  readonly http: HttpClient;
  readonly baseUrl: string;
  private readonly auth: Authenticator;

  constructor(readonly connection: UsageMeterConnection, options: Partial<Endpoint> = {}) {
    this.baseUrl = apiBaseUrl(connection.url);
    this.http = new HttpClient({
      service: SERVICE,
      baseUrl: this.baseUrl,
      tls: connection.tls,
      isFinalAnswer: isUsageMeterError,
      hint: usageMeterHint,
      ...options,
    });
    this.auth = usageMeterSession(this.http, connection);
  }

  async agentInfo(): Promise<z.infer<typeof agentInfoSchema>> {
    return this.http.request({ operation: "read appliance identity", method: "GET", path: "agent_info", searchParams: { um_uuid: true }, schema: agentInfoSchema }, this.auth);
  }

  async dataUsageAccepted(): Promise<boolean> {
    const answer = await this.http.request({ operation: "read data usage acceptance", method: "GET", path: "data_usage_acceptance", schema: dataUsageSchema }, this.auth);
    return answer.accepted;
  }

  async setDataUsageAcceptance(accepted: boolean): Promise<void> {
    await this.http.request(
      // Sets a flag to a value: repeating it is harmless, so it is retried like a PUT.
      { operation: "set data usage acceptance", method: "POST", path: "data_usage_acceptance", json: { accepted }, schema: ignoredBody, idempotent: true },
      this.auth,
    );
  }

  async proxySettings(): Promise<ProxySettings> {
    return this.http.request({ operation: "read network connection", method: "GET", path: "http_proxy", schema: proxySettingsSchema }, this.auth);
  }

  /** Applies a network connection; the appliance tests it first and keeps it only if the test passes. */
  async applyProxy(spec: ProxySpec): Promise<void> {
    const json = spec.type === "none" ? { type: "none", host: "direct" } : spec;
    const call = { operation: "set network connection", method: "PUT" as const, path: "test_proxy" };
    const answer = await this.http.request({ ...call, json, schema: proxyTestSchema }, this.auth);
    if (!answer.test_result) {
      const detail = `the appliance could not reach the cloud through ${spec.type === "none" ? "a direct connection" : `${spec.type}://${spec.host}:${spec.port}`}${answer.message ? `: ${answer.message}` : ""}`;
      throw new ServiceError({
        call: this.http.describe(call),
        detail,
        code: "PROXY_TEST_FAILED",
        status: 202,
        errCode: answer.error_code?.toString(),
        serverMessage: answer.message ?? undefined,
        hint: "Check the proxy host, port and credentials, and that the proxy allows the appliance out",
      });
    }
  }

  async listProducts(productType?: ProductType): Promise<Product[]> {
    return this.http.request(
      { operation: "list products", method: "GET", path: "product", searchParams: productType ? { productType } : undefined, schema: z.array(productSchema) },
      this.auth,
    );
  }

  /** The product registered for this host, port and type, if any: the natural key used for adoption. */
  async findProduct(productType: ProductType, host: string, port: number): Promise<Product | undefined> {
    const products = await this.listProducts(productType);
    return products.find((p) => p.productType === productType && p.host.toLowerCase() === host.toLowerCase() && p.port === port);
  }

  /** A product by id, or undefined when the appliance says it does not exist (its 502). */
  async getProduct(productType: ProductType, id: number): Promise<Product | undefined> {
    const reply = await this.unlessGone({ operation: "read product", method: "GET", path: "product", searchParams: { productType, id }, schema: z.array(productSchema) });
    return reply.gone ? undefined : reply.body.find((p) => p.id === id);
  }

  /** POST /product: never retried; callers look the product up by its natural key when the answer is lost. */
  async registerProduct(spec: ProductSpec): Promise<Product> {
    return this.http.request({ operation: "register product", method: "POST", path: "product", json: productBody(spec), schema: productSchema }, this.auth);
  }

  /** PUT /product with the id in the body: updates credentials and re-activates. */
  async updateProduct(id: number, spec: ProductSpec): Promise<Product> {
    return this.http.request({ operation: "update product", method: "PUT", path: "product", json: { id, ...productBody(spec) }, schema: productSchema }, this.auth);
  }

  /** Removes a product; true if it was there. */
  async deleteProduct(productType: ProductType, id: number): Promise<boolean> {
    const reply = await this.unlessGone({ operation: "remove product", method: "DELETE", path: "product", searchParams: { productType, id, forget: true }, schema: ignoredBody });
    return !reply.gone;
  }

  /** Sends a call about one product, telling "the appliance has no such product" apart from a failure. */
  private async unlessGone<S extends z.ZodType>(call: Call<S>): Promise<{ gone: false; body: z.infer<S> } | { gone: true }> {
    const reply = await this.http.send({ ...call, acceptStatuses: [502] }, this.auth);
    if (reply.ok) return { gone: false, body: reply.body };
    if (!isUsageMeterError(reply.status, reply.text)) throw this.http.httpError(call, reply.status, reply.text);
    return { gone: true };
  }

  async pendingCertificates(): Promise<CertificateAction[]> {
    const actions = await this.http.request({ operation: "list pending user actions", method: "GET", path: "user_action", schema: z.array(userActionSchema) }, this.auth);
    return actions.filter((a): a is CertificateAction => a.code === "Cert" && "data" in a);
  }

  async acceptCertificate(action: CertificateAction): Promise<void> {
    const { certificateId, productType, productId } = action.data;
    await this.http.request(
      { operation: "accept product certificate", method: "PUT", path: "accept_certificate", json: { certificateId, accepted: true, productType, productId }, schema: ignoredBody },
      this.auth,
    );
  }
}

function productBody(spec: ProductSpec): Record<string, unknown> {
  return { productType: spec.productType, host: spec.host, port: spec.port, user: spec.user, password: spec.password, ...spec.extra };
}

function usageMeterHint(status: number | undefined, errCode: string | undefined): string | undefined {
  if (status === 401) return "The appliance refused the credentials: check vcpp:usageMeterUser and vcpp:usageMeterPassword (or the named appliance in vcpp:usageMeters)";
  if (errCode === "ERR_PM_HOST_NAME_CONFLICT") return "Another product is already registered with this host name: remove it on the appliance, or declare it with its own product type";
  if (status === 400) return "The appliance rejected the request body: check the product's fields for its type";
  return undefined;
}

/** Normalises a SHA-256 fingerprint to upper-case hex pairs joined by colons. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  return hex.match(/.{2}/g)?.join(":") ?? hex;
}
