import { strict as assert } from "node:assert";
import { z } from "zod";
import { booleanish, integerish, timestamp } from "../../provider/readers";
import {
  certificateActionSchema,
  dataUsageSchema,
  loginFlagsSchema,
  productSchema,
  proxySettingsSchema,
  proxyTestOutcome,
  proxyTestSchema,
} from "../../provider/usage-meter/schemas";

/** The parsed value, or the issue paths when the answer is refused. */
const read = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : { refused: parsed.error.issues.map((i) => i.path.join(".")) };
};

describe("Usage Meter answers, read liberally", () => {
  describe("test_result of PUT /test_proxy", () => {
    for (const value of [true, "SUCCESS", "success", "true", "TRUE", "OK", "ok", "PASSED", "Passed", " SUCCEEDED "]) {
      it(`${JSON.stringify(value)} is a pass`, () => assert.deepEqual(proxyTestOutcome(value), { outcome: "passed" }));
    }
    for (const value of [false, "FAILURE", "failure", "false", "FAILED", "Fail", "ERROR", "error"]) {
      it(`${JSON.stringify(value)} is a failure`, () =>
        assert.deepEqual(proxyTestOutcome(value), { outcome: "failed" }));
    }
    for (const value of ["PENDING", 1, 0, ""]) {
      it(`${JSON.stringify(value)} is neither, and kept for the warning`, () =>
        assert.deepEqual(proxyTestOutcome(value), { outcome: "unrecognised", value }));
    }

    it("error_code as a number, a text or null; an empty body (seed 000) is accepted", () => {
      const answer = (error_code: unknown) =>
        read(proxyTestSchema, { test_result: "FAILURE", message: null, error_code });
      assert.deepEqual(answer(502), { test_result: { outcome: "failed" }, message: undefined, error_code: "502" });
      assert.deepEqual(answer("PROXY_UNREACHABLE"), {
        test_result: { outcome: "failed" },
        message: undefined,
        error_code: "PROXY_UNREACHABLE",
      });
      assert.deepEqual(answer(null), { test_result: { outcome: "failed" }, message: undefined, error_code: undefined });
      assert.equal(read(proxyTestSchema, undefined), undefined);
    });
  });

  it("ids and ports as numbers or decimal text; null, empty text or a boolean are refused", () => {
    assert.equal(read(integerish, 42), 42);
    assert.equal(read(integerish, "42"), 42);
    for (const bad of [null, "", "4x", true, 1.5])
      assert.ok("refused" in (read(integerish, bad) as object), JSON.stringify(bad));
  });

  it('flags as booleans or "true"/"false" in any case; other words are refused, not guessed', () => {
    assert.equal(read(booleanish, "TRUE"), true);
    assert.equal(read(booleanish, "false"), false);
    assert.equal(read(booleanish, true), true);
    for (const bad of ["yes", 1, null]) assert.ok("refused" in (read(booleanish, bad) as object), JSON.stringify(bad));
  });

  it("timestamps as epoch milliseconds, epoch seconds, digits or ISO text; junk text is not known", () => {
    const ms = Date.UTC(2026, 10, 24, 12, 0, 0);
    assert.equal(read(timestamp, ms), ms);
    assert.equal(read(timestamp, ms / 1000), ms);
    assert.equal(read(timestamp, String(ms)), ms);
    assert.equal(read(timestamp, "2026-11-24T12:00:00Z"), ms);
    assert.equal(read(timestamp, "soon"), undefined);
  });

  it("a product with every field in its loosest form reads as the strict one", () => {
    const loose = {
      id: "7",
      host: "vc.example.com",
      port: "443",
      user: null,
      productType: "vCenter",
      fullName: null,
      version: null,
      active: "true",
      metered: "FALSE",
      lastChanged: "1764000000",
      instanceUUID: null,
      status: { code: "OK", text: null, lastChanged: null },
    };
    const product = read(productSchema, loose) as Record<string, unknown>;
    assert.deepEqual(
      {
        id: product.id,
        port: product.port,
        user: product.user,
        active: product.active,
        metered: product.metered,
        lastChanged: product.lastChanged,
        status: product.status,
      },
      {
        id: 7,
        port: 443,
        user: undefined,
        active: true,
        metered: false,
        lastChanged: 1_764_000_000_000,
        status: { code: "OK", text: undefined, lastChanged: undefined },
      },
    );
    assert.deepEqual(read(productSchema, { ...loose, id: null }), { refused: ["id"] });
  });

  it("a certificate action's product id as text", () => {
    const action = {
      code: "Cert",
      data: {
        productId: "3",
        certificateId: "vc:443",
        productType: "vCenter",
        certData: { fingerprint_sha256: "AB:CD", notAfter: "2027-01-01T00:00:00Z" },
      },
    };
    assert.equal((read(certificateActionSchema, action) as { data: { productId: number } }).data.productId, 3);
  });

  it("proxy settings read back: the type in any case, a port as text, nulls as absent", () => {
    assert.deepEqual(read(proxySettingsSchema, { type: "HTTP", host: "p.example.com", port: "3128", user: null }), {
      type: "http",
      host: "p.example.com",
      port: 3128,
      user: undefined,
    });
    assert.deepEqual(read(proxySettingsSchema, { type: "socks" }), { refused: ["type"] });
    assert.deepEqual(read(dataUsageSchema, { accepted: "true" }), { accepted: true });
  });

  it("the login's flags: booleans or their text; anything else, or none (9.x), is not known, never a failed login", () => {
    assert.deepEqual(read(loginFlagsSchema, { sessionid: "s", http_proxy: "true", data_usage_acceptance: false }), {
      proxyInUse: true,
      dataUsageAccepted: false,
    });
    assert.deepEqual(read(loginFlagsSchema, { sessionid: "s", http_proxy: "maybe", data_usage_acceptance: null }), {
      proxyInUse: undefined,
      dataUsageAccepted: undefined,
    });
    assert.deepEqual(read(loginFlagsSchema, { accessToken: { tokenValue: "t" } }), {
      proxyInUse: undefined,
      dataUsageAccepted: undefined,
    });
  });
});
