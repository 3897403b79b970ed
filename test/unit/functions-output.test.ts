import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import sinon from "sinon";
import { RunningEmulator, startEmulator } from "../../emulator";
import { clearCredentials } from "../../provider/auth/token-source";
import { forgetProgramClients } from "../../functions/program-clients";
import { getUsageMeterInfo, getUsageMeterInfoOutput } from "../../functions/usage-meter";
import { stubLogs } from "./support";

/** An Output's value and whether it is secret (the SDK keeps both as internal promises). */
async function settle<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const internal = output as unknown as { promise(): Promise<T>; isSecret: Promise<boolean> };
  return { value: await internal.promise(), secret: await internal.isSecret };
}

describe("Functions in a program (Pulumi mocks)", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startEmulator({ quiet: true, usageMeters: { default: {}, east: {} } });
    await pulumi.runtime.setMocks(
      { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
      "project",
      "stack",
      false,
    );
  });
  after(() => emulator.close());
  beforeEach(() => {
    stubLogs();
    clearCredentials();
    forgetProgramClients();
    const east = emulator.usageMeters.east;
    pulumi.runtime.setAllConfig(
      {
        "vcpp:usageMeterUrl": emulator.usageMeters.default.url,
        "vcpp:usageMeterPassword": emulator.usageMeters.default.password,
        "vcpp:usageMeters": JSON.stringify({ east: { url: east.url, user: east.user, password: east.password } }),
        "vcpp:caCertificates": emulator.caPem,
      },
      ["vcpp:usageMeterPassword", "vcpp:usageMeters"],
    );
  });
  afterEach(() => {
    sinon.restore();
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });

  it("the Output form reads the vcpp:* stack config and gives a plain result for plain arguments", async () => {
    const { value, secret } = await settle(getUsageMeterInfoOutput());
    assert.equal(value.agentId, emulator.usageMeters.default.uuid);
    assert.equal(secret, false);
  });

  it("the Output form waits for Input arguments and keeps a result from a secret argument secret", async () => {
    const name = pulumi.secret("east");
    const { value, secret } = await settle(getUsageMeterInfoOutput({ usageMeter: name }));
    assert.equal(value.agentId, emulator.usageMeters.east.uuid);
    assert.equal(secret, true);
  });

  it("builds the clients once per process: later functions reuse the first one's login", async () => {
    const before = emulator.admin.appliance("default").logins;
    await settle(getUsageMeterInfoOutput());
    await getUsageMeterInfo();
    await settle(getUsageMeterInfoOutput({ usageMeter: pulumi.output("default") }));
    assert.equal(emulator.admin.appliance("default").logins, before + 1);
  });
});
