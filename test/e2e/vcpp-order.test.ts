import { strict as assert } from "node:assert";
import { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningEmulator } from "../../emulator";
import { CommandResult } from "../../scripts/local-stack";
import { commerceConfig, defaultConfig, E2eStack, nameOf } from "./helpers";
import { killProcessTree, processTree } from "./processes";

const ORDER_PATH = "/vcpp-commerce/v1/m3/api/vcpp/order";
const addon = (orderKey: string, quantity = 25) => ({
  contractNumber: "12611521",
  poType: "ADDON_REQUEST",
  lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity, serviceInstanceId: "M495240519" }],
  orderKey,
});

describe("VcppOrder through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  let journalDir: string;
  const logs: string[] = [];
  const orders = () => e2e.emulator.admin.commerceOrders();
  /** A VcppOrder's outputs as `pulumi stack export` has them. */
  const orderState = async (name: string): Promise<Record<string, unknown>> => {
    const state = JSON.parse(await e2e.stack.exportState()) as {
      deployment: { resources: { urn: string; outputs?: Record<string, unknown> }[] };
    };
    const resource = state.deployment.resources.find((r) => r.urn.endsWith(`VcppOrder::${name}`));
    assert.ok(resource, `no VcppOrder ${name} in the state`);
    return resource.outputs ?? {};
  };
  const up = async () => {
    const result = await e2e.stack.up();
    logs.push(result.stdout, result.stderr);
    return result;
  };

  before(async function () {
    journalDir = mkdtempSync(join(tmpdir(), "vcpp-order-e2e-"));
    e2e = await E2eStack.start(this, {
      emulator: { commerce: { fulfilmentDelayMs: 3_600_000 } },
      config: (emulator: RunningEmulator) => ({
        ...defaultConfig(emulator),
        ...commerceConfig(emulator, join(journalDir, "orders.jsonl")),
      }),
    });
  });
  after(async () => {
    await e2e?.dispose();
    rmSync(journalDir, { recursive: true, force: true });
  });

  it("pulumi up places the order once; a second up changes nothing and places nothing", async () => {
    await e2e.declare({ orders: { first: addon("first-key") } });
    await up();
    assert.equal(orders().length, 1);
    const outputs = await e2e.stack.outputs();
    assert.deepEqual(outputs.fulfillmentStatuses, { first: "pending" });
    assert.deepEqual(outputs.requestIds, { first: orders()[0].requestId });
    const preview = await e2e.stack.preview();
    assert.deepEqual(preview.changes, []);
    await up();
    assert.equal(orders().length, 1);
  });

  it("pulumi preview --refresh shows the fulfilment the order feed reports, and a change of it", async () => {
    const [order] = orders();
    e2e.emulator.admin.fulfilCommerceOrder(order.requestId);
    // The engine's JSON carries no refreshed outputs for a preview: its --diff text does.
    const fulfilled = await e2e.stack.pulumiOk(["preview", "--refresh", "--diff"]);
    assert.match(fulfilled.stdout, /~ fulfillmentStatus: "pending" => "success"/);
    assert.match(fulfilled.stdout, /\+ orderNumber +: "\d+"/);
    await e2e.stack.refresh();
    assert.equal((await orderState("first")).fulfillmentStatus, "success");
    e2e.emulator.admin.setCommerceOrderStatus(order.requestId, "failure");
    const drift = await e2e.stack.pulumiOk(["preview", "--refresh", "--diff"]);
    assert.match(drift.stdout, /~ fulfillmentStatus: "success" => "failure"/);
    assert.match(drift.stdout, /2 unchanged|unchanged/);
    assert.equal(orders().length, 1);
  });

  it("a changed quantity previews as a replacement, i.e. a new order", async () => {
    await e2e.declare({ orders: { first: addon("first-key", 26) } });
    const preview = await e2e.stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["replace", "first"]],
    );
    await e2e.declare({ orders: { first: addon("first-key") } });
  });

  it("pulumi preview refuses a part the service instance cannot add, naming it and the eligible ones", async () => {
    const bad = {
      ...addon("bad-key"),
      lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1, serviceInstanceId: "M495240519" }],
    };
    await e2e.declare({ orders: { first: addon("first-key"), bad } });
    const preview = await e2e.stack.pulumi(["preview"]);
    assert.notEqual(preview.code, 0);
    assert.match(
      preview.stdout + preview.stderr,
      /lineItems\[0\]\.partNumber: HCX-ALLCR-03PT0-C1S is not eligible for service instance M495240519; eligible: ADD-AACLS-12AT0-C1S, ADD-AOMSO-12MT0-C1S/,
    );
    assert.equal(orders().length, 1);
    await e2e.declare({ orders: { first: addon("first-key") } });
  });

  it("the server records the order but the answer is lost: after that up and a second up, exactly one order", async () => {
    e2e.emulator.admin.injectFault({ method: "POST", pathIncludes: ORDER_PATH, dropAfterApplying: true });
    await e2e.declare({ orders: { first: addon("first-key"), lost: addon("lost-key") } });
    const result = await up();
    assert.match(result.stdout + result.stderr, /outcome is unknown/);
    assert.equal(orders().length, 2);
    assert.equal((await orderState("lost")).fulfillmentStatus, "unconfirmed");
    await up();
    assert.equal(orders().length, 2, "exactly one order for lost");
  });

  it("pulumi killed after the POST reached the server: the next up places no second order", async () => {
    // The service records the order and holds its answer: pulumi is killed while it waits.
    e2e.emulator.admin.injectFault({ method: "POST", pathIncludes: ORDER_PATH, applyFirst: true, delayMs: 120_000 });
    await e2e.declare({ orders: { first: addon("first-key"), lost: addon("lost-key"), killed: addon("killed-key") } });
    let child: ChildProcess | undefined;
    const killedUp = e2e.stack.pulumi(["up", "--yes", "--skip-preview"], {
      detached: true,
      onSpawn: (c) => (child = c),
    });
    await waitUntil(() => orders().length === 3, 60_000);
    // The plugins run in process groups of their own: killing the CLI's group alone would orphan them.
    const tree = killProcessTree(child?.pid as number);
    assert.ok(
      tree.some((p) => p.command.includes("dynamic-provider")),
      "the dynamic provider was running",
    );
    const killed: CommandResult = await killedUp;
    await waitUntil(() => tree.every((p) => processTree(p.pid).length === 0), 10_000);
    assert.notEqual(killed.code, 0);
    e2e.emulator.admin.clearFaults();

    // A killed pulumi leaves its lock: the next command is refused until `pulumi cancel` removes it.
    const locked = await e2e.stack.pulumi(["up", "--yes", "--skip-preview"]);
    assert.notEqual(locked.code, 0);
    assert.match(locked.stderr, /the stack is currently locked/);
    await e2e.stack.pulumiOk(["cancel", "--yes"]);
    // The engine then warns about the interrupted create and runs it again: the journal stops the second order.
    const again = await up();
    assert.equal(orders().length, 3, "exactly one order for killed");
    assert.match(again.stdout + again.stderr, /its answer never came/);
    assert.match(again.stdout + again.stderr, /pending operations?/i);
    assert.equal((await orderState("killed")).fulfillmentStatus, "unconfirmed");
    await up();
    assert.equal(orders().length, 3);

    // Once VMware processes it, a refresh confirms it from the feed.
    e2e.emulator.admin.fulfilCommerceOrder(orders()[2].requestId);
    await e2e.stack.refresh();
    const confirmed = await orderState("killed");
    assert.equal(confirmed.fulfillmentStatus, "success");
    assert.equal(confirmed.requestId, orders()[2].requestId);
  });

  it("secrets are absent from pulumi stack export, the logs and the journal", async () => {
    const state = await e2e.stack.exportState();
    const journal = readFileSync(join(journalDir, "orders.jsonl"), "utf8");
    const tokens = e2e.emulator.admin.commerceIssuedTokens();
    assert.ok(tokens.length > 0);
    for (const text of [state, journal, ...logs]) {
      assert.deepEqual(e2e.leakedIn(text), []);
      assert.deepEqual(
        tokens.filter((t) => text.includes(t)),
        [],
      );
      assert.ok(!text.includes(e2e.emulator.commerceClientSecret));
    }
  });

  it("pulumi destroy removes the orders from the stack with a warning, and sends nothing", async () => {
    e2e.emulator.admin.clearRequests();
    const result = await e2e.stack.destroy();
    assert.match(result.stdout + result.stderr, /cannot be withdrawn through the VCPP API/);
    assert.deepEqual(
      e2e.emulator.writes().filter((r) => r.path.includes("vcpp-commerce") && !r.path.endsWith("/token/oauth")),
      [],
    );
    assert.equal(orders().length, 3);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
