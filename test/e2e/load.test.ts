import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RateLimit, RunningEmulator } from "../../emulator";
import { cloudConfig, commerceConfig, defaultConfig, E2eStack } from "./helpers";
import { peakRss, processesWithPulumiHome } from "./processes";

/**
 * Issue #19, Load: one stack of 100 MeteredProducts on one appliance, 10 registrations (one per
 * appliance) and 20 orders, through the real engine, against services that answer 429 above a rate.
 */
const PRODUCTS = 100;
const APPLIANCES = 10;
const ORDERS = 20;
const TYPES = ["vCenter", "VCAV", "NSX-T", "VCD"] as const;

/**
 * Low enough that the provider meets 429 on every service during the run, high enough that it
 * finishes in about a minute: the Usage Meter (all appliances share the bucket) sees about 250
 * requests, Usage Insight about 30, commerce about 25.
 */
const RATE_LIMITS: Record<string, RateLimit> = {
  "usage-meter": { requestsPerSecond: 10, burst: 10 },
  csp: { requestsPerSecond: 2, burst: 1 },
  "usage-insight": { requestsPerSecond: 4, burst: 4 },
  "usage-metering-agents": { requestsPerSecond: 4, burst: 4 },
  commerce: { requestsPerSecond: 4, burst: 4 },
};

const appliances = Array.from({ length: APPLIANCES }, (_, i) => (i === 0 ? "default" : `um-${i}`));
const product = (i: number) => ({
  productType: TYPES[i % TYPES.length],
  host: `host-${String(i).padStart(3, "0")}.example.com`,
  user: "administrator@vsphere.local",
  password: "products",
});
const registration = (usageMeter: string, i: number) => ({
  usageMeter,
  contractNumber: "12345678",
  label: `um-load-${i}`,
  meteringMode: "TEST",
});
const order = (i: number) => ({
  contractNumber: "12611521",
  poType: "ADDON_REQUEST",
  lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: i + 1, serviceInstanceId: "M495240519" }],
  orderKey: `load-order-${i}`,
});

/** Every appliance but the default one, as `vcpp:usageMeters` names them. */
const namedAppliances = (emulator: RunningEmulator) =>
  JSON.stringify(
    Object.fromEntries(
      appliances.slice(1).map((name) => [
        name,
        {
          url: emulator.usageMeters[name].url,
          user: emulator.usageMeters[name].user,
          password: emulator.usageMeters[name].password,
        },
      ]),
    ),
  );

describe("Load through the real Pulumi engine: 100 products, 10 registrations, 20 orders, services answering 429", function () {
  this.timeout(900_000);
  let e2e: E2eStack;
  let journalDir: string;

  before(async function () {
    journalDir = mkdtempSync(join(tmpdir(), "vcpp-load-e2e-"));
    e2e = await E2eStack.start(this, {
      emulator: {
        usageMeters: Object.fromEntries(appliances.map((name) => [name, {}])),
        usageInsight: { registrationDelayMs: 1_000 },
        commerce: { fulfilmentDelayMs: 3_600_000 },
        rateLimits: RATE_LIMITS,
      },
      config: (emulator) => ({
        ...defaultConfig(emulator),
        "vcpp:usageMeters": { secret: namedAppliances(emulator) },
        ...cloudConfig(emulator),
        ...commerceConfig(emulator, join(journalDir, "orders.jsonl")),
      }),
    });
  });
  after(async () => {
    await e2e?.dispose();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it("pulumi up creates everything once, with one login per appliance and one token exchange per service", async () => {
    const { emulator, stack } = e2e;
    await e2e.declare(
      {
        products: Object.fromEntries(Array.from({ length: PRODUCTS }, (_, i) => [`p${i}`, product(i)])),
        registrations: Object.fromEntries(appliances.map((name, i) => [`r${i}`, registration(name, i)])),
        orders: Object.fromEntries(Array.from({ length: ORDERS }, (_, i) => [`o${i}`, order(i)])),
      },
      { products: "vcenter-Secret-1" },
    );
    emulator.admin.clearRequests();

    // The dynamic provider is the `node …/cmd/dynamic-provider/index.js` process of this stack; its VmHWM is
    // the kernel's peak resident set, sampled until it ends (it only grows).
    const peaks = new Map<number, number>();
    const pulumiHome = join(stack.workDir, "home");
    const sample = () => {
      for (const p of processesWithPulumiHome(pulumiHome).filter((q) =>
        q.command.includes("cmd/dynamic-provider/index.js"),
      )) {
        const rss = peakRss(p.pid);
        if (rss !== undefined) peaks.set(p.pid, Math.max(rss, peaks.get(p.pid) ?? 0));
      }
    };
    const sampler = setInterval(sample, 250);
    const started = Date.now();
    let up;
    try {
      up = await stack.up();
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;

    // Everything is created, each once.
    assert.match(up.stdout, new RegExp(`${PRODUCTS + APPLIANCES + ORDERS + 1} created`));
    const products = emulator.admin.products("default");
    assert.equal(products.length, PRODUCTS, "products on the appliance");
    assert.equal(new Set(products.map((p) => p.host)).size, PRODUCTS, "no product twice");
    assert.ok(
      products.every((p) => p.metered),
      "every product metered",
    );
    const served = (method: string, suffix: string) =>
      emulator.requests.filter((r) => r.method === method && r.path.endsWith(suffix) && r.status < 300).length;
    assert.equal(served("POST", "/api/v1/product"), PRODUCTS, "one product registration request served per product");
    assert.equal(served("POST", "/vcpp/order"), ORDERS, "one order request served per order");
    for (const name of appliances.slice(1)) assert.equal(emulator.admin.products(name).length, 0);
    const registrations = emulator.admin.registrations().filter((r) => !r.deleted);
    assert.equal(registrations.length, APPLIANCES, "registrations");
    assert.deepEqual(
      new Set(registrations.map((r) => r.agentId)),
      new Set(appliances.map((name) => emulator.usageMeters[name].uuid)),
      "one registration per appliance",
    );
    assert.ok(
      registrations.every((r) => !r.inProgress),
      "every registration complete",
    );
    const orders = emulator.admin.commerceOrders();
    assert.equal(orders.length, ORDERS, "orders");
    // Each declared order has its own quantity (the service does not store the orderKey).
    assert.equal(new Set(orders.map((o) => o.lines[0].quantity)).size, ORDERS, "no order twice");

    // The services throttled, and the provider slowed down rather than failing.
    const requests = emulator.requests;
    const throttled = requests.filter((r) => r.status === 429);
    const throttledBy = (service: string) => throttled.filter((r) => r.service === service).length;
    assert.ok(throttledBy("usage-meter") > 0, "the Usage Meter answered 429");

    // One login per appliance, one token exchange per service, for the one provider process.
    const logins = Object.fromEntries(appliances.map((name) => [name, emulator.admin.appliance(name).logins]));
    assert.deepEqual(logins, Object.fromEntries(appliances.map((name) => [name, 1])), "logins per appliance");
    assert.equal(emulator.admin.cspExchanges().api_token, 1, "CSP API token exchanges");
    assert.equal(emulator.admin.commerceTokenRequests(), 1, "commerce OAuth token requests");
    assert.equal(peaks.size, 1, "one dynamic-provider process");
    const [peak] = [...peaks.values()];

    const perService = [...new Set(requests.map((r) => r.service))]
      .sort()
      .map((s) => `${s} ${requests.filter((r) => r.service === s).length} (${throttledBy(s)} × 429)`);
    console.log(
      [
        "",
        `      load: ${PRODUCTS} MeteredProducts on one appliance, ${APPLIANCES} UsageMeterRegistrations, ${ORDERS} VcppOrders`,
        `      rate limits (requests/s, burst): ${Object.entries(RATE_LIMITS)
          .map(([s, l]) => `${s} ${l.requestsPerSecond}/${l.burst}`)
          .join(", ")}`,
        `      pulumi up: ${seconds.toFixed(1)} s, ${PRODUCTS + APPLIANCES + ORDERS} created, 0 failed, 0 duplicates`,
        `      requests: ${requests.length}, of which 429: ${throttled.length}; ${perService.join(", ")}`,
        `      logins: 1 per appliance (${APPLIANCES}); token exchanges: CSP 1, commerce 1`,
        `      dynamic provider peak RSS (VmHWM): ${(peak / 2 ** 20).toFixed(0)} MiB`,
      ].join("\n"),
    );
  });

  it("a second preview plans nothing", async () => {
    const preview = await e2e.stack.preview();
    assert.deepEqual(preview.changes, []);
  });
});
