/**
 * What a user reads when an expected failure (bad config, refused credentials) stops `pulumi
 * preview`, `up` or `destroy`: the package's message once, against the resource (or the stack,
 * for a function the program calls), without a stack trace and without the "X: X" doubling of
 * Pulumi's dynamic-provider server.
 */
import { strict as assert } from "node:assert";
import { CommandResult } from "../../scripts/local-stack";
import { E2eStack } from "./helpers";

const product = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda" };

describe("Expected failures through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  let goodUrl: string;

  before(async function () {
    e2e = await E2eStack.start(this);
    goodUrl = e2e.emulator.usageMeters.default.url;
    await e2e.declare({ products: { vcda: product } }, { vcda: "vcda-Secret-7" });
    await e2e.stack.up();
  });
  after(async () => {
    if (e2e) await e2e.dispose();
  });

  it("bad config: pulumi preview names the key once, without a stack trace", async () => {
    await e2e.stack.setConfig("vcpp:usageMeterUrl", goodUrl.replace("https:", "http:"));
    try {
      const message = reportedOnce(await e2e.stack.pulumi(["preview"]), "vcda");
      assert.match(message, /vcpp:usageMeterUrl/);
    } finally {
      await e2e.stack.setConfig("vcpp:usageMeterUrl", goodUrl);
    }
  });

  it("a function the program calls is refused: the stack says so once, without a stack trace", async () => {
    const vca = e2e.emulator.vcaAccounts.default;
    await e2e.stack.setAllConfig({
      "vcpp:vcaUrl": vca.vcaUrl,
      "vcpp:vcaUser": vca.vcaUser,
      "vcpp:vcaPassword": { secret: "not-the-vca-password" },
    });
    await e2e.declare(
      { products: { vcda: product }, vcaFunctions: { servicesAccount: "default" } },
      { vcda: "vcda-Secret-7" },
    );
    try {
      const result = await e2e.stack.pulumi(["preview"]);
      const output = `${result.stdout}\n${result.stderr}`;
      assert.notEqual(result.code, 0, output);
      const [, diagnostics = ""] = result.stdout.split(/^Diagnostics:$/m);
      const errors = [...diagnostics.matchAll(/^ {4}error: (.+)$/gm)].map((m) => m[1]);
      assert.deepEqual(errors.length, 1, `one error in the Diagnostics:\n${diagnostics}`);
      assert.match(errors[0], /^vCloud Air: log in failed .*: 401 .*check them in the stack config/);
      assert.doesNotMatch(output, /unhandled exception/);
      assert.doesNotMatch(output, / {4}at .*:\d+:\d+\)?$/m, "a stack trace is shown");
      assert.doesNotMatch(output, /(Service|Config|Vcpp)Error\b/, "the error's class name is shown");
    } finally {
      await e2e.declare({ products: { vcda: product } }, { vcda: "vcda-Secret-7" });
    }
  });

  describe("with refused credentials", () => {
    before(async () => {
      await e2e.stack.setConfig("vcpp:usageMeterPassword", "not-the-password", { secret: true });
      // Refresh configures the provider with the config recorded by the last update: an up with
      // nothing to change (no login needed) records the wrong password.
      await e2e.stack.up();
    });

    it("pulumi preview --refresh (read) says so once, without a stack trace", async () => {
      const message = reportedOnce(await e2e.stack.pulumi(["preview", "--refresh"]), "vcda");
      assert.match(message, /refused the credentials.*vcpp:usageMeterPassword/);
    });

    it("pulumi up (create) says so once, without a stack trace", async () => {
      await e2e.declare(
        { products: { vcda: product, other: { ...product, host: "other.example.com" } } },
        { vcda: "vcda-Secret-7" },
      );
      const message = reportedOnce(await e2e.stack.pulumi(["up", "--yes", "--skip-preview"]), "other");
      assert.match(message, /refused the credentials.*vcpp:usageMeterPassword/);
    });

    it("pulumi destroy (delete) says so once, without a stack trace", async () => {
      const message = reportedOnce(await e2e.stack.pulumi(["destroy", "--yes", "--skip-preview"]), "vcda");
      assert.match(message, /refused the credentials.*vcpp:usageMeterPassword/);
    });
  });
});

/**
 * The failed command's error for the resource, checked to be reported once: in Diagnostics once,
 * elsewhere only on that resource's own progress rows (the engine's non-interactive display
 * repeats a resource's status there; a terminal updates one row), never as the plugin's stderr
 * against the stack, never doubled, with no stack trace anywhere.
 */
function reportedOnce(result: CommandResult, resource: string): string {
  const output = `${result.stdout}\n${result.stderr}`;
  assert.notEqual(result.code, 0, `the command should have failed:\n${output}`);
  const [progress, diagnostics = ""] = result.stdout.split(/^Diagnostics:$/m);
  const errorLine = diagnostics.match(
    new RegExp(`^  \\S+ \\(${resource}\\):\\n    error: (?:Preview failed: )?(.+)$`, "m"),
  );
  assert.ok(errorLine, `no error for ${resource} in the Diagnostics:\n${output}`);
  const message = errorLine[1];

  assert.equal(occurrences(diagnostics, message), 1, `Diagnostics repeat the message:\n${diagnostics}`);
  const rows = progress.split("\n").filter((row) => row.includes(message));
  assert.deepEqual(
    rows.filter((row) => !row.includes(` ${resource} `)),
    [],
    "the message is shown on another row than the resource's",
  );
  assert.ok(!output.includes(`${message}: `), `the message is doubled:\n${output}`);
  assert.doesNotMatch(output, / {4}at .*:\d+:\d+\)?$/m, "a stack trace is shown");
  assert.doesNotMatch(output, /(Service|Config|Vcpp)Error\b/, "the error's class name is shown");
  return message;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}
