import { strict as assert } from "node:assert";
import { E2eStack, leaksOutsideEngineTracing } from "./helpers";

const passwords = { vcda: "vcda-root-Secret-4", tkgm: "tkgm-Secret-5", proxy: "proxy-Secret-6" };

describe("Secrets through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const verbose = ["-v=9", "--logtostderr"];
  const logs: string[] = [];

  before(async function () {
    // A 9.x appliance: its login hands out bearer and refresh tokens, which must not leak either.
    e2e = await E2eStack.start(this, { emulator: { usageMeters: { default: { version: "9" } } } });
    await e2e.declare(
      {
        proxies: {
          network: { type: "https", host: "proxy.corp.example", port: 443, user: "metering", password: "proxy" },
        },
        products: { vcda: { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda" } },
      },
      passwords,
    );
    // A refresh too: state then holds inputs as the appliance reports them, which must stay secret.
    for (const args of [
      ["up", "--yes", "--skip-preview", ...verbose],
      ["refresh", "--yes", "--skip-preview", ...verbose],
      ["preview", "--refresh", ...verbose],
    ]) {
      const result = await e2e.stack.pulumiOk(args);
      logs.push(result.stdout, result.stderr);
    }
  });
  after(async function () {
    if (e2e) {
      const result = await e2e.stack.pulumiOk(["destroy", "--yes", "--skip-preview", ...verbose]);
      logs.push(result.stdout, result.stderr);
      assert.deepEqual(leaksOutsideEngineTracing(e2e, logs), [], "no secret in the destroy logs");
      await e2e.dispose();
    }
  });

  it("the emulator handed out session and refresh tokens (so the checks below can fail)", () => {
    assert.ok(e2e.issuedCredentials().length >= 2);
    assert.equal(e2e.emulator.admin.appliance().proxy.password, passwords.proxy);
  });

  it("pulumi stack export holds no password, token or session id", async () => {
    const state = await e2e.stack.exportState();
    assert.ok(state.includes("vcda.example.com"), "the export holds the stack's resources");
    assert.deepEqual(e2e.leakedIn(state), []);
  });

  it("the serialized provider in state is a small shim without credentials", async () => {
    const state = JSON.parse(await e2e.stack.exportState()) as {
      deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
    };
    const dynamic = state.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/vcpp:"));
    assert.equal(dynamic.length, 2);
    for (const resource of dynamic) {
      const provider = String(resource.outputs?.__provider);
      assert.ok(provider.length < 10_000, `__provider is ${provider.length} characters`);
      assert.match(provider, /pulumi-vcpp\/dynamic/);
      assert.deepEqual(e2e.leakedIn(provider), []);
    }
  });

  it("the engine's verbose logs (-v=9 --logtostderr) hold no password, token or session id", () => {
    assert.ok(logs.join("").length > 10_000, "verbose logs were captured");
    assert.ok(logs.join("").includes("MeteredProduct"), "the provider's activity is in the logs");
    assert.deepEqual(leaksOutsideEngineTracing(e2e, logs), []);
  });
});
