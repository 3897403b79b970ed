import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { VcppOrder } from "../../resources/vcpp-order";

/** An Output's value (the SDK keeps it as an internal promise). */
const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => (output as unknown as { promise(): Promise<T> }).promise();

// The random plugin cannot be installed on these machines: a program using it is proven with Pulumi's mocks.
describe("A program ordering with an orderKey from @pulumi/random (Pulumi mocks)", () => {
  const registered: Record<string, Record<string, unknown>> = {};
  before(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered[args.name] = { type: args.type, ...args.inputs };
          const state =
            args.type === "random:index/randomUuid:RandomUuid"
              ? { ...args.inputs, result: "6c1f7a0e-2d4b-4b7e-9a51-0f3c2e8d9b17" }
              : args.inputs;
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "commerce",
      "prod",
      false,
    ),
  );

  it("the order's key is the RandomUuid's result, known (in state) before the order is created", async () => {
    const key = new random.RandomUuid("hcx-addon-key", { keepers: { contractNumber: "12611521" } });
    const order = new VcppOrder(
      "hcx-addon",
      {
        contractNumber: "12611521",
        poType: "ADDON_REQUEST",
        lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1, serviceInstanceId: "M495240516" }],
        orderKey: key.result,
      },
      { protect: true },
    );
    assert.equal(await valueOf(order.orderKey), "6c1f7a0e-2d4b-4b7e-9a51-0f3c2e8d9b17");
    const inputs = registered["hcx-addon"];
    assert.equal(inputs.type, "pulumi-nodejs:dynamic/vcpp:VcppOrder");
    assert.equal(inputs.orderKey, "6c1f7a0e-2d4b-4b7e-9a51-0f3c2e8d9b17");
    assert.equal(registered["hcx-addon-key"].type, "random:index/randomUuid:RandomUuid");
    // The serialized provider is the shim: a require of the installed package, no credentials.
    assert.match(String(inputs.__provider), /pulumi-vcpp\/dynamic/);
  });

  it("without an orderKey, the key is <project>/<stack>/<name>: the same on every run", async () => {
    const order = new VcppOrder("plain", {
      contractNumber: "12611521",
      poType: "NEW_SERVICE_REQUEST",
      lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
    });
    assert.equal(await valueOf(order.orderKey), "commerce/prod/plain");
  });
});
