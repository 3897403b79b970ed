import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { RunningEmulator } from "../../emulator";
import { withEmulator } from "../helpers/emulator";
import { plainRequest } from "../helpers/plain-https";

/** One request to the emulator; resolves with its status, its body and how long it took. */
async function timed(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const answer = await plainRequest(emulator.caPem, method, `${emulator.url}${path}`, { body });
  return { status: answer.status, ms: performance.now() - started, body: answer.raw.toString("utf8") };
}

const login = (emulator: RunningEmulator) => {
  const um = emulator.usageMeters.default;
  return timed(emulator, "POST", "/um/default/api/v1/login", { user: um.user, password: um.password });
};

describe("emulator latency", () => {
  it("latencyMs delays every request of every service, and the request is still served", async () => {
    await withEmulator(
      async (emulator) => {
        const answer = await login(emulator);
        assert.equal(answer.status, 202);
        assert.ok(answer.ms >= 250, `the login took ${answer.ms} ms`);
        const token = await timed(emulator, "POST", "/vcpp-commerce/v1/m0/api/token/oauth");
        assert.ok(token.ms >= 250, `the commerce token request took ${token.ms} ms`);
        assert.equal(emulator.requests.length, 2);
      },
      { latencyMs: 250 },
    );
  });

  it("admin requests are not delayed, and PUT /__admin/latency changes it for the next requests", async () => {
    await withEmulator(
      async (emulator) => {
        const read = await timed(emulator, "GET", "/__admin/latency");
        assert.ok(read.ms < 1000, `an admin request took ${read.ms} ms`);
        assert.deepEqual(JSON.parse(read.body), { latencyMs: 2000 });
        assert.equal((await timed(emulator, "PUT", "/__admin/latency", { latencyMs: 0 })).status, 200);
        assert.equal(emulator.admin.latencyMs(), 0);
        const fast = await login(emulator);
        assert.ok(fast.ms < 1000, `the login took ${fast.ms} ms after the latency was removed`);
        emulator.admin.setLatency(200);
        assert.ok((await login(emulator)).ms >= 200);
      },
      { latencyMs: 2000 },
    );
  });

  it("a negative or fractional latency is refused, naming the field", async () => {
    await withEmulator(async (emulator) => {
      const refused = await timed(emulator, "PUT", "/__admin/latency", { latencyMs: -1 });
      assert.equal(refused.status, 400);
      assert.match(refused.body, /latencyMs/);
      assert.throws(() => emulator.admin.setLatency(1.5), /latencyMs must be a whole number of milliseconds/);
      assert.equal(emulator.admin.latencyMs(), 0);
    });
  });

  it("the command line takes --latency-ms and refuses a bad value as a usage error", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, "../../emulator/cli.js"), ...args], { encoding: "utf8" });
    assert.match(cli("--help").stdout, /--latency-ms MS/);
    const bad = cli("--latency-ms", "soon");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--latency-ms soon: expected a whole number of milliseconds/);
  });
});
