import { strict as assert } from "node:assert";
import { CommandResult } from "../../scripts/local-stack";
import { E2eStack } from "./helpers";

const proxy = { type: "http", host: "proxy.corp.example", port: 3128 };
const vcenter = {
  productType: "vCenter",
  host: "vcenter.corp.example",
  user: "administrator@vsphere.local",
  password: "vcenter",
};
const passwords = { vcenter: "vcenter-Pipeline-Secret-1" };

/**
 * The commands of the README's "Drift checks in CI", exactly as a pipeline runs them, and what it
 * decides on: their exit codes.
 */
describe("drift checks in a pipeline, through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const product = () => e2e.emulator.admin.products("default")[0];
  const output = (result: CommandResult) => `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
  /** The nightly job's check: fails (non-zero) when any resource differs from the program. */
  const driftCheck = () => e2e.stack.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"]);

  before(async function () {
    e2e = await E2eStack.start(this);
    await e2e.declare({ proxies: { network: proxy }, products: { vcenter } }, passwords);
    await e2e.stack.up();
  });
  after(async () => e2e?.dispose());

  it("pulumi preview --refresh --expect-no-changes exits 0 when the appliance matches the program, writing nothing", async () => {
    e2e.emulator.admin.clearRequests();
    const result = await driftCheck();
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(e2e.emulator.writes(), []);
  });

  it("it exits 7 on a field changed by hand, showing the field, and writes nothing", async () => {
    e2e.emulator.admin.changeProduct("default", product().id as number, { user: "someone-else" });
    e2e.emulator.admin.clearRequests();
    const result = await driftCheck();
    // CLI 3.250's exit code taxonomy: 7 is "changes found where none were expected", so a pipeline
    // can tell drift from a check that could not run (1, 3 authentication, 6 no such stack, …).
    assert.equal(result.code, 7, output(result));
    assert.match(result.stdout, /~ user\s*: "someone-else" => "administrator@vsphere.local"/, output(result));
    assert.match(result.stderr, /no changes were expected for preview but changes were proposed/);
    assert.deepEqual(e2e.emulator.writes(), [], "a drift check changes nothing");
    assert.deepEqual(e2e.leakedIn(output(result)), []);
  });

  it("it exits 7 on a proxy changed and a product removed by hand", async () => {
    e2e.emulator.admin.setProxy("default", { type: "none" });
    e2e.emulator.admin.removeProduct("default", product().id as number);
    const result = await driftCheck();
    assert.equal(result.code, 7, output(result));
    assert.match(
      result.stdout,
      /\+ pulumi-nodejs:dynamic\/vcpp:MeteredProduct: \(create\)\n\s*\[urn=\S*::vcenter\]/,
      `the removed product is to be created again\n${output(result)}`,
    );
    assert.match(result.stdout, /~ type\s*: "none" => "http"/, `the proxy's changed field\n${output(result)}`);
  });

  it("a check that cannot run (the appliance refuses the password) exits neither 0 nor 7", async () => {
    // --run-program: the refresh uses the stack's config as it is now (see the README).
    await e2e.stack.setConfig("vcpp:usageMeterPassword", "not-the-Password-5", { secret: true });
    try {
      const result = await e2e.stack.pulumi(["preview", "--refresh", "--expect-no-changes", "--run-program"]);
      assert.ok(![0, 7].includes(result.code), output(result));
      assert.match(output(result), /Invalid user name or password/);
    } finally {
      await e2e.stack.setConfig("vcpp:usageMeterPassword", e2e.emulator.usageMeters.default.password, {
        secret: true,
      });
    }
  });

  it("pulumi up --refresh repairs the drift, and the check exits 0 again", async () => {
    const up = await e2e.stack.pulumi(["up", "--refresh", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, output(up));
    assert.deepEqual([product().host, product().user, product().metered], [vcenter.host, vcenter.user, true]);
    assert.equal(e2e.emulator.admin.appliance("default").proxy.host, proxy.host);
    const result = await driftCheck();
    assert.equal(result.code, 0, output(result));
  });
});
