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
    assert.deepEqual(appliance("east").proxy, { type: "http", host: proxy.host, port: proxy.port, user: proxy.user, password: passwords.proxy });
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
    assert.deepEqual((await e2e.stack.preview()).changes.map((s) => s.op), ["update"]);
    await e2e.stack.up();
    assert.equal(appliance("east").proxy.port, 8080);
  });

  it("pulumi preview --refresh shows a proxy changed by hand, and pulumi up --refresh repairs it", async () => {
    e2e.emulator.admin.setProxy("east", { type: "https", host: "other-proxy.corp.example", port: 443 });
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(preview.changes.map((s) => [s.op, nameOf(s.urn)]), [["update", "network"]]);
    assert.deepEqual(changedInputs(preview.changes[0]), ["host", "port", "type", "user"]);
    assert.equal(preview.changes[0].oldState?.inputs?.host, "other-proxy.corp.example");
    assert.deepEqual(writes(), []);
    await e2e.stack.up({ refresh: true });
    assert.deepEqual(appliance("east").proxy, { type: "http", host: proxy.host, port: 8080, user: proxy.user, password: passwords.proxy });
  });

  it("moving the declaration to another appliance replaces it: the old one goes back to direct", async () => {
    await e2e.declare({ proxies: { network: { ...proxy, usageMeter: "west" } } }, passwords);
    assert.deepEqual((await e2e.stack.preview()).changes.map((s) => s.op), ["replace"]);
    await e2e.stack.up();
    assert.equal(appliance("west").proxy.host, proxy.host);
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });

  it("pulumi refresh then up also repairs an appliance switched to direct by hand", async () => {
    e2e.emulator.admin.setProxy("west", { type: "none" });
    await e2e.stack.refresh();
    assert.deepEqual((await e2e.stack.preview()).changes.map((s) => s.op), ["update"]);
    await e2e.stack.up();
    assert.equal(appliance("west").proxy.type, "http");
  });

  it("pulumi destroy restores a direct connection", async () => {
    await e2e.stack.destroy();
    assert.deepEqual(appliance("west").proxy, { type: "none" });
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });

  it("pulumi up takes over a proxy already configured by hand", async () => {
    e2e.emulator.admin.setProxy("east", { type: "http", host: proxy.host, port: proxy.port, user: proxy.user, password: "set-by-hand" });
    await e2e.declare({ proxies: { network: { ...proxy, usageMeter: "east" } } }, passwords);
    await e2e.stack.up();
    assert.equal(appliance("east").proxy.password, passwords.proxy, "the declared password now applies");
    await e2e.stack.destroy();
    assert.deepEqual(appliance("east").proxy, { type: "none" });
  });
});
