import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { getPendingCertificates, getUsageMeterInfo } from "../../functions/usage-meter";
import { forgetProgramClients } from "../../functions/program-clients";
import { MeteredProductProvider } from "../../resources/metered-product";
import { RunningEmulator } from "../../emulator";
import {
  checked,
  contextFor,
  loginRequests,
  namedAppliancesConfig,
  stackConfigFor,
  withEmulator,
} from "../helpers/emulator";

/** Sets the program's stack config (the runtime's, as the language host does) to point at the emulator. */
function programConfig(emulator: RunningEmulator, extra: Record<string, string> = {}): void {
  const config = Object.fromEntries(
    Object.entries(stackConfigFor(emulator, extra)).map(([key, value]) => [`vcpp:${key}`, value]),
  );
  pulumi.runtime.setAllConfig(config, ["vcpp:usageMeterPassword", "vcpp:usageMeters"]);
}

describe("Usage Meter functions against the emulator", () => {
  afterEach(() => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });

  it("getUsageMeterInfo reports the appliance's UUID as agentId, its major.minor version and build", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      const info = await getUsageMeterInfo();
      assert.deepEqual(info, {
        usageMeter: "default",
        agentId: emulator.usageMeters.default.uuid,
        version: "4.8",
        build: "24154917",
      });
      assert.ok(emulator.requests.some((r) => r.path.endsWith("/agent_info") && r.query.includes("um_uuid=true")));
    }));

  it("getUsageMeterInfo reads a named 9.x appliance of vcpp:usageMeters", () =>
    withEmulator(
      async (emulator) => {
        programConfig(emulator, namedAppliancesConfig(emulator));
        const info = await getUsageMeterInfo({ usageMeter: "nine" });
        assert.equal(info.agentId, emulator.usageMeters.nine.uuid);
        assert.equal(info.version, "9.0");
        assert.equal(loginRequests(emulator, "nine").length, 1);
      },
      { usageMeters: { default: {}, nine: { version: "9" } } },
    ));

  it("getPendingCertificates lists a registered product's certificate with its fingerprint", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      assert.deepEqual(await getPendingCertificates(), { usageMeter: "default", certificates: [] });
      const product = await emulator.admin.addProduct("default", {
        productType: "VCAV",
        host: "vcda.example.com",
        user: "root",
        password: "root-secret",
      });
      const { certificates } = await getPendingCertificates();
      assert.equal(certificates.length, 1);
      const [certificate] = certificates;
      assert.equal(certificate.productId, product.id);
      assert.equal(certificate.productType, "VCAV");
      assert.equal(certificate.certificateId, "vcda.example.com:443");
      assert.equal(certificate.fingerprintSha256, await emulator.admin.certificateFingerprint("vcda.example.com", 443));
      assert.match(certificate.subject ?? "", /vcda\.example\.com/);
      assert.ok(certificate.notAfter && Date.parse(certificate.notAfter) > Date.now(), certificate.notAfter);
    }));

  it("an appliance name missing from vcpp:usageMeters is an error that says how to add it", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      await assert.rejects(
        getUsageMeterInfo({ usageMeter: "lab" }),
        /usageMeter "lab" is not configured: vcpp:usageMeters is not set/,
      );
      assert.deepEqual(emulator.requests, []);
    }));

  it("a missing vcpp:usageMeterUrl is an error naming the key", async () => {
    pulumi.runtime.setAllConfig({ "vcpp:usageMeterPassword": "x-secret" }, ["vcpp:usageMeterPassword"]);
    await assert.rejects(getPendingCertificates(), /vcpp:usageMeterUrl is not set/);
  });

  it("two resources and one function needing the same appliance cause a single login in one process", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      const provider = new MeteredProductProvider(contextFor(emulator));
      const create = async (host: string) =>
        provider.create(await checked(provider, { productType: "VCAV", host, user: "root", password: "root-secret" }));
      const [first, second, info] = await Promise.all([
        create("vcda-1.example.com"),
        create("vcda-2.example.com"),
        getUsageMeterInfo(),
      ]);
      assert.notEqual(first.id, second.id);
      assert.equal(info.agentId, emulator.usageMeters.default.uuid);
      assert.equal(loginRequests(emulator).length, 1);
      assert.equal(emulator.admin.appliance().logins, 1);
    }));
});
