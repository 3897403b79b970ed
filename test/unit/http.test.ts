import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import sinon from "sinon";
import { z } from "zod";
import { inspect } from "node:util";
import {
  Authenticator,
  backoff,
  Call,
  DEFAULT_RETRY,
  describeZodIssues,
  Endpoint,
  HostLimit,
  HttpClient,
  networkErrorCode,
  retryAfterMs,
  THROTTLED_RETRY_LIMIT,
  USER_AGENT,
} from "../../provider/http/client";
import { ServiceError } from "../../provider/errors";
import { registerSecret } from "../../provider/redact";
import { RunningEmulator, startEmulator } from "../../emulator";
import { FAST_RETRY, rejectionOf, startServer, stubLogs, TestServer } from "./support";
import type { LimitFunction } from "p-limit" with { "resolution-mode": "import" };

const anything = z.unknown();
const call = (method: Call<z.ZodType>["method"], extra: Partial<Call<z.ZodType>> = {}): Call<z.ZodType> => ({
  operation: "frobnicate widget",
  method,
  path: "widgets",
  schema: anything,
  ...(method === "POST" || method === "PUT" || method === "PATCH" ? { json: { name: "w" } } : {}),
  ...extra,
});

describe("HttpClient", () => {
  let server: TestServer | undefined;
  let logs: ReturnType<typeof stubLogs>;

  beforeEach(() => {
    logs = stubLogs();
  });
  afterEach(async () => {
    sinon.restore();
    await server?.close();
    server = undefined;
  });

  const clientFor = (s: TestServer, endpoint: Partial<Endpoint> = {}) =>
    new HttpClient({ service: "Widget Service", baseUrl: `${s.url}/api/v1`, retry: FAST_RETRY, ...endpoint });

  /** A server that answers the listed statuses in turn, then 200 `{"ok":true}`. */
  const statusesThenOk = async (...statuses: number[]) =>
    (server = await startServer((_req, i) =>
      i < statuses.length
        ? { status: statuses[i], body: { errCode: "BUSY", errMessage: "try later" } }
        : { status: 200, body: { ok: true } },
    ));

  describe("retries", () => {
    for (const method of ["GET", "PUT", "DELETE"] as const) {
      it(`repeats a ${method} answered 503 twice, and succeeds on the third request`, async () => {
        const s = await statusesThenOk(503, 503);
        const body = await clientFor(s).request(call(method));
        assert.deepEqual(body, { ok: true });
        assert.equal(s.requests.length, 3);
        assert.ok(s.requests.every((r) => r.method === method));
      });
    }

    for (const status of [408, 429, 500, 502, 503, 504]) {
      it(`retries a GET answered ${status}`, async () => {
        const s = await statusesThenOk(status);
        assert.deepEqual(await clientFor(s).request(call("GET")), { ok: true });
        assert.equal(s.requests.length, 2);
      });
    }

    for (const status of [400, 403, 404, 409, 501]) {
      it(`does not retry a GET answered ${status}`, async () => {
        const s = await statusesThenOk(status);
        const error = await rejectionOf(clientFor(s).request(call("GET")));
        assert.ok(error instanceof ServiceError);
        assert.equal(error.status, status);
        assert.equal(s.requests.length, 1);
      });
    }

    for (const method of ["POST", "PATCH"] as const) {
      it(`sends a ${method} answered 503 exactly once and reports the 503`, async () => {
        const s = await statusesThenOk(503, 503);
        const error = await rejectionOf(clientFor(s).request(call(method)));
        assert.ok(error instanceof ServiceError);
        assert.equal(error.status, 503);
        assert.equal(s.requests.length, 1);
      });

      it(`sends a ${method} whose connection drops exactly once`, async () => {
        server = await startServer(() => ({ destroy: true }));
        const error = await rejectionOf(clientFor(server).request(call(method)));
        assert.ok(error instanceof ServiceError);
        assert.equal(error.status, undefined);
        assert.match(error.message, /no answer/);
        assert.equal(server.requests.length, 1);
      });

      it(`retries a ${method} marked idempotent`, async () => {
        const s = await statusesThenOk(503);
        assert.deepEqual(await clientFor(s).request(call(method, { idempotent: true })), { ok: true });
        assert.equal(s.requests.length, 2);
      });
    }

    it("does not retry a GET marked not idempotent", async () => {
      const s = await statusesThenOk(503);
      await rejectionOf(clientFor(s).request(call("GET", { idempotent: false })));
      assert.equal(s.requests.length, 1);
    });

    it("retries a GET whose connection drops, then succeeds", async () => {
      server = await startServer((_req, i) => (i === 0 ? { destroy: true } : { body: { ok: true } }));
      assert.deepEqual(await clientFor(server).request(call("GET")), { ok: true });
      assert.equal(server.requests.length, 2);
    });

    it("gives up after the retry limit: limit + 1 requests, and the last status is reported", async () => {
      const s = await statusesThenOk(503, 503, 503, 503, 503, 503, 503, 503);
      const error = await rejectionOf(clientFor(s, { retry: { ...FAST_RETRY, limit: 2 } }).request(call("GET")));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 503);
      assert.equal(s.requests.length, 3);
    });

    it("uses 4 retries by default", () => {
      assert.equal(DEFAULT_RETRY.limit, 4);
    });

    it("does not retry a timed-out POST, and says no answer came", async () => {
      server = await startServer(() => ({ hang: true }));
      const error = await rejectionOf(clientFor(server, { timeoutMs: 50 }).request(call("POST")));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "TIMEOUT");
      assert.equal(error.networkCode, "ETIMEDOUT");
      assert.equal(error.status, undefined);
      assert.match(error.message, /no answer \(ETIMEDOUT/);
      assert.equal(server.requests.length, 1);
    });

    it("reports a refused connection with its code and a reachability hint", async () => {
      const s = await startServer(() => ({}));
      const client = clientFor(s, { retry: { ...FAST_RETRY, limit: 1 } });
      await s.close();
      const error = await rejectionOf(client.request(call("GET")));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "NETWORK");
      assert.equal(error.networkCode, "ECONNREFUSED");
      assert.equal((error.cause as { code?: string }).code, "ECONNREFUSED", "the socket's own error is the cause");
      assert.match(String(error.hint), new RegExp(`Check that ${s.url}/api/v1 is reachable`));
    });

    it("retries a refused connection, and succeeds once the service listens (got#2469)", async () => {
      const down = await startServer(() => ({}));
      const client = clientFor(down, { retry: { limit: 3, baseDelayMs: 200, maxDelayMs: 200 } });
      await down.close();
      const port = Number(new URL(down.url).port);
      const up = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
      // The service comes up while the client waits before its first retry.
      logs.debug.callsFake((line: string) => {
        if (/ECONNREFUSED; retry 1\//.test(line)) up.listen(port, "127.0.0.1");
      });
      try {
        assert.deepEqual(await client.request(call("GET")), {});
        assert.ok(logs.debug.calledWithMatch(/GET .*widgets answered ECONNREFUSED; retry 1\/3/));
      } finally {
        up.closeAllConnections();
        await new Promise((resolve) => up.close(resolve));
      }
    });

    it("keeps no credential of the request in a network error, its cause included", async () => {
      const token = "tok-unit-http-network-0123";
      registerSecret(token);
      const s = await startServer(() => ({}));
      const client = clientFor(s, { retry: { ...FAST_RETRY, limit: 0 } });
      await s.close();
      const auth = { headers: async () => ({ authorization: `Bearer ${token}` }), invalidate: () => undefined };
      const error = await rejectionOf(client.request(call("POST", { json: { password: token } }), auth));
      const everything = `${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`;
      assert.ok(!everything.includes(token), everything);
      assert.equal(error.code, "NETWORK");
    });

    it("fails at once, without waiting, when Retry-After is longer than maxRetryAfterMs", async () => {
      server = await startServer(() => ({ status: 503, headers: { "retry-after": "3600" } }));
      const error = await rejectionOf(
        clientFor(server, { retry: { ...FAST_RETRY, maxRetryAfterMs: 500 } }).request(call("GET")),
      );
      assert.equal(error.status, 503);
      assert.equal(server.requests.length, 1);
    });

    it("honours Retry-After: 1 (waits 1 s, not the short backoff)", async () => {
      server = await startServer((_req, i) =>
        i === 0 ? { status: 503, headers: { "retry-after": "1" } } : { body: { ok: true } },
      );
      // Its own sandbox, restored here in order (spy, then clock), never by sinon.restore().
      const sandbox = sinon.createSandbox();
      const clock = sandbox.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const scheduled = sandbox.spy(globalThis, "setTimeout");
      try {
        const pending = clientFor(server).request(call("GET"));
        // Let real I/O run until the client has scheduled its wait before retrying.
        for (let turn = 0; turn < 2000 && !scheduled.calledWith(sinon.match.func, 1000); turn++)
          await new Promise((resolve) => setImmediate(resolve));
        assert.ok(scheduled.calledWith(sinon.match.func, 1000), "the client should wait 1000 ms before retrying");
        await clock.tickAsync(999);
        assert.equal(server.requests.length, 1, "no retry before the second is over");
        await clock.tickAsync(1);
        await server.received(2);
        assert.deepEqual(await pending, { ok: true });
      } finally {
        scheduled.restore();
        clock.restore();
      }
      assert.equal(server.requests.length, 2);
    });

    it("retries a 503 with Retry-After: 0", async () => {
      server = await startServer((_req, i) =>
        i === 0 ? { status: 503, headers: { "retry-after": "0" } } : { body: { ok: true } },
      );
      assert.deepEqual(await clientFor(server).request(call("GET")), { ok: true });
      assert.equal(server.requests.length, 2);
    });

    it("does not retry an answer the endpoint calls final (isFinalAnswer)", async () => {
      server = await startServer(() => ({ status: 502, body: { errCode: "ERR_NOT_THERE" } }));
      const isFinalAnswer = sinon.spy((status: number, body: string) => status === 502 && body.includes("errCode"));
      const reply = await clientFor(server, { isFinalAnswer }).send(call("GET", { acceptStatuses: [502] }));
      assert.equal(reply.ok, false);
      assert.equal(reply.status, 502);
      assert.equal(server.requests.length, 1);
      assert.ok(isFinalAnswer.calledWith(502, sinon.match(/ERR_NOT_THERE/)));
    });
  });

  describe("backoff", () => {
    afterEach(() => sinon.restore());
    const policy = { limit: 9, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

    it("doubles per attempt, between half and all of the exponential value", () => {
      const random = sinon.stub(Math, "random");
      random.returns(0);
      assert.deepEqual(
        [1, 2, 3].map((a) => backoff(a, policy)),
        [250, 500, 1000],
      );
      random.returns(0.999999);
      assert.deepEqual(
        [1, 2, 3].map((a) => Math.round(backoff(a, policy))),
        [500, 1000, 2000],
      );
    });

    it("is capped at maxDelayMs however many attempts", () => {
      sinon.stub(Math, "random").returns(0.999999);
      for (const attempt of [5, 6, 10, 30]) assert.ok(backoff(attempt, policy) <= 8_000, `attempt ${attempt}`);
      assert.ok(backoff(30, policy) >= 4_000);
    });
  });

  describe("concurrency", () => {
    /** A server that holds each request a little, recording how many were in flight at once. */
    async function countingServer(): Promise<{ server: TestServer; max: () => number }> {
      let inFlight = 0;
      let max = 0;
      const s = await startServer(async () => {
        max = Math.max(max, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 15));
        inFlight--;
        return { body: { ok: true } };
      });
      return { server: s, max: () => max };
    }

    it("never has more than maxConcurrency requests in flight to one host", async () => {
      const counting = await countingServer();
      server = counting.server;
      const client = clientFor(server, { maxConcurrency: 2 });
      await Promise.all(Array.from({ length: 8 }, () => client.request(call("GET"))));
      assert.equal(server.requests.length, 8);
      assert.equal(counting.max(), 2);
    });

    it("applies the cap of a client configured later (a new configure's vcpp:maxConcurrentRequests)", async () => {
      const counting = await countingServer();
      server = counting.server;
      await clientFor(server, { maxConcurrency: 2 }).request(call("GET"));
      const later = clientFor(server, { maxConcurrency: 5 });
      await Promise.all(Array.from({ length: 10 }, () => later.request(call("GET"))));
      assert.equal(counting.max(), 5);
    });

    it("shares the cap between clients of the same host", async () => {
      const counting = await countingServer();
      server = counting.server;
      const a = clientFor(server, { maxConcurrency: 3 });
      const b = new HttpClient({ service: "Other Service", baseUrl: `${server.url}/other`, maxConcurrency: 3 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).request(call("GET"))));
      assert.equal(server.requests.length, 10);
      assert.equal(counting.max(), 3);
    });
  });

  describe("throttling (429)", () => {
    for (const method of ["POST", "PATCH"] as const) {
      it(`repeats a ${method} answered 429, which the service refused before doing anything`, async () => {
        const s = await statusesThenOk(429);
        assert.deepEqual(await clientFor(s).request(call(method)), { ok: true });
        assert.equal(s.requests.length, 2);
      });
    }

    it("keeps retrying a throttled call past the ordinary retry limit, so the run slows down instead of failing", async () => {
      const s = await statusesThenOk(429, 429, 429, 429, 429);
      const client = clientFor(s, { retry: { ...FAST_RETRY, limit: 2 } });
      assert.deepEqual(await client.request(call("POST")), { ok: true });
      assert.equal(s.requests.length, 6);
    });

    it(`gives up after ${THROTTLED_RETRY_LIMIT} retries of a call that stays throttled, with a hint`, async () => {
      server = await startServer(() => ({ status: 429, body: { errMessage: "slow down" } }));
      const error = await rejectionOf(clientFor(server).request(call("GET")));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 429);
      assert.match(error.message, /throttling requests; .*vcpp:maxConcurrentRequests/);
      assert.equal(server.requests.length, THROTTLED_RETRY_LIMIT + 1);
    });

    it("honours Retry-After on a 429 (waits what it asks, not the short backoff)", async () => {
      server = await startServer((_req, i) =>
        i === 0 ? { status: 429, headers: { "retry-after": "1" } } : { body: { ok: true } },
      );
      const started = Date.now();
      assert.deepEqual(await clientFor(server).request(call("POST")), { ok: true });
      assert.ok(Date.now() - started >= 990, `retried after ${Date.now() - started} ms`);
      assert.equal(server.requests.length, 2);
    });

    it("fails at once when a 429's Retry-After is longer than maxRetryAfterMs", async () => {
      server = await startServer(() => ({ status: 429, headers: { "retry-after": "3600" } }));
      const client = clientFor(server, { retry: { ...FAST_RETRY, maxRetryAfterMs: 500 } });
      const error = await rejectionOf(client.request(call("GET")));
      assert.equal(error.status, 429);
      assert.equal(server.requests.length, 1);
    });

    it("lowers the requests in flight to a host that throttles, and every call still succeeds", async () => {
      // A small appliance: more than 2 requests at once and it answers 429 with Retry-After: 0.
      let inFlight = 0;
      let throttled = 0;
      server = await startServer(async () => {
        if (inFlight >= 2) return (throttled++, { status: 429, headers: { "retry-after": "0" } });
        inFlight++;
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight--;
        return { body: { ok: true } };
      });
      const client = clientFor(server, { maxConcurrency: 8 });
      const bodies = await Promise.all(Array.from({ length: 40 }, () => client.request(call("POST"))));
      assert.equal(bodies.length, 40);
      assert.ok(throttled > 0, "the host throttled");
      // At a steady 8 in flight, 6 of every 8 would be refused again and again (hundreds of 429s);
      // slowed down, a call is refused less than once on average.
      assert.ok(throttled < 40, `${throttled} requests were throttled`);
      assert.ok(
        logs.info.calledWithMatch(
          /^Widget Service at 127\.0\.0\.1:\d+ is throttling requests \(429\): at most \d in flight/,
        ),
      );
    });
  });

  describe("HostLimit", () => {
    /** A HostLimit over a stand-in for p-limit, with a clock the test moves. */
    function hostLimit(max: number) {
      const limit = { concurrency: max } as LimitFunction;
      const clock = { now: 10_000 };
      return { host: new HostLimit("appliance:443", limit, () => clock.now), clock };
    }

    it("halves the limit on a 429, down to one, never below", () => {
      const { host, clock } = hostLimit(16);
      const seen = [];
      for (let i = 0; i < 6; i++) {
        clock.now += 100;
        host.throttled(clock.now, "Usage Meter");
        seen.push(host.current);
      }
      assert.deepEqual(seen, [8, 4, 2, 1, 1, 1]);
    });

    it("halves once for the 429s of requests sent before that halving (they report the same overload)", () => {
      const { host, clock } = hostLimit(16);
      const sentTogether = clock.now;
      clock.now += 100;
      host.throttled(sentTogether, "Usage Meter");
      host.throttled(sentTogether, "Usage Meter");
      host.throttled(sentTogether + 50, "Usage Meter");
      assert.equal(host.current, 8);
      host.throttled(clock.now + 1, "Usage Meter");
      assert.equal(host.current, 4, "a request sent after the halving that is refused again halves it again");
    });

    it("grows back by one after as many successes in a row as the limit, up to the configured cap", () => {
      const { host, clock } = hostLimit(4);
      host.throttled(clock.now, "Usage Meter");
      assert.equal(host.current, 2);
      host.succeeded();
      assert.equal(host.current, 2, "one success is not enough at 2");
      host.succeeded();
      assert.equal(host.current, 3);
      for (let i = 0; i < 3; i++) host.succeeded();
      assert.equal(host.current, 4);
      for (let i = 0; i < 20; i++) host.succeeded();
      assert.equal(host.current, 4, "never above vcpp:maxConcurrentRequests");
    });

    it("says a throttling episode once at info level, and again only after it recovered to the cap", () => {
      const { host, clock } = hostLimit(4);
      for (let i = 0; i < 3; i++) host.throttled(++clock.now, "Usage Meter");
      assert.equal(host.current, 1);
      assert.deepEqual(
        logs.info.args.map(([message]) => message),
        ["Usage Meter at appliance:443 is throttling requests (429): at most 2 in flight until it recovers"],
      );
      for (let i = 0; i < 10; i++) host.succeeded();
      assert.equal(host.current, 4);
      host.throttled(++clock.now, "Usage Meter");
      assert.equal(logs.info.callCount, 2, "a new episode is said again");
    });

    it("starts counting successes again after a 429", () => {
      const { host, clock } = hostLimit(8);
      host.throttled(clock.now, "Usage Meter");
      for (let i = 0; i < 3; i++) host.succeeded();
      clock.now += 100;
      host.throttled(clock.now, "Usage Meter");
      assert.equal(host.current, 2);
      host.succeeded();
      assert.equal(host.current, 2);
    });
  });

  describe("retryAfterMs", () => {
    it("reads seconds and HTTP dates, and nothing else", () => {
      const now = Date.parse("2026-11-24T20:00:00Z");
      assert.equal(retryAfterMs("3", now), 3000);
      assert.equal(retryAfterMs(["0"], now), 0);
      assert.equal(retryAfterMs("Tue, 24 Nov 2026 20:00:05 GMT", now), 5000);
      assert.equal(retryAfterMs("Tue, 24 Nov 2026 19:00:00 GMT", now), 0, "a date in the past means now");
      assert.equal(retryAfterMs(undefined, now), undefined);
      assert.equal(retryAfterMs("soon", now), undefined);
    });
  });

  describe("re-login on 401", () => {
    /** An authenticator whose credential changes each time it is invalidated. */
    function rotatingAuth(): Authenticator & { headers: sinon.SinonSpy; invalidate: sinon.SinonSpy } {
      let generation = 1;
      return {
        headers: sinon.spy(async () => ({ authorization: `Bearer token-${generation}` })),
        invalidate: sinon.spy(() => void generation++),
      };
    }

    it("logs in again once and repeats the request once with the new credential", async () => {
      server = await startServer((req) =>
        req.headers.authorization === "Bearer token-1"
          ? { status: 401, body: { errCode: "GW_LOGIN_REQUIRED" } }
          : { body: { ok: true } },
      );
      const auth = rotatingAuth();
      assert.deepEqual(await clientFor(server).request(call("GET"), auth), { ok: true });
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ["Bearer token-1", "Bearer token-2"],
      );
      assert.equal(auth.invalidate.callCount, 1);
      assert.deepEqual(auth.invalidate.firstCall.args[0], { authorization: "Bearer token-1" });
      assert.equal(auth.headers.callCount, 2);
    });

    it("repeats a POST refused with 401 once (the refusal means it was not applied)", async () => {
      server = await startServer((req) =>
        req.headers.authorization === "Bearer token-1" ? { status: 401 } : { status: 201, body: { id: 7 } },
      );
      assert.deepEqual(await clientFor(server).request(call("POST"), rotatingAuth()), { id: 7 });
      assert.equal(server.requests.length, 2);
    });

    it("surfaces a second 401 as an error, without a third request or a second re-login", async () => {
      server = await startServer(() => ({
        status: 401,
        body: { errCode: "GW_LOGIN_REQUIRED", errMessage: "Login is required" },
      }));
      const auth = rotatingAuth();
      const error = await rejectionOf(clientFor(server).request(call("GET"), auth));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 401);
      assert.equal(error.errCode, "GW_LOGIN_REQUIRED");
      assert.match(error.message, /credentials were refused/);
      assert.equal(server.requests.length, 2);
      assert.equal(auth.invalidate.callCount, 1);
    });

    it("without an authenticator, a 401 is an error after one request", async () => {
      server = await startServer(() => ({ status: 401 }));
      const error = await rejectionOf(clientFor(server).request(call("GET")));
      assert.equal(error.status, 401);
      assert.equal(server.requests.length, 1);
    });

    it("send() returns an accepted non-2xx status as a reply, with its text", async () => {
      server = await startServer(() => ({ status: 409, body: { errCode: "CONFLICT" } }));
      const reply = await clientFor(server).send(call("GET", { acceptStatuses: [409] }));
      assert.deepEqual(reply.ok ? undefined : [reply.status, JSON.parse(reply.text)], [409, { errCode: "CONFLICT" }]);
    });
  });

  describe("answers", () => {
    it("validates the body against the schema and returns the parsed value", async () => {
      server = await startServer(() => ({ body: { id: "42", name: "w" } }));
      const body = await clientFor(server).request(
        call("GET", { schema: z.object({ id: z.coerce.number(), name: z.string() }) }),
      );
      assert.deepEqual(body, { id: 42, name: "w" });
    });

    it("a body that misses the schema is BAD_RESPONSE naming the field and the rule", async () => {
      server = await startServer(() => ({ body: [{ id: 1, port: "https" }] }));
      const error = await rejectionOf(
        clientFor(server).request(call("GET", { schema: z.array(z.object({ id: z.number(), port: z.number() })) })),
      );
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "BAD_RESPONSE");
      assert.equal(error.status, 200);
      assert.match(error.message, /\[0\]\.port: .*expected number/);
      assert.match(error.message, /Widget Service: frobnicate widget failed \(GET \/api\/v1\/widgets\)/);
      assert.equal(server.requests.length, 1, "a bad answer is not retried");
    });

    it("a body that is not JSON is BAD_RESPONSE", async () => {
      server = await startServer(() => ({ body: "<html>hello</html>", headers: { "content-type": "text/html" } }));
      const error = await rejectionOf(clientFor(server).request(call("GET")));
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /not JSON/);
    });

    it("an empty body is parsed as undefined", async () => {
      server = await startServer(() => ({ status: 202 }));
      assert.equal(await clientFor(server).request(call("PUT", { schema: z.undefined() })), undefined);
    });

    it("sends JSON bodies, query parameters and call headers", async () => {
      server = await startServer(() => ({ body: {} }));
      await clientFor(server).request(
        call("PUT", {
          json: { a: 1 },
          searchParams: { productType: "VCAV", id: 3, forget: true },
          headers: { "x-extra": "yes" },
        }),
      );
      const [seen] = server.requests;
      assert.equal(seen.path, "/api/v1/widgets");
      assert.deepEqual(Object.fromEntries(seen.query), { productType: "VCAV", id: "3", forget: "true" });
      assert.deepEqual(JSON.parse(seen.body), { a: 1 });
      assert.equal(seen.headers["x-extra"], "yes");
      assert.match(String(seen.headers["content-type"]), /application\/json/);
    });

    it("names the package and its version in the User-Agent", async () => {
      const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
        name: string;
        version: string;
      };
      server = await startServer(() => ({ body: {} }));
      await clientFor(server).request(call("GET"));
      const agent = String(server.requests[0].headers["user-agent"]);
      assert.ok(agent.startsWith(`${pkg.name}/${pkg.version} `), agent);
      assert.equal(agent, USER_AGENT);
      assert.equal(server.requests[0].headers.accept, "application/json");
    });
  });

  describe("errors", () => {
    it("say service, operation, method, path, status, the server's errCode and errMessage, and a hint", async () => {
      server = await startServer(() => ({
        status: 503,
        body: { errCode: "SVC_DOWN", errMessage: "maintenance until noon" },
      }));
      const error = await rejectionOf(clientFor(server).request(call("POST")));
      assert.ok(error instanceof ServiceError);
      assert.equal(
        error.message,
        "Widget Service: frobnicate widget failed (POST /api/v1/widgets): 503 SVC_DOWN: maintenance until noon. The service failed; try again later, and check its health if it persists",
      );
      assert.deepEqual(
        {
          service: error.service,
          operation: error.operation,
          method: error.method,
          path: error.path,
          status: error.status,
          errCode: error.errCode,
          serverMessage: error.serverMessage,
          code: error.code,
        },
        {
          service: "Widget Service",
          operation: "frobnicate widget",
          method: "POST",
          path: "/api/v1/widgets",
          status: 503,
          errCode: "SVC_DOWN",
          serverMessage: "maintenance until noon",
          code: "HTTP_ERROR",
        },
      );
    });

    it("use the endpoint's own hint when it has one", async () => {
      server = await startServer(() => ({ status: 409, body: { errCode: "DUP" } }));
      const hint = sinon.spy((_status: number | undefined, errCode: string | undefined) =>
        errCode === "DUP" ? "Remove the duplicate first" : undefined,
      );
      const error = await rejectionOf(clientFor(server, { hint }).request(call("GET")));
      assert.equal(error.hint, "Remove the duplicate first");
      assert.match(error.message, /409 DUP\. Remove the duplicate first$/);
      assert.ok(hint.calledWith(409, "DUP"));
    });

    it("never carry a password, token or session id the server echoes back", async () => {
      const password = "Pa55-word-unit-http";
      const token = "tok-unit-http-0123456789";
      registerSecret(password);
      registerSecret(token);
      server = await startServer(() => ({
        status: 400,
        body: { errCode: "GW_BAD_REQ_BODY", errMessage: `user admin/${password} with token ${token} is not allowed` },
      }));
      const error = await rejectionOf(
        clientFor(server).request(call("POST", { json: { password } }), {
          headers: async () => ({ authorization: `Bearer ${token}` }),
          invalidate: () => undefined,
        }),
      );
      const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.serverMessage)} ${String(error.hint)}`;
      assert.ok(!everything.includes(password), everything);
      assert.ok(!everything.includes(token), everything);
      assert.match(error.message, /user admin\/\[REDACTED\] with token \[REDACTED\]/);
    });

    it("keep a non-JSON error body as a short message", async () => {
      server = await startServer(() => ({
        status: 400,
        body: `<html>\n  <body>Bad   Request</body>\n</html>${"x".repeat(500)}`,
      }));
      const error = await rejectionOf(clientFor(server).request(call("GET")));
      assert.equal(error.errCode, undefined);
      assert.ok(String(error.serverMessage).startsWith("<html> <body>Bad Request</body> </html>"));
      assert.equal(String(error.serverMessage).length, 200);
    });
  });

  describe("TLS", () => {
    let emulator: RunningEmulator;
    before(async () => {
      // "other": a second address for the warning, which is given once per address.
      emulator = await startEmulator({ quiet: true, usageMeters: { default: {}, other: {} } });
    });
    after(() => emulator.close());

    const loginCall = {
      operation: "log in",
      method: "POST" as const,
      path: "login",
      json: { user: "nobody", password: "nothing" },
      schema: anything,
      acceptStatuses: [401],
    };
    const base = () => `${emulator.url}/um/default/api/v1`;

    it("trusts a server signed by the extra PEM CA", async () => {
      const client = new HttpClient({
        service: "Usage Meter",
        baseUrl: base(),
        tls: { caCertificates: emulator.caPem },
      });
      const reply = await client.send(loginCall);
      assert.equal(reply.status, 401);
      assert.equal(logs.warn.callCount, 0);
    });

    it("refuses an untrusted certificate, with a hint naming vcpp:caCertificates", async () => {
      const client = new HttpClient({ service: "Usage Meter", baseUrl: base() });
      const error = await rejectionOf(client.send(loginCall));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, undefined);
      assert.equal(error.code, "TLS");
      assert.match(String(error.networkCode), /CERT|UNABLE_TO_VERIFY|SELF_SIGNED/);
      assert.match(error.message, /no answer/);
      assert.match(String(error.hint), /vcpp:caCertificates/);
    });

    it("skips verification only with insecureSkipTlsVerify (the registry warns, on every configure)", async () => {
      const baseUrl = `${emulator.url}/um/other/api/v1`;
      const client = new HttpClient({ service: "Usage Meter", baseUrl, tls: { insecureSkipTlsVerify: true } });
      const reply = await client.send(loginCall);
      assert.equal(reply.status, 401);
    });
  });

  describe("helpers", () => {
    it("networkErrorCode sorts got's codes into TIMEOUT, TLS and NETWORK", () => {
      assert.deepEqual(
        ["ETIMEDOUT", "DEPTH_ZERO_SELF_SIGNED_CERT", "ERR_TLS_CERT_ALTNAME_INVALID", "ECONNRESET", "ENOTFOUND"].map(
          networkErrorCode,
        ),
        ["TIMEOUT", "TLS", "TLS", "NETWORK", "NETWORK"],
      );
    });

    it("describeZodIssues names nested fields", () => {
      const result = z
        .object({ items: z.array(z.object({ port: z.number() })) })
        .safeParse({ items: [{ port: 1 }, { port: "x" }] });
      assert.equal(result.success, false);
      assert.match(describeZodIssues(result.error!), /^items\[1\]\.port: /);
    });
  });
});
