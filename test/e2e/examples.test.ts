import { strict as assert } from "node:assert";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, RunningEmulator } from "../../emulator";
import { LocalStack, REPO_ROOT, runCommand } from "../../scripts/local-stack";
import { cloudConfig, defaultConfig, disposeChecked, engineOrSkip, nameOf } from "./helpers";

describe("examples/ through the real Pulumi engine", function () {
  this.timeout(300_000);
  let emulator: RunningEmulator;
  let stack: LocalStack | undefined;
  after(async () => {
    try {
      if (stack) await disposeChecked(stack);
    } finally {
      await emulator?.close();
    }
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

  it("the registration example registers the appliance and exports its latest reports' references, then destroys", async function () {
    const engineBin = await engineOrSkip(this);
    const cloud = await startEmulator({ quiet: true, usageInsight: { registrationDelayMs: 200 } });
    const example = await LocalStack.create({
      engineBin,
      projectDir: join(REPO_ROOT, "examples", "registration"),
      stackName: "registration",
    });
    try {
      // Reports list what the appliance meters: one metered product.
      const product = await cloud.admin.addProduct("default", {
        productType: "VCD",
        host: "vcd.example.com",
        user: "admin",
        password: "vcd-pw",
      });
      cloud.admin.changeProduct("default", product.id as number, { metered: true });
      await example.setAllConfig({
        ...defaultConfig(cloud),
        ...cloudConfig(cloud),
        contractNumber: "12345678",
      });
      const preview = await example.preview();
      assert.deepEqual(
        preview.changes.map((s) => [s.op, nameOf(s.urn)]).sort(),
        [
          ["create", "usage-meter"],
          ["create", "vcpp-registration-registration"],
        ].sort(),
      );
      // The functions run in preview too (the agent id is known), reading only.
      assert.deepEqual(
        cloud.writes().map((r) => `${r.method} ${r.path}`),
        [],
        "a preview registers nothing",
      );
      await example.up();
      const outputs = await example.outputs();
      const agentId = cloud.usageMeters.default.uuid;
      assert.equal(outputs.agentId, agentId);
      assert.equal(outputs.registrationState, "registered");
      const listed = cloud.admin.reports().filter((r) => r.agentId === agentId);
      const refs = (outputs.latestReportRefs as Array<{ ref: string }>).map((r) => r.ref).sort();
      assert.ok(refs.length > 0, "the latest month has reports");
      assert.deepEqual(
        refs,
        listed
          .filter((r) => `${r.year}-${String(r.month).padStart(2, "0")}` === outputs.reportsMonth)
          .map((r) => r.ref)
          .sort(),
      );
      const summary = outputs.latestReportSummary as { columns: string[]; rows: number };
      assert.ok(summary.columns.includes("product_type") && summary.rows > 0, JSON.stringify(summary));
      await example.destroy();
      assert.equal(cloud.admin.registration(agentId).deleted, false, "left registered: withdrawOnDelete is not set");
    } finally {
      await disposeChecked(example).finally(() => cloud.close());
    }
  });
});

describe("examples/vcloud-air through the real Pulumi engine", function () {
  this.timeout(300_000);
  let emulator: RunningEmulator | undefined;
  let stack: LocalStack | undefined;
  after(async () => {
    try {
      if (stack) await disposeChecked(stack);
    } finally {
      await emulator?.close();
    }
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

describe("every example type-checks as its own project", function () {
  // Each folder of examples/ with its own tsconfig.json (the fleet's too), as CI sees it. Previews:
  // above for quickstart, registration and vcloud-air; examples/commerce uses @pulumi/random, whose
  // plugin cannot be installed on these machines, so it cannot run under the engine here: its
  // program runs with Pulumi's mocks in test/integration/commerce-example.test.ts; examples/fleet
  // drives the engine itself (Automation API) in its own end-to-end test.
  this.timeout(300_000);
  const examples = readdirSync(join(REPO_ROOT, "examples"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  it("examples/ holds the examples the README lists", () =>
    assert.deepEqual(
      ["commerce", "fleet", "quickstart", "registration", "vcloud-air"].filter((name) => !examples.includes(name)),
      [],
    ));
  for (const example of examples) {
    it(`examples/${example} (tsc --noEmit -p examples/${example})`, async () => {
      const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
      const result = await runCommand(process.execPath, [
        tsc,
        "--noEmit",
        "-p",
        join(REPO_ROOT, "examples", example, "tsconfig.json"),
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });
  }
});
