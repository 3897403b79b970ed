import { strict as assert } from "node:assert";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import sinon from "sinon";
import { RunningEmulator, startEmulator } from "../../emulator";
import { clearCredentials } from "../../provider/auth/token-source";
import { forgetProgramClients } from "../../functions/program-clients";
import { REPO_ROOT } from "../../scripts/local-stack";

const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => (output as unknown as { promise(): Promise<T> }).promise();
const UUID = "0b6f3b7e-5d0c-4a39-8f43-3c1d2e9a7b55";

// The example uses @pulumi/random, whose plugin cannot be installed here, so it cannot run under
// the real engine on these machines: its functions run for real against the emulator, and its
// resources are registered with Pulumi's mocks (no order is placed).
describe("examples/commerce (Pulumi mocks, functions against the emulator)", () => {
  let emulator: RunningEmulator;
  const registered: Record<string, { type: string; inputs: Record<string, unknown> }> = {};
  before(async () => {
    emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error" });
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered[args.name] = { type: args.type, inputs: args.inputs };
          const random = args.type === "random:index/randomUuid:RandomUuid";
          return { id: `${args.name}-id`, state: random ? { ...args.inputs, result: UUID } : args.inputs };
        },
        call: (args) => args.inputs,
      },
      "vcpp-commerce",
      "dev",
      false,
    );
    clearCredentials();
    forgetProgramClients();
    sinon.stub(pulumi.log, "info");
    pulumi.runtime.setAllConfig(
      {
        "vcpp:commerceTokenUrl": emulator.commerceTokenUrl,
        "vcpp:commerceUrl": emulator.commerceUrl,
        "vcpp:commerceClientId": emulator.commerceClientId,
        "vcpp:commerceClientSecret": emulator.commerceClientSecret,
        "vcpp:caCertificates": emulator.caPem,
        "vcpp-commerce:contractNumber": "12611521",
        "vcpp-commerce:serviceInstanceId": "M495240519",
        "vcpp-commerce:addonPartNumber": "ADD-AACLS-12AT0-C1S",
        "vcpp-commerce:quantity": "25",
      },
      ["vcpp:commerceClientSecret"],
    );
  });
  after(async () => {
    sinon.restore();
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
    await emulator.close();
  });

  it("reads the contracts and eligible products, and declares a protected add-on order keyed by a RandomUuid", async () => {
    // Loaded as the language host loads a program, once the mocks and config are set.
    const example = (await import(join(REPO_ROOT, "dist", "examples", "commerce", "index.js"))) as Record<
      string,
      pulumi.Output<unknown>
    >;
    const contracts = (await valueOf(example.contracts)) as { contractNumber: string }[];
    assert.deepEqual(
      contracts.map((c) => c.contractNumber),
      ["12611521", "12722872", "12833914"],
    );
    assert.ok(((await valueOf(example.eligibleParts)) as string[]).includes("HCX-ALLCR-03PT0-C1S"));
    assert.ok(((await valueOf(example.addonParts)) as string[]).includes("ADD-AACLS-12AT0-C1S"));
    await valueOf(example.requestId);
    const order = registered.addon;
    assert.equal(order.type, "pulumi-nodejs:dynamic/vcpp:VcppOrder");
    assert.equal(order.inputs.orderKey, UUID);
    assert.equal(order.inputs.poType, "ADDON_REQUEST");
    assert.deepEqual(order.inputs.lineItems, [
      { partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" },
    ]);
    assert.deepEqual(registered["addon-order-key"].inputs.keepers, {
      contractNumber: "12611521",
      serviceInstanceId: "M495240519",
      partNumber: "ADD-AACLS-12AT0-C1S",
      quantity: "25",
    });
    assert.equal(emulator.admin.commerceOrderCount(), 0);
  });
});
