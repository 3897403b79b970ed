import { strict as assert } from "node:assert";
import { join } from "node:path";
import { startEmulator, RunningEmulator } from "../../emulator";
import { LocalStack, REPO_ROOT, runCommand } from "../../scripts/local-stack";
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

  // It uses @pulumi/random, whose plugin cannot be installed on these machines: it cannot run under
  // the engine here. Its program is run with Pulumi's mocks in test/integration/commerce-example.test.ts.
  it("examples/commerce type-checks as its own project (tsc)", async () => {
    const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = await runCommand(process.execPath, [
      tsc,
      "--noEmit",
      "-p",
      join(REPO_ROOT, "examples", "commerce", "tsconfig.json"),
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});
