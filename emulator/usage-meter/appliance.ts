/**
 * A Usage Meter appliance, as its API reference describes it (4.x: `POST /login` answers 202 with
 * a `sessionid`; 9.x: HTTP Basic login answers 200 with a bearer token), mounted at
 * `/um/<name>/api/v1`. Where the references are silent (reading the proxy and the data usage
 * acceptance back), it answers in the natural REST shape the client assumes; both are
 * documented in the README.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { CertificateStore } from "../core/certificates";
import { MeteringAgent } from "../core/metering-agents";
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";

export const PRODUCT_TYPES = [
  "vCenter",
  "NSX-V",
  "NSX-T",
  "NSXALB",
  "VRNI",
  "VCD",
  "VCAV",
  "VROPS",
  "VRSLCM",
  "TKGM",
  "VCFA",
];
const FULL_NAMES: Record<string, string> = {
  vCenter: "VMware vCenter Server",
  "NSX-V": "VMware NSX for vSphere",
  "NSX-T": "VMware NSX",
  NSXALB: "VMware NSX Advanced Load Balancer",
  VRNI: "VMware Aria Operations for Networks",
  VCD: "VMware Cloud Director",
  VCAV: "VMware Cloud Director Availability",
  VROPS: "VMware Aria Operations",
  VRSLCM: "VMware Aria Suite Lifecycle",
  TKGM: "VMware Tanzu Kubernetes Grid",
  VCFA: "VMware Cloud Foundation Automation",
};
const EXTRA_FIELDS: Record<string, string[]> = {
  "NSX-V": ["vcId"],
  TKGM: ["tkgmToken", "tkgmEdition", "tkgmMetric", "vcId"],
};

/** The release each API generation reports in `agent_info`. */
const RELEASES = { "4": { major: 4, minor: 8 }, "9": { major: 9, minor: 0 } };

export interface ApplianceOptions {
  /** API generation: "4" (session id, the default) or "9" (bearer token). */
  version?: "4" | "9";
  user?: string;
  password?: string;
  /** Lifetime of a session or token (default 30 minutes). */
  sessionTtlMs?: number;
  /**
   * Serve the routes no reference documents (`GET /http_proxy`, `GET /data_usage_acceptance`);
   * default true. False answers them 404 as an appliance without them would.
   */
  undocumentedRoutes?: boolean;
}

export interface EmulatedProduct {
  id: number;
  host: string;
  port: number;
  user: string;
  /** Kept to check updates; never returned by the API. */
  password: string;
  productType: string;
  fullName: string;
  version: string;
  active: boolean;
  metered: boolean;
  lastChanged: number;
  instanceUUID: string;
  status: { code: string; text: string; lastChanged: number };
  extra: Record<string, string>;
}

export interface ApplianceState {
  name: string;
  version: "4" | "9";
  user: string;
  password: string;
  uuid: string;
  dataUsageAccepted: boolean;
  proxy: { type: "none" | "http" | "https"; host?: string; port?: number; user?: string; password?: string };
  products: EmulatedProduct[];
  /** Certificates waiting for acceptance, by product id. */
  pendingCertificates: Map<number, string>;
  sessions: Map<string, number>;
  /** Every session id, access token and refresh token ever handed out: none may end up in state or logs. */
  issuedCredentials: string[];
  sessionTtlMs: number;
  undocumentedRoutes: boolean;
  nextId: number;
  logins: number;
}

const err = (status: number, errCode: string, errMessage: string): EmulatorResponse => ({
  status,
  body: { errCode, errMessage },
});
/** What an appliance without an (undocumented) route answers. */
const NO_SUCH_ROUTE: EmulatorResponse = {
  status: 404,
  body: { errCode: "GW_NOT_FOUND", errMessage: "No such resource" },
};
const notFound = (id: unknown) => err(502, "ERR_PM_PRODUCT_NOT_FOUND", `Product with id ${String(id)} not found`);

export function createAppliance(name: string, options: ApplianceOptions = {}): ApplianceState {
  return {
    name,
    version: options.version ?? "4",
    user: options.user ?? "usagemeter",
    password: options.password ?? `um-${randomBytes(9).toString("base64url")}`,
    uuid: randomUUID(),
    dataUsageAccepted: false,
    proxy: { type: "none" },
    products: [],
    pendingCertificates: new Map(),
    sessions: new Map(),
    issuedCredentials: [],
    sessionTtlMs: options.sessionTtlMs ?? 30 * 60_000,
    undocumentedRoutes: options.undocumentedRoutes ?? true,
    nextId: 1,
    logins: 0,
  };
}

/** The appliance as the cloud side sees it: a metering agent whose UUID is its `agentId`. */
export function meteringAgent(um: ApplianceState): MeteringAgent {
  const { major, minor } = RELEASES[um.version];
  return {
    agentId: um.uuid,
    version: `${major}.${minor}`,
    meteredProducts: () =>
      um.products
        .filter((p) => p.active && p.metered)
        .map(({ productType, host, fullName }) => ({ productType, host, fullName })),
  };
}

export function publicProduct(p: EmulatedProduct): Record<string, unknown> {
  const { password: _password, extra, ...rest } = p;
  const { tkgmToken: _token, ...visibleExtra } = extra;
  return { ...rest, ...visibleExtra };
}

export function usageMeterRoutes(appliances: Map<string, ApplianceState>, certificates: CertificateStore): Route[] {
  // Only the appliances it has: a request to another is unhandled, like any unknown route.
  const names = [...appliances.keys()].map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const base = `^/um/(?<appliance>${names})/api/v1`;
  const route = (
    method: string,
    path: string,
    handler: (um: ApplianceState, req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>,
    authenticated = true,
  ): Route => ({
    service: "usage-meter",
    method,
    pattern: new RegExp(`${base}${path}$`),
    handle: (req) => {
      const um = appliances.get(req.params.appliance) as ApplianceState;
      if (authenticated && !isAuthenticated(um, req))
        return err(401, "GW_LOGIN_REQUIRED", "Login is required or the session has expired");
      return handler(um, req);
    },
  });

  return [
    route("POST", "/login", login, false),
    route("GET", "/agent_info", (um, req) => ({
      status: 200,
      body: {
        build_number: "24154917",
        major_version: RELEASES[um.version].major,
        minor_version: RELEASES[um.version].minor,
        patch_version: 0,
        hotfix_version: 0,
        ...(req.query.get("um_uuid") === "true" ? { uuid: um.uuid } : {}),
      },
    })),
    route("GET", "/data_usage_acceptance", (um) =>
      um.undocumentedRoutes ? { status: 200, body: { accepted: um.dataUsageAccepted } } : NO_SUCH_ROUTE,
    ),
    route("POST", "/data_usage_acceptance", (um, req) => {
      const body = req.body as { accepted?: unknown } | undefined;
      if (typeof body?.accepted !== "boolean") return err(400, "GW_BAD_REQ_BODY", "accepted must be a boolean");
      um.dataUsageAccepted = body.accepted;
      return { status: 202 };
    }),
    route("GET", "/http_proxy", (um) =>
      um.undocumentedRoutes
        ? {
            status: 200,
            body: {
              type: um.proxy.type,
              host: um.proxy.host ?? null,
              port: um.proxy.port ?? null,
              user: um.proxy.user ?? null,
            },
          }
        : NO_SUCH_ROUTE,
    ),
    route("PUT", "/test_proxy", testProxy),
    route("GET", "/product", listProducts),
    route("POST", "/product", (um, req) => addProduct(um, req, certificates)),
    route("PUT", "/product", (um, req) => updateProduct(um, req, certificates)),
    route("DELETE", "/product", deleteProduct),
    route("GET", "/user_action", async (um) => ({ status: 200, body: await userActions(um, certificates) })),
    route("PUT", "/accept_certificate", acceptCertificate),
  ];
}

function isAuthenticated(um: ApplianceState, req: EmulatorRequest): boolean {
  const header =
    um.version === "9" ? /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1] : req.headers.sessionid;
  const token = Array.isArray(header) ? header[0] : header;
  const expires = token ? um.sessions.get(token) : undefined;
  return expires !== undefined && Date.now() < expires;
}

function login(um: ApplianceState, req: EmulatorRequest): EmulatorResponse {
  const credentials =
    um.version === "9"
      ? basicCredentials(req.headers.authorization)
      : (req.body as { user?: string; password?: string } | undefined);
  if (!credentials || typeof credentials.user !== "string" || typeof credentials.password !== "string") {
    return um.version === "9"
      ? err(401, "GW_LOGIN_FAILED", "HTTP Basic credentials are required")
      : err(400, "GW_BAD_REQ_BODY", "user and password are required");
  }
  if (credentials.user !== um.user || credentials.password !== um.password)
    return err(401, "GW_LOGIN_FAILED", "Invalid user name or password");
  um.logins++;
  const token = `UmSID${randomBytes(24).toString("base64url")}`;
  const expiresAt = Date.now() + um.sessionTtlMs;
  um.sessions.set(token, expiresAt);
  um.issuedCredentials.push(token);
  if (um.version === "9") {
    const refreshToken = randomBytes(16).toString("hex");
    um.issuedCredentials.push(refreshToken);
    return { status: 200, body: { accessToken: { tokenValue: token, expiresAt, tokenType: "Bearer" }, refreshToken } };
  }
  return {
    status: 202,
    body: {
      data_usage_acceptance: um.dataUsageAccepted,
      http_proxy: um.proxy.type !== "none",
      alert_email: false,
      sessionid: token,
    },
  };
}

function basicCredentials(header: unknown): { user: string; password: string } | undefined {
  const match = /^Basic (.+)$/.exec(String(header ?? ""));
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Proxies under the reserved `.invalid` domain cannot be reached: the test fails and nothing is saved. */
function testProxy(um: ApplianceState, req: EmulatorRequest): EmulatorResponse {
  const body = (req.body ?? {}) as { type?: string; host?: string; port?: number; user?: string; password?: string };
  if (body.type === "none") {
    um.proxy = { type: "none" };
    return {
      status: 202,
      body: { test_result: true, message: "Direct connection to the cloud succeeded", error_code: null },
    };
  }
  if (
    (body.type !== "http" && body.type !== "https") ||
    typeof body.host !== "string" ||
    !Number.isInteger(body.port)
  ) {
    return err(400, "GW_BAD_REQ_BODY", "type must be none, http or https; host and port are required for a proxy");
  }
  if (body.host.endsWith(".invalid"))
    return {
      status: 202,
      body: {
        test_result: false,
        message: `Could not connect to proxy ${body.host}:${body.port}`,
        error_code: "PROXY_UNREACHABLE",
      },
    };
  um.proxy = { type: body.type, host: body.host, port: body.port, user: body.user, password: body.password };
  return {
    status: 202,
    body: { test_result: true, message: "Connection through the proxy succeeded", error_code: null },
  };
}

function listProducts(um: ApplianceState, req: EmulatorRequest): EmulatorResponse {
  const [type, id, active, meter] = ["productType", "id", "active", "meter"].map((k) => req.query.get(k));
  if (type === null && (id !== null || active !== null || meter !== null))
    return err(400, "GW_REQ_KEY", "productType is required when other filters are given");
  let products = um.products.filter((p) => type === null || p.productType === type);
  if (id !== null) {
    products = products.filter((p) => String(p.id) === id);
    if (products.length === 0) return notFound(id);
  }
  if (active !== null) products = products.filter((p) => String(p.active) === active);
  if (meter !== null) products = products.filter((p) => String(p.metered) === meter);
  return { status: 200, body: products.map(publicProduct) };
}

type ProductBody = {
  id?: unknown;
  productType?: unknown;
  host?: unknown;
  port?: unknown;
  user?: unknown;
  password?: unknown;
} & Record<string, unknown>;

function validateProductBody(body: ProductBody): string | undefined {
  if (typeof body.productType !== "string" || !PRODUCT_TYPES.includes(body.productType))
    return `productType must be one of ${PRODUCT_TYPES.join(", ")}`;
  for (const field of ["host", "user", "password"])
    if (typeof body[field] !== "string" || body[field] === "") return `${field} is required`;
  if (!Number.isInteger(body.port) || (body.port as number) < 1 || (body.port as number) > 65535)
    return "port must be between 1 and 65535";
  for (const field of EXTRA_FIELDS[body.productType] ?? [])
    if (typeof body[field] !== "string") return `${field} is required for ${body.productType}`;
  return undefined;
}

function extraFields(body: ProductBody): Record<string, string> {
  return Object.fromEntries((EXTRA_FIELDS[body.productType as string] ?? []).map((f) => [f, String(body[f])]));
}

export async function addProduct(
  um: ApplianceState,
  req: EmulatorRequest,
  certificates: CertificateStore,
): Promise<EmulatorResponse> {
  const body = (req.body ?? {}) as ProductBody;
  const invalid = validateProductBody(body);
  if (invalid) return err(400, "GW_BAD_REQ_BODY", invalid);
  const host = body.host as string;
  const clash = um.products.find((p) => p.host.toLowerCase() === host.toLowerCase());
  if (clash && req.query.get("force") !== "true")
    return err(
      409,
      "ERR_PM_HOST_NAME_CONFLICT",
      `Host name ${host} is already used by product ${clash.id} (${clash.productType})`,
    );
  const now = Date.now();
  const product: EmulatedProduct = {
    id: um.nextId++,
    host,
    port: body.port as number,
    user: body.user as string,
    password: body.password as string,
    productType: body.productType as string,
    fullName: FULL_NAMES[body.productType as string],
    version: "4.7.0",
    active: true,
    metered: false,
    lastChanged: now,
    instanceUUID: randomUUID(),
    status: { code: "Warn", text: "Please accept certificate", lastChanged: now },
    extra: extraFields(body),
  };
  um.products.push(product);
  um.pendingCertificates.set(product.id, await certificates.pem(host, product.port));
  return { status: 202, body: publicProduct(product) };
}

async function updateProduct(
  um: ApplianceState,
  req: EmulatorRequest,
  certificates: CertificateStore,
): Promise<EmulatorResponse> {
  const body = (req.body ?? {}) as ProductBody;
  const product = um.products.find((p) => p.id === Number(body.id));
  if (body.id === undefined) return err(400, "GW_BAD_REQ_BODY", "id is required");
  if (!product) return notFound(body.id);
  const invalid = validateProductBody(body);
  if (invalid) return err(400, "GW_BAD_REQ_BODY", invalid);
  const endpointChanged = product.host !== body.host || product.port !== body.port;
  const reactivated = !product.active;
  Object.assign(product, {
    host: body.host,
    port: body.port,
    user: body.user,
    password: body.password,
    productType: body.productType,
    extra: extraFields(body),
    active: true,
    lastChanged: Date.now(),
  });
  if (endpointChanged) {
    product.metered = false;
    product.status = { code: "Warn", text: "Please accept certificate", lastChanged: Date.now() };
    um.pendingCertificates.set(product.id, await certificates.pem(product.host, product.port));
  } else if (reactivated) {
    // Re-activation ends the "Deactivated" status: the product is back to what its certificate allows.
    product.status = product.metered
      ? { code: "OK", text: "Collecting", lastChanged: Date.now() }
      : { code: "Warn", text: "Please accept certificate", lastChanged: Date.now() };
  }
  return { status: 202, body: publicProduct(product) };
}

function deleteProduct(um: ApplianceState, req: EmulatorRequest): EmulatorResponse {
  const [type, id] = [req.query.get("productType"), req.query.get("id")];
  if (type === null || id === null) return err(400, "GW_REQ_KEY", "productType and id are required");
  const index = um.products.findIndex((p) => p.productType === type && String(p.id) === id);
  if (index < 0) return notFound(id);
  um.products.splice(index, 1);
  um.pendingCertificates.delete(Number(id));
  return { status: 202 };
}

async function userActions(um: ApplianceState, certificates: CertificateStore): Promise<unknown[]> {
  const actions = [];
  for (const [productId, pem] of um.pendingCertificates) {
    const product = um.products.find((p) => p.id === productId);
    if (!product) continue;
    actions.push({
      code: "Cert",
      data: {
        productId,
        certificateId: `${product.host}:${product.port}`,
        productType: product.productType,
        certData: certificates.describe(pem),
      },
    });
  }
  return actions;
}

function acceptCertificate(um: ApplianceState, req: EmulatorRequest): EmulatorResponse {
  const body = (req.body ?? {}) as {
    certificateId?: string;
    accepted?: boolean;
    productType?: string;
    productId?: number;
  };
  const product = um.products.find((p) => p.id === Number(body.productId));
  if (!product) return notFound(body.productId);
  if (
    !um.pendingCertificates.has(product.id) ||
    body.certificateId !== `${product.host}:${product.port}` ||
    body.productType !== product.productType
  ) {
    return err(
      400,
      "GW_BAD_REQ_BODY",
      `No certificate ${String(body.certificateId)} is waiting for ${String(body.productType)} product ${product.id}`,
    );
  }
  if (body.accepted === true) {
    um.pendingCertificates.delete(product.id);
    const now = Date.now();
    Object.assign(product, {
      metered: true,
      lastChanged: now,
      status: { code: "OK", text: "Collecting", lastChanged: now },
    });
  } else {
    rejectCertificate(um, product);
  }
  return { status: 202 };
}

/** What rejecting a product's pending certificate does (on the appliance's UI, or through the API). */
export function rejectCertificate(um: ApplianceState, product: EmulatedProduct): void {
  um.pendingCertificates.delete(product.id);
  const now = Date.now();
  Object.assign(product, {
    metered: false,
    lastChanged: now,
    status: { code: "Error", text: "Certificate rejected", lastChanged: now },
  });
}
