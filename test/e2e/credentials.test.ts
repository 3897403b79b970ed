import { strict as assert } from "node:assert";
import { E2eStack } from "./helpers";

/**
 * The stale-credentials trap: refresh runs the provider with the stack config recorded in state
 * by the last `pulumi up`, so a corrected password is not used until something records it.
 */
describe("Usage Meter credentials through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  let password: string;
  const wrong = "um-wrong-Password-7";
  const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;

  before(async function () {
    e2e = await E2eStack.start(this);
    password = e2e.emulator.usageMeters.default.password;
    e2e.secrets.push(wrong);
    await e2e.declare({ proxies: { network: { type: "none" } } });
    await e2e.stack.up();
  });
  after(async () => e2e?.dispose());

  it("pulumi stack export: secret config encrypted, plain config in plain text, with the provider", async () => {
    const state = JSON.parse(await e2e.stack.exportState()) as {
      deployment: { resources: Array<{ type: string; inputs?: Record<string, unknown> }> };
    };
    const provider = state.deployment.resources.find((r) => r.type === "pulumi:providers:pulumi-nodejs");
    const inputs = provider?.inputs ?? {};
    assert.equal(
      inputs["vcpp:usageMeterUrl"],
      e2e.emulator.usageMeters.default.url,
      "set without --secret: plain text",
    );
    assert.match(
      JSON.stringify(inputs["vcpp:usageMeterPassword"]),
      /"ciphertext":"v1:/,
      "set with --secret: encrypted",
    );
    assert.deepEqual(e2e.leakedIn(JSON.stringify(state)), []);
  });

  it("a wrong password recorded by pulumi up fails preview --refresh with a hint naming the way out", async () => {
    await e2e.stack.setConfig("vcpp:usageMeterPassword", wrong, { secret: true });
    // Nothing to change, so no call is made: up succeeds, and records the wrong password in state.
    await e2e.stack.up();
    const failed = await e2e.stack.pulumi(["preview", "--refresh"]);
    assert.notEqual(failed.code, 0);
    assert.match(output(failed), /401 GW_LOGIN_FAILED/);
    assert.match(output(failed), /use the configuration recorded in state by the last pulumi up/);
    assert.deepEqual(e2e.leakedIn(output(failed)), []);
  });

  it("after restoring the password, refresh still uses the recorded one; --run-program and pulumi up get out", async () => {
    await e2e.stack.setConfig("vcpp:usageMeterPassword", password, { secret: true });
    const stale = await e2e.stack.pulumi(["preview", "--refresh"]);
    assert.notEqual(stale.code, 0, "the engine refreshes with the configuration recorded in state");
    assert.match(output(stale), /pulumi preview --refresh --run-program/);

    await e2e.stack.pulumiOk(["preview", "--refresh", "--run-program"]);
    await e2e.stack.pulumiOk(["refresh", "--yes", "--skip-preview", "--run-program"]);
    assert.deepEqual(
      (await e2e.stack.preview({ refresh: true })).changes,
      [],
      "refresh --run-program recorded the restored password",
    );

    await e2e.stack.setConfig("vcpp:usageMeterPassword", wrong, { secret: true });
    await e2e.stack.up();
    await e2e.stack.setConfig("vcpp:usageMeterPassword", password, { secret: true });
    await e2e.stack.up();
    assert.deepEqual((await e2e.stack.preview({ refresh: true })).changes, [], "a plain pulumi up recorded it too");
    await e2e.stack.destroy();
  });
});
