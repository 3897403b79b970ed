import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sinon from "sinon";
import { ClientRegistry } from "../../provider/registry";
import { ServiceError } from "../../provider/errors";
import { CommerceClient, OrderOutcome, OrderSpec } from "../../provider/commerce/client";
import { OrderFeedEntry } from "../../provider/commerce/types";
import { matchOrder, VcppOrderOutputs, VcppOrderProvider } from "../../resources/vcpp-order";
import { UNKNOWN } from "../../resources/validation";
import { rejectionOf, stubLogs } from "./support";

const call = { service: "VCPP commerce", operation: "place an order", method: "POST", path: "/order" };

/** A commerce client that records orders and answers from a script. */
class FakeCommerce {
  orders: { spec: OrderSpec; format: string }[] = [];
  feed: OrderFeedEntry[] = [];
  feedReads = 0;
  outcome: () => OrderOutcome = () => ({ kind: "placed", requestId: String(29013 + this.orders.length - 1) });
  api = { describe: () => call };

  async commitContract(contractNumber: string) {
    return contractNumber === "12611521" ? { contractNumber, spPRMID: "1349347" } : undefined;
  }
  async requireCommitContract(contractNumber: string) {
    const contract = await this.commitContract(contractNumber);
    if (!contract) throw new ServiceError({ call, detail: "404: no such contract", code: "HTTP_ERROR", status: 404 });
    return contract;
  }
  async contractUsers() {
    return [
      { isAdmin: false, email: "jroe@vmware.com", customerNumber: "9125255981" },
      { isAdmin: true, email: "jdoe@vmware.com", customerNumber: "9125255974" },
    ];
  }
  async eligibleProducts() {
    return [{ coreVariations: [{ crossRefSKU: "HCX-ALLCR-03PT0-C1S" }, { crossRefSKU: "ADD-AOMSO-12MT0-C1S" }] }];
  }
  async addonProducts(sid: string) {
    if (sid === "broken") throw new ServiceError({ call, detail: "503", code: "HTTP_ERROR", status: 503 });
    return [{ addOnProductVariations: [{ crossRefSKU: "ADD-AACLS-12AT0-C1S" }] }];
  }
  async placeOrder(spec: OrderSpec, format: string): Promise<OrderOutcome> {
    this.orders.push({ spec, format });
    return this.outcome();
  }
  async orderFeed(query: { requestId?: string } = {}) {
    this.feedReads++;
    return this.feed.filter((e) => !query.requestId || e.requestId === query.requestId);
  }
  sharedOrderFeed(query: { requestId?: string } = {}) {
    return this.orderFeed(query);
  }
}

const addon = {
  contractNumber: "12611521",
  poType: "ADDON_REQUEST",
  lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
  payloadFormat: "json",
  orderKey: "3f0d9a52-4a57-4c34-9a2e-7d1f0b5b8d11",
};

function line(values: Partial<OrderFeedEntry>): OrderFeedEntry {
  return { id: `e-${values.lineId}`, status: "success", values: {}, ...values };
}

describe("VcppOrder provider", () => {
  let dir: string;
  let fake: FakeCommerce;
  let provider: VcppOrderProvider;
  let logs: ReturnType<typeof stubLogs>;
  const journalText = () => readFileSync(join(dir, "orders.jsonl"), "utf8");

  beforeEach(() => {
    logs = stubLogs();
    dir = mkdtempSync(join(tmpdir(), "vcpp-order-"));
    const registry = new ClientRegistry();
    const config: Record<string, string> = {
      commerceEnvironment: "development",
      commerceClientId: "unit-client",
      commerceClientSecret: "unit-order-secret",
      commerceOrderJournal: join(dir, "orders.jsonl"),
    };
    registry.configure((key) => config[key]);
    fake = new FakeCommerce();
    sinon.stub(registry, "commerce").returns(fake as unknown as CommerceClient);
    provider = new VcppOrderProvider(registry);
  });
  afterEach(() => {
    sinon.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("check", () => {
    const failures = async (news: Record<string, unknown>) =>
      ((await provider.check({}, news)).failures ?? []).map((f) => f.reason);

    it("accepts a valid add-on order and defaults the payload format to JSON", async () => {
      const result = await provider.check({}, { ...addon, payloadFormat: undefined });
      assert.equal(result.failures, undefined);
      assert.equal((result.inputs as Record<string, unknown>).payloadFormat, "json");
    });

    it("rejects add-on, renewal and upgrade lines without a serviceInstanceId, naming the line", async () => {
      for (const poType of ["ADDON_REQUEST", "RENEWAL_REQUEST", "UPGRADE_REQUEST"]) {
        assert.deepEqual(
          await failures({ ...addon, poType, lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 1 }] }),
          [`lineItems[0].serviceInstanceId: is required when poType is ${poType} (the service instance it acts on)`],
        );
      }
    });

    it("rejects quantities that are not positive whole numbers, empty part numbers, no lines and unknown order types", async () => {
      const bad = await failures({
        ...addon,
        lineItems: [
          { partNumber: "A", quantity: 0, serviceInstanceId: "M1" },
          { partNumber: "B", quantity: 1.5, serviceInstanceId: "M1" },
          { partNumber: " ", quantity: 1, serviceInstanceId: "M1" },
        ],
      });
      assert.deepEqual(bad, [
        "lineItems[0].quantity: must be a positive whole number",
        "lineItems[1].quantity: must be a positive whole number",
        "lineItems[2].partNumber: must not be empty",
      ]);
      assert.deepEqual(await failures({ ...addon, lineItems: [] }), ["lineItems: must have at least one line"]);
      assert.match(
        (await failures({ ...addon, poType: "CANCEL" }))[0],
        /^poType: must be one of NEW_SERVICE_REQUEST, /,
      );
      assert.deepEqual(await failures({ ...addon, waitForFulfillment: "3 days" }), [
        "waitForFulfillment: must be a duration such as 90s, 30m or 2h",
      ]);
      assert.deepEqual(fake.orders, []);
    });

    it("with credentials, rejects a part the contract or the service instance cannot order, listing the eligible ones", async () => {
      assert.deepEqual(
        await failures({
          ...addon,
          lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1, serviceInstanceId: "M495240519" }],
        }),
        [
          "lineItems[0].partNumber: HCX-ALLCR-03PT0-C1S is not eligible for service instance M495240519; eligible: ADD-AACLS-12AT0-C1S",
        ],
      );
      assert.deepEqual(
        await failures({ ...addon, poType: "NEW_SERVICE_REQUEST", lineItems: [{ partNumber: "NOPE-1", quantity: 1 }] }),
        [
          "lineItems[0].partNumber: NOPE-1 is not eligible for contract 12611521; eligible: HCX-ALLCR-03PT0-C1S, ADD-AOMSO-12MT0-C1S",
        ],
      );
      assert.deepEqual(fake.orders, []);
    });

    it("does not ask again about an order whose content did not change, nor while a value is unknown, nor when the API is down", async () => {
      const stub = sinon.spy(fake, "addonProducts");
      assert.equal((await provider.check(addon, addon)).failures, undefined);
      assert.equal((await provider.check({}, { ...addon, contractNumber: UNKNOWN })).failures, undefined);
      assert.equal(stub.callCount, 0);
      const broken = { ...addon, lineItems: [{ partNumber: "X", quantity: 1, serviceInstanceId: "broken" }] };
      assert.equal((await provider.check({}, broken)).failures, undefined);
      assert.match(logs.warn.lastCall.args[0], /could not check part numbers/);
    });
  });

  describe("diff", () => {
    const olds = {
      ...addon,
      contact: { emailAddress: "jdoe@vmware.com", customerNumber: "9125255974" },
      resellerId: "1349347",
      requestId: "29013",
      fulfillmentStatus: "pending",
    } as unknown as VcppOrderOutputs;

    it("shows no change when nothing was declared differently (defaults resolved are not changes)", async () => {
      assert.deepEqual(await provider.diff("k", olds, addon), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
      });
    });

    it("replaces on any change of content, saying a new order will be placed", async () => {
      const quantity = { ...addon, lineItems: [{ ...addon.lineItems[0], quantity: 26 }] };
      assert.deepEqual(await provider.diff("k", olds, quantity), {
        changes: true,
        replaces: ["lineItems"],
        deleteBeforeReplace: false,
      });
      assert.match(logs.warn.lastCall.args[0], /lineItems changed, so pulumi up places a NEW order/);
      const other = {
        ...addon,
        contact: { emailAddress: "jroe@vmware.com", customerNumber: "9125255981" },
        poType: "RENEWAL_REQUEST",
      };
      assert.deepEqual((await provider.diff("k", olds, other)).replaces, ["poType", "contact"]);
      assert.deepEqual((await provider.diff("k", olds, { ...addon, orderKey: "new" })).replaces, ["orderKey"]);
    });

    it("updates in place for the payload format and the wait", async () => {
      assert.deepEqual(await provider.diff("k", olds, { ...addon, payloadFormat: "xml", waitForFulfillment: "2h" }), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      const { outs } = await provider.update("k", olds, { ...addon, payloadFormat: "xml" });
      assert.equal(outs.payloadFormat, "xml");
      assert.equal(outs.requestId, "29013");
    });
  });

  describe("create: never twice", () => {
    it("places the order with the contract's admin user and spPRMID, journaled before and after", async () => {
      const { id, outs } = await provider.create({ ...addon, payloadFormat: "xml" });
      assert.equal(id, addon.orderKey);
      assert.equal(fake.orders.length, 1);
      assert.equal(fake.orders[0].format, "xml");
      assert.deepEqual(fake.orders[0].spec.contact, { emailAddress: "jdoe@vmware.com", customerNumber: "9125255974" });
      assert.equal(fake.orders[0].spec.resellerId, "1349347");
      assert.equal(outs.requestId, "29013");
      assert.equal(outs.fulfillmentStatus, "pending");
      assert.deepEqual(
        journalText()
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).event),
        ["sending", "placed"],
      );
    });

    it("a lost answer is not an error and not a retry: unconfirmed, and a second create (pulumi up again) places nothing", async () => {
      fake.outcome = () => ({
        kind: "unknown",
        error: new ServiceError({ call, detail: "no answer (ECONNRESET)", code: "NETWORK", networkCode: "ECONNRESET" }),
      });
      const first = await provider.create(addon);
      assert.equal(first.outs.fulfillmentStatus, "unconfirmed");
      assert.equal(first.outs.requestId, undefined);
      assert.match(logs.warn.lastCall.args[0], /outcome is unknown .* NOT sent again/);
      const second = await provider.create(addon);
      assert.equal(second.outs.fulfillmentStatus, "unconfirmed");
      assert.equal(fake.orders.length, 1);
    });

    it("after a process killed mid-create (journal says sent, no answer), create does not post", async () => {
      fake.placeOrder = async (spec, format) => {
        fake.orders.push({ spec, format });
        throw new Error("killed"); // the process dies here: nothing after the POST is written
      };
      await rejectionOf(provider.create(addon));
      fake.outcome = () => assert.fail("must not post again");
      const again = await provider.create(addon);
      assert.equal(again.outs.fulfillmentStatus, "unconfirmed");
      assert.equal(fake.orders.length, 1);
      assert.match(logs.warn.lastCall.args[0], /its answer never came .*NOT sent again/);
    });

    it("a journal entry with a request id is adopted, not ordered again", async () => {
      await provider.create(addon);
      const again = await provider.create(addon);
      assert.equal(again.outs.requestId, "29013");
      assert.equal(fake.orders.length, 1);
    });

    it("a definite rejection fails, places nothing, and a corrected order can then be placed", async () => {
      fake.outcome = () => ({
        kind: "rejected",
        error: new ServiceError({ call, detail: "400: quantity", code: "HTTP_ERROR", status: 400 }),
      });
      const error = await rejectionOf(provider.create(addon));
      assert.match(error.message, /400: quantity/);
      fake.outcome = () => ({ kind: "placed", requestId: "29100" });
      assert.equal((await provider.create(addon)).outs.requestId, "29100");
      assert.equal(fake.orders.length, 2);
    });

    it("adopts an order placed elsewhere by requestId without placing one", async () => {
      fake.feed = [line({ requestId: "28855", orderNumber: "11990536", lineId: "34056823", status: "success" })];
      const { outs } = await provider.create({ ...addon, requestId: "28855" });
      assert.deepEqual(fake.orders, []);
      assert.equal(outs.fulfillmentStatus, "success");
      assert.equal(outs.orderNumber, "11990536");
    });

    it("waitForFulfillment polls the feed during create until the order appears", async () => {
      setTimeout(
        () => (fake.feed = [line({ requestId: "29013", orderNumber: "1", lineId: "2", status: "success" })]),
        150,
      );
      const { outs } = await provider.create({ ...addon, waitForFulfillment: "5s" });
      assert.equal(outs.fulfillmentStatus, "success");
      assert.ok(fake.feedReads >= 2);
      assert.ok(logs.info.getCalls().some((c) => /Waiting up to 5 s for request 29013/.test(c.args[0])));
    });
  });

  describe("read and delete", () => {
    it("read follows the order in the feed: pending until it appears, then its status and numbers", async () => {
      const { outs } = await provider.create(addon);
      assert.equal((await provider.read(addon.orderKey, outs as VcppOrderOutputs)).props.fulfillmentStatus, "pending");
      fake.feed = [
        line({
          requestId: "29013",
          orderNumber: "11990536",
          lineId: "34056823",
          commitStartDate: "2026-11-24",
          commitEndDate: "2027-11-23",
          status: "success",
        }),
      ];
      const read = (await provider.read(addon.orderKey, outs as VcppOrderOutputs)).props as VcppOrderOutputs;
      assert.deepEqual(
        [read.fulfillmentStatus, read.orderNumber, read.lineId, read.commitStartDate, read.commitEndDate],
        ["success", "11990536", "34056823", "2026-11-24", "2027-11-23"],
      );
    });

    it("asks the feed for the request's own entries only when the feed carries no request ids at all", async () => {
      const { outs } = await provider.create(addon);
      const queries = sinon.spy(fake, "orderFeed");
      await provider.read(addon.orderKey, outs as VcppOrderOutputs);
      assert.deepEqual(queries.args, [[{}]], "an empty feed: one read, nothing per request");
      fake.feed = [line({ orderNumber: "1", lineId: "2", partId: "OTHER" })];
      await provider.read(addon.orderKey, outs as VcppOrderOutputs);
      assert.deepEqual(queries.args.at(-1), [{ requestId: "29013" }]);
    });

    it("with an unknown orderKey (a RandomUuid in preview), still checks the part numbers", async () => {
      const result = await provider.check(
        {},
        {
          ...addon,
          orderKey: UNKNOWN,
          lineItems: [{ partNumber: "NOPE", quantity: 1, serviceInstanceId: "M495240519" }],
        },
      );
      assert.match(result.failures?.[0]?.reason ?? "", /NOPE is not eligible/);
    });

    it("an unconfirmed order is confirmed by contract, part and time, never by a request another order holds", () => {
      const sent = "2026-11-24T10:00:00Z";
      const order = { ...addon, fulfillmentStatus: "unconfirmed", submittedAt: sent } as unknown as VcppOrderOutputs;
      const feed = [
        line({
          lineId: "old",
          partId: "ADD-AACLS-12AT0-C1S",
          externalContractId: "12611521",
          updated: "2026-11-20T00:00:00Z",
        }),
        line({ lineId: "theirs", requestId: "29020", partId: "ADD-AACLS-12AT0-C1S", updated: "2026-11-24T11:00:00Z" }),
        line({ lineId: "other part", partId: "HCX", externalContractId: "12611521", updated: "2026-11-24T11:00:00Z" }),
        line({
          lineId: "mine",
          requestId: "29021",
          partId: "ADD-AACLS-12AT0-C1S",
          externalContractId: "12611521",
          updated: "2026-11-24T12:00:00Z",
        }),
      ];
      assert.deepEqual(
        matchOrder(feed, order, new Set(["29020"])).map((e) => e.lineId),
        ["mine"],
      );
    });

    it("delete removes it from the stack with a warning that the order cannot be withdrawn, and frees the key", async () => {
      const { outs } = await provider.create(addon);
      await provider.delete(addon.orderKey, outs as VcppOrderOutputs);
      assert.match(
        logs.warn.lastCall.args[0],
        /removed from the stack only: an order cannot be withdrawn through the VCPP API/,
      );
      await provider.create(addon);
      assert.equal(fake.orders.length, 2);
    });
  });
});
