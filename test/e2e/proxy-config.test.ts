import { strict as assert } from "node:assert";
import { changedInputs } from "../../scripts/local-stack";
import { namedAppliancesConfig } from "../helpers/emulator";
import { asStackConfig, E2eStack, nameOf } from "./helpers";

const proxy = { type: "http", host: "proxy.corp.example", port: 3128, user: "metering", password: "proxy" };
const passwords = { proxy: "proxy-Secret-3" };

describe("ProxyConfig through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const appliance = (name: string) => e2e.emulator.admin.appliance(name);
  const writes = () => e2e.emulator.writes();

  before(async function () {
    // Two appliances, chosen per resource with `usageMeter`, so that moving the declaration replaces it.
    e2e = await E2eStack.start(this, {
      emulator: { usageMeters: { east: {}, west: { version: "9" } } },
      config: (emulator) => asStackConfig({ caCertificates: emulator.caPem, ...namedAppliancesConfig(emulator) }),
    });
  });
  after(async () => e2e?.dispose());

  it("pulumi up points the appliance at the proxy and accepts the data usage terms", async () => {
    await e2e.declare({ proxies: { network: { ...proxy, usageMeter: "east" } } }, passwords);
    await e2e.stack.up();
    assert.deepEqual(appliance("east").proxy, {
      type: "http",
      host: proxy.host,
      port: proxy.port,
      user: proxy.user,
      password: passwords.proxy,
    });
    assert.equal(appliance("east").dataUsageAccepted, true);
    assert.deepEqual(appliance("west").proxy, { type: "none" });
  });

  it("a second pulumi up writes nothing", async () => {
    e2e.emulator.admin.clearRequests();
    assert.deepEqual((await e2e.stack.preview()).changes, []);
    await e2e.stack.up();
    assert.deepEqual(writes(), []);
  });

  it("a changed port is applied in place", async () => {
    await e2e.declare({ proxies: { network: { ...proxy, port: 8080, usageMeter: "east" } } }, passwords);
    assert.deepEqual(
      (await e2e.stack.preview()).changes.map((s) => s.op),
      ["update"],
    );
    await e2e.stack.up();
    assert.equal(appliance("east").proxy.port, 8080);
  });

  it("pulumi preview --refresh shows a proxy changed by hand, and pulumi up --refresh repairs it", async () => {
    e2e.emulator.admin.setProxy("east", { type: "https", host: "other-proxy.corp.example", port: 443 });
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "network"]],
    );
    assert.deepEqual(changedInputs(preview.changes[0]), ["host", "port", "type", "user"]);
    assert.equal(preview.changes[0].oldState?.inputs?.host, "other-proxy.corp.example");
    assert.deepEqual(writes(), []);
    await e2e.stack.up({ refresh: true });
    assert.deepEqual(appliance("east").proxy, {
      type: "http",
      host: proxy.host,
      port: 8080,
      user: proxy.user,
      password: passwords.proxy,
    });
  });

  it("moving the declaration to another appliance replaces it: the old one goes back to direct", async () => {
    await e2e.declare({ proxies: { network: { ...proxy, usageMeter: "west" } } }, passwords);
    assert.deepEqual(
      (await e2e.stack.preview()).changes.map((s) => s.op),
      ["replace"],
    );
    await e2e.stack.up();
    assert.equal(appliance("west").proxy.host, proxy.host);
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });

  it("pulumi refresh then up also repairs an appliance switched to direct by hand", async () => {
    e2e.emulator.admin.setProxy("west", { type: "none" });
    await e2e.stack.refresh();
    assert.deepEqual(
      (await e2e.stack.preview()).changes.map((s) => s.op),
      ["update"],
    );
    await e2e.stack.up();
    assert.equal(appliance("west").proxy.type, "http");
  });

  it("pulumi destroy restores a direct connection", async () => {
    await e2e.stack.destroy();
    assert.deepEqual(appliance("west").proxy, { type: "none" });
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });

  it("pulumi up takes over a proxy already configured by hand", async () => {
    e2e.emulator.admin.setProxy("east", {
      type: "http",
      host: proxy.host,
      port: proxy.port,
      user: proxy.user,
      password: "set-by-hand",
    });
    await e2e.declare({ proxies: { network: { ...proxy, usageMeter: "east" } } }, passwords);
    await e2e.stack.up();
    assert.equal(appliance("east").proxy.password, passwords.proxy, "the declared password now applies");
    await e2e.stack.destroy();
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });
});

describe("ProxyConfig through the real Pulumi engine, on an appliance without the undocumented reads", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const appliance = () => e2e.emulator.admin.appliance();

  before(async function () {
    // No GET /http_proxy, no GET /data_usage_acceptance: only the login answer's flags say anything.
    e2e = await E2eStack.start(this, { emulator: { usageMeters: { default: { undocumentedRoutes: false } } } });
  });
  after(async () => e2e?.dispose());

  it("pulumi up applies the proxy and the terms; a second preview has nothing to do", async () => {
    await e2e.declare({ proxies: { network: proxy } }, passwords);
    await e2e.stack.up();
    assert.deepEqual(appliance().proxy, {
      type: "http",
      host: proxy.host,
      port: proxy.port,
      user: proxy.user,
      password: passwords.proxy,
    });
    assert.equal(appliance().dataUsageAccepted, true);
    assert.ok(
      e2e.emulator.requests.some((r) => r.path.endsWith("/http_proxy") && r.status === 404),
      "the undocumented read was tried and missing",
    );
    assert.deepEqual((await e2e.stack.preview({ refresh: true })).changes, []);
  });

  it("pulumi preview --refresh shows a proxy removed by hand, and pulumi up --refresh puts it back", async () => {
    e2e.emulator.admin.setProxy("default", { type: "none" });
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "network"]],
    );
    // The login answer's `http_proxy: false` is the whole truth: no proxy, so no host, port, user or password.
    assert.deepEqual(changedInputs(preview.changes[0]), ["host", "password", "port", "type", "user"]);
    await e2e.stack.up({ refresh: true });
    assert.equal(appliance().proxy.host, proxy.host);
  });

  it("pulumi preview --refresh shows the terms revoked by hand, and pulumi up --refresh accepts them again", async () => {
    e2e.emulator.admin.setDataUsageAccepted("default", false);
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => s.op),
      ["update"],
    );
    await e2e.stack.up({ refresh: true });
    assert.equal(appliance().dataUsageAccepted, true);
  });

  it("pulumi destroy restores a direct connection", async () => {
    await e2e.stack.destroy();
    assert.deepEqual(appliance().proxy, { type: "none" });
  });
});
