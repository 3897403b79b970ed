import { strict as assert } from "node:assert";
import { ClientRegistry } from "../../provider/registry";
import { ConfigError } from "../../provider/errors";

const config = {
  usageMeterUrl: "https://um.example.com:8443",
  usageMeterPassword: "context-test-pw",
  maxConcurrentRequests: "6",
  requestTimeoutSeconds: "90",
  usageMeters: JSON.stringify({ lab: { url: "https://lab.example.com", password: "context-lab-pw" } }),
};
const configured = (values: Record<string, string> = config) => {
  const context = new ClientRegistry();
  context.configure((key) => values[key]);
  return context;
};

describe("ClientRegistry", () => {
  it("refuses to work before configure, saying why", () => {
    const context = new ClientRegistry();
    assert.throws(
      () => context.settings(),
      (e: unknown) => e instanceof ConfigError && /was not configured/.test(e.message),
    );
    assert.throws(() => context.usageMeter(), ConfigError);
  });

  it("builds one client per appliance and reuses it", () => {
    const context = configured();
    const client = context.usageMeter();
    assert.equal(context.usageMeter(), client);
    assert.equal(context.usageMeter("default"), client);
    const lab = context.usageMeter("lab");
    assert.notEqual(lab, client);
    assert.equal(context.usageMeter("lab"), lab);
    assert.equal(client.baseUrl, "https://um.example.com:8443/api/v1");
    assert.equal(lab.baseUrl, "https://lab.example.com/api/v1");
  });

  it("passes the concurrency and timeout settings to the clients", () => {
    const { endpoint } = configured().usageMeter().http;
    assert.equal(endpoint.maxConcurrency, 6);
    assert.equal(endpoint.timeoutMs, 90_000);
    assert.equal(endpoint.service, "Usage Meter");
  });

  it("builds new clients after a new configure", () => {
    const context = configured();
    const before = context.usageMeter();
    context.configure((key) => ({ ...config, usageMeterUrl: "https://other.example.com" })[key]);
    const after = context.usageMeter();
    assert.notEqual(after, before);
    assert.equal(after.baseUrl, "https://other.example.com/api/v1");
  });

  it("keeps its clients when configured again with the same settings (the engine's next resource kind)", () => {
    const context = configured();
    const before = context.usageMeter();
    context.configure((key) => ({ ...config })[key as keyof typeof config]);
    assert.equal(context.usageMeter(), before);
  });

  it("builds new clients when only a secret changes", () => {
    const context = configured();
    const before = context.usageMeter();
    context.configure((key) => ({ ...config, usageMeterPassword: "rotated-pw" })[key]);
    assert.notEqual(context.usageMeter(), before);
  });

  it("fails configure on an invalid setting, and usageMeter on a missing one", () => {
    assert.throws(() => configured({ usageMeterUrl: "ftp://um" }), /vcpp:usageMeterUrl/);
    assert.throws(() => configured({ usageMeterUrl: "https://um" }).usageMeter(), /vcpp:usageMeterPassword is not set/);
    assert.throws(() => configured().usageMeter("nope"), /usageMeter "nope" is not configured/);
  });
});
