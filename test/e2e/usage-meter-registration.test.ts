import { strict as assert } from "node:assert";
import { changedInputs } from "../../scripts/local-stack";
import { RunningEmulator } from "../../emulator";
import { cloudConfig, defaultConfig, E2eStack, leaksOutsideEngineTracing, nameOf } from "./helpers";

/** The quickstart's config plus the Cloud Partner Navigator keys, the API token as a secret. */
const quickstartAndCloud = (emulator: RunningEmulator) => ({ ...defaultConfig(emulator), ...cloudConfig(emulator) });

const um = { usageMeter: "default", contractNumber: "12345678", label: "um-lyon", meteringMode: "TEST" };

describe("UsageMeterRegistration through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const logs: string[] = [];
  const record = () => e2e.emulator.admin.registration(e2e.emulator.usageMeters.default.uuid);
  const writes = () => e2e.emulator.writes().map((r) => `${r.method} ${r.service}`);
  const run = async <T extends { stdout: string; stderr: string }>(command: Promise<T>): Promise<T> => {
    const result = await command;
    logs.push(result.stdout, result.stderr);
    return result;
  };

  before(async function () {
    e2e = await E2eStack.start(this, {
      emulator: { usageInsight: { registrationDelayMs: 1_500 } },
      config: quickstartAndCloud,
    });
  });
  after(async () => e2e?.dispose());

  it("pulumi up registers the appliance read from the Usage Meter, following the registration until it completes", async () => {
    await e2e.declare({ registrations: { um } });
    const up = await run(e2e.stack.up());
    assert.match(up.stdout + up.stderr, /Waiting up to 600 s for Usage Insight to complete the registration/);
    assert.equal(record().contractNumber, "12345678");
    assert.equal(record().label, "um-lyon");
    assert.equal(record().inProgress, false);
    assert.deepEqual((await e2e.stack.outputs()).registrationStates, { um: "registered" });
    assert.equal(e2e.emulator.admin.cspExchanges().api_token, 1, "one token exchange for the provider process");
  });

  it("a second preview plans nothing", async () => {
    const preview = await e2e.stack.preview();
    assert.deepEqual(preview.changes, []);
  });

  it("pulumi preview --refresh shows a label changed in the portal; pulumi up --refresh puts it back in place", async () => {
    e2e.emulator.admin.changeRegistration(record().agentId, { label: "renamed-in-portal" });
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "um"]],
    );
    const [drift] = preview.changes;
    assert.deepEqual(changedInputs(drift), ["label"]);
    assert.equal(drift.oldState?.inputs?.label, "renamed-in-portal");
    assert.equal(drift.newState?.inputs?.label, "um-lyon");
    assert.deepEqual(writes(), [], "a preview writes nothing");

    await run(e2e.stack.up({ refresh: true }));
    assert.equal(record().label, "um-lyon");
    assert.deepEqual(writes(), ["PATCH usage-metering-agents"], "repaired in place, not registered again");
  });

  it("removing it from the program leaves the registration in the portal, with a warning; declaring it again adopts it", async () => {
    await e2e.declare({ registrations: {} });
    const up = await run(e2e.stack.up());
    assert.match(up.stdout + up.stderr, /left registered in the Cloud Partner Navigator.*billing reports continue/);
    assert.equal(record().deleted, false);
    e2e.emulator.admin.clearRequests();
    await e2e.declare({ registrations: { um: { ...um, withdrawOnDelete: true } } });
    await run(e2e.stack.up());
    assert.deepEqual(writes(), [], "adopted: nothing registered again");
  });

  it("pulumi stack export and the engine's output, verbose too, hold neither the API token nor an access token", async () => {
    const verbose = ["-v=9", "--logtostderr"];
    for (const args of [
      ["refresh", "--yes", "--skip-preview", ...verbose],
      ["preview", "--refresh", ...verbose],
    ])
      await run(e2e.stack.pulumiOk(args));
    const issued = e2e.emulator.admin.issuedAccessTokens();
    assert.ok(issued.length >= 2, "the emulator issued access tokens (so this check can fail)");
    assert.ok(e2e.secrets.includes(e2e.emulator.cspApiToken), "the API token is among the secrets looked for");
    const state = await e2e.stack.exportState();
    assert.ok(state.includes("UsageMeterRegistration"), "the export holds the registration");
    assert.deepEqual(e2e.leakedIn(state), []);
    assert.ok(logs.join("").includes("UsageMeterRegistration"), "the provider's activity is in the logs");
    assert.deepEqual(leaksOutsideEngineTracing(e2e, logs), []);
  });

  it("pulumi destroy withdraws a registration declared with withdrawOnDelete", async () => {
    const destroy = await run(e2e.stack.destroy());
    assert.match(destroy.stdout + destroy.stderr, /withdrawn; its billing reports stop/);
    assert.equal(record().deleted, true);
  });
});
