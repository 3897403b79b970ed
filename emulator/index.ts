/**
 * A local stand-in for the remote services, on loopback over HTTPS with its own CA. Tests start
 * it with `startEmulator()`; `npm run emulator` serves it from the command line. Out-of-band
 * changes (what an operator would do by hand) go through `admin`, or the same operations over
 * HTTP under `/__admin/` (`GET /__admin/` lists them).
 *
 * Each service is one module (see `core/service.ts`); this file only composes them.
 */
import { Server } from "node:https";
import { AddressInfo } from "node:net";
import { adminRoutes, coreAdmin, CoreAdmin } from "./core/admin";
import { CertificateStore, createServerTls, PresentedCertificate, presentedTls } from "./core/certificates";
import { Fault } from "./core/faults";
import {
  LoggedRequest,
  Router,
  startHttpsServer,
  UnhandledRequest,
  UnhandledRequestMode,
  WRITE_METHODS,
} from "./core/router";
import { EmulatorService } from "./core/service";
import { usageMeterService } from "./usage-meter";
import { vcloudAirService } from "./vcloud-air";
import { cloudPartnerNavigatorService } from "./cloud-partner-navigator";
import { commerceService } from "./commerce";

export { Fault } from "./core/faults";
export { PresentedCertificate } from "./core/certificates";
export { LoggedRequest, UnhandledRequest, UnhandledRequestMode } from "./core/router";
export { ApplianceAccess, ApplianceOptions, ApplianceState, EmulatedProduct } from "./usage-meter";
export {
  VcaAccess,
  VcaAccountAccess,
  VcaAccountOptions,
  VcaAccountState,
  VcaAdmin,
  VcaApiVersion,
  VcaComputeService,
  VcaCounts,
  VcaInstance,
  VcaL1,
  VcaL2,
  VcaNewUser,
  VcaOptions,
  VcaPlan,
  VcaRole,
  VcaUserChange,
  VcaUserRecord,
  VcaVdc,
  VCA_ROLES,
} from "./vcloud-air";
export {
  CloudPartnerNavigatorAccess,
  CspApiTokenOptions,
  CspOptions,
  KnownAgentOptions,
  MeteredProduct,
  NewReport,
  RegistrationChange,
  RegistrationRecord,
  ReportRecord,
  UsageInsightOptions,
} from "./cloud-partner-navigator";
export {
  CommerceAccess,
  CommerceAdmin,
  CommerceOptions,
  CommerceOrder,
  FulfilledLine,
  FulfilmentSettings,
  OrderLine,
  PoType,
} from "./commerce";

/** Every emulated service; adding one is one line here. */
export const SERVICES = [usageMeterService, cloudPartnerNavigatorService, commerceService, vcloudAirService] as const;

type Service = (typeof SERVICES)[number];
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type Part<S, K extends 0 | 1 | 2> = S extends EmulatorService<infer O, infer A, infer X> ? [O, A, X][K] : never;

export interface CoreOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on: loopback only (default 127.0.0.1). */
  host?: string;
  /**
   * A request no route handles is answered 404 and: "error" (the default) fails `close()` and
   * `assertNoUnhandledRequests()`, naming it; "warn" prints it; "bypass" ignores it.
   */
  onUnhandledRequest?: UnhandledRequestMode;
  /** Do not print unhandled requests as they arrive (with "error", closing still fails). */
  quiet?: boolean;
  /** Faults injected from the start, as `admin.injectFault` would. */
  faults?: Fault[];
  /** The TLS certificate every service presents (default "trusted"); `admin.presentCertificate` changes it. */
  certificate?: PresentedCertificate;
}

export type EmulatorOptions = CoreOptions & Intersection<Part<Service, 0>>;

/** Out-of-band changes and inspection, as an operator or a failure would cause them. */
export type EmulatorAdmin = CoreAdmin & Intersection<Part<Service, 1>>;

export type RunningEmulator = Intersection<Part<Service, 2>> & {
  /** Base URL of the whole emulator, e.g. `https://127.0.0.1:41234`. */
  url: string;
  /** The emulator's CA certificate: what `vcpp:caCertificates` is set to. */
  caPem: string;
  /** Every request served, in order (admin requests excluded). */
  readonly requests: LoggedRequest[];
  /** Requests that could have changed something (POST, PUT, PATCH, DELETE), logins, logouts and token exchanges excluded. */
  writes(): LoggedRequest[];
  admin: EmulatorAdmin;
  /** Requests no route handled, in order. */
  unhandledRequests(): UnhandledRequest[];
  /** With onUnhandledRequest "error": throws naming each unhandled request not reported yet. */
  assertNoUnhandledRequests(): void;
  /** Stops serving; then, with "error", fails as `assertNoUnhandledRequests()` does. */
  close(): Promise<void>;
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const tls = await createServerTls();
  const router = new Router({
    onUnhandledRequest: options.onUnhandledRequest ?? "error",
    quiet: options.quiet ?? false,
  });
  // The admin operations are made before the server they switch the certificate of.
  const listening: { server?: Server } = {};
  const core = coreAdmin(router, async (kind) => {
    const server = listening.server;
    if (!server) throw new Error("the emulator is not listening yet");
    server.setSecureContext(await presentedTls(kind, tls));
    server.closeIdleConnections();
  });
  for (const fault of options.faults ?? []) core.admin.injectFault(fault);
  const context = { certificates: new CertificateStore(), meteringAgents: new Map() };
  const services = (SERVICES as readonly EmulatorService<EmulatorOptions, object, object>[]).map((service) => ({
    name: service.name,
    ...service.start(options, context),
  }));
  router.use(
    adminRoutes([
      { service: "emulator", operations: core.operations },
      ...services.map((s) => ({ service: s.name, operations: s.operations })),
    ]),
  );
  for (const service of services) router.use(service.routes);

  const host = options.host ?? "127.0.0.1";
  const started = await presentedTls(options.certificate ?? "trusted", tls);
  const server = await startHttpsServer(router, started, host, options.port ?? 0);
  listening.server = server;
  const url = `https://${host}:${(server.address() as AddressInfo).port}`;
  const admin = merged([core.admin, ...services.map((s) => s.admin)]) as EmulatorAdmin;

  return {
    ...(merged(services.map((s) => s.access(url))) as Intersection<Part<Service, 2>>),
    url,
    caPem: tls.caPem,
    get requests() {
      return admin.requests();
    },
    // Logging in and out (vCloud Air 5.6: `POST /sessions`, `POST …/vcloudsession`, `DELETE /session`) and
    // exchanging a CSP API token or OAuth client credentials for an access token change nothing.
    writes: () =>
      admin
        .requests()
        .filter(
          (r) =>
            WRITE_METHODS.includes(r.method) &&
            !/\/(login|logout|session|sessions|vcloudsession|api-tokens\/authorize|token\/oauth)$/.test(r.path),
        ),
    admin,
    unhandledRequests: () => router.unhandledRequests(),
    assertNoUnhandledRequests: () => router.assertNoUnhandledRequests(),
    close: async () => {
      await new Promise<void>((resolve) => {
        // Every connection, those left hanging by a `hang` fault included.
        server.closeAllConnections();
        server.close(() => resolve());
      });
      router.assertNoUnhandledRequests();
    },
  };
}

/** One object from each service's part; two services may not use the same name. */
function merged(parts: object[]): object {
  const result: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (key in result) throw new Error(`two emulated services both define ${key}`);
      result[key] = value;
    }
  }
  return result;
}
