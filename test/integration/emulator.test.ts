import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { request } from "node:https";
import { join } from "node:path";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";
import { withEmulator } from "../helpers/emulator";

interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** One request to the emulator, trusting its CA. */
function call(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${emulator.url}${path}`,
      { method, ca: emulator.caPem, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected a rejection");
}

describe("emulator", () => {
  let emulator: RunningEmulator | undefined;
  const start = async (options: EmulatorOptions = {}) => (emulator = await startEmulator({ quiet: true, ...options }));
  afterEach(async () => {
    // A second close is harmless; it fails only on unhandled requests not reported yet.
    await emulator?.close();
    emulator = undefined;
  });

  describe("admin index", () => {
    it("lists every admin route with what it does and the body it takes, at /__admin/ and /__admin", async () => {
      const e = await start();
      const index = await call(e, "GET", "/__admin/");
      assert.equal(index.status, 200);
      assert.deepEqual((await call(e, "GET", "/__admin")).body, index.body);
      const routes = index.body?.routes as Array<{
        method: string;
        path: string;
        summary: string;
        body?: { properties: Record<string, unknown> };
      }>;
      const listed = routes.map((r) => `${r.method} ${r.path}`);
      for (const expected of [
        "GET /__admin/",
        "POST /__admin/faults",
        "DELETE /__admin/faults",
        "PUT /__admin/certificate",
        "GET /__admin/requests",
        "GET /__admin/unhandled-requests",
        "GET /__admin/usage-meters/{name}",
        "PATCH /__admin/usage-meters/{name}/products/{id}",
        "PUT /__admin/usage-meters/{name}/proxy",
        "GET /__admin/vca-accounts/{name}",
        "PATCH /__admin/vca-accounts/{name}/users/{userName}",
        "PUT /__admin/vca-accounts/{name}/terms",
      ]) {
        assert.ok(listed.includes(expected), `${expected} is listed`);
      }
      assert.ok(
        routes.every((r) => r.summary.length > 10),
        "each route says what it does",
      );
      const fault = routes.find((r) => r.method === "POST" && r.path === "/__admin/faults");
      assert.deepEqual(Object.keys(fault?.body?.properties ?? {}).sort(), [
        "applyFirst",
        "body",
        "delayMs",
        "dropAfterApplying",
        "dropBeforeApplying",
        "hang",
        "headers",
        "malformed",
        "method",
        "pathIncludes",
        "retryAfterSeconds",
        "status",
        "times",
      ]);
    });

    it("serves what it lists, and refuses a body of the wrong shape naming the field", async () => {
      const e = await start();
      assert.equal((await call(e, "PUT", "/__admin/usage-meters/default/data-usage", { accepted: true })).status, 200);
      assert.equal(e.admin.appliance().dataUsageAccepted, true);
      const refused = await call(e, "PUT", "/__admin/usage-meters/default/data-usage", { accepted: "yes" });
      assert.equal(refused.status, 400);
      assert.match(String(refused.body?.errMessage), /accepted/);
      assert.equal(e.admin.appliance().dataUsageAccepted, true);
    });
  });

  describe("unhandled requests", () => {
    it('answers 404, records the request, and fails on close with "error", naming it', async () => {
      const e = await start({ onUnhandledRequest: "error" });
      const answer = await call(e, "POST", "/um/default/api/v1/no_such_route?x=1", { wanted: "thing" });
      assert.equal(answer.status, 404);
      assert.equal(answer.body?.errCode, "EMULATOR_UNKNOWN_ROUTE");
      assert.deepEqual(e.unhandledRequests(), [
        { method: "POST", url: "/um/default/api/v1/no_such_route?x=1", body: { wanted: "thing" } },
      ]);
      const error = await rejectionOf(e.close());
      assert.match(error.message, /POST \/um\/default\/api\/v1\/no_such_route\?x=1 with body \{"wanted":"thing"\}/);
    });

    it("counts a request to an appliance the emulator does not have", async () => {
      const e = await start();
      assert.equal((await call(e, "GET", "/um/elsewhere/api/v1/agent_info")).status, 404);
      assert.throws(() => e.assertNoUnhandledRequests(), /GET \/um\/elsewhere\/api\/v1\/agent_info/);
      await e.close();
    });

    it('answers 404 and records it with "warn", without failing', async () => {
      const e = await start({ onUnhandledRequest: "warn" });
      assert.equal((await call(e, "GET", "/nowhere")).status, 404);
      assert.deepEqual(e.unhandledRequests(), [{ method: "GET", url: "/nowhere", body: undefined }]);
      e.assertNoUnhandledRequests();
      await e.close();
    });

    it("does not count the undocumented routes an appliance without them answers 404", async () => {
      const e = await start({ onUnhandledRequest: "error", usageMeters: { default: { undocumentedRoutes: false } } });
      const um = e.usageMeters.default;
      const login = await call(e, "POST", "/um/default/api/v1/login", { user: um.user, password: um.password });
      const session = { sessionid: String(login.body?.sessionid) };
      assert.equal((await call(e, "GET", "/um/default/api/v1/http_proxy", undefined, session)).status, 404);
      assert.equal((await call(e, "GET", "/um/default/api/v1/data_usage_acceptance", undefined, session)).status, 404);
      assert.deepEqual(e.unhandledRequests(), []);
      await e.close();
    });
  });

  describe("withEmulator", () => {
    it("fails a test that sent a request no route handles", async () => {
      const run = withEmulator(async (e) =>
        assert.equal((await call(e, "GET", "/um/default/api/v1/nothing")).status, 404),
      );
      assert.match((await rejectionOf(run)).message, /GET \/um\/default\/api\/v1\/nothing/);
    });

    it("keeps the test's own failure, and adds the unhandled requests to it", async () => {
      const run = withEmulator(async (e) => {
        await call(e, "GET", "/nothing");
        assert.fail("the test's own failure");
      });
      assert.match((await rejectionOf(run)).message, /^the test's own failure\n.*GET \/nothing/s);
    });
  });

  describe("command line", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, "../../emulator/cli.js"), ...args], { encoding: "utf8" });

    it("--help prints the usage, with the options and examples, and exits 0", () => {
      const run = cli("--help");
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: /);
      for (const option of ["--port N", "--usage-meter NAME[:9]", "--on-unhandled-request MODE", "-h, --help"])
        assert.ok(run.stdout.includes(option), option);
      assert.match(run.stdout, /Examples:\n {2}npm run emulator/);
      assert.match(run.stdout, /\/__admin\//);
    });

    it("an unknown option prints the error and the usage, without a stack trace, and exits 2", () => {
      const run = cli("--bogus");
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^emulator: Unknown option '--bogus'/);
      assert.match(run.stderr, /Usage: /);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });

    it("a bad value is a usage error too", () => {
      const run = cli("--usage-meter", "nine:8");
      assert.equal(run.status, 2);
      assert.match(run.stderr, /--usage-meter nine:8: expected NAME or NAME:9/);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  });
});
