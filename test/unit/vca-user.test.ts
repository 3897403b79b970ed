import { strict as assert } from "node:assert";
import sinon from "sinon";
import { getBilledUsage, getVcaPlans, getVcaVcloudSession } from "../../functions/vcloud-air";
import { InputError, ServiceError } from "../../provider/errors";
import { ServiceClients } from "../../provider/registry";
import { VcaClient } from "../../provider/vcloud-air/client";
import { User } from "../../provider/vcloud-air/schemas";
import { UNKNOWN } from "../../resources/validation";
import { VcaUserOutputs, VcaUserProvider } from "../../resources/vca-user";
import { rejectionOf, stubLogs } from "./support";

const declared = {
  userName: "jane@example.com",
  email: "jane@example.com",
  givenName: "Jane",
  familyName: "Doe",
  roles: ["End User"],
};

const userFrom = (id: string, fields: Partial<typeof declared> = {}): User => {
  const { roles, ...rest } = { ...declared, ...fields };
  return { id, ...rest, state: "Active", roles: { roles: roles.map((name) => ({ name })) } };
};

function fakeClient() {
  return {
    connection: { url: "https://vca.example.com" },
    findUser: sinon.stub<[string], Promise<User | undefined>>().resolves(undefined),
    getUser: sinon.stub<[string], Promise<User | undefined>>(),
    createUser: sinon.stub().callsFake(async () => userFrom("u-new")),
    updateUser: sinon.stub().callsFake(async (id: string, spec: typeof declared) => userFrom(id, spec)),
    deleteUser: sinon.stub().resolves(true),
    sendPasswordReset: sinon.stub().resolves(),
  };
}

function providerWith(client: ReturnType<typeof fakeClient>, accounts = ["default", "legacy"]) {
  const context = {
    vca: () => client as unknown as VcaClient,
    vcaAccountNames: () => accounts,
    usageMeterNames: () => ["default"],
  } as unknown as ServiceClients;
  return new VcaUserProvider(context);
}

describe("VcaUser provider", () => {
  beforeEach(() => stubLogs());
  afterEach(() => sinon.restore());

  describe("check", () => {
    it("accepts declared inputs and defaults sendPasswordReset to false", async () => {
      const result = await providerWith(fakeClient()).check({}, declared);
      assert.equal(result.failures, undefined);
      assert.equal(result.inputs!.sendPasswordReset, false);
    });

    it("names each bad field and its rule: the e-mail, an unknown role, a repeated role, an unknown account", async () => {
      const result = await providerWith(fakeClient()).check(
        {},
        { ...declared, email: "not-an-address", roles: ["Root", "End User"], vcaAccount: "east" },
      );
      const reasons = (result.failures ?? []).map((f) => f.reason);
      assert.ok(reasons.some((r) => /^email: must be an e-mail address/.test(r)));
      assert.ok(
        reasons.some((r) =>
          /^roles\[0\]: must be one of "Account Administrator", .*"End User" \(case-sensitive\)/.test(r),
        ),
      );
      assert.ok(reasons.some((r) => /^vcaAccount: "east" is not configured \(known: default, legacy\)/.test(r)));
      const twice = await providerWith(fakeClient()).check({}, { ...declared, roles: ["End User", "End User"] });
      assert.match(twice.failures![0].reason, /roles: must not name a role twice/);
    });

    it("does not judge values still unknown in preview", async () => {
      const result = await providerWith(fakeClient()).check({}, { ...declared, email: UNKNOWN });
      assert.equal(result.failures, undefined);
      const role = await providerWith(fakeClient()).check({}, { ...declared, roles: ["End User", UNKNOWN] });
      assert.equal(role.failures, undefined);
      const wrong = await providerWith(fakeClient()).check({}, { ...declared, roles: ["Root", UNKNOWN] });
      assert.deepEqual(
        wrong.failures?.map((f) => f.property),
        ["roles[0]"],
      );
    });
  });

  describe("diff", () => {
    const olds = { ...declared, sendPasswordReset: false, userId: "u1" } as VcaUserOutputs;
    const diff = (news: Record<string, unknown>) =>
      providerWith(fakeClient()).diff("u1", olds, { ...declared, ...news });

    it("ignores role order and e-mail case; sendPasswordReset alone changes nothing", async () => {
      assert.equal((await diff({ email: "JANE@example.com", sendPasswordReset: true })).changes, false);
      const many = { ...olds, roles: ["End User", "Read-Only Administrator"] } as VcaUserOutputs;
      const result = await providerWith(fakeClient()).diff("u1", many, {
        ...declared,
        roles: ["Read-Only Administrator", "End User"],
      });
      assert.equal(result.changes, false);
    });

    it("updates names, e-mail and roles in place; a new user name or account replaces", async () => {
      assert.deepEqual(await diff({ familyName: "Smith" }), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      assert.deepEqual((await diff({ roles: ["Account Administrator"] })).replaces, []);
      assert.deepEqual(await diff({ userName: "jd@example.com" }), {
        changes: true,
        replaces: ["userName"],
        deleteBeforeReplace: false,
      });
      assert.deepEqual(await diff({ vcaAccount: "legacy" }), {
        changes: true,
        replaces: ["vcaAccount"],
        deleteBeforeReplace: true,
      });
      assert.equal((await diff({ vcaAccount: "default" })).changes, false);
    });
  });

  describe("create", () => {
    it("adds the user and sends the password reset once", async () => {
      const client = fakeClient();
      const { id, outs } = await providerWith(client).create({ ...declared, sendPasswordReset: true });
      assert.equal(id, "u-new");
      assert.deepEqual(client.createUser.firstCall.args[0], declared);
      assert.deepEqual(client.sendPasswordReset.args, [["jane@example.com"]]);
      assert.equal(outs.password, undefined);
    });

    it("adopts an existing user with the same user name, updating only what differs, without a password reset", async () => {
      const client = fakeClient();
      client.findUser.resolves(userFrom("u-old", { givenName: "Janet" }));
      const { id, outs } = await providerWith(client).create({ ...declared, sendPasswordReset: true });
      assert.equal(id, "u-old");
      assert.equal(outs.givenName, "Jane");
      assert.equal(client.createUser.callCount, 0);
      assert.equal(client.updateUser.callCount, 1);
      assert.equal(client.sendPasswordReset.callCount, 0);
    });

    it("an adopted user already as declared is not written", async () => {
      const client = fakeClient();
      client.findUser.resolves(userFrom("u-old", { email: "JANE@example.com" }));
      await providerWith(client).create({ ...declared, sendPasswordReset: false });
      assert.equal(client.updateUser.callCount, 0);
    });

    it("a lost answer to the POST is followed by a lookup, never by a second POST", async () => {
      const client = fakeClient();
      const lost = new ServiceError({
        call: { service: "vCloud Air", operation: "add user", method: "POST", path: "/api/iam/Users" },
        detail: "no answer",
        code: "NETWORK",
      });
      client.createUser.rejects(lost);
      client.findUser.onSecondCall().resolves(userFrom("u-7"));
      const { id } = await providerWith(client).create({ ...declared, sendPasswordReset: false });
      assert.equal(id, "u-7");
      assert.equal(client.createUser.callCount, 1);
    });
  });

  describe("read, update, delete", () => {
    const olds = { ...declared, sendPasswordReset: false, userId: "u1" } as VcaUserOutputs;

    it("read reports what vCloud Air has, as outputs and inputs, so the next diff shows the drift", async () => {
      const client = fakeClient();
      client.getUser.resolves(
        userFrom("u1", { email: "other@example.com", roles: ["End User", "Account Administrator"] }),
      );
      const provider = providerWith(client);
      const read = await provider.read("u1", olds);
      assert.equal(read.props!.email, "other@example.com");
      assert.deepEqual(read.inputs!.roles, ["End User", "Account Administrator"]);
      assert.equal((await provider.diff("u1", read.props as VcaUserOutputs, { ...declared })).changes, true);
    });

    it("read of a user removed by hand says it is gone", async () => {
      const client = fakeClient();
      client.getUser.resolves(undefined);
      assert.deepEqual(await providerWith(client).read("u1", olds), { id: "", props: {} });
    });

    it("update of a user removed by hand is a GONE error telling to refresh", async () => {
      const client = fakeClient();
      client.updateUser.resolves(undefined);
      const error = await rejectionOf(
        providerWith(client).update("u1", olds, { ...declared, sendPasswordReset: false }),
      );
      assert.equal(error.code, "GONE");
      assert.match(error.message, /no longer exists on https:\/\/vca.example.com: run pulumi refresh/);
    });

    it("delete removes the user; one already gone is not an error", async () => {
      const client = fakeClient();
      client.deleteUser.resolves(false);
      await providerWith(client).delete("u1", olds);
      assert.deepEqual(client.deleteUser.args, [["u1"]]);
    });
  });
});

describe("vCloud Air functions' arguments", () => {
  it("are checked before any call, naming the function, the field and the rule", async () => {
    const usage = await rejectionOf(getBilledUsage({ serviceInstanceId: "si", l1Id: "a", l2Id: "b", duration: "P1D" }));
    assert.ok(usage instanceof InputError);
    assert.match(usage.message, /getBilledUsage: invalid inputs: l1Id: give exactly one of l1Id and l2Id/);
    const window = await rejectionOf(
      getBilledUsage({
        serviceInstanceId: "si",
        l1Id: "a",
        start: "2026-10-02T00:00:00Z",
        end: "2026-10-01T00:00:00Z",
      }),
    );
    assert.match(window.message, /end: must be after start/);
    const both = await rejectionOf(
      getBilledUsage({ serviceInstanceId: "si", l1Id: "a", start: "2026-10-02T00:00:00Z", duration: "P1D" }),
    );
    assert.match(both.message, /duration: give start and end, or duration, not both/);
    const duration = await rejectionOf(getBilledUsage({ serviceInstanceId: "si", l1Id: "a", duration: "30 days" }));
    assert.match(duration.message, /duration: must be an ISO 8601 duration/);
    const unknown = await rejectionOf(getVcaPlans({ filtre: "x" } as never));
    assert.match(unknown.message, /unknown argument filtre: the arguments are vcaAccount, filter/);
    const missing = await rejectionOf(getVcaVcloudSession({ serviceId: "s" } as never));
    assert.match(missing.message, /vdcName: must be a virtual data centre name/);
  });
});
