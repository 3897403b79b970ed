import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { z } from "zod";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";
import { RateLimiter } from "../../emulator/core/rate-limit";
import { HttpClient } from "../../provider/http/client";
import { plainRequest } from "../helpers/plain-https";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
}

/** One request to the emulator, trusting its CA; the body read as JSON. */
async function call(emulator: RunningEmulator, method: string, path: string, body?: unknown): Promise<Answer> {
  const answer = await plainRequest(emulator.caPem, method, `${emulator.url}${path}`, { body });
  return { status: answer.status, headers: answer.headers, body: answer.json() as Record<string, unknown> | undefined };
}

const AGENT_INFO = "/um/default/api/v1/agent_info";

describe("emulator rate limits", () => {
  let emulator: RunningEmulator | undefined;
  const start = async (options: EmulatorOptions = {}) => (emulator = await startEmulator({ quiet: true, ...options }));
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  describe("token bucket", () => {
    it("serves a burst at once, then one request per 1/rate seconds, and says how long to wait", () => {
      const limiter = new RateLimiter();
      limiter.set("usage-meter", { requestsPerSecond: 2, burst: 3 });
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) assert.equal(limiter.check("usage-meter", t0), undefined, `request ${i + 1}`);
      const refused = limiter.check("usage-meter", t0);
      assert.equal(refused?.status, 429);
      assert.deepEqual(refused?.headers, { "retry-after": "1" });
      assert.equal(limiter.check("usage-meter", t0 + 499)?.status, 429, "less than one token after 499 ms");
      assert.equal(limiter.check("usage-meter", t0 + 500), undefined, "one token after 500 ms at 2 per second");
      assert.equal(limiter.check("csp", t0), undefined, "a service without a limit is not limited");
    });

    it("rounds Retry-After up to whole seconds: at 0.25 per second, an empty bucket waits 4 s", () => {
      const limiter = new RateLimiter();
      limiter.set("commerce", { requestsPerSecond: 0.25 });
      const t0 = Date.now();
      assert.equal(limiter.check("commerce", t0), undefined, "the burst is at least one request");
      assert.deepEqual(limiter.check("commerce", t0)?.headers, { "retry-after": "4" });
    });
  });

  it("answers a service's requests above its rate with 429, Retry-After and a message, without handling them", async () => {
    const e = await start({ rateLimits: { "usage-meter": { requestsPerSecond: 1, burst: 2 } } });
    const answers = await Promise.all([1, 2, 3].map(() => call(e, "GET", AGENT_INFO)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [401, 401, 429]);
    const refused = answers.find((a) => a.status === 429) as Answer;
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal(refused.body?.errCode, "RATE_LIMITED");
    assert.match(String(refused.body?.errMessage), /usage-meter serves 1 per second \(burst 2\); retry after 1 s/);
    assert.deepEqual(
      e.requests.map((r) => r.status).sort(),
      [401, 401, 429],
      "the request log shows the 429 it answered",
    );
    assert.equal((await call(e, "GET", "/__admin/requests")).status, 200, "admin requests are never limited");
  });

  it("is set, listed and removed through the admin API, and refuses a service that does not exist", async () => {
    const e = await start();
    const set = await call(e, "PUT", "/__admin/rate-limits/commerce", { requestsPerSecond: 5 });
    assert.equal(set.status, 200);
    assert.deepEqual((await call(e, "GET", "/__admin/rate-limits")).body, {
      commerce: { requestsPerSecond: 5, burst: 5 },
    });
    assert.deepEqual(e.admin.rateLimits(), { commerce: { requestsPerSecond: 5, burst: 5 } });
    const unknown = await call(e, "PUT", "/__admin/rate-limits/usage-metre", { requestsPerSecond: 5 });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body?.errMessage), /no service "usage-metre": expected one of .*usage-meter/);
    const invalid = await call(e, "PUT", "/__admin/rate-limits/commerce", { requestsPerSecond: 0 });
    assert.equal(invalid.status, 400);
    assert.match(String(invalid.body?.errMessage), /requestsPerSecond/);
    assert.equal((await call(e, "DELETE", "/__admin/rate-limits/commerce")).status, 200);
    assert.deepEqual(e.admin.rateLimits(), {});
  });

  it("a client's GET waits for Retry-After and is then served", async () => {
    const e = await start({ rateLimits: { "usage-meter": { requestsPerSecond: 1, burst: 1 } } });
    await call(e, "GET", AGENT_INFO); // empties the bucket
    const client = new HttpClient({
      service: "Usage Meter",
      baseUrl: `${e.usageMeters.default.url}/api/v1`,
      tls: { caCertificates: e.caPem },
    });
    const started = Date.now();
    const reply = await client.send({
      operation: "read appliance version",
      method: "GET",
      path: "agent_info",
      schema: z.unknown(),
      acceptStatuses: [401],
    });
    assert.equal(reply.status, 401, "served by the appliance (no login in this test)");
    assert.ok(Date.now() - started >= 900, "waited for Retry-After: 1");
    assert.deepEqual(
      e.requests.map((r) => r.status),
      [401, 429, 401],
    );
  });

  describe("command line", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, "../../emulator/cli.js"), ...args], { encoding: "utf8" });

    it("--help lists --rate-limit", () => {
      assert.match(cli("--help").stdout, /--rate-limit SERVICE=RATE\[:BURST\]/);
    });

    it("a malformed --rate-limit prints what is expected and exits 2", () => {
      const run = cli("--rate-limit", "usage-meter=fast");
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^emulator: --rate-limit usage-meter=fast: expected SERVICE=RATE\[:BURST\]/);
    });
  });
});
