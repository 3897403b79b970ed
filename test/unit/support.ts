/** Unit-test support: a tiny scripted HTTP server on loopback, and quiet provider logs. */
import { createServer, IncomingMessage, IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import sinon from "sinon";
import * as log from "../../provider/log";

export interface SeenRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedReply {
  status?: number;
  /** Strings and Buffers are sent as they are; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Drop the connection instead of answering. */
  destroy?: boolean;
  /** Never answer (the client's timeout must end the call). */
  hang?: boolean;
}

export type Handler = (request: SeenRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: SeenRequest[];
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    // The server ignores a listener's promise: the handler's own errors are caught below.
    req.on(
      "end",
      () =>
        void (async () => {
          const url = new URL(req.url ?? "/", "http://localhost");
          const seen: SeenRequest = {
            method: req.method ?? "GET",
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          };
          requests.push(seen);
          for (const w of waiters.filter((w) => requests.length >= w.count)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
          let reply: ScriptedReply;
          try {
            reply = await handler(seen, requests.length - 1);
          } catch (error) {
            reply = { status: 599, body: { errMessage: `test handler failed: ${String(error)}` } };
          }
          if (reply.hang) return;
          if (reply.destroy) return void req.socket.destroy();
          const verbatim = typeof reply.body === "string" || Buffer.isBuffer(reply.body);
          const text =
            reply.body === undefined ? "" : verbatim ? (reply.body as string | Buffer) : JSON.stringify(reply.body);
          const type = reply.body !== undefined && !verbatim ? { "content-type": "application/json" } : {};
          res.writeHead(reply.status ?? 200, { ...type, ...reply.headers });
          res.end(text);
        })(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    received: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replaces the provider's log functions with stubs for the current test (restored by sinon.restore()). */
export function stubLogs(): { warn: sinon.SinonStub; debug: sinon.SinonStub; info: sinon.SinonStub } {
  return { warn: sinon.stub(log, "warn"), debug: sinon.stub(log, "debug"), info: sinon.stub(log, "info") };
}

/** The rejection of a promise, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Small retry delays, so that retried calls stay fast. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 4 };
