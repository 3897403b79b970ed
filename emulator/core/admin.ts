/**
 * The admin framework: out-of-band operations (what an operator or a failure would do) that each
 * service declares once, as a list. The list serves them over HTTP under `/__admin/` for an
 * emulator in another process, and is the admin index at `GET /__admin/`: there is no second
 * list to keep in step. The operations every service shares (faults, the request log) are here.
 */
import { z } from "zod";
import { PRESENTED_CERTIFICATES, PresentedCertificate } from "./certificates";
import { Fault, faultSchema } from "./faults";
import { EmulatorResponse, LoggedRequest, Route, Router, UnhandledRequest } from "./router";

export const ADMIN_PREFIX = "/__admin";

export interface AdminOperation {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below `/__admin`; `{name}` segments are parameters. */
  path: string;
  /** What it does, for the index. */
  summary: string;
  /**
   * The JSON body it takes: validated before `run`, and shown in the index as JSON Schema.
   * @internal zod's types stay out of the emulator's public declarations.
   */
  body?: z.ZodType;
  /** Answer with `Connection: close`, so the caller's next request opens a new connection (a new certificate). */
  closesConnection?: boolean;
  /** Its answer is the response body (`{ ok: true }` when there is none); a throw answers 400. */
  run(params: Record<string, string>, body: unknown): unknown;
}

/** Declares an operation with `run` typed by its body schema. @internal */
export function adminOperation<Body = undefined>(
  operation: Omit<AdminOperation, "body" | "run"> & {
    body?: z.ZodType<Body>;
    run(params: Record<string, string>, body: Body): unknown;
  },
): AdminOperation {
  return operation as AdminOperation;
}

/** A service's admin side: the in-process API (`emulator.admin`) and the same operations over HTTP. */
export interface AdminModule<Admin> {
  admin: Admin;
  operations: AdminOperation[];
}

/** A path parameter that must be a number (a product id, say). */
export function numberParam(params: Record<string, string>, name: string): number {
  const value = Number(params[name]);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a number, got ${params[name]}`);
  return value;
}

/** Routes for every service's operations, and the index listing them all. */
export function adminRoutes(services: Array<{ service: string; operations: AdminOperation[] }>): Route[] {
  const listed = services.flatMap(({ service, operations }) => operations.map((operation) => ({ service, operation })));
  const index: AdminOperation = adminOperation({
    method: "GET",
    path: "/",
    summary: "this index: every admin route, what it does, and the body it takes",
    run: (): unknown => ({ routes: [{ service: "emulator", operation: index }, ...listed].map(describe) }),
  });
  return [index, ...listed.map((l) => l.operation)].map(toRoute);
}

function describe({ service, operation }: { service: string; operation: AdminOperation }): Record<string, unknown> {
  const { $schema: _schema, ...body } = operation.body
    ? z.toJSONSchema(operation.body, { io: "input", unrepresentable: "any" })
    : {};
  return {
    service,
    method: operation.method,
    path: `${ADMIN_PREFIX}${operation.path}`,
    summary: operation.summary,
    ...(operation.body ? { body } : {}),
  };
}

function toRoute(operation: AdminOperation): Route {
  const path = operation.path.replace(/\/$/, "").replace(/\{(\w+)\}/g, "(?<$1>[^/]+)");
  return {
    service: "admin",
    method: operation.method,
    pattern: new RegExp(`^${ADMIN_PREFIX}${path}/?$`),
    handle: async (req): Promise<EmulatorResponse> => {
      const parsed = operation.body
        ? operation.body.safeParse(req.body ?? {})
        : { success: true as const, data: undefined };
      if (!parsed.success)
        return adminError(
          `invalid body for ${operation.method} ${ADMIN_PREFIX}${operation.path}: ${z.prettifyError(parsed.error)}`,
        );
      try {
        const answer = await operation.run(req.params, parsed.data);
        const headers: Record<string, string> = operation.closesConnection ? { connection: "close" } : {};
        return { status: 200, body: answer ?? { ok: true }, headers };
      } catch (error) {
        return adminError((error as Error).message);
      }
    },
  };
}

const adminError = (errMessage: string): EmulatorResponse => ({
  status: 400,
  body: { errCode: "EMULATOR_ADMIN", errMessage },
});

/** What every emulator can do whatever its services: faults and the request log. */
export interface CoreAdmin {
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Every request served, in order (admin requests excluded). */
  requests(): LoggedRequest[];
  clearRequests(): void;
  /** Requests no route handled, in order (see `onUnhandledRequest`). */
  unhandledRequests(): UnhandledRequest[];
  /**
   * Every new connection gets this certificate from now on (every service: they share one
   * server); idle kept-alive connections are closed, so the next request meets it.
   */
  presentCertificate(kind: PresentedCertificate): Promise<void>;
}

const certificateSchema = z
  .object({
    presents: z
      .enum(PRESENTED_CERTIFICATES)
      .describe(
        "trusted: the emulator's own; untrusted: self-signed, no client trusts it; wrong-name: signed by the emulator's CA for other.example.com only",
      ),
  })
  .strict();

export function coreAdmin(
  router: Router,
  presentCertificate: (kind: PresentedCertificate) => Promise<void>,
): AdminModule<CoreAdmin> {
  const admin: CoreAdmin = {
    presentCertificate,
    injectFault: (fault) => router.faults.inject(faultSchema.parse(fault)),
    clearFaults: () => router.faults.clear(),
    requests: () => router.log.filter((r) => r.service !== "admin"),
    clearRequests: () => void (router.log.length = 0),
    unhandledRequests: () => router.unhandledRequests(),
  };
  const operations = [
    adminOperation({
      method: "POST",
      path: "/faults",
      summary: "inject a fault into matching requests",
      body: faultSchema,
      run: (_, fault) => admin.injectFault(fault),
    }),
    adminOperation({
      method: "DELETE",
      path: "/faults",
      summary: "remove every fault not yet served",
      run: () => admin.clearFaults(),
    }),
    adminOperation({
      method: "PUT",
      path: "/certificate",
      summary: "which TLS certificate every service presents to new connections from now on",
      body: certificateSchema,
      closesConnection: true,
      run: (_, body) => admin.presentCertificate(body.presents),
    }),
    adminOperation({
      method: "GET",
      path: "/requests",
      summary: "every request served, in order (admin requests excluded)",
      run: () => admin.requests(),
    }),
    adminOperation({
      method: "DELETE",
      path: "/requests",
      summary: "empty the request log",
      run: () => admin.clearRequests(),
    }),
    adminOperation({
      method: "GET",
      path: "/unhandled-requests",
      summary: "requests no route handled (each answered 404)",
      run: () => admin.unhandledRequests(),
    }),
  ];
  return { admin, operations };
}
