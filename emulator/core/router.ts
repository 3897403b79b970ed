/**
 * The emulator's plumbing: one HTTPS server on loopback, routes as a list of handlers (one
 * module per service contributes its own), a request log that tests assert on, injectable faults,
 * and loud failures for routes nobody handles.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import { createServer, Server } from "node:https";
import { Fault, FaultQueue, malformedBody } from "./faults";

export interface EmulatorRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Parsed JSON or form body, or the raw text; undefined when empty. */
  body: unknown;
  /** Named groups of the route's pattern. */
  params: Record<string, string>;
}

export interface EmulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  /** Which service the route belongs to, for the request log. */
  service: string;
  method: string;
  /** Matched against the whole path; named groups become `params`. */
  pattern: RegExp;
  handle(request: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse>;
  /** Hand the body to `handle` as text, unparsed: the route answers a malformed body itself. */
  rawBody?: boolean;
}

export interface LoggedRequest {
  service: string;
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
}

export const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

/**
 * What happens to a request no route handles (it is always answered 404 `EMULATOR_UNKNOWN_ROUTE`,
 * as the client must see): "error" records it and fails `assertNoUnhandledRequests()` and
 * `close()`, "warn" only prints it, "bypass" neither. The names are msw's.
 */
export type UnhandledRequestMode = "error" | "warn" | "bypass";

export interface UnhandledRequest {
  method: string;
  /** Path and query string. */
  url: string;
  body: unknown;
}

export interface RouterOptions {
  onUnhandledRequest: UnhandledRequestMode;
  /** Do not print unhandled requests as they arrive (the report of "error" is not affected). */
  quiet: boolean;
}

export class Router {
  readonly log: LoggedRequest[] = [];
  readonly faults = new FaultQueue();
  /** Unhandled requests not yet reported by `assertNoUnhandledRequests`. */
  private readonly unreported: UnhandledRequest[] = [];
  private readonly unhandled: UnhandledRequest[] = [];
  private readonly routes: Route[] = [];

  constructor(private readonly options: RouterOptions) {}

  /** Adds routes; the first that matches a request handles it. */
  use(routes: Route[]): void {
    this.routes.push(...routes);
  }

  /** Every request no route handled, in order (none are kept with "bypass"). */
  unhandledRequests(): UnhandledRequest[] {
    return [...this.unhandled];
  }

  /** With "error", throws an error naming each unhandled request not reported before. */
  assertNoUnhandledRequests(): void {
    if (this.options.onUnhandledRequest !== "error" || this.unreported.length === 0) return;
    const lines = this.unreported.splice(0).map((r) => `  ${describeUnhandled(r)}`);
    throw new Error(
      `the emulator received ${lines.length} request(s) that no route handles (each answered 404 EMULATOR_UNKNOWN_ROUTE):\n` +
        `${lines.join("\n")}\n` +
        'Fix the request or add the route to the emulator; a test that sends it on purpose passes onUnhandledRequest: "warn".',
    );
  }

  async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://emulator");
    const method = req.method ?? "GET";
    const route = this.routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    const service = route?.service ?? "unknown";
    const record = (status: number) =>
      this.log.push({ service, method, path: url.pathname, query: url.search, status, at: Date.now() });
    let body: unknown;
    try {
      body = await readBody(req, route?.rawBody ?? false);
    } catch {
      return send(
        res,
        400,
        { errCode: "EMULATOR_BAD_BODY", errMessage: "the request body is not valid JSON" },
        {},
        record,
      );
    }
    if (!route) {
      const message = this.recordUnhandled({ method, url: `${url.pathname}${url.search}`, body });
      return send(res, 404, { errCode: "EMULATOR_UNKNOWN_ROUTE", errMessage: message }, {}, record);
    }
    const taken = this.faults.take(method, url.pathname);
    const fault = taken?.applyFirst ? undefined : taken; // applyFirst: after handling, see answerAfter
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.dropBeforeApplying) return drop(res, record);
    if (fault?.hang) return hang(res, record);
    if (fault?.status) return send(res, fault.status, fault.body, fault.headers ?? {}, record);
    // Path parameters arrive percent-encoded (`jane%40example.com`); a server decodes them.
    const params = Object.fromEntries(
      Object.entries(url.pathname.match(route.pattern)?.groups ?? {}).map(([name, value]) => [name, decoded(value)]),
    );
    let answer: EmulatorResponse;
    try {
      answer = await route.handle({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        params,
      });
    } catch (error) {
      answer = { status: 500, body: { errCode: "EMULATOR_FAILURE", errMessage: String(error) } };
    }
    if (fault?.dropAfterApplying) return drop(res, record);
    if (taken?.applyFirst) return answerAfter(taken, answer, String(req.headers.accept ?? ""), res, record);
    send(res, answer.status, answer.body, answer.headers ?? {}, record);
  }

  private recordUnhandled(request: UnhandledRequest): string {
    const message = `emulator: no route for ${describeUnhandled(request)}`;
    const mode = this.options.onUnhandledRequest;
    if (mode === "bypass") return message;
    this.unhandled.push(request);
    if (mode === "error") this.unreported.push(request);
    if (!this.options.quiet)
      console.error(mode === "error" ? `\x1b[31m${message}\x1b[0m` : `\x1b[33m${message}\x1b[0m`);
    return message;
  }
}

/** A percent-decoded path segment; a malformed escape stays as it came. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function describeUnhandled(request: UnhandledRequest): string {
  return `${request.method} ${request.url}${request.body === undefined ? "" : ` with body ${JSON.stringify(request.body)}`}`;
}

export function startHttpsServer(
  router: Router,
  tls: { key: string; cert: string },
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void router.dispatch(req, res));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * A fault with `applyFirst`, once the request was handled for real: it waits, then drops the
 * connection or answers its status instead (else the real answer, late).
 */
async function answerAfter(
  fault: Fault,
  answer: EmulatorResponse,
  accept: string,
  res: ServerResponse,
  record: (status: number) => void,
): Promise<void> {
  // Unref'd: a long hold (a client killed while waiting) must not keep a finished test run alive.
  if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
  if (fault.dropAfterApplying || fault.dropBeforeApplying) return drop(res, record);
  if (fault.hang) return hang(res, record);
  if (fault.malformed) return sendMalformed(fault.malformed, answer, accept, res, record);
  if (fault.status) return send(res, fault.status, fault.body, fault.headers ?? {}, record);
  send(res, answer.status, answer.body, answer.headers ?? {}, record);
}

/**
 * The real answer's status and content type with a malformed body. An answer without a body (a
 * 204) becomes a 200 in the format the request accepts: a body the client must read.
 */
function sendMalformed(
  how: "syntax" | "schema",
  answer: EmulatorResponse,
  accept: string,
  res: ServerResponse,
  record: (status: number) => void,
): void {
  const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const empty = answer.body === undefined || answer.body === "";
  const declared = headers["content-type"] ?? (typeof answer.body === "object" ? "application/json" : "");
  const { body, contentType } = malformedBody(how, answer.body, empty ? accept.split(",")[0] : declared);
  delete headers["content-length"];
  send(res, empty ? 200 : answer.status, body, { ...headers, "content-type": contentType }, record);
}

async function readBody(req: IncomingMessage, raw: boolean): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  if (raw) return text;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  if (type.includes("json")) return JSON.parse(text);
  return text;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
  record: (status: number) => void,
): void {
  record(status);
  // A Buffer is sent as it is (a gzipped report, say); its route sets the content type.
  const binary = Buffer.isBuffer(body);
  const text = body === undefined ? "" : typeof body === "string" || binary ? body : JSON.stringify(body);
  const json = typeof body === "object" && !binary;
  res.writeHead(status, { ...(json ? { "content-type": "application/json" } : {}), ...headers });
  res.end(text);
}

/** No answer ever: the client's timeout ends it, or the emulator's close(), which ends every connection. */
function hang(res: ServerResponse, record: (status: number) => void): void {
  record(0);
  res.socket?.setTimeout(0);
}

function drop(res: ServerResponse, record: (status: number) => void): void {
  record(0);
  res.socket?.destroy();
}
