import { strict as assert } from "node:assert";
import { changedInputs } from "../../scripts/local-stack";
import { E2eStack, nameOf } from "./helpers";

const vcda = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda" };
const vcenter = {
  productType: "vCenter",
  host: "vcenter.example.com",
  user: "administrator@vsphere.local",
  password: "vcenter",
};
const passwords = { vcda: "vcda-root-Secret-1", vcenter: "vcenter-Secret-2" };

describe("MeteredProduct through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  const products = () => e2e.emulator.admin.products();
  const product = (host: string) => products().find((p) => p.host === host);
  const writes = () => e2e.emulator.writes().map((r) => `${r.method} ${r.path.replace(/^\/um\/[^/]+\/api\/v1/, "")}`);

  before(async function () {
    e2e = await E2eStack.start(this);
  });
  after(async () => e2e?.dispose());

  it("pulumi up registers the products and accepts their certificates", async () => {
    await e2e.declare({ products: { vcda, vcenter } }, passwords);
    await e2e.stack.up();
    assert.equal(products().length, 2);
    assert.ok(
      products().every((p) => p.metered === true),
      "both products metered",
    );
    const outputs = await e2e.stack.outputs();
    assert.deepEqual(outputs.metered, { vcda: true, vcenter: true });
    assert.equal((outputs.productIds as Record<string, number>).vcda, product(vcda.host)?.id);
  });

  it("a second pulumi up changes nothing and writes nothing to the appliance", async () => {
    e2e.emulator.admin.clearRequests();
    const preview = await e2e.stack.preview();
    assert.deepEqual(preview.changes, []);
    await e2e.stack.up();
    assert.deepEqual(writes(), []);
  });

  it("a changed user is updated in place, keeping the product id", async () => {
    const id = product(vcda.host)?.id;
    e2e.emulator.admin.clearRequests();
    await e2e.declare({ products: { vcda: { ...vcda, user: "admin" }, vcenter } }, passwords);
    const preview = await e2e.stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "vcda"]],
    );
    await e2e.stack.up();
    assert.equal(product(vcda.host)?.id, id);
    assert.equal(product(vcda.host)?.user, "admin");
    assert.deepEqual(writes(), ["PUT /product"]);
  });

  it("a changed port replaces the product: the old registration is removed", async () => {
    const oldId = product(vcenter.host)?.id;
    await e2e.declare(
      { products: { vcda: { ...vcda, user: "admin" }, vcenter: { ...vcenter, port: 8443 } } },
      passwords,
    );
    const preview = await e2e.stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["replace", "vcenter"]],
    );
    await e2e.stack.up();
    const replaced = products().filter((p) => p.host === vcenter.host);
    assert.equal(replaced.length, 1, "exactly one vCenter registration");
    assert.equal(replaced[0].port, 8443);
    assert.notEqual(replaced[0].id, oldId);
    assert.equal(replaced[0].metered, true);
  });

  it("pulumi preview --refresh shows a change made by hand, and pulumi up --refresh repairs it", async () => {
    const id = product(vcda.host)?.id as number;
    e2e.emulator.admin.changeProduct("default", id, { user: "someone-else" });
    e2e.emulator.admin.clearRequests();

    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "vcda"]],
    );
    const [drift] = preview.changes;
    assert.deepEqual(changedInputs(drift), ["user"]);
    assert.equal(drift.oldState?.inputs?.user, "someone-else");
    assert.equal(drift.newState?.inputs?.user, "admin");
    assert.deepEqual(writes(), [], "a preview writes nothing");

    await e2e.stack.up({ refresh: true });
    assert.equal(product(vcda.host)?.user, "admin");
    assert.equal(product(vcda.host)?.id, id);
  });

  it("pulumi refresh records the appliance's state, and the next up restores the declared one", async () => {
    const id = product(vcda.host)?.id as number;
    e2e.emulator.admin.changeProduct("default", id, { user: "someone-else" });
    await e2e.stack.refresh();
    assert.equal(product(vcda.host)?.user, "someone-else", "refresh changes nothing on the appliance");
    const preview = await e2e.stack.preview();
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["update", "vcda"]],
    );
    await e2e.stack.up();
    assert.equal(product(vcda.host)?.user, "admin");
  });

  it("a product removed by hand is registered again by pulumi up --refresh", async () => {
    e2e.emulator.admin.removeProduct("default", product(vcda.host)?.id as number);
    const preview = await e2e.stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changes.map((s) => [s.op, nameOf(s.urn)]),
      [["create", "vcda"]],
    );
    await e2e.stack.up({ refresh: true });
    assert.equal(product(vcda.host)?.metered, true);
    assert.equal(products().length, 2);
  });

  it("pulumi destroy unregisters everything it manages", async () => {
    e2e.emulator.admin.clearRequests();
    await e2e.stack.destroy();
    assert.deepEqual(products(), []);
    assert.ok(
      writes().every((w) => w.startsWith("DELETE ")),
      `only deletions: ${writes().join(", ")}`,
    );
  });
});

describe("MeteredProduct adoption through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  before(async function () {
    e2e = await E2eStack.start(this);
  });
  after(async () => e2e?.dispose());

  it("pulumi up adopts a product registered by hand instead of registering it twice", async () => {
    const byHand = await e2e.emulator.admin.addProduct("default", {
      productType: "VCAV",
      host: vcda.host,
      user: "root",
      password: "old-password",
    });
    e2e.emulator.admin.clearRequests();
    await e2e.declare({ products: { vcda } }, passwords);
    await e2e.stack.up();
    const products = e2e.emulator.admin.products();
    assert.equal(products.length, 1);
    assert.equal(products[0].id, byHand.id);
    assert.equal(products[0].metered, true, "its pending certificate was accepted");
    assert.ok(
      !e2e.emulator.writes().some((r) => r.method === "POST" && r.path.endsWith("/product")),
      "no registration POST",
    );
    assert.equal(
      e2e.emulator.admin.appliance().products[0].password,
      passwords.vcda,
      "the declared password was applied",
    );
    await e2e.stack.destroy();
    assert.deepEqual(e2e.emulator.admin.products(), []);
  });
});

describe("MeteredProduct registered but not metered, through the real Pulumi engine", function () {
  this.timeout(300_000);
  let e2e: E2eStack;
  before(async function () {
    e2e = await E2eStack.start(this);
  });
  after(async () => e2e?.dispose());
  const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

  it("pulumi up shows the warning for a product left unmetered", async () => {
    await e2e.declare({ products: { vcda: { ...vcda, acceptCertificate: false } } }, passwords);
    const up = await e2e.stack.up();
    assert.match(
      output(up),
      /is registered but not metered after pulumi up: its certificate \(SHA-256 [0-9A-F:]+\) waits for acceptance and acceptCertificate is false/,
    );
  });

  it("pulumi preview --refresh shows why it plans an update for a deactivated product", async () => {
    await e2e.declare({ products: { vcda } }, passwords);
    await e2e.stack.up();
    const id = e2e.emulator.admin.products()[0].id as number;
    e2e.emulator.admin.changeProduct("default", id, { active: false });
    const preview = await e2e.stack.pulumiOk(["preview", "--refresh", "--diff"]);
    assert.match(output(preview), /~ pulumi-nodejs:dynamic\/vcpp:MeteredProduct: \(update\)/, "an update is planned");
    assert.match(output(preview), /~ active\s*: true => false/, "the refresh shows the deactivation");
    assert.match(output(preview), /update planned, it is deactivated on the appliance .*pulumi up re-activates it/);
    await e2e.stack.up({ refresh: true });
    assert.deepEqual(
      e2e.emulator.admin.products().map((p) => [p.active, (p.status as { text: string }).text]),
      [[true, "Collecting"]],
    );
  });
});
