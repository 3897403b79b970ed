/**
 * The emulator's plumbing: one HTTPS server on loopback, routes as a list of handlers (one
 * module per service contributes its own), a request log that tests assert on, injectable faults,
 * and loud failures for routes nobody handles.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import { createServer, Server } from "node:https";

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
}

export interface LoggedRequest {
  service: string;
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
}

/** A fault served instead of (or after) the real handling of matching requests. */
export interface Fault {
  method: string;
  /** Substring of the path that selects the requests. */
  pathIncludes: string;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** Answer with this status and body instead of handling the request. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request for real, then drop the connection: the client never learns it was applied. */
  dropAfterApplying?: boolean;
  /** Drop the connection without handling the request. */
  dropBeforeApplying?: boolean;
  /** Wait this long before anything else. */
  delayMs?: number;
}

export const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

export class Router {
  readonly log: LoggedRequest[] = [];
  private readonly faults: Array<Fault & { remaining: number }> = [];

  constructor(private readonly routes: Route[], private readonly quiet: boolean) {}

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://emulator");
    const method = req.method ?? "GET";
    const route = this.routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    const service = route?.service ?? "unknown";
    const record = (status: number) => this.log.push({ service, method, path: url.pathname, query: url.search, status, at: Date.now() });
    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 400, { errCode: "EMULATOR_BAD_BODY", errMessage: "the request body is not valid JSON" }, {}, record);
    }
    if (!route) {
      const message = `emulator: no route for ${method} ${url.pathname}${url.search}${body === undefined ? "" : ` with body ${JSON.stringify(body)}`}`;
      if (!this.quiet) console.error(`\x1b[31m${message}\x1b[0m`);
      return send(res, 404, { errCode: "EMULATOR_UNKNOWN_ROUTE", errMessage: message }, {}, record);
    }
    const fault = this.takeFault(method, url.pathname);
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.dropBeforeApplying) return drop(res, record);
    if (fault?.status) return send(res, fault.status, fault.body, fault.headers ?? {}, record);
    const params = url.pathname.match(route.pattern)?.groups ?? {};
    let answer: EmulatorResponse;
    try {
      answer = await route.handle({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body, params });
    } catch (error) {
      answer = { status: 500, body: { errCode: "EMULATOR_FAILURE", errMessage: String(error) } };
    }
    if (fault?.dropAfterApplying) return drop(res, record);
    send(res, answer.status, answer.body, answer.headers ?? {}, record);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.method === method && path.includes(f.pathIncludes));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (--fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

export function startHttpsServer(router: Router, tls: { key: string; cert: string }, host: string, port: number): Promise<Server> {
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void router.dispatch(req, res));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  if (type.includes("json")) return JSON.parse(text);
  return text;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, record: (status: number) => void): void {
  record(status);
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { ...(typeof body === "object" ? { "content-type": "application/json" } : {}), ...headers });
  res.end(text);
}

function drop(res: ServerResponse, record: (status: number) => void): void {
  record(0);
  res.socket?.destroy();
}
