/**
 * The import rules of .dependency-cruiser.cjs (`npm run deps`): the tree keeps them, and each rule
 * does fail on a tree that breaks it (test/fixtures/bad-imports, laid out like the project).
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/** The repository root (dist/test/unit → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");
const CONFIG = join(REPO_ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = join(REPO_ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations dependency-cruiser reports for the tree in `dir`, cruised as `npm run deps` cruises the project. */
async function violationsIn(dir: string): Promise<string[]> {
  const args = [DEPCRUISE, ".", "--config", CONFIG, "--output-type", "json"];
  // It exits non-zero when it finds violations; the JSON on stdout says which.
  const stdout = await promisify(execFile)(process.execPath, args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).then(
    (result) => result.stdout,
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe("import rules (dependency-cruiser)", function () {
  this.timeout(60_000);

  it("the project's tree keeps them", async () => {
    assert.deepEqual(await violationsIn(REPO_ROOT), []);
  });

  it("each rule fails on a tree that breaks it", async () => {
    const violations = await violationsIn(join(REPO_ROOT, "test", "fixtures", "bad-imports"));
    const sinon = violations.find((v) => v.startsWith("shipped-without-dev-dependencies: provider/client.ts → "));
    assert.ok(sinon?.includes("/sinon/"), `a dev dependency in shipped code is not reported: ${violations.join("\n")}`);
    assert.deepEqual(
      violations.filter((v) => v !== sinon),
      [
        "clients-below-resources: provider/client.ts → resources/thing.ts",
        "emulator-from-the-contract: emulator/server.ts → provider/client.ts",
        "no-circular: emulator/server.ts → provider/client.ts",
        "production-without-emulator: resources/thing.ts → emulator/server.ts",
      ],
    );
  });
});
