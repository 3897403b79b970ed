import { strict as assert } from "node:assert";
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
