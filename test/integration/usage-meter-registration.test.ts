import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { forgetProgramClients } from "../../functions/program-clients";
import {
  getAgentRegistration,
  getAgentRegistrationOutput,
  getUsageReport,
  getUsageReports,
  getUsageReportsOutput,
} from "../../functions/usage-insight";
import { ResourceError, ServiceError } from "../../provider/errors";
import {
  UsageMeterRegistrationOutputs,
  UsageMeterRegistrationProvider,
} from "../../resources/usage-meter-registration";
import { EmulatorOptions, RunningEmulator } from "../../emulator";
import { capturingLogs, checked, contextFor, requestsTo, stackConfigFor, withEmulator } from "../helpers/emulator";

/** The `vcpp:` keys (without the prefix) that point the Cloud Partner Navigator settings at the emulator. */
const cloudConfig = (emulator: RunningEmulator): Record<string, string> => ({
  cspUrl: emulator.cspUrl,
  cspApiToken: emulator.cspApiToken,
  usageInsightUrl: emulator.usageInsightUrl,
  usageMeteringAgentsUrl: emulator.usageMeteringAgentsUrl,
});

const providerFor = (emulator: RunningEmulator, extra: Record<string, string> = {}) =>
  new UsageMeterRegistrationProvider(contextFor(emulator, { ...cloudConfig(emulator), ...extra }));

const declared = { usageMeter: "default", contractNumber: "12345678", label: "um-lyon", meteringMode: "TEST" };
const FAST: EmulatorOptions = { usageInsight: { registrationDelayMs: 300 } };

async function create(provider: UsageMeterRegistrationProvider, news: Record<string, unknown>) {
  const inputs = await checked(provider, news);
  const { id, outs } = await provider.create(inputs);
  return { id, inputs, outs: outs as UsageMeterRegistrationOutputs };
}

const posts = (emulator: RunningEmulator) => requestsTo(emulator, "POST", "/agent-registrations");
const uuidOf = (emulator: RunningEmulator) => emulator.usageMeters.default.uuid;

describe("UsageMeterRegistration against the emulator", () => {
  it("registers a new appliance read from the Usage Meter: one POST, followed while in progress, then registered", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, outs } = await capturingLogs(async (messages) => {
        const created = await create(provider, declared);
        assert.ok(
          messages.some((m) => /Waiting up to 600 s for Usage Insight to complete the registration/.test(m)),
          messages.join("\n"),
        );
        return created;
      });
      assert.equal(id, uuidOf(emulator));
      assert.equal(posts(emulator).length, 1);
      assert.equal(outs.registrationState, "registered");
      assert.equal(outs.version, "4.8", "the appliance's own version");
      assert.equal(outs.connectivityMode, "ONLINE");
      assert.equal(outs.contractNumber, "12345678");
      assert.equal(outs.label, "um-lyon");
      assert.equal(typeof outs.agentSequence, "number");
      const record = emulator.admin.registration(uuidOf(emulator));
      assert.equal(record.contractNumber, "12345678");
      assert.equal(record.version, "4.8");
      assert.equal(record.inProgress, false);
    }, FAST));

  it("adopts a registration that already matches, sending nothing", () =>
    withEmulator(async (emulator) => {
      await create(providerFor(emulator), declared);
      emulator.admin.clearRequests();
      const { outs } = await create(providerFor(emulator), declared);
      assert.equal(outs.registrationState, "registered");
      assert.deepEqual(emulator.writes(), []);
    }, FAST));

  it("after the registration's answer is lost, looks it up and follows it instead of sending it again", () =>
    withEmulator(async (emulator) => {
      emulator.admin.injectFault({ method: "POST", pathIncludes: "/agent-registrations", dropAfterApplying: true });
      const { outs } = await create(providerFor(emulator), declared);
      assert.equal(outs.registrationState, "registered");
      assert.equal(posts(emulator).length, 1);
      assert.equal(emulator.admin.registration(uuidOf(emulator)).contractNumber, "12345678");
    }, FAST));

  it("after a 503 to the registration that registered nothing, fails with that error, sent once", () =>
    withEmulator(async (emulator) => {
      emulator.admin.injectFault({ method: "POST", pathIncludes: "/agent-registrations", status: 503 });
      const error = await create(providerFor(emulator), declared).then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ServiceError && error.status === 503);
      assert.equal(posts(emulator).length, 1);
      assert.equal(emulator.admin.registrations().length, 0);
    }, FAST));

  it("refuses an appliance registered for another contract, and never registers it again", () =>
    withEmulator(async (emulator) => {
      await create(providerFor(emulator), { ...declared, contractNumber: "99999999" });
      emulator.admin.clearRequests();
      const provider = providerFor(emulator);
      const error = await create(provider, declared).then(
        () => assert.fail("expected a conflict"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ResourceError);
      assert.equal(error.code, "CONFLICT");
      assert.match(error.message, /already registered with contract 99999999, not 12345678/);
      assert.deepEqual(emulator.writes(), []);
      assert.equal(emulator.admin.registration(uuidOf(emulator)).contractNumber, "99999999");
    }, FAST));

  it("refuses a wildcard version in check, as the service itself does", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const result = await provider.check({}, { ...declared, version: "4.x" });
      assert.deepEqual(
        result.failures?.map((f) => f.property),
        ["version"],
      );
      assert.deepEqual(emulator.requests, [], "check must not reach any service");
      const client = contextFor(emulator, cloudConfig(emulator)).usageInsight();
      const refused = await client
        .register({
          agentId: uuidOf(emulator),
          label: "x",
          meteringMode: "TEST",
          connectivityMode: "ONLINE",
          version: "4.x",
        })
        .then(
          () => assert.fail("the service accepted 4.x"),
          (e: unknown) => e,
        );
      assert.ok(refused instanceof ServiceError && refused.status === 400);
    }));

  it("reports an agent the service does not know, with what to check", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const error = await create(provider, {
        ...declared,
        usageMeter: undefined,
        agentId: "11111111-2222-3333-4444-555555555555",
      }).then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 404);
      assert.match(error.message, /does not know this agent.*check agentId/);
    }));

  it("keeps a registration in progress past registrationTimeoutSeconds as in-progress; read sees it complete", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      emulator.admin.setRegistrationDelay(60_000);
      const { id, outs } = await create(provider, { ...declared, registrationTimeoutSeconds: 1 });
      assert.equal(outs.registrationState, "in-progress");
      emulator.admin.setRegistrationDelay(0);
      emulator.admin.holdRegistration(id, false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The next pulumi command: a new process, which shares no look-up with the last.
      const read = await providerFor(emulator).read(id, outs);
      assert.equal((read.props as UsageMeterRegistrationOutputs).registrationState, "registered");
      assert.equal(posts(emulator).length, 1);
    }));

  it("follows a registration someone else started rather than sending another, even past the timeout", () =>
    withEmulator(async (emulator) => {
      const client = contextFor(emulator, cloudConfig(emulator)).usageInsight();
      emulator.admin.setRegistrationDelay(60_000);
      await client.register({
        agentId: uuidOf(emulator),
        label: "um-lyon",
        contractNumber: "12345678",
        meteringMode: "TEST",
        connectivityMode: "ONLINE",
      });
      emulator.admin.clearRequests();
      const { outs } = await create(providerFor(emulator), { ...declared, registrationTimeoutSeconds: 1 });
      assert.equal(outs.registrationState, "in-progress");
      assert.deepEqual(emulator.writes(), [], "no second registration");
    }));

  it("registers without a contract as no-contract, and refuses to add a contract to it by registering again", () =>
    withEmulator(async (emulator) => {
      const { outs } = await create(providerFor(emulator), { ...declared, contractNumber: undefined });
      assert.equal(outs.registrationState, "no-contract");
      emulator.admin.clearRequests();
      const error = await create(providerFor(emulator), declared).then(
        () => assert.fail("expected a conflict"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ResourceError && error.code === "CONFLICT");
      assert.match(error.message, /already registered without a contract, not 12345678/);
      assert.deepEqual(emulator.writes(), []);
    }, FAST));

  it("read shows a contract unlinked in the portal as no-contract, with a warning", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, outs } = await create(provider, declared);
      emulator.admin.changeRegistration(id, { contractNumber: null });
      const read = await capturingLogs(async (messages) => {
        const result = await providerFor(emulator).read(id, outs);
        assert.ok(messages.some((m) => /^warn: .*links no contract/.test(m)));
        return result;
      });
      assert.equal((read.props as UsageMeterRegistrationOutputs).registrationState, "no-contract");
    }, FAST));

  it("read reports a label and metering mode changed in the portal, so that diff plans an in-place update", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, inputs, outs } = await create(provider, declared);
      emulator.admin.changeRegistration(id, { label: "renamed-in-portal", meteringMode: "PRODUCTION" });
      const read = await provider.read(id, outs);
      const props = read.props as UsageMeterRegistrationOutputs;
      assert.equal(props.label, "renamed-in-portal");
      assert.equal(props.meteringMode, "PRODUCTION");
      assert.equal(read.inputs?.label, "renamed-in-portal");
      assert.deepEqual(await provider.diff(id, props, inputs), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    }, FAST));

  it("updates label and metering mode with PATCH; a stale agentSequence (412) is re-read and sent once more", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, inputs, outs } = await create(provider, declared);
      emulator.admin.changeRegistration(id, { siteName: "changed-meanwhile" });
      emulator.admin.clearRequests();
      const { outs: updated } = await provider.update(id, outs, {
        ...inputs,
        label: "um-lyon-2",
        meteringMode: "PRODUCTION",
      });
      const patches = emulator.requests.filter((r) => r.method === "PATCH");
      assert.equal(patches.length, 2, "one 412, then one success");
      assert.equal(patches[0].status, 412);
      assert.equal((updated as UsageMeterRegistrationOutputs).label, "um-lyon-2");
      const record = emulator.admin.registration(id);
      assert.equal(record.label, "um-lyon-2");
      assert.equal(record.meteringMode, "PRODUCTION");
      assert.equal(posts(emulator).length, 0);
    }, FAST));

  it("delete leaves the registration by default, with a warning, and withdraws it with withdrawOnDelete", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, outs } = await create(provider, declared);
      await capturingLogs(async (messages) => {
        await provider.delete(id, outs);
        assert.ok(messages.some((m) => /^warn: .*left registered.*billing reports continue/.test(m)));
      });
      assert.equal(emulator.admin.registration(id).deleted, false);
      await provider.delete(id, { ...outs, withdrawOnDelete: true });
      assert.equal(emulator.admin.registration(id).deleted, true);
      assert.deepEqual(await provider.read(id, outs), { id: "", props: {} });
    }, FAST));
});

/** The program's stack config (as the language host sets it), pointing at the emulator. */
function programConfig(emulator: RunningEmulator): void {
  const config = { ...stackConfigFor(emulator), ...cloudConfig(emulator) };
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([key, value]) => [`vcpp:${key}`, value])),
    ["vcpp:usageMeterPassword", "vcpp:cspApiToken"],
  );
}

/** Reports list what the appliance meters: one metered product. */
async function meterAProduct(emulator: RunningEmulator): Promise<void> {
  const product = await emulator.admin.addProduct("default", {
    productType: "VCD",
    host: "vcd.example.com",
    user: "admin",
    password: "vcd-password",
  });
  emulator.admin.changeProduct("default", product.id as number, { metered: true });
}

describe("Usage Insight functions against the emulator", () => {
  afterEach(() => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });
  const now = new Date();
  const thisMonth = { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 };

  it("getUsageReports answers a month's map of agent to reports, and one agent's; getUsageReport reads typed rows", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      await meterAProduct(emulator);
      await create(providerFor(emulator), declared);
      const agentId = uuidOf(emulator);
      const month = await getUsageReports(thisMonth);
      assert.ok(month.reports[agentId]?.length, `no reports for ${agentId}: ${JSON.stringify(month)}`);
      const mine = await getUsageReports({ ...thisMonth, agentId });
      assert.deepEqual(Object.keys(mine.reports), [agentId]);
      const [report] = mine.reports[agentId];
      const content = await getUsageReport(report);
      assert.ok(content.rows.length > 0);
      assert.ok(content.columns.length > 1);
      assert.ok(
        content.rows.some((row) => Object.values(row).some((v) => typeof v === "number")),
        "numeric columns are numbers",
      );
    }, FAST));

  it("getUsageReport refuses a report whose download does not match its checksum (INTEGRITY)", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      const agentId = uuidOf(emulator);
      const added = emulator.admin.addReport({
        agentId,
        ...thisMonth,
        content: "productType\tvmCount\nVCD\t3\n",
      });
      emulator.admin.corruptReport(added.ref, "checksum");
      const { ref, contentType, contentLength, checksum } = added;
      const error = await getUsageReport({ ref, contentType, contentLength, checksum }).then(
        () => assert.fail("expected an integrity error"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "INTEGRITY");
      assert.match(error.message, /MD5/);
    }));

  it("the Output forms take Inputs and answer as their Promise forms do", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      await create(providerFor(emulator), declared);
      const agentId = pulumi.output(uuidOf(emulator));
      const value = <T>(output: pulumi.Output<T>) => (output as unknown as { promise(): Promise<T> }).promise();
      const registration = await value(getAgentRegistrationOutput({ agentId }));
      assert.equal(registration.contractNumber, "12345678");
      const reports = await value(getUsageReportsOutput({ ...thisMonth, agentId }));
      assert.deepEqual(reports, await getUsageReports({ ...thisMonth, agentId: uuidOf(emulator) }));
    }, FAST));

  it("refuses a month out of 1–12 and a year in the future, before any call", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      await assert.rejects(getUsageReports({ year: 2024, month: 13 }), /month: must be between 1 and 12/);
      // A month that is none is not also "in the future": one reason, the right one.
      await assert.rejects(
        getUsageReports({ year: now.getUTCFullYear(), month: 13 }),
        (e: Error) => /must be between 1 and 12/.test(e.message) && !/in the future/.test(e.message),
      );
      await assert.rejects(
        getUsageReports({ year: now.getUTCFullYear() + 1, month: 1 }),
        /year: must not be in the future/,
      );
      await assert.rejects(getUsageReports({ year: 24, month: 1 }), /year: must be four digits/);
      assert.deepEqual(emulator.requests, []);
    }));

  it("one token exchange serves every resource and function of a process; an expired token is exchanged again", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      const provider = providerFor(emulator);
      const other = providerFor(emulator);
      await create(provider, declared);
      await other.read(uuidOf(emulator), (await create(other, declared)).outs);
      await getAgentRegistration({ agentId: uuidOf(emulator) });
      await getUsageReports(thisMonth);
      assert.equal(emulator.admin.cspExchanges().api_token, 1);
      emulator.admin.expireAccessTokens();
      const registration = await getAgentRegistration({ agentId: uuidOf(emulator) });
      assert.equal(registration.registrationState, "registered");
      assert.equal(registration.label, "um-lyon");
      await provider.read(uuidOf(emulator), (await create(provider, declared)).outs);
      assert.equal(emulator.admin.cspExchanges().api_token, 2);
    }, FAST));

  it("a revoked API token fails with what to do, and the token appears nowhere in the error", () =>
    withEmulator(async (emulator) => {
      programConfig(emulator);
      emulator.admin.revokeApiToken(emulator.cspApiToken);
      const error = await getAgentRegistration({ agentId: uuidOf(emulator) }).then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e as Error,
      );
      assert.match(error.message, /generate a new API token in the Cloud Partner Navigator/);
      assert.ok(!`${error.message} ${error.stack} ${JSON.stringify(error)}`.includes(emulator.cspApiToken));
    }));

  it("falls back to the deprecated refresh_token field when the CSP asks for it", () =>
    withEmulator(
      async (emulator) => {
        programConfig(emulator);
        assert.equal((await getAgentRegistration({ agentId: uuidOf(emulator) })).registrationState, "not-registered");
        assert.deepEqual(emulator.admin.cspExchanges(), { api_token: 0, refresh_token: 1 });
      },
      { csp: { refreshTokenFieldOnly: true } },
    ));

  it("renews an access token shortly before it expires, without waiting for a 401", () =>
    withEmulator(
      async (emulator) => {
        programConfig(emulator);
        await getAgentRegistration({ agentId: uuidOf(emulator) });
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        forgetProgramClients(); // else the look-up is shared, and no token is needed
        await getAgentRegistration({ agentId: uuidOf(emulator) });
        assert.equal(emulator.admin.cspExchanges().api_token, 2);
        assert.ok(!emulator.requests.some((r) => r.status === 401), "a request went out with an expired token");
      },
      { csp: { accessTokenLifetimeSeconds: 2 } },
    ));
});
