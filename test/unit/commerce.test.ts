import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sinon from "sinon";
import { atom, json, xml } from "../../provider/http/codecs";
import { ServiceError } from "../../provider/errors";
import { redact } from "../../provider/redact";
import { clearCredentials } from "../../provider/auth/token-source";
import { loadSharedSettings } from "../../provider/settings";
import { COMMERCE_ENVIRONMENTS, loadCommerceSettings } from "../../provider/commerce/settings";
import {
  atomOrderFeedSchema,
  contractUsersSchema,
  eligibleProductsSchema,
  jsonOrderFeedSchema,
  orderAnswerSchema,
  serviceInstanceSchema,
  serviceInstancesSchema,
} from "../../provider/commerce/schemas";
import { CommerceClient, orderFailureKind, OrderSpec, orderJson, orderXml } from "../../provider/commerce/client";
import { OrderJournal } from "../../provider/commerce/journal";
import { FAST_RETRY, rejectionOf, startServer, stubLogs, TestServer } from "./support";

const spec: OrderSpec = {
  contractNumber: "12611521",
  poType: "ADDON_REQUEST",
  resellerId: "1349347",
  contact: { emailAddress: "jdoe@vmware.com", customerNumber: "9125255974" },
  lineItems: [
    { partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" },
    { partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1, serviceInstanceId: "M495240516" },
  ],
};

const ATOM_FEED = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:order="http://www.vmware.com/orderfeed">
  <title>Order Feed</title><id>e4540029</id><updated>2014-12-18T07:09:07Z</updated>
  <entry>
    <title>Order ID:11990536</title><link href="" /><id>a217037b</id><updated>2014-12-18T01:50:02Z</updated>
    <order:status>success</order:status>
    <order:content>
      <order:entry><order:key>OrderNumber</order:key><order:value>11990536</order:value></order:entry>
      <order:entry><order:key>LineID</order:key><order:value>34056823</order:value></order:entry>
      <order:entry><order:key>ExternalContractID</order:key><order:value>789059</order:value></order:entry>
      <order:entry><order:key>PartID</order:key><order:value>VSPP3-AIR-MBO-10000-C</order:value></order:entry>
      <order:entry><order:key>CommitStartDate</order:key><order:value>2014-12-17T00:00:00.000-08:00</order:value></order:entry>
      <order:entry><order:key>CommitEndDate</order:key><order:value>2015-12-16T00:00:00.000-08:00</order:value></order:entry>
    </order:content>
  </entry>
</feed>`;

const JSON_FEED = {
  title: "Order Feed",
  entry: [
    {
      title: "Order ID:11990536",
      id: "a217037b",
      updated: "2014-12-18T01:50:02Z",
      status: "SUCCESS",
      content: {
        OrderNumber: "11990536",
        LineID: 34056823,
        ExternalContractID: "789059",
        PartID: "VSPP3-AIR-MBO-10000-C",
        CommitStartDate: "2014-12-17T00:00:00.000-08:00",
        CommitEndDate: "2015-12-16T00:00:00.000-08:00",
      },
    },
  ],
};

describe("commerce schemas", () => {
  it("unwrap the doubled list wrappers and read text, numbers and null liberally", () => {
    const users = contractUsersSchema.parse({
      contractNumber: 12611521,
      userList: {
        userList: [{ isAdmin: "TRUE", customerNumber: 9125255974, email: "jdoe@vmware.com", lastName: null }],
      },
    });
    const [user] = users.userList;
    assert.deepEqual(
      [user.isAdmin, user.customerNumber, user.email, user.lastName, users.userList.length],
      [true, "9125255974", "jdoe@vmware.com", undefined, 1],
    );
    const instances = serviceInstancesSchema.parse({
      serviceList: { commitServicesVOList: { serviceInstanceID: "M495240519", endUserName: null } },
    });
    assert.deepEqual(
      instances.serviceList.map((s) => s.serviceInstanceID),
      ["M495240519"],
    );
    const detail = serviceInstanceSchema.parse({
      headerDetailsVO: null,
      componentList: { componentList: [{ crossRefSKU: "ADD-AOMSO-12MT0-C1S", quantity: "82" }] },
    });
    assert.equal(detail.componentList[0].quantity, "82");
    const products = eligibleProductsSchema.parse({
      coreProduct: [
        { baseSKU: "ADD-AACLS-C", coreVariations: { coreVariation: [{ crossRefSKU: "ADD-AACLS-12AT0-C1S" }] } },
      ],
    });
    assert.equal(products.coreProduct[0].coreVariations[0].crossRefSKU, "ADD-AACLS-12AT0-C1S");
    assert.deepEqual(eligibleProductsSchema.parse({ coreProduct: null }).coreProduct, []);
  });

  it("refuse an answer without the field an order relies on, naming it", () => {
    const parsed = eligibleProductsSchema.safeParse({ coreProduct: [{ coreVariations: { coreVariation: [{}] } }] });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues[0].path), /crossRefSKU/);
  });

  it("read the order feed's Atom and JSON forms as the same typed entries", () => {
    const fromAtom = atomOrderFeedSchema.parse(atom().decode(Buffer.from(ATOM_FEED)));
    const fromJson = jsonOrderFeedSchema.parse(json().decode(Buffer.from(JSON.stringify(JSON_FEED))));
    assert.deepEqual(fromJson, fromAtom);
    assert.deepEqual(
      {
        status: fromAtom[0].status,
        orderNumber: fromAtom[0].orderNumber,
        lineId: fromAtom[0].lineId,
        partId: fromAtom[0].partId,
        commitEndDate: fromAtom[0].commitEndDate,
      },
      {
        status: "success",
        orderNumber: "11990536",
        lineId: "34056823",
        partId: "VSPP3-AIR-MBO-10000-C",
        commitEndDate: "2015-12-16T00:00:00.000-08:00",
      },
    );
    // key/value pairs as a list, and a bare array, are the same feed too
    const pairs = jsonOrderFeedSchema.parse([
      {
        ...JSON_FEED.entry[0],
        content: Object.entries(JSON_FEED.entry[0].content).map(([key, value]) => ({ key, value })),
      },
    ]);
    assert.deepEqual(pairs, fromAtom);
  });

  it("read the XML order answer like the JSON one", () => {
    const answer = xml().decode(
      Buffer.from(
        `<OrderResponse xmlns="http://www.vmware.com/OrderFulfillment" xmlns:ns2="http://www.vmware.com/middleware/error/schemas"><status>SUCCESS</status><requestId>28855</requestId></OrderResponse>`,
      ),
    );
    const read = orderAnswerSchema.parse(answer);
    assert.deepEqual([read.status, read.requestId], ["SUCCESS", "28855"]);
    assert.equal(orderAnswerSchema.parse({ status: "SUCCESS", requestId: 29013, error: null }).requestId, "29013");
  });
});

describe("commerce order payloads", () => {
  it("JSON follows the field table: everything under OrderRequest.orders.order, quantities as text, SID only when set", () => {
    const body = orderJson({
      ...spec,
      poType: "NEW_SERVICE_REQUEST",
      lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
    });
    assert.deepEqual(body, {
      OrderRequest: {
        source: "VSPP-EXT-API",
        orders: {
          order: {
            originalOrderNumber: "12611521",
            resellerInfo: { ID: "1349347" },
            poType: "NEW_SERVICE_REQUEST",
            orderContactList: { orderContact: { emailAddress: "jdoe@vmware.com", customerNumber: "9125255974" } },
            orderLineList: { orderLineItem: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }] },
          },
        },
      },
    });
  });

  it("XML is the appendix form, with its namespaces, and reads back to the same order", () => {
    const text = orderXml(spec);
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.match(text, /<ns0:OrderRequest xmlns:ns0="http:\/\/www.vmware.com\/OrderFulfillment">/);
    assert.match(
      text,
      /<ns1:originalOrderNumber xmlns:ns1="http:\/\/www.vmware.com\/order">12611521<\/ns1:originalOrderNumber>/,
    );
    assert.match(text, /<ns2:ID xmlns:ns2="http:\/\/www.vmware.com\/it\/mw\/entitlement\/common">1349347<\/ns2:ID>/);
    assert.match(text, /<ns0:systemType\/>/);
    const read = xml({ isArray: ["orderLineItem"] }).decode(Buffer.from(text)) as {
      OrderRequest: { orders: { order: { poType: string } & Record<string, Record<string, unknown>> } };
    };
    const order = read.OrderRequest.orders.order;
    assert.equal(order.poType, "ADDON_REQUEST");
    assert.deepEqual(order.orderContactList.orderContact, {
      emailAddress: "jdoe@vmware.com",
      customerNumber: "9125255974",
    });
    assert.deepEqual(order.orderLineList.orderLineItem, [
      { partNumber: "ADD-AACLS-12AT0-C1S", quantity: "25", SID: "M495240519" },
      { partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1", SID: "M495240516" },
    ]);
  });

  it("XML escapes what it carries", () => {
    assert.match(
      orderXml({ ...spec, contact: { emailAddress: "a&b@x.com", customerNumber: "1<2" } }),
      /a&amp;b@x.com.*\n?.*1&lt;2/s,
    );
  });
});

describe("CommerceClient", () => {
  let server: TestServer | undefined;
  beforeEach(() => {
    stubLogs();
    clearCredentials();
  });
  afterEach(async () => {
    sinon.restore();
    await server?.close();
    server = undefined;
  });

  const clientOf = (s: TestServer, timeoutMs?: number) =>
    new CommerceClient(
      {
        tokenUrl: `${s.url}/v1/m0/api/token/oauth`,
        apiUrl: `${s.url}/v1/m3/api/vcpp`,
        clientId: "client-1",
        clientSecret: "unit-commerce-secret",
        tls: {},
        feedFormat: "json",
      },
      { retry: FAST_RETRY, timeoutMs },
    );
  const token = { access_token: "unit-commerce-token", token_type: "bearer", expires_in: 1200 };

  it("gets one token for many concurrent calls, sends it as bearer, and renews it once on 401", async () => {
    let refused = false;
    server = await startServer((r) => {
      if (r.path.endsWith("/token/oauth"))
        return { body: { ...token, access_token: refused ? "second-token" : token.access_token } };
      if (r.headers.authorization === "Bearer unit-commerce-token" && r.path.endsWith("/12833914/users") && !refused) {
        refused = true;
        return { status: 401, body: { status: "FAILURE", error: "expired" } };
      }
      return { body: { contractList: [{ contractNumber: "12611521", spPRMID: 1349347 }] } };
    });
    const client = clientOf(server);
    await Promise.all(Array.from({ length: 5 }, () => client.commitContracts()));
    const tokenCalls = server.requests.filter((r) => r.path.endsWith("/token/oauth"));
    assert.equal(tokenCalls.length, 1);
    assert.equal(
      tokenCalls[0].headers.authorization,
      `Basic ${Buffer.from("client-1:unit-commerce-secret").toString("base64")}`,
    );
    await client.contractUsers("12833914").catch(() => undefined);
    assert.equal(server.requests.filter((r) => r.path.endsWith("/token/oauth")).length, 2);
    assert.equal(server.requests.at(-1)?.headers.authorization, "Bearer second-token");
  });

  it("one order feed read serves every concurrent and nearby reader with the same query", async () => {
    server = await startServer((r) => (r.path.endsWith("/token/oauth") ? { body: token } : { body: JSON_FEED }));
    const client = clientOf(server);
    const reads = await Promise.all(Array.from({ length: 20 }, () => client.sharedOrderFeed()));
    await client.sharedOrderFeed();
    assert.equal(reads[19][0].orderNumber, "11990536");
    assert.equal(server.requests.filter((r) => r.path.endsWith("/orderfeed")).length, 1);
    await clientOf(server).sharedOrderFeed({ requestId: "29013" });
    const feedCalls = server.requests.filter((r) => r.path.endsWith("/orderfeed"));
    assert.equal(feedCalls.length, 2);
    assert.equal(feedCalls[1].query.get("requestId"), "29013");
  });

  it("an order placed through the client drops its shared feed: the next read shows the order", async () => {
    server = await startServer((r) =>
      r.path.endsWith("/token/oauth")
        ? { body: token }
        : r.path.endsWith("/order")
          ? { body: { status: "SUCCESS", requestId: "29013" } }
          : { body: JSON_FEED },
    );
    const client = clientOf(server);
    await client.sharedOrderFeed();
    await client.sharedOrderFeed({ requestId: "29013" });
    await client.placeOrder(spec);
    await client.sharedOrderFeed();
    await client.sharedOrderFeed({ requestId: "29013" });
    assert.equal(server.requests.filter((r) => r.path.endsWith("/orderfeed")).length, 4);
  });

  it("a new client (a new configure) shares no feed read with the last", async () => {
    server = await startServer((r) => (r.path.endsWith("/token/oauth") ? { body: token } : { body: JSON_FEED }));
    await clientOf(server).sharedOrderFeed();
    await clientOf(server).sharedOrderFeed();
    assert.equal(server.requests.filter((r) => r.path.endsWith("/orderfeed")).length, 2);
  });

  it("asks for the feed as Atom with if-Modified-Since as an HTTP date", async () => {
    server = await startServer((r) =>
      r.path.endsWith("/token/oauth")
        ? { body: token }
        : { body: ATOM_FEED, headers: { "content-type": "application/atom+xml" } },
    );
    const entries = await clientOf(server).orderFeed({ format: "atom", since: new Date("2026-11-01T00:00:00Z") });
    assert.equal(entries[0].lineId, "34056823");
    const call = server.requests.find((r) => r.path.endsWith("/orderfeed"));
    assert.equal(call?.headers.accept, "application/atom+xml");
    assert.equal(call?.query.get("if-Modified-Since"), "Sun, 01 Nov 2026 00:00:00 GMT");
  });

  it("a malformed answer is a BAD_RESPONSE naming the call, never a crash", async () => {
    server = await startServer((r) =>
      r.path.endsWith("/token/oauth") ? { body: token } : { body: { contractList: [{ spPRMID: 1 }] } },
    );
    const error = await rejectionOf(clientOf(server).commitContracts());
    assert.ok(error instanceof ServiceError);
    assert.equal(error.code, "BAD_RESPONSE");
    assert.match(error.message, /list commit contracts .*contractList\[0\]\.contractNumber/);
  });

  for (const [what, reply, kind] of [
    ["SUCCESS", { body: { status: "SUCCESS", requestId: "29013", error: null } }, "placed"],
    [
      "400 FAILURE",
      { status: 400, body: { status: "FAILURE", requestId: null, error: "quantity must be positive" } },
      "rejected",
    ],
    ["200 FAILURE", { body: { status: "FAILURE", requestId: null, error: "bad part" } }, "rejected"],
    ["502 after the order was taken", { status: 502, body: "Bad gateway" }, "unknown"],
    ["a dropped connection", { destroy: true }, "unknown"],
    ["an unreadable 200", { body: "<html>" }, "unknown"],
  ] as const) {
    it(`POST /order answered by ${what} is ${kind}, and is sent exactly once`, async () => {
      server = await startServer((r) => (r.path.endsWith("/token/oauth") ? { body: token } : reply));
      const outcome = await clientOf(server).placeOrder(spec);
      assert.equal(outcome.kind, kind);
      if (outcome.kind === "placed") assert.equal(outcome.requestId, "29013");
      assert.equal(server.requests.filter((r) => r.path.endsWith("/order")).length, 1);
    });
  }

  it("POST /order with no answer before the timeout is unknown, sent once", async () => {
    server = await startServer((r) => (r.path.endsWith("/token/oauth") ? { body: token } : { hang: true }));
    const outcome = await clientOf(server, 300).placeOrder(spec);
    assert.equal(outcome.kind, "unknown");
    assert.equal(server.requests.filter((r) => r.path.endsWith("/order")).length, 1);
  });

  it("sends the XML order with content-type application/xml and reads the XML answer", async () => {
    server = await startServer((r) =>
      r.path.endsWith("/token/oauth")
        ? { body: token }
        : { body: "<OrderResponse><status>SUCCESS</status><requestId>28855</requestId></OrderResponse>" },
    );
    const outcome = await clientOf(server).placeOrder(spec, "xml");
    assert.deepEqual(outcome, { kind: "placed", requestId: "28855" });
    const post = server.requests.find((r) => r.path.endsWith("/order"));
    assert.equal(post?.headers["content-type"], "application/xml");
    assert.equal(post?.headers.accept, "application/xml");
    assert.match(post?.body ?? "", /<ns1:SID>M495240519<\/ns1:SID>/);
  });

  it("classifies failures without an answer: refused connections were never sent", () => {
    const call = { service: "s", operation: "o", method: "POST", path: "/order" };
    const network = (networkCode: string) => new ServiceError({ call, detail: "x", code: "NETWORK", networkCode });
    assert.equal(orderFailureKind(network("ECONNREFUSED")), "not-sent");
    assert.equal(
      orderFailureKind(new ServiceError({ call, detail: "x", code: "TLS", networkCode: "CERT" })),
      "not-sent",
    );
    assert.equal(orderFailureKind(network("ECONNRESET")), "unknown");
    assert.equal(
      orderFailureKind(new ServiceError({ call, detail: "x", code: "TIMEOUT", networkCode: "ETIMEDOUT" })),
      "unknown",
    );
    assert.equal(orderFailureKind(new ServiceError({ call, detail: "x", code: "HTTP_ERROR", status: 408 })), "unknown");
    assert.equal(
      orderFailureKind(new ServiceError({ call, detail: "x", code: "HTTP_ERROR", status: 409 })),
      "rejected",
    );
  });
});

describe("commerce settings", () => {
  const shared = loadSharedSettings(() => undefined);
  const load = (config: Record<string, string>, dir = "/project") =>
    loadCommerceSettings((k) => config[k], shared, dir);

  it("an environment chooses the documented token URL and API base", () => {
    const base = { commerceClientId: "id", commerceClientSecret: "unit-settings-secret" };
    assert.deepEqual(
      (({ tokenUrl, apiUrl }) => ({ tokenUrl, apiUrl }))(
        load({ ...base, commerceEnvironment: "development" }).connection(),
      ),
      COMMERCE_ENVIRONMENTS.development,
    );
    assert.equal(
      load({ ...base, commerceEnvironment: "production" }).connection().apiUrl,
      "https://vconnect.vmware.com/v1/m3/api/vcpp",
    );
    const explicit = load({
      ...base,
      commerceTokenUrl: "https://t.example/oauth",
      commerceUrl: "https://a.example/vcpp",
    });
    assert.equal(explicit.connection().tokenUrl, "https://t.example/oauth");
    assert.equal(redact("x unit-settings-secret y"), "x [REDACTED] y");
  });

  it("names the missing or invalid key and how to set it", () => {
    assert.throws(
      () => load({ commerceEnvironment: "staging" }),
      /vcpp:commerceEnvironment must be production or development/,
    );
    assert.throws(
      () => load({ commerceTokenUrl: "https://t.example/oauth" }),
      /commerceTokenUrl and vcpp:commerceUrl go together/,
    );
    assert.throws(
      () => load({ commerceUrl: "http://a.example", commerceTokenUrl: "https://t.example" }),
      /vcpp:commerceUrl must be an https:\/\/ URL/,
    );
    const partial = load({ commerceEnvironment: "production", commerceClientId: "id" });
    assert.equal(partial.configured(), false);
    assert.throws(() => partial.connection(), /pulumi config set --secret vcpp:commerceClientSecret/);
    assert.throws(() => load({}).connection(), /vcpp:commerceEnvironment is not set/);
  });

  it("keeps the journal in the project directory unless vcpp:commerceOrderJournal says otherwise", () => {
    assert.equal(load({}).journalPath, "/project/.pulumi-vcpp/orders.jsonl");
    assert.equal(load({ commerceOrderJournal: "state/orders.jsonl" }).journalPath, "/project/state/orders.jsonl");
    assert.equal(load({ commerceOrderJournal: "/var/lib/orders.jsonl" }).journalPath, "/var/lib/orders.jsonl");
  });
});

describe("OrderJournal", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "journal-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const record = { key: "k", fingerprint: "f", contractNumber: "1", partNumbers: ["P"] };

  it("says unknown after a send without an answer, placed after an answer, none after a rejection or release", () => {
    const journal = new OrderJournal(join(dir, "sub", "orders.jsonl"));
    assert.deepEqual(journal.verdict("k", "f"), { state: "none" });
    const sent = journal.append({ ...record, event: "sending" });
    assert.deepEqual(journal.verdict("k", "f"), { state: "unknown", at: sent.at });
    journal.append({ ...record, event: "unknown" });
    assert.deepEqual(journal.verdict("k", "f"), { state: "unknown", at: sent.at });
    journal.append({ ...record, event: "sending" });
    const placed = journal.append({ ...record, event: "placed", requestId: "29013" });
    assert.deepEqual(journal.verdict("k", "f"), { state: "placed", requestId: "29013", at: placed.at });
    assert.deepEqual(journal.verdict("k", "other"), { state: "none" });
    journal.append({ ...record, event: "released" });
    assert.deepEqual(journal.verdict("k", "f"), { state: "none" });
    journal.append({ ...record, event: "sending" });
    journal.append({ ...record, event: "rejected" });
    assert.deepEqual(journal.verdict("k", "f"), { state: "none" });
  });

  it("skips a line torn by a crash, and keeps what is before and after it", () => {
    const path = join(dir, "orders.jsonl");
    const journal = new OrderJournal(path);
    journal.append({ ...record, event: "sending" });
    appendFileSync(path, '{"key":"k","fingerp');
    appendFileSync(path, "\n");
    journal.append({ ...record, key: "k2", event: "sending" });
    assert.equal(journal.records().length, 2);
    assert.equal(journal.verdict("k", "f").state, "unknown");
    assert.doesNotMatch(readFileSync(path, "utf8"), /secret/);
  });

  it("a journal that cannot be written stops the order before it is sent", () => {
    const journal = new OrderJournal(join(dir, "orders.jsonl", "nested"));
    appendFileSync(join(dir, "orders.jsonl"), "");
    assert.throws(() => journal.append({ ...record, event: "sending" }), /cannot be written .*no order was sent/);
  });
});
