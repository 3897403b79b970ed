import { strict as assert } from "node:assert";
import { join } from "node:path";
import { startEmulator, RunningEmulator } from "../../emulator";
import { LocalStack, REPO_ROOT } from "../../scripts/local-stack";
import { defaultConfig, engineOrSkip, nameOf } from "./helpers";

describe("examples/ through the real Pulumi engine", function () {
  this.timeout(300_000);
  let emulator: RunningEmulator;
  let stack: LocalStack | undefined;
  after(async () => {
    await stack?.dispose();
    await emulator?.close();
  });

  it("the quickstart (the root Pulumi.yaml) previews the proxy and two products, writing nothing", async function () {
    const engineBin = await engineOrSkip(this);
    emulator = await startEmulator({ quiet: true });
    stack = await LocalStack.create({ engineBin, projectDir: REPO_ROOT, stackName: "quickstart" });
    await stack.setAllConfig({
      ...defaultConfig(emulator),
      vcdaPassword: { secret: "vcda-pw" },
      vcenterPassword: { secret: "vcenter-pw" },
    });
    const preview = await stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]).sort(),
      [
        ["create", "cloud-director-availability"],
        ["create", "network"],
        ["create", "vcenter"],
        ["create", "vcpp-quickstart-quickstart"],
      ].sort(),
    );
    assert.deepEqual(emulator.writes(), []);
  });
});

describe("examples/vcloud-air through the real Pulumi engine", function () {
  this.timeout(300_000);
  let emulator: RunningEmulator | undefined;
  let stack: LocalStack | undefined;
  after(async () => {
    await stack?.dispose();
    await emulator?.close();
  });

  it("previews the user, reading plans (5.7) and services (5.6) with the functions, writing nothing and logging the 5.6 session out", async function () {
    const engineBin = await engineOrSkip(this);
    emulator = await startEmulator({ quiet: true });
    stack = await LocalStack.create({
      engineBin,
      projectDir: join(REPO_ROOT, "examples", "vcloud-air"),
      stackName: "vcloud-air",
    });
    const { default: onDemand, dedicated } = emulator.vcaAccounts;
    await stack.setAllConfig({
      "vcpp:vcaUrl": onDemand.vcaUrl,
      "vcpp:vcaUser": onDemand.vcaUser,
      "vcpp:vcaPassword": { secret: onDemand.vcaPassword },
      "vcpp:vcaAccounts": {
        secret: JSON.stringify({
          dedicated: { url: dedicated.vcaUrl, user: dedicated.vcaUser, password: dedicated.vcaPassword },
        }),
      },
      "vcpp:caCertificates": emulator.caPem,
    });
    const preview = await stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]).sort(),
      [
        ["create", "jane"],
        ["create", "vcpp-vcloud-air-vcloud-air"],
      ].sort(),
    );
    assert.deepEqual(emulator.writes(), []);
    const counts = emulator.admin.vcaCounts("dedicated");
    assert.ok(counts.logins >= 1 && counts.logouts === counts.logins, "the 5.6 session was logged out");
    const read = emulator.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(read.includes("GET /vca/default/api/sc/plans"), "the plans were read");
    assert.ok(read.includes("GET /vca/dedicated/api/vchs/services"), "the services were read");
  });
});
