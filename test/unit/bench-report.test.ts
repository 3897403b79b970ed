import { strict as assert } from "node:assert";
import {
  apiMinimum,
  checkTargets,
  countRequests,
  CountedRequest,
  markdownReport,
  median,
  operationPath,
  Phase,
  PHASES,
  StackResult,
  StackShape,
  sweepReport,
} from "../../scripts/bench/report";

const um = (method: string, path: string): CountedRequest => ({
  service: "usage-meter",
  method,
  path: `/um/default/api/v1${path}`,
});
const repeat = <T>(n: number, make: (i: number) => T[]): T[] => Array.from({ length: n }, (_, i) => make(i)).flat();

const PRODUCTS: StackShape = { products: 100, pinnedProducts: 0, registrations: 0, orders: 0 };
/** What main measured in #18: 5 requests per product on create, 2 per product on refresh. */
const BEFORE = {
  create: [
    um("POST", "/login"),
    ...repeat(100, () => [
      um("GET", "/product"),
      um("POST", "/product"),
      um("GET", "/user_action"),
      um("PUT", "/accept_certificate"),
      um("GET", "/product"),
    ]),
  ],
  refresh: [um("POST", "/login"), ...repeat(100, () => [um("GET", "/product"), um("GET", "/user_action")])],
  "no-change up": [],
};
/** The API minimum: 2 per product on create, one list per type and one pending-action read on refresh. */
const AT_MINIMUM = {
  create: [um("POST", "/login"), ...repeat(100, () => [um("POST", "/product"), um("PUT", "/accept_certificate")])],
  refresh: [um("POST", "/login"), um("GET", "/product"), um("GET", "/user_action")],
  "no-change up": [],
};

function result(
  requests: Record<Phase, CountedRequest[]>,
  timing: Partial<StackResult["timing"]> = {},
  shape = PRODUCTS,
): StackResult {
  const phaseTimes = (create: number, refresh: number, same: number) => ({
    create,
    refresh,
    "no-change up": same,
  });
  return {
    label: "100 products",
    shape,
    counts: Object.fromEntries(PHASES.map((p) => [p, countRequests(requests[p])])) as StackResult["counts"],
    timing: {
      provider: phaseTimes(7_000, 1_500, 3_000),
      floor: phaseTimes(4_000, 1_200, 3_000),
      seeds: 30_000,
      ...timing,
    },
  };
}

const byTarget = (checks: ReturnType<typeof checkTargets>, prefix: string) => {
  const check = checks.find((c) => c.target.startsWith(prefix));
  assert.ok(check, `no target starting with ${prefix}: ${checks.map((c) => c.target).join("; ")}`);
  return check;
};

describe("bench report", () => {
  describe("counting the emulator's log", () => {
    it("sets logins and token exchanges apart, and splits the rest per service and operation", () => {
      const count = countRequests([
        um("POST", "/login"),
        um("POST", "/product"),
        um("GET", "/product"),
        { service: "csp", method: "POST", path: "/csp/gateway/am/api/auth/api-tokens/authorize" },
        { service: "commerce", method: "POST", path: "/vcpp-commerce/v1/m0/api/token/oauth" },
        { service: "commerce", method: "POST", path: "/vcpp-commerce/v1/m3/api/vcpp/order" },
        { service: "vcloud-air", method: "POST", path: "/api/sessions" },
      ]);
      assert.equal(count.logins, 2);
      assert.equal(count.tokenExchanges, 2);
      assert.equal(count.total, 3);
      assert.deepEqual(count.byService, { "usage-meter": 2, commerce: 1 });
      assert.deepEqual(count.byOperation, {
        "POST /product": 1,
        "GET /product": 1,
        "POST /vcpp-commerce/v1/{id}/api/vcpp/order": 1,
      });
    });

    it("counts a throttled answer (429) apart, not against the API minimum", () => {
      const count = countRequests([
        { ...um("POST", "/product"), status: 429 },
        { ...um("POST", "/product"), status: 200 },
        { ...um("POST", "/login"), status: 429 },
      ]);
      assert.equal(count.throttled, 2);
      assert.equal(count.total, 1);
      assert.equal(count.logins, 0);
      assert.deepEqual(count.byOperation, { "POST /product": 1 });
    });

    it("measures how long the services were kept busy: from the first answer to the last", () => {
      const at = (ms: number) => ({ ...um("GET", "/product"), at: 1_000 + ms });
      assert.equal(countRequests([at(300), at(0), at(2_500)]).spanMs, 2_500);
      assert.equal(countRequests([at(0)]).spanMs, 0);
      assert.equal(countRequests([]).spanMs, 0);
    });

    it("names an operation without the appliance's mount or the ids that differ per resource", () => {
      assert.equal(operationPath("/um/lyon/api/v1/product"), "/product");
      assert.equal(
        operationPath("/ums/usage/api/v1/agent-registrations/5b1f0a7e-8d3c-4a51-9b7e-0c2d4e6f8a90"),
        "/ums/usage/api/v1/agent-registrations/{id}",
      );
    });
  });

  describe("the API minimum", () => {
    it("is 2 requests per product on create, 3 pinned; one list per type and one pending-action read on refresh", () => {
      assert.deepEqual(apiMinimum(PRODUCTS), { create: 200, refresh: 2, "no-change up": 0 });
      assert.deepEqual(apiMinimum({ products: 5, pinnedProducts: 5, registrations: 0, orders: 0 }), {
        create: 25,
        refresh: 3,
        "no-change up": 0,
      });
    });

    it("adds what registrations and orders need, and one order feed for all orders on refresh", () => {
      const minimum = apiMinimum({ products: 0, pinnedProducts: 0, registrations: 1, orders: 3 });
      assert.deepEqual(minimum, { create: 3 + 3 + 3, refresh: 2 + 1, "no-change up": 0 });
    });
  });

  describe("the targets of #18", () => {
    it("main as the issue measured it: create and refresh miss their targets, naming the requests in the way", () => {
      const checks = checkTargets(
        result(BEFORE, { provider: { create: 21_000, refresh: 3_000, "no-change up": 3_000 } }),
      );
      const create = byTarget(checks, "create");
      assert.equal(create.measured, "5.0");
      assert.equal(create.pass, false);
      assert.match(
        create.obstacle ?? "",
        /^300 request\(s\) above the minimum; sent: GET \/product ×200 \(2\.0 per resource\)/,
      );
      const refresh = byTarget(checks, "refresh ≤");
      assert.equal(refresh.pass, false);
      assert.match(refresh.obstacle ?? "", /GET \/user_action ×100/);
      assert.equal(byTarget(checks, "a no-change up").pass, true);
      assert.equal(byTarget(checks, "at most").pass, true);
      const up = byTarget(checks, "pulumi up");
      assert.equal(up.measured, "1.4× (21.0 s against 30.0 s)");
      assert.equal(up.pass, false);
      assert.match(up.obstacle ?? "", /^the provider: 17\.0 s above the engine's floor of 4\.0 s/);
    });

    it("at the API minimum and the engine's floor, every target passes and names no obstacle", () => {
      const checks = checkTargets(result(AT_MINIMUM));
      assert.deepEqual(
        checks.filter((c) => !c.pass),
        [],
      );
      assert.ok(checks.every((c) => c.obstacle === undefined));
      assert.equal(byTarget(checks, "pulumi refresh").measured, "1.3× (1.5 s against 1.2 s)");
    });

    it("when the engine alone is too slow for 4× the seeds' flow, it says so", () => {
      const floor = { create: 10_000, refresh: 1_000, "no-change up": 3_000 };
      const up = byTarget(
        checkTargets(result(AT_MINIMUM, { floor, provider: { ...floor, create: 11_000 } })),
        "pulumi up",
      );
      assert.equal(up.pass, false);
      assert.equal(
        up.obstacle,
        "the engine's own floor: 10.0 s to up 100 no-op resources (100 ms per resource), so at best 3.0×",
      );
    });

    it("a second login in one run, or a request on a no-change up, fails", () => {
      const checks = checkTargets(
        result({ ...AT_MINIMUM, "no-change up": [um("POST", "/login"), um("POST", "/login"), um("GET", "/product")] }),
      );
      assert.equal(byTarget(checks, "at most").pass, false);
      assert.equal(byTarget(checks, "at most").measured, "1/0, 1/0, 2/0");
      const noChange = byTarget(checks, "a no-change up");
      assert.equal(noChange.pass, false);
      assert.equal(noChange.obstacle, "1 request(s) above the minimum; sent: GET /product ×1 (0.0 per resource)");
    });

    it("judges the per-resource and time targets only where #18 sets them: 100 products at 100 ms", () => {
      const slow = { provider: { create: 21_000, refresh: 3_000, "no-change up": 3_000 } };
      const small = { products: 10, pinnedProducts: 0, registrations: 0, orders: 0 };
      const applies = (checks: ReturnType<typeof checkTargets>) =>
        Object.fromEntries(checks.map((c) => [c.target.split(" ").slice(0, 2).join(" "), c.applies]));
      const expected = (atScale: boolean) => ({
        "create ≤": atScale,
        "refresh ≤": true,
        "a no-change": true,
        "at most": true,
        "pulumi up": atScale,
        "pulumi refresh": atScale,
      });
      assert.deepEqual(applies(checkTargets(result(BEFORE, slow))), expected(true));
      assert.deepEqual(applies(checkTargets(result(BEFORE, slow, small))), expected(false));
      assert.deepEqual(applies(checkTargets(result(BEFORE, slow), 50)), expected(false));
      // Missed but not judged: the table says so instead of FAIL.
      const text = markdownReport({
        machine: { cpus: 2, cpuModel: "AMD EPYC", node: "v24.21.0", engine: "v3.250.0" },
        latencyMs: 100,
        at: "2026-11-24T20:00:00Z",
        commit: "abc1234",
        results: [result(BEFORE, slow, small)],
      });
      assert.match(
        text,
        /\| pulumi up ≥ 4× faster than the seeds' flow \| 1\.4× .*\| missed \(a target at 100 products, 100 ms\) \|/,
      );
      assert.match(text, /\| refresh ≤ 2 requests in all .* \| \*\*FAIL\*\* \|/);
    });

    it("a stack with more than products has no seeds' flow to compare with", () => {
      const shape = { products: 2, pinnedProducts: 2, registrations: 1, orders: 1 };
      const checks = checkTargets(result(AT_MINIMUM, { seeds: undefined }, shape));
      assert.equal(
        checks.find((c) => c.target.startsWith("pulumi up")),
        undefined,
      );
    });
  });

  describe("the Markdown table", () => {
    it("has a column per stack, the minimum beside each count, the ratios, the machine, and a row per target", () => {
      const text = markdownReport({
        machine: { cpus: 2, cpuModel: "AMD EPYC", node: "v24.19.0", engine: "v3.250.0" },
        latencyMs: 100,
        at: "2026-11-24T20:00:00Z",
        commit: "abc1234",
        results: [result(BEFORE, { provider: { create: 21_000, refresh: 3_000, "no-change up": 3_000 } })],
      });
      const lines = text.split("\n");
      assert.match(lines[0], /^Measured 2026-11-24T20:00:00Z on commit abc1234: 2 CPU\(s\), AMD EPYC, Node v24\.19\.0/);
      assert.match(text, /100 ms added to every request by the emulator; no rate limit;/);
      assert.doesNotMatch(text, /median/, "one run of each: nothing to take the median of");
      assert.ok(lines.includes("| | 100 products |"));
      assert.ok(lines.includes("| create: requests per resource (API minimum) | 5.0 (2.0) |"));
      assert.ok(lines.includes("| refresh: requests in all, per service | usage-meter 200 |"));
      assert.ok(lines.includes("| logins / token exchanges (create, refresh, no-change up) | 1/0, 1/0, 0/0 |"));
      assert.ok(lines.includes("| answered 429, throttled (create, refresh, no-change up) | 0, 0, 0 |"));
      assert.ok(lines.includes("| **up vs seeds' flow** (times faster) | 1.4× |"));
      assert.ok(lines.includes("| **refresh vs engine floor** (times slower) | 2.5× |"));
      // Every table row has as many cells as its header.
      for (const table of text.split("\n\n").filter((t) => t.startsWith("|"))) {
        const rows = table.trim().split("\n");
        const cells = (row: string) => row.split("|").length;
        assert.ok(
          rows.every((row) => cells(row) === cells(rows[0])),
          table,
        );
      }
      assert.match(
        text,
        /\| 100 products \| create ≤ 2\.1 requests per resource \(minimum 2\.0\) \| 5\.0 \| \*\*FAIL\*\* \| 300 request/,
      );
    });
  });

  describe("repeated runs", () => {
    it("the median of the runs: one slow run does not move it", () => {
      assert.equal(median([1.6, 2.9, 1.7]), 1.7);
      assert.equal(median([2, 1, 4, 3]), 2.5);
      assert.equal(median([5]), 5);
      assert.throws(() => median([]), /no values/);
    });

    it("the table says which times are medians of how many runs", () => {
      const text = markdownReport({
        machine: { cpus: 2, cpuModel: "AMD EPYC", node: "v24.21.0", engine: "v3.250.0" },
        latencyMs: 100,
        repeat: 3,
        at: "2026-11-24T20:00:00Z",
        commit: "abc1234",
        results: [result(BEFORE, { provider: { create: 21_000, refresh: 3_000, "no-change up": 3_000 } })],
      });
      assert.match(text, /; refresh and no-change up timed 3 times each, the median shown \(create once\); /);
    });
  });

  describe("the concurrency sweep", () => {
    it("puts every value of vcpp:maxConcurrentRequests side by side per stack, with the throttled answers", () => {
      const report = (maxConcurrentRequests: number, create: number, throttled: CountedRequest[]) => ({
        machine: { cpus: 2, cpuModel: "AMD EPYC", node: "v24.21.0", engine: "v3.250.0" },
        latencyMs: 100,
        rateLimits: { "usage-meter": { requestsPerSecond: 20, burst: 5 } },
        maxConcurrentRequests,
        at: "2026-11-24T20:00:00Z",
        commit: "abc1234",
        results: [
          result(
            { ...AT_MINIMUM, create: [...AT_MINIMUM.create, ...throttled] },
            { provider: { create, refresh: 1_500, "no-change up": 3_000 } },
          ),
        ],
      });
      const throttledPost = { ...um("POST", "/product"), status: 429, at: 5_000 };
      const reports = [report(2, 15_000, []), report(8, 6_000, [throttledPost, throttledPost])];
      const lines = sweepReport(reports).trim().split("\n");
      assert.equal(lines.length, 4);
      assert.equal(
        lines[2],
        "| 100 products | 2 | 15.0 s | 0.0 s | 4.0 s | 30.0 s | 1.5 s | 3.0 s | 0, 0 | 2.0× | 3.8× | 1.3× |",
      );
      assert.equal(
        lines[3],
        "| 100 products | 8 | 6.0 s | 0.0 s | 4.0 s | 30.0 s | 1.5 s | 3.0 s | 2, 0 | 5.0× | 1.5× | 1.3× |",
      );
      assert.match(
        markdownReport(reports[1]),
        /rate-limited \(429 above\): usage-meter 20\/s burst 5; vcpp:maxConcurrentRequests 8\./,
      );
    });
  });
});
