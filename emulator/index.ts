/**
 * A local stand-in for the remote services, on loopback over HTTPS with its own CA. Tests start
 * it with `startEmulator()`; `npm run emulator` serves it from the command line. Out-of-band
 * changes (what an operator would do by hand) go through `admin`, or the same operations over
 * HTTP under `/__admin/`.
 */
import { Server } from "node:https";
import { AddressInfo } from "node:net";
import { CertificateStore, createServerTls } from "./certificates";
import { EmulatorRequest, EmulatorResponse, Fault, LoggedRequest, Route, Router, startHttpsServer, WRITE_METHODS } from "./server";
import { ApplianceOptions, ApplianceState, createAppliance, EmulatedProduct, publicProduct, usageMeterRoutes, addProduct, rejectCertificate } from "./usage-meter";

export { Fault, LoggedRequest } from "./server";

export interface EmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on: loopback only (default 127.0.0.1). */
  host?: string;
  /** Usage Meter appliances by name (default: one 4.x appliance named `default`). */
  usageMeters?: Record<string, ApplianceOptions>;
  /** Do not print unknown routes. */
  quiet?: boolean;
}

export interface ApplianceAccess {
  /** What `vcpp:usageMeterUrl` (or a `vcpp:usageMeters` entry's `url`) is set to. */
  url: string;
  user: string;
  password: string;
  version: "4" | "9";
  uuid: string;
}

export interface RunningEmulator {
  /** Base URL of the whole emulator, e.g. `https://127.0.0.1:41234`. */
  url: string;
  /** The emulator's CA certificate: what `vcpp:caCertificates` is set to. */
  caPem: string;
  usageMeters: Record<string, ApplianceAccess>;
  /** Every request served, in order (admin requests excluded). */
  requests: LoggedRequest[];
  /** Requests that could have changed something (POST, PUT, PATCH, DELETE), login excluded. */
  writes(): LoggedRequest[];
  admin: EmulatorAdmin;
  close(): Promise<void>;
}

/** Out-of-band changes and inspection, as an operator or a failure would cause them. */
export interface EmulatorAdmin {
  appliance(name?: string): ApplianceState;
  products(name?: string): Record<string, unknown>[];
  /** Registers a product by hand (its certificate stays pending). */
  addProduct(name: string, product: { productType: string; host: string; port?: number; user: string; password: string } & Record<string, unknown>): Promise<Record<string, unknown>>;
  changeProduct(name: string, id: number, change: Partial<Pick<EmulatedProduct, "user" | "password" | "active" | "metered" | "host" | "port">>): Record<string, unknown>;
  removeProduct(name: string, id: number): void;
  /** The product starts presenting a new certificate, waiting for acceptance. */
  rotateCertificate(name: string, id: number): Promise<string>;
  /** An operator rejects the product's pending certificate: it stays registered, not metered. */
  rejectCertificate(name: string, id: number): void;
  setProxy(name: string, proxy: ApplianceState["proxy"]): void;
  setDataUsageAccepted(name: string, accepted: boolean): void;
  expireSessions(name?: string): void;
  /** The SHA-256 fingerprint of the certificate a product endpoint presents. */
  certificateFingerprint(host: string, port: number): Promise<string>;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Every request served, in order (admin requests excluded). */
  requests(): LoggedRequest[];
  clearRequests(): void;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const tls = await createServerTls();
  const certificates = new CertificateStore();
  const appliances = new Map(Object.entries(options.usageMeters ?? { default: {} }).map(([name, o]) => [name, createAppliance(name, o)]));

  const admin = createAdmin(appliances, certificates, () => router);
  const router: Router = new Router([...adminRoutes(admin), ...usageMeterRoutes(appliances, certificates)], options.quiet ?? false);
  const host = options.host ?? "127.0.0.1";
  const server: Server = await startHttpsServer(router, tls, host, options.port ?? 0);
  const url = `https://${host}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    caPem: tls.caPem,
    usageMeters: Object.fromEntries(
      [...appliances.values()].map((um) => [um.name, { url: `${url}/um/${um.name}`, user: um.user, password: um.password, version: um.version, uuid: um.uuid }]),
    ),
    get requests() {
      return admin.requests();
    },
    writes: () => admin.requests().filter((r) => WRITE_METHODS.includes(r.method) && !r.path.endsWith("/login")),
    admin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function createAdmin(appliances: Map<string, ApplianceState>, certificates: CertificateStore, router: () => Router): EmulatorAdmin {
  const appliance = (name = "default") => {
    const um = appliances.get(name);
    if (!um) throw new Error(`no appliance named ${name} (have ${[...appliances.keys()].join(", ")})`);
    return um;
  };
  const product = (name: string, id: number) => {
    const found = appliance(name).products.find((p) => p.id === id);
    if (!found) throw new Error(`appliance ${name} has no product ${id}`);
    return found;
  };
  return {
    appliance,
    products: (name) => appliance(name).products.map(publicProduct),
    async addProduct(name, body) {
      const answer = await addProduct(appliance(name), { body: { port: 443, ...body }, query: new URLSearchParams() } as EmulatorRequest, certificates);
      if (answer.status !== 202) throw new Error(`could not add product: ${JSON.stringify(answer.body)}`);
      return answer.body as Record<string, unknown>;
    },
    changeProduct(name, id, change) {
      const p = product(name, id);
      Object.assign(p, change, { lastChanged: Date.now() });
      if (change.active === false) p.status = { code: "Warn", text: "Deactivated", lastChanged: Date.now() };
      return publicProduct(p);
    },
    removeProduct(name, id) {
      const um = appliance(name);
      product(name, id);
      um.products = um.products.filter((p) => p.id !== id);
      um.pendingCertificates.delete(id);
    },
    rejectCertificate(name, id) {
      rejectCertificate(appliance(name), product(name, id));
    },
    async rotateCertificate(name, id) {
      const p = product(name, id);
      const pem = await certificates.rotate(p.host, p.port);
      appliance(name).pendingCertificates.set(id, pem);
      Object.assign(p, { metered: false, status: { code: "Warn", text: "Please accept certificate", lastChanged: Date.now() } });
      return certificates.describe(pem).fingerprint_sha256 as string;
    },
    setProxy: (name, proxy) => void (appliance(name).proxy = proxy),
    setDataUsageAccepted: (name, accepted) => void (appliance(name).dataUsageAccepted = accepted),
    expireSessions(name) {
      for (const um of name ? [appliance(name)] : appliances.values()) um.sessions.clear();
    },
    certificateFingerprint: async (host, port) => certificates.describe(await certificates.pem(host, port)).fingerprint_sha256 as string,
    injectFault: (fault) => router().injectFault(fault),
    clearFaults: () => router().clearFaults(),
    requests: () => router().log.filter((r) => r.service !== "admin"),
    clearRequests: () => void (router().log.length = 0),
  };
}

/** The admin operations over HTTP, for an emulator running in another process (`npm run emulator`). */
function adminRoutes(admin: EmulatorAdmin): Route[] {
  const route = (method: string, path: string, handle: (req: EmulatorRequest) => Promise<unknown> | unknown): Route => ({
    service: "admin",
    method,
    pattern: new RegExp(`^/__admin${path}$`),
    handle: async (req): Promise<EmulatorResponse> => {
      try {
        const body = await handle(req);
        return { status: 200, body: body ?? { ok: true } };
      } catch (error) {
        return { status: 400, body: { errCode: "EMULATOR_ADMIN", errMessage: (error as Error).message } };
      }
    },
  });
  const um = "/usage-meters/(?<name>[^/]+)";
  const body = <T>(req: EmulatorRequest) => (req.body ?? {}) as T;
  return [
    route("GET", "/usage-meters/(?<name>[^/]+)", (req) => {
      const { proxy, dataUsageAccepted, uuid, version, logins } = admin.appliance(req.params.name);
      return { uuid, version, logins, dataUsageAccepted, proxy: { ...proxy, password: undefined }, products: admin.products(req.params.name) };
    }),
    route("POST", `${um}/products`, (req) => admin.addProduct(req.params.name, body(req))),
    route("PATCH", `${um}/products/(?<id>\\d+)`, (req) => admin.changeProduct(req.params.name, Number(req.params.id), body(req))),
    route("DELETE", `${um}/products/(?<id>\\d+)`, (req) => admin.removeProduct(req.params.name, Number(req.params.id))),
    route("POST", `${um}/products/(?<id>\\d+)/rotate-certificate`, async (req) => ({ fingerprint: await admin.rotateCertificate(req.params.name, Number(req.params.id)) })),
    route("PUT", `${um}/proxy`, (req) => admin.setProxy(req.params.name, body(req))),
    route("PUT", `${um}/data-usage`, (req) => admin.setDataUsageAccepted(req.params.name, body<{ accepted: boolean }>(req).accepted)),
    route("POST", `${um}/expire-sessions`, (req) => admin.expireSessions(req.params.name)),
    route("POST", "/faults", (req) => admin.injectFault(body(req))),
    route("DELETE", "/faults", () => admin.clearFaults()),
    route("GET", "/requests", () => admin.requests()),
    route("DELETE", "/requests", () => admin.clearRequests()),
  ];
}
