import { strict as assert } from "node:assert";
import { RunningEmulator } from "../../emulator";
import { changedInputs, CommandResult } from "../../scripts/local-stack";
import { E2eStack, nameOf } from "./helpers";

const jane = {
  userName: "jane.doe@example.com",
  email: "jane.doe@example.com",
  givenName: "Jane",
  familyName: "Doe",
  roles: ["Virtual Infrastructure Administrator"],
};
const ops = {
  userName: "ops@example.com",
  email: "ops@example.com",
  givenName: "Op",
  familyName: "Erator",
  roles: ["Read-Only Administrator", "End User"],
};
/** A user the emulator seeds (seed 002's sample), read with VcaUser.get. */
const SEEDED = { id: "790ee208-6c7d-4177-b6c6-212bdbe1a66b", email: "test994@sample.com" };

/** The default account speaks 5.7 (users, plans); `dedicated` 5.6 (services), both through `auto`. */
function vcaStackConfig(emulator: RunningEmulator): Record<string, string | { secret: string }> {
  const { vcaUrl, vcaUser, vcaPassword } = emulator.vcaAccounts.default;
  const dedicated = emulator.vcaAccounts.dedicated;
  return {
    "vcpp:vcaUrl": vcaUrl,
    "vcpp:vcaUser": vcaUser,
    "vcpp:vcaPassword": { secret: vcaPassword },
    "vcpp:vcaAccounts": {
      secret: JSON.stringify({
        dedicated: { url: dedicated.vcaUrl, user: dedicated.vcaUser, password: dedicated.vcaPassword },
      }),
    },
    "vcpp:caCertificates": emulator.caPem,
  };
}

describe("VcaUser through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const logs: string[] = [];
  const keep = (result: CommandResult) => void logs.push(result.stdout, result.stderr);
  const onService = (userName: string) =>
    e2e.emulator.admin.vcaUsers().find((u) => String(u.userName).toLowerCase() === userName.toLowerCase());
  const rolesOf = (user: Record<string, unknown> | undefined) =>
    (user?.roles as { roles: { name: string }[] } | undefined)?.roles.map((r) => r.name).sort();
  const writes = () =>
    e2e.emulator
      .writes()
      .filter((r) => r.path.startsWith("/vca/"))
      .map((r) => `${r.method} ${r.path.replace(/^\/vca\/[^/]+\/api/, "")}`);
  /** Every credential involved: both accounts' passwords and every token the emulator issued. */
  const credentials = () => [
    ...Object.values(e2e.emulator.vcaAccounts).map((a) => a.vcaPassword),
    ...Object.keys(e2e.emulator.vcaAccounts).flatMap((name) => e2e.emulator.admin.vcaAccount(name).issuedCredentials),
  ];

  before(async function () {
    e2e = await E2eStack.start(this, { config: vcaStackConfig });
  });
  after(async () => e2e?.dispose());

  it("pulumi up adds the user and mails one password reset; the functions read 5.7 plans and 5.6 services, and the 5.6 session is logged out", async () => {
    await e2e.declare({
      vcaUsers: { jane: { ...jane, sendPasswordReset: true } },
      vcaFunctions: { servicesAccount: "dedicated" },
    });
    keep(await e2e.stack.up());
    assert.deepEqual(rolesOf(onService(jane.userName)), jane.roles);
    assert.deepEqual(e2e.emulator.admin.vcaCounts().passwordResets, [jane.userName]);
    const outputs = await e2e.stack.outputs();
    assert.equal((outputs.vcaUserIds as Record<string, string>).jane, onService(jane.userName)?.id);
    assert.deepEqual(outputs.vcaPlanNames, ["Virtual Private Cloud OnDemand", "Virtual Private Cloud OnDemand"]);
    assert.deepEqual(outputs.vcaServiceIds, ["example-1101-130711-1", "example-1101-130711-2"]);
    const dedicated = e2e.emulator.admin.vcaCounts("dedicated");
    assert.ok(dedicated.logins >= 1 && dedicated.logouts === dedicated.logins, JSON.stringify(dedicated));
  });

  it("a second pulumi up changes nothing, writes nothing and sends no second password reset", async () => {
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview();
    assert.deepEqual(preview.changes, []);
    keep(await e2e.stack.up());
    assert.deepEqual(writes(), []);
    assert.equal(e2e.emulator.admin.vcaCounts().passwordResets.length, 1);
  });

  it("pulumi preview --refresh shows an e-mail and roles changed by hand, and pulumi up --refresh repairs them in place", async () => {
    const id = onService(jane.userName)?.id;
    e2e.emulator.admin.vcaChangeUser("default", jane.userName, {
      email: "jd@elsewhere.example",
      roles: ["End User"],
    });
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "jane"]],
    );
    assert.deepEqual(changedInputs(preview.changes[0]).sort(), ["email", "roles"]);
    assert.equal(preview.changes[0].oldState?.inputs?.email, "jd@elsewhere.example");
    assert.deepEqual(writes(), [], "a preview writes nothing");

    keep(await e2e.stack.up({ refresh: true }));
    assert.equal(onService(jane.userName)?.email, jane.email);
    assert.deepEqual(rolesOf(onService(jane.userName)), jane.roles);
    assert.equal(onService(jane.userName)?.id, id);
    assert.deepEqual(writes(), [`PUT /iam/Users/${id}`]);
  });

  it("a user made by hand is adopted by user name, not added twice; VcaUser.get reads one by id", async () => {
    e2e.emulator.admin.vcaAddUser("default", { ...ops, userName: "OPS@example.com", givenName: "Someone" });
    e2e.emulator.admin.clearRequests();
    await e2e.declare({
      vcaUsers: { jane, ops: { ...ops, sendPasswordReset: true } },
      vcaUserLookups: { seeded: { id: SEEDED.id } },
    });
    keep(await e2e.stack.up());
    const adopted = e2e.emulator.admin.vcaUsers().filter((u) => String(u.userName).toLowerCase() === ops.userName);
    assert.equal(adopted.length, 1);
    assert.equal(adopted[0].givenName, ops.givenName);
    assert.deepEqual(
      writes().map((w) => w.split(" ")[0]),
      ["PUT"],
      "adoption writes the declared fields, never POSTs",
    );
    assert.equal(e2e.emulator.admin.vcaCounts().passwordResets.length, 1, "no password reset for an adopted user");
    const outputs = await e2e.stack.outputs();
    assert.deepEqual(outputs.vcaLookedUp, { seeded: SEEDED.email });
  });

  it("no password or session token in pulumi stack export", async () => {
    const state = await e2e.stack.exportState();
    assert.ok(state.includes("vcpp:VcaUser"), "the export holds the stack's users");
    assert.deepEqual(
      credentials().filter((c) => state.includes(c)),
      [],
    );
  });

  it("pulumi import of a VcaUser fails in the engine (no serialized provider), as the README says", async () => {
    const result = await e2e.stack.pulumi([
      "import",
      "pulumi-nodejs:dynamic/vcpp:VcaUser",
      "imported",
      SEEDED.id,
      "--yes",
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /code must be a string|__provider/);
    assert.equal(e2e.emulator.admin.vcaUsers().filter((u) => u.id === SEEDED.id).length, 1);
  });

  it("pulumi destroy removes the users it manages and leaves the rest", async () => {
    await e2e.declare({ vcaUsers: { jane, ops } });
    keep(await e2e.stack.destroy());
    assert.equal(onService(jane.userName), undefined);
    assert.equal(onService(ops.userName), undefined);
    assert.ok(e2e.emulator.admin.vcaUsers().some((u) => u.id === SEEDED.id));
  });

  it("no password or session token in the engine's output", () => {
    assert.ok(credentials().length >= 4, "the emulator issued tokens, so the check can fail");
    const output = logs.join("\n");
    assert.ok(output.includes("jane"), "the engine's output was captured");
    assert.deepEqual(
      credentials().filter((c) => output.includes(c)),
      [],
    );
  });
});
