import { strict as assert } from "node:assert";
import { MeteredProductProvider } from "../../resources/metered-product";
import { contextFor, withEmulator } from "../helpers/emulator";

const vcda = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" };

describe("MeteredProduct against the emulator", () => {
  it("registers a product, accepts its certificate and reports it metered", () =>
    withEmulator(async (emulator) => {
      const provider = new MeteredProductProvider(contextFor(emulator));
      const checked = await provider.check({}, vcda);
      assert.deepEqual(checked.failures, undefined);
      const created = await provider.create(checked.inputs);
      assert.equal(created.outs.metered, true);
      assert.equal(created.outs.status.code, "OK");
      assert.equal(created.outs.certificateFingerprint, await emulator.admin.certificateFingerprint("vcda.example.com", 443));
      assert.equal(emulator.admin.products().length, 1);
    }));
});
