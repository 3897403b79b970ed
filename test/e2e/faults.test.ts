/**
 * A representative subset of the fault matrix (test/integration/fault-matrix.test.ts) through the
 * real engine, one resource per service family: the appliance (MeteredProduct), the cloud
 * (UsageMeterRegistration), commerce (VcppOrder) and vCloud Air (VcaUser).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningEmulator } from "../../emulator";
import { cloudConfig, commerceConfig, defaultConfig, E2eStack, vcaConfig } from "./helpers";

const config = (journalDir: string) => (emulator: RunningEmulator) => ({
  ...defaultConfig(emulator),
  ...cloudConfig(emulator),
  ...commerceConfig(emulator, join(journalDir, "orders.jsonl")),
  ...vcaConfig(emulator),
});

const declared = {
  products: { vcda: { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda" } },
  registrations: {
    um: {
      usageMeter: "default",
      contractNumber: "12345678",
      label: "um-lyon",
      meteringMode: "TEST",
      withdrawOnDelete: true,
    },
  },
  orders: {
    first: {
      contractNumber: "12611521",
      poType: "ADDON_REQUEST",
      lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
      orderKey: "faults-e2e",
    },
  },
  vcaUsers: {
    jane: {
      userName: "jane.doe@example.com",
      email: "jane.doe@example.com",
      givenName: "Jane",
      familyName: "Doe",
      roles: ["Virtual Infrastructure Administrator"],
    },
  },
};

/** Each family's create, read and delete requests (the order has no delete: it cannot be withdrawn). */
const FAMILIES = {
  MeteredProduct: { create: "/api/v1/product", read: "/api/v1/product", delete: "/api/v1/product" },
  UsageMeterRegistration: {
    create: "/agent-registrations",
    read: "/agent-registrations/",
    delete: "/usage-metering-agents/",
  },
  VcppOrder: { create: "/api/vcpp/order", read: "/orderfeed", delete: undefined },
  VcaUser: { create: "/api/iam/Users", read: "/api/iam/Users", delete: "/api/iam/Users" },
};
const KINDS = Object.keys(FAMILIES) as (keyof typeof FAMILIES)[];

describe("Faults through the real Pulumi engine, one resource per service family", function () {
  this.timeout(600_000);
  let e2e: E2eStack;
  let journalDir: string;

  /** What exists on the services, per resource kind: a duplicate shows as 2. */
  const onServices = () => {
    const admin = e2e.emulator.admin;
    return {
      MeteredProduct: admin.products().length,
      UsageMeterRegistration: admin.registrations().filter((r) => !r.deleted).length,
      VcppOrder: admin.commerceOrderCount(),
      VcaUser: admin.vcaUsers().filter((u) => u.userName === declared.vcaUsers.jane.userName).length,
    };
  };
  /** The resource kinds the stack's state holds. */
  const inState = async () => {
    const state = JSON.parse(await e2e.stack.exportState()) as { deployment: { resources?: { urn: string }[] } };
    return KINDS.filter((kind) => (state.deployment.resources ?? []).some((r) => r.urn.includes(`:${kind}::`)));
  };

  before(async function () {
    journalDir = mkdtempSync(join(tmpdir(), "vcpp-faults-e2e-"));
    e2e = await E2eStack.start(this, {
      emulator: { usageInsight: { registrationDelayMs: 300 }, commerce: { fulfilmentDelayMs: 3_600_000 } },
      config: config(journalDir),
    });
  });
  after(async () => {
    await e2e?.dispose();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it("pulumi up whose create answers are all lost after applying ends with each thing once, in state", async () => {
    await e2e.declare(declared, { vcda: "vcda-root-Secret-1" });
    for (const kind of KINDS)
      e2e.emulator.admin.injectFault({ method: "POST", pathIncludes: FAMILIES[kind].create, dropAfterApplying: true });
    const first = await e2e.stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"]);
    // A create that could not tell what happened may fail clearly; the next up adopts, never repeats.
    if (first.code !== 0) await e2e.stack.up();
    assert.deepEqual(onServices(), { MeteredProduct: 1, UsageMeterRegistration: 1, VcppOrder: 1, VcaUser: 1 });
    assert.deepEqual(await inState(), KINDS);
    assert.deepEqual((await e2e.stack.preview()).changes, [], "a further up has nothing to do");
  });

  it("pulumi refresh rides out two 503s on every read, and keeps everything in state", async () => {
    for (const kind of KINDS)
      e2e.emulator.admin.injectFault({ method: "GET", pathIncludes: FAMILIES[kind].read, status: 503, times: 2 });
    e2e.emulator.admin.clearRequests();
    await e2e.stack.refresh();
    assert.deepEqual(await inState(), KINDS);
    const met = e2e.emulator.requests.filter((r) => r.status === 503).length;
    assert.equal(met, 2 * KINDS.length, "every injected 503 was met, and retried");
  });

  it("pulumi destroy under a persistent 500 fails clearly and keeps in state what it could not delete", async () => {
    const failing = KINDS.filter((kind) => FAMILIES[kind].delete);
    for (const kind of failing)
      e2e.emulator.admin.injectFault({
        method: "DELETE",
        pathIncludes: FAMILIES[kind].delete!,
        status: 500,
        times: 100,
      });
    const result = await e2e.stack.pulumi(["destroy", "--yes", "--skip-preview", "--suppress-progress"]);
    e2e.emulator.admin.clearFaults();
    assert.notEqual(result.code, 0);
    const output = result.stdout + result.stderr;
    for (const service of ["Usage Meter", "Usage metering agents", "vCloud Air"])
      assert.match(output, new RegExp(`${service}: .* failed \\(DELETE [^)]*\\): 500`), output);
    assert.deepEqual(await inState(), failing, "what could not be deleted stays in state; the order is released");
    assert.deepEqual(onServices(), { MeteredProduct: 1, UsageMeterRegistration: 1, VcppOrder: 1, VcaUser: 1 });

    await e2e.stack.destroy();
    assert.deepEqual(await inState(), []);
    assert.deepEqual(onServices(), { MeteredProduct: 0, UsageMeterRegistration: 0, VcppOrder: 1, VcaUser: 0 });
  });
});
