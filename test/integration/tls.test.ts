/**
 * TLS, for every service: a certificate that is not trusted stops the first call with a hint to
 * set `vcpp:caCertificates`; `insecureSkipTlsVerify` lets it through and says so on every run.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { RunningEmulator } from "../../emulator";
import { getCommitContracts } from "../../functions/commerce";
import { forgetProgramClients } from "../../functions/program-clients";
import { getAgentRegistration } from "../../functions/usage-insight";
import { getUsageMeterInfo } from "../../functions/usage-meter";
import { getVcaPlans, getVcaServices } from "../../functions/vcloud-air";
import { ServiceError } from "../../provider/errors";
import { ClientRegistry } from "../../provider/registry";
import { capturingLogs, everyServiceConfig, setProgramConfig, withEmulator } from "../helpers/emulator";

/** Every service's keys pointing at the emulator, without its CA: its certificate is not trusted. */
function untrustedConfig(emulator: RunningEmulator): Record<string, string> {
  const { caCertificates: _trusted, ...untrusted } = everyServiceConfig(emulator);
  return untrusted;
}

/** The first call of each service, as a user makes it (the function that talks to it). */
const FIRST_CALLS: [service: RegExp, call: (emulator: RunningEmulator) => Promise<unknown>][] = [
  [/^Usage Meter: /, () => getUsageMeterInfo()],
  [/^Cloud Partner Navigator: /, (e) => getAgentRegistration({ agentId: e.usageMeters.default.uuid })],
  [/^VCPP commerce token: /, () => getCommitContracts()],
  [/^vCloud Air: /, () => getVcaPlans()],
  [/^vCloud Air: /, () => getVcaServices({ vcaAccount: "dedicated" })],
];

describe("TLS for every service", () => {
  afterEach(() => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });

  for (const [service, call] of FIRST_CALLS) {
    it(`${service.source.slice(1, -2)}: an untrusted certificate fails with the hint to set vcpp:caCertificates`, () =>
      withEmulator(async (emulator) => {
        setProgramConfig(untrustedConfig(emulator));
        const error = await call(emulator).then(
          () => assert.fail("an untrusted certificate was accepted"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ServiceError, String(error));
        assert.equal(error.code, "TLS");
        assert.match(error.message, service);
        assert.match(error.message, /TLS certificate is not trusted: add its CA \(PEM\) to vcpp:caCertificates/);
        assert.doesNotMatch(error.message, /--use-system-ca/, "Node's advice for its own command line is left out");
        // The handshake failed: the server never saw the request.
        assert.deepEqual(emulator.requests, []);
      }));
  }

  it("a server presenting another certificate than the trusted CA's is refused with the same hint; one of another name says so", () =>
    withEmulator(async (emulator) => {
      setProgramConfig({ ...untrustedConfig(emulator), caCertificates: emulator.caPem });
      await emulator.admin.presentCertificate("untrusted");
      const untrusted = await getUsageMeterInfo().then(
        () => assert.fail("a self-signed certificate was accepted"),
        (e: unknown) => e,
      );
      assert.ok(untrusted instanceof ServiceError && untrusted.code === "TLS", String(untrusted));
      assert.match(untrusted.message, /add its CA \(PEM\) to vcpp:caCertificates/);
      await emulator.admin.presentCertificate("wrong-name");
      forgetProgramClients();
      setProgramConfig({ ...untrustedConfig(emulator), caCertificates: emulator.caPem });
      const wrongName = await getUsageMeterInfo().then(
        () => assert.fail("a certificate of another name was accepted"),
        (e: unknown) => e,
      );
      assert.ok(wrongName instanceof ServiceError && wrongName.code === "TLS", String(wrongName));
      assert.match(wrongName.message, /issued for DNS:other\.example\.com, not for 127\.0\.0\.1: use one of its names/);
      assert.deepEqual(emulator.requests, []);
    }));

  it("insecureSkipTlsVerify lets every service through, and warns on every configure, naming the key", () =>
    withEmulator((emulator) =>
      capturingLogs(async (messages) => {
        setProgramConfig({ ...untrustedConfig(emulator), insecureSkipTlsVerify: "true" });
        await getUsageMeterInfo();
        await getAgentRegistration({ agentId: emulator.usageMeters.default.uuid });
        await getCommitContracts();
        await getVcaPlans();
        await getVcaServices({ vcaAccount: "dedicated" });
        const warnings = () => messages.filter((m) => m.startsWith("warn: ") && /insecureSkipTlsVerify/.test(m));
        assert.equal(warnings().length, 1, "once for the program's configure");
        assert.match(warnings()[0], /TLS certificate verification is switched off \(vcpp:insecureSkipTlsVerify\)/);
        // A provider process configures once per run: each run warns, not only the first on a machine.
        const config = { ...untrustedConfig(emulator), insecureSkipTlsVerify: "true" };
        for (let run = 0; run < 2; run++) new ClientRegistry().configure((key) => config[key as keyof typeof config]);
        assert.equal(warnings().length, 3);
      }),
    ));

  it("a named appliance's own insecureSkipTlsVerify is warned about by its key; without it, nothing is", () =>
    withEmulator((emulator) =>
      capturingLogs(async (messages) => {
        const um = emulator.usageMeters.default;
        const named = { lab: { url: um.url, user: um.user, password: um.password, insecureSkipTlsVerify: true } };
        const config: Record<string, string> = { caCertificates: emulator.caPem, usageMeters: JSON.stringify(named) };
        new ClientRegistry().configure((key) => config[key]);
        assert.deepEqual(
          messages.filter((m) => m.startsWith("warn: ")).map((m) => /\(([^)]*)\)/.exec(m)?.[1]),
          ["vcpp:usageMeters.lab.insecureSkipTlsVerify"],
        );
        messages.length = 0;
        new ClientRegistry().configure((key) => (key === "usageMeters" ? undefined : config[key]));
        assert.deepEqual(messages, []);
      }),
    ));
});
