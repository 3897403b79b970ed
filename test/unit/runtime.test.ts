/**
 * The suites run on the Node the repository pins (the `node` devDependency, first on PATH for
 * every npm script and `npx`), not on whatever Node the machine has: the Pulumi engine spawned by
 * the end-to-end tests runs the program and the dynamic provider with the `node` on that PATH.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8"));
const major = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

describe("runtime", () => {
  it("runs the tests on the pinned Node", () => {
    assert.equal(
      process.version,
      `v${manifest.devDependencies.node}`,
      "run the tests through npm (npm test, npx mocha)",
    );
  });

  it("puts the pinned Node first on PATH, where the engine finds it for the program and provider", () => {
    const onPath = execFileSync("node", ["--version"], { encoding: "utf8" }).trim();
    assert.equal(onPath, `v${manifest.devDependencies.node}`);
  });

  it("pins a Node that the package's engines and @pulumi/pulumi's accept", () => {
    const sdk = JSON.parse(readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8"));
    for (const range of [manifest.engines.node, sdk.engines.node]) {
      const floor = /^>=\s*(\d+)/.exec(range)?.[1];
      assert.ok(
        floor !== undefined && major(process.version) >= Number(floor),
        `Node ${process.version} is not ${range}`,
      );
    }
  });
});
