import { strict as assert } from "node:assert";
import { RunningEmulator } from "../../emulator";
import { seedsFlow, SeedsProduct } from "../../scripts/bench/seeds-flow";
import { withEmulator } from "../helpers/emulator";

const products: SeedsProduct[] = [1, 2, 3].map((i) => ({
  productType: "vCenter",
  host: `vcenter-${i}.seeds.example`,
  port: 443,
  user: "administrator@vsphere.local",
  password: "seeds-password",
}));

const applianceOf = (emulator: RunningEmulator) => {
  const um = emulator.usageMeters.default;
  return { baseUrl: `${um.url}/api/v1`, user: um.user, password: um.password, caPem: emulator.caPem };
};

/** The benchmark's yardstick must do the seeds' work, the seeds' way, or its ratios mean nothing. */
describe("bench: the seeds' by-hand flow", () => {
  it("logs in once, then registers each product and accepts its certificate, one request after another", () =>
    withEmulator(
      async (emulator) => {
        await seedsFlow(applianceOf(emulator), products);

        const metered = emulator.admin.products("default").filter((p) => p.metered === true);
        assert.deepEqual(metered.map((p) => p.host).sort(), products.map((p) => p.host).sort());
        const sent = emulator.admin
          .requests()
          .map((r) => `${r.method} ${r.path.replace(/^\/um\/default\/api\/v1/, "")}`);
        assert.deepEqual(sent, [
          "POST /login",
          ...products.flatMap(() => ["POST /product", "GET /user_action", "PUT /accept_certificate"]),
        ]);
        // In sequence: each request arrives after the one before was answered (100 ms of latency each).
        const arrivals = emulator.admin.requests().map((r) => r.at);
        assert.ok(
          arrivals.slice(1).every((at, i) => at - arrivals[i] >= 90),
          `arrivals ${arrivals.join(", ")}`,
        );
      },
      { latencyMs: 100 },
    ));

  it("waits out a throttling answer (429) instead of failing, as a careful script would", () =>
    withEmulator(
      async (emulator) => {
        await seedsFlow(applianceOf(emulator), products);

        const statuses = emulator.admin.requests().map((r) => r.status);
        assert.ok(statuses.includes(429), `no request was throttled: ${statuses.join(", ")}`);
        assert.equal(emulator.admin.products("default").filter((p) => p.metered === true).length, products.length);
      },
      { rateLimits: { "usage-meter": { requestsPerSecond: 4, burst: 2 } } },
    ));
});
