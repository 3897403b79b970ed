import { strict as assert } from "node:assert";
import { get } from "node:https";
import * as pulumi from "@pulumi/pulumi";
import { RunningEmulator } from "../../emulator";
import { forgetProgramClients } from "../../functions/program-clients";
import {
  getBilledUsage,
  getUnbilledUsage,
  getVcaInstances,
  getVcaPlans,
  getVcaServices,
  getVcaVcloudSessionOutput,
} from "../../functions/vcloud-air";
import { clearVcloudAirSessions, logOutAll } from "../../provider/auth/vcloud-air-session";
import { ClientRegistry } from "../../provider/registry";
import { VcaUserOutputs, VcaUserProvider } from "../../resources/vca-user";
import { capturingLogs, checked, namedVcaAccountsConfig, withEmulator } from "../helpers/emulator";

const INSTANCE = "b7a6d0f2-5c3e-4f1a-9d8b-2e4c6a8f0b13";
const L1_WEB = "5e2f8a1c-6d4b-4c3e-9f7a-1b0d2c4e6f31";
const L2_VDC = "3c1d9e7a-0b2f-4e6d-8a5c-7f9e1b3d5a20";

/**
 * Stack config (without `vcpp:`) for one of the emulator's accounts as the `vcpp:vca*` keys, and
 * every other account by name (`default` is refused as a name: it is the keys' account).
 */
function vcaConfig(emulator: RunningEmulator, account = "default", extra: Record<string, string> = {}) {
  const { vcaUrl, vcaUser, vcaPassword } = emulator.vcaAccounts[account];
  return {
    vcaUrl,
    vcaUser,
    vcaPassword,
    ...namedVcaAccountsConfig(emulator),
    caCertificates: emulator.caPem,
    ...extra,
  } as Record<string, string>;
}

function contextFor(emulator: RunningEmulator, account = "default", extra: Record<string, string> = {}) {
  const config = vcaConfig(emulator, account, extra);
  const context = new ClientRegistry();
  context.configure((key) => config[key]);
  return context;
}

function programConfig(emulator: RunningEmulator, account = "default", extra: Record<string, string> = {}) {
  const config = Object.entries(vcaConfig(emulator, account, extra)).map(([k, v]) => [`vcpp:${k}`, v]);
  pulumi.runtime.setAllConfig(Object.fromEntries(config), ["vcpp:vcaPassword", "vcpp:vcaAccounts"]);
}

const jane = {
  userName: "jane.doe@example.com",
  email: "jane.doe@example.com",
  givenName: "Jane",
  familyName: "Doe",
  roles: ["Virtual Infrastructure Administrator"],
};

describe("vCloud Air against the emulator", () => {
  beforeEach(() => clearVcloudAirSessions());
  afterEach(() => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });

  describe("VcaUser (5.7)", () => {
    it("creates, reads drift made by hand, repairs it in place, and deletes", () =>
      withEmulator(async (emulator) => {
        const provider = new VcaUserProvider(contextFor(emulator));
        const inputs = await checked(provider, { ...jane, sendPasswordReset: true });
        const { id, outs } = await provider.create(inputs);
        assert.equal(outs.state, "Active");
        assert.deepEqual(emulator.admin.vcaCounts().passwordResets, [jane.userName]);

        emulator.admin.vcaChangeUser("default", jane.userName, { email: "jd@elsewhere.example", roles: ["End User"] });
        const read = await provider.read(id, outs as VcaUserOutputs);
        assert.equal(read.props!.email, "jd@elsewhere.example");
        assert.deepEqual(read.props!.roles, ["End User"]);
        const drift = await provider.diff(id, read.props as VcaUserOutputs, inputs);
        assert.deepEqual(drift, { changes: true, replaces: [], deleteBeforeReplace: false });

        const { outs: repaired } = await provider.update(id, read.props as VcaUserOutputs, inputs);
        assert.equal(repaired!.email, jane.email);
        const onService = emulator.admin.vcaUsers().find((u) => u.userName === jane.userName)!;
        assert.deepEqual(
          (onService.roles as { roles: { name: string }[] }).roles.map((r) => r.name),
          jane.roles,
        );
        assert.equal(emulator.admin.vcaCounts().passwordResets.length, 1, "a password reset only on create");

        await provider.delete(id, repaired as VcaUserOutputs);
        assert.ok(!emulator.admin.vcaUsers().some((u) => u.userName === jane.userName));
        assert.deepEqual(await provider.read(id, repaired as VcaUserOutputs), { id: "", props: {} });
      }));

    it("adopts a user made by hand with the same user name (any case), without adding a second one", () =>
      withEmulator(async (emulator) => {
        emulator.admin.vcaAddUser("default", { ...jane, userName: "Jane.Doe@example.com", givenName: "Janet" });
        const provider = new VcaUserProvider(contextFor(emulator));
        const posts = () => emulator.requests.filter((r) => r.method === "POST" && /\/iam\/Users$/i.test(r.path));
        const { outs } = await capturingLogs(async (messages) => {
          const result = await provider.create(await checked(provider, { ...jane, sendPasswordReset: true }));
          assert.ok(messages.some((m) => /adopting jane.doe@example.com/.test(m)));
          return result;
        });
        assert.equal(outs.givenName, "Jane");
        assert.equal(posts().length, 0);
        assert.deepEqual(emulator.admin.vcaCounts().passwordResets, []);
      }));

    it("an expired session logs in again once, then goes on", () =>
      withEmulator(async (emulator) => {
        const provider = new VcaUserProvider(contextFor(emulator));
        const { id, outs } = await provider.create(await checked(provider, jane));
        const logins = emulator.admin.vcaCounts().logins;
        emulator.admin.vcaExpireSessions();
        assert.equal((await provider.read(id, outs as VcaUserOutputs)).id, id);
        assert.equal(emulator.admin.vcaCounts().logins, logins + 1);
      }));

    it("terms of service not accepted: the error says to accept them in the portal", () =>
      withEmulator(async (emulator) => {
        emulator.admin.vcaSetTermsAccepted("default", false);
        const provider = new VcaUserProvider(contextFor(emulator));
        await assert.rejects(
          provider.create(await checked(provider, jane)),
          /log in failed \(POST \/vca\/default\/api\/iam\/login\): 412.*accept them, then run again/,
        );
      }));

    it("a wrong password is a 401 saying to check the stack config", () =>
      withEmulator(async (emulator) => {
        const provider = new VcaUserProvider(contextFor(emulator, "default", { vcaPassword: "not-the-password" }));
        await assert.rejects(provider.create(await checked(provider, jane)), /401.*check them in the stack config/);
      }));

    it("on a 5.6 account, says the users API needs 5.7", () =>
      withEmulator(async (emulator) => {
        const provider = new VcaUserProvider(contextFor(emulator, "default"));
        const inputs = await checked(provider, { ...jane, vcaAccount: "dedicated" });
        await assert.rejects(provider.create(inputs), /list users needs the 5.7 \(OnDemand\) API.*answered as 5.6/);
      }));
  });

  describe("functions", () => {
    it("getVcaServices follows links from the 5.6 Session (auto falls back from the 5.7 login); the session is logged out", () =>
      withEmulator(async (emulator) => {
        programConfig(emulator, "dedicated");
        const { services } = await getVcaServices();
        assert.deepEqual(
          services.map((s) => [s.serviceId, s.serviceType, s.vdcs.map((v) => v.name)]),
          [
            [
              "example-1101-130711-1",
              "compute:dedicatedcloud",
              ["0001-example-vdc-1-public-api", "0001-example-vdc-2"],
            ],
            ["example-1101-130711-2", "compute:vpc", ["0002-example-vpc-vdc"]],
          ],
        );
        await logOutAll();
        assert.equal(emulator.admin.vcaCounts("dedicated").logouts, 1);
      }));

    it("getVcaVcloudSessionOutput is secret and its token opens the VDC on the vCloud instance", () =>
      withEmulator(async (emulator) => {
        programConfig(emulator, "dedicated");
        const output = getVcaVcloudSessionOutput({
          serviceId: "example-1101-130711-1",
          vdcName: "0001-example-vdc-1-public-api",
        });
        const internal = output as unknown as {
          promise(): Promise<{ endpoint: string; token: string; authorizationHeader: string }>;
          isSecret: Promise<boolean>;
        };
        assert.equal(await internal.isSecret, true);
        const session = await internal.promise();
        const status = await new Promise<number>((resolve, reject) =>
          get(
            session.endpoint,
            {
              ca: emulator.caPem,
              headers: { [session.authorizationHeader]: session.token, accept: "application/*+xml;version=5.6" },
            },
            (response) => resolve(response.resume().statusCode ?? 0),
          ).on("error", reject),
        );
        assert.equal(status, 200);
      }));

    it("getVcaPlans and getVcaInstances read 5.7 collections and pass the filter", () =>
      withEmulator(async (emulator) => {
        programConfig(emulator, "default", { vcaApiVersion: "5.7" });
        const { plans } = await getVcaPlans();
        assert.ok(plans.length >= 2);
        const { plans: filtered } = await getVcaPlans({ filter: "region==SCL" });
        assert.ok(filtered.length >= 1 && filtered.every((p) => p.region === "SCL"));
        const { instances } = await getVcaInstances({ filter: `id==${INSTANCE}` });
        assert.deepEqual(
          instances.map((i) => i.id),
          [INSTANCE],
        );
        await assert.rejects(getVcaPlans({ filter: "nonsense((" }), /list plans failed .*400 BAD_FILTER/);
      }));

    it("getBilledUsage and getUnbilledUsage read an L1 or L2 entity in a window", () =>
      withEmulator(async (emulator) => {
        programConfig(emulator);
        const billed = await getBilledUsage({
          serviceInstanceId: INSTANCE,
          l1Id: L1_WEB,
          start: "2020-01-01T00:00:00Z",
          end: "2020-02-01T00:00:00Z",
        });
        assert.equal(billed.usage.entityId, L1_WEB);
        const unbilled = await getUnbilledUsage({ serviceInstanceId: INSTANCE, l2Id: L2_VDC, duration: "P7D" });
        assert.equal(unbilled.usage.billingStatus, "UNBILLED");
        await assert.rejects(
          getBilledUsage({ serviceInstanceId: INSTANCE, l1Id: "nope", duration: "P1D" }),
          /read billed usage failed .*404/,
        );
      }));
  });
});
