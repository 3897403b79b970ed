/**
 * The GitHub Actions workflows the README gives for the fleet (a roll-out matrix, a nightly drift
 * check) cannot run here; what can be checked is checked: each is valid YAML, every action is
 * pinned to a major version, and every `fleet.js` command line names a file the build emits, from
 * a folder that exists, with flags the fleet's own parser accepts.
 */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import yaml from "js-yaml";
import { parseOptions } from "../../examples/fleet/options";

const REPO_ROOT = resolve(__dirname, "..", "..", "..");

interface Step {
  uses?: string;
  run?: string;
  "working-directory"?: string;
}
interface Workflow {
  name: string;
  jobs: Record<string, { steps: Step[] }>;
}

/** The README's YAML blocks that are workflows (the others are inventories and single steps). */
function readmeWorkflows(): Workflow[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  return blocks.flatMap((text) => {
    if (!/^jobs:/m.test(text)) return [];
    return [yaml.load(text) as Workflow];
  });
}

/** A shell command line's words: quotes removed, `${{ … }}` expressions as one word. */
const words = (command: string) => [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);

describe("the README's GitHub Actions workflows for the fleet", () => {
  const workflows = readmeWorkflows();

  it("are there, and each is valid YAML with jobs and steps", () => {
    assert.deepEqual(
      workflows.map((w) => w.name),
      ["fleet", "drift"],
    );
    for (const workflow of workflows)
      for (const [job, { steps }] of Object.entries(workflow.jobs))
        assert.ok(Array.isArray(steps) && steps.length > 0, `${workflow.name}.${job} has steps`);
  });

  it("pin every action to a major version", () => {
    const uses = workflows.flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.flatMap((s) => s.uses ?? [])));
    assert.ok(uses.includes("pulumi/actions@v7"), uses.join(", "));
    for (const action of uses) assert.match(action, /^[\w-]+\/[\w-]+@v\d+$/);
  });

  it("run fleet.js as the build emits it, from a folder that exists, with flags the fleet accepts", () => {
    const runs = workflows.flatMap((w) =>
      Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.run?.includes("fleet.js"))),
    );
    assert.equal(runs.length, 2, "the roll-out and the drift check");
    for (const step of runs) {
      const cwd = join(REPO_ROOT, step["working-directory"] ?? ".");
      assert.ok(existsSync(cwd), `${step["working-directory"]} exists`);
      const [node, script, ...args] = words(step.run!.trim());
      assert.equal(node, "node");
      // dist/X.js is what tsc (outDir dist, rootDir .) emits for X.ts.
      const source = relative(join(REPO_ROOT, "dist"), resolve(cwd, script)).replace(/\.js$/, ".ts");
      assert.ok(existsSync(join(REPO_ROOT, source)), `${script} is built from ${source}`);
      const options = parseOptions(args.map((a) => a.replace(/\$\{\{[^}]*\}\}/g, "lyon")));
      assert.notEqual(options, "help");
      assert.ok(
        options !== "help" && options.backend.startsWith("s3://"),
        "state in a shared backend, not on the runner",
      );
    }
  });

  it("list the sites the roll-out matrix runs from the inventory's names (what its yq query reads)", () => {
    const inventory = yaml.load(readFileSync(join(REPO_ROOT, "examples", "fleet", "sites.yaml"), "utf8")) as {
      sites: { name: string }[];
    };
    assert.ok(inventory.sites.length > 0 && inventory.sites.every((s) => typeof s.name === "string"));
  });
});
