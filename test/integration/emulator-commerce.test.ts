/**
 * The commerce emulator against its contract (seed 003, api-reference section 4), with plain
 * HTTPS requests: what a client of the real service would send, never through the package's own
 * client.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { request } from "node:https";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";

interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The body parsed: JSON, or XML with namespace prefixes dropped. */
  body: Record<string, unknown>;
}

const xmlParser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: false });

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca: string; timeoutMs?: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", ca: options.ca, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const contentType = String(res.headers["content-type"] ?? "");
        const body = text === "" ? {} : contentType.includes("xml") ? xmlParser.parse(text) : JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, contentType, text, body });
      });
    });
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end(options.body);
  });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function tokenOf(e: RunningEmulator): Promise<string> {
  const answer = await send(e.commerceTokenUrl, {
    method: "POST",
    ca: e.caPem,
    headers: { authorization: basic(e.commerceClientId, e.commerceClientSecret) },
  });
  assert.equal(answer.status, 200, answer.text);
  return String(answer.body.access_token);
}

/** A client of the API: a token once, then calls relative to the API base. */
async function clientOf(e: RunningEmulator) {
  const token = await tokenOf(e);
  const call = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
    timeoutMs?: number,
  ) =>
    send(`${e.commerceUrl}${path}`, {
      method,
      ca: e.caPem,
      headers: { authorization: `bearer ${token}`, ...headers },
      body,
      timeoutMs,
    });
  return {
    token,
    get: (path: string, accept = "application/json") => call("GET", path, { accept }),
    order: (body: string, contentType = "application/json", accept = contentType, timeoutMs?: number) =>
      call("POST", "/order", { "content-type": contentType, accept }, body, timeoutMs),
  };
}

interface Line {
  partNumber: string;
  quantity: string | number;
  SID?: string;
}
interface OrderFields {
  contract?: string;
  reseller?: string;
  poType?: string;
  email?: string;
  customerNumber?: string;
  lines?: Line[];
  source?: string;
}

/** The field table's order (seed 5.1), valid by default: the seed's 6.1 sample without its trailing comma. */
function orderTree(f: OrderFields = {}): Record<string, unknown> {
  return {
    OrderRequest: {
      source: f.source ?? "VSPP-EXT-API",
      orders: {
        order: {
          originalOrderNumber: f.contract ?? "12611521",
          resellerInfo: { ID: f.reseller ?? "1349347" },
          poType: f.poType ?? "NEW_SERVICE_REQUEST",
          orderContactList: {
            orderContact: {
              emailAddress: f.email ?? "jdoe@vmware.com",
              customerNumber: f.customerNumber ?? "9125255974",
            },
          },
          orderLineList: { orderLineItem: f.lines ?? [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }] },
        },
      },
    },
  };
}

const jsonOrder = (f: OrderFields = {}) => JSON.stringify(orderTree(f));

/** The appendix A form of the same order. */
function xmlOrder(f: OrderFields = {}): string {
  const lines = (f.lines ?? [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }])
    .map(
      (l) =>
        `<ns1:orderLineItem><ns1:partNumber>${l.partNumber}</ns1:partNumber><ns1:quantity>${l.quantity}</ns1:quantity>` +
        `${l.SID ? `<ns1:SID>${l.SID}</ns1:SID>` : ""}</ns1:orderLineItem>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<ns0:OrderRequest xmlns:ns0="http://www.vmware.com/OrderFulfillment">
  <ns0:source>${f.source ?? "VSPP-EXT-API"}</ns0:source>
  <ns0:systemType />
  <ns0:orders>
    <ns0:order>
      <ns1:originalOrderNumber xmlns:ns1="http://www.vmware.com/order">
        ${f.contract ?? "12611521"}</ns1:originalOrderNumber>
      <ns1:resellerInfo xmlns:ns1="http://www.vmware.com/order">
        <ns2:ID xmlns:ns2="http://www.vmware.com/it/mw/entitlement/common">${f.reseller ?? "1349347"}</ns2:ID>
      </ns1:resellerInfo>
      <ns1:poType xmlns:ns1="http://www.vmware.com/order">${f.poType ?? "NEW_SERVICE_REQUEST"}</ns1:poType>
      <ns1:orderContactList xmlns:ns1="http://www.vmware.com/order">
        <ns1:orderContact>
          <ns1:emailAddress>${f.email ?? "jdoe@vmware.com"}</ns1:emailAddress>
          <ns1:customerNumber>${f.customerNumber ?? "9125255974"}</ns1:customerNumber>
        </ns1:orderContact>
      </ns1:orderContactList>
      <ns1:orderLineList xmlns:ns1="http://www.vmware.com/order">${lines}</ns1:orderLineList>
    </ns0:order>
  </ns0:orders>
</ns0:OrderRequest>`;
}

/** One valid order of each type, from the seed's samples (6.1 to 7.4), corrected per the field table. */
const VALID_ORDERS: Record<string, OrderFields> = {
  "core new service (6.1)": {
    poType: "NEW_SERVICE_REQUEST",
    lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }],
  },
  "core on-demand (6.2)": {
    contract: "12722872",
    poType: "ONDEMAND_SIGNUP",
    lines: [{ partNumber: "HOV-AXXCR-1HUT0-C1S", quantity: "1" }],
  },
  "core add-on (6.3)": {
    poType: "ADDON_REQUEST",
    lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1", SID: "M495240516" }],
  },
  "core renewal (6.4)": {
    poType: "RENEWAL_REQUEST",
    lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1", SID: "M495240516" }],
  },
  "coreless new service (7.1)": {
    poType: "NEW_SERVICE_REQUEST",
    lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "25" }],
  },
  "coreless add-on (7.2)": {
    poType: "ADDON_REQUEST",
    lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "25", SID: "M495240519" }],
  },
  "coreless upgrade (7.3)": {
    poType: "UPGRADE_REQUEST",
    lines: [{ partNumber: "ASD-AUPOY-12MTH0-C1S", quantity: "25", SID: "M761739363" }],
  },
  "coreless renewal (7.4)": {
    poType: "RENEWAL_REQUEST",
    lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "25", SID: "M495240519" }],
  },
};

/** Orders the field table refuses, and what the error must name. */
const INVALID_ORDERS: Record<string, [OrderFields, RegExp]> = {
  "another source": [{ source: "MY-PORTAL" }, /source must be "VSPP-EXT-API"/],
  "an unknown contract": [{ contract: "99999999" }, /originalOrderNumber 99999999 is not a commit contract/],
  "a reseller that is not the contract's spPRMID": [
    { reseller: "1000001" },
    /resellerInfo\.ID 1000001 is not the spPRMID/,
  ],
  "an unknown poType": [{ poType: "CANCEL_REQUEST" }, /poType must be one of NEW_SERVICE_REQUEST/],
  "a contact who is not a user of the contract": [{ email: "someone@example.com" }, /orderContact .* is not a user/],
  "a contact of another contract (12833914 has only jroe)": [
    { contract: "12833914", lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "5" }] },
    /jdoe@vmware\.com \/ 9125255974 is not a user of contract 12833914/,
  ],
  "the seed's one-digit-short customer number (6.2, 6.4)": [
    { customerNumber: "912525974" },
    /is not a user of contract 12611521/,
  ],
  "a part the contract may not order": [
    { contract: "12722872", lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }] },
    /partNumber HCX-ALLCR-03PT0-C1S is not eligible for contract 12722872 \(eligible: HOV-AXXCR-1HUT0-C1S\)/,
  ],
  "an empty part number": [
    { lines: [{ partNumber: "", quantity: "1" }] },
    /orderLineItem\[0\]\.partNumber is required/,
  ],
  "a zero quantity": [
    { lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "0" }] },
    /quantity must be a positive whole number/,
  ],
  "a negative quantity": [
    { lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: -2 }] },
    /quantity must be a positive whole number/,
  ],
  "a fractional quantity": [
    { lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1.5" }] },
    /positive whole number/,
  ],
  "no lines": [{ lines: [] }, /orderLineItem must name at least one line/],
  "an add-on without SID": [
    { poType: "ADDON_REQUEST", lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "1" }] },
    /orderLineItem\[0\]\.SID is required for ADDON_REQUEST/,
  ],
  "a renewal without SID": [
    { poType: "RENEWAL_REQUEST", lines: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" }] },
    /SID is required for RENEWAL_REQUEST/,
  ],
  "an upgrade without SID": [
    { poType: "UPGRADE_REQUEST", lines: [{ partNumber: "ASD-AUPOY-12MTH0-C1S", quantity: "1" }] },
    /SID is required for UPGRADE_REQUEST/,
  ],
  "a SID of another contract": [
    {
      contract: "12833914",
      email: "jroe@vmware.com",
      customerNumber: "9125255981",
      poType: "ADDON_REQUEST",
      lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "1", SID: "M495240519" }],
    },
    /SID M495240519 is not a service instance of contract 12833914/,
  ],
  "an add-on not offered for the service instance": [
    { poType: "ADDON_REQUEST", lines: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: "1", SID: "M495240516" }] },
    /ADD-AACLS-12AT0-C1S is not eligible for service instance M495240516 \(eligible: HCX-ALLCR-03PT0-C1S\)/,
  ],
  "a renewal with a part of another product family": [
    { poType: "RENEWAL_REQUEST", lines: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "1", SID: "M495240516" }] },
    /not eligible for contract 12611521/,
  ],
};

describe("emulator: VCPP commerce", () => {
  let emulator: RunningEmulator | undefined;
  const start = async (options: EmulatorOptions = {}) =>
    (emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error", ...options }));
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  describe("token", () => {
    it("answers a bearer token for the client credentials, with the seed's 20-minute lifetime", async () => {
      const e = await start();
      const answer = await send(e.commerceTokenUrl, {
        method: "POST",
        ca: e.caPem,
        headers: { authorization: basic(e.commerceClientId, e.commerceClientSecret) },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.body).sort(), ["access_token", "expires_in", "token_type"]);
      assert.equal(answer.body.token_type, "bearer");
      assert.equal(answer.body.expires_in, 1200);
      assert.ok(String(answer.body.access_token).length >= 32);
      assert.match(e.commerceTokenUrl, /\/v1\/m0\/api\/token\/oauth$/);
      assert.match(e.commerceUrl, /\/v1\/m3\/api\/vcpp$/);
    });

    it("takes RFC 6749's grant_type=client_credentials form, refuses another grant type; a token exchange is no write", async () => {
      const e = await start();
      const post = (grantType: string) =>
        send(e.commerceTokenUrl, {
          method: "POST",
          ca: e.caPem,
          headers: {
            authorization: basic(e.commerceClientId, e.commerceClientSecret),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: `grant_type=${grantType}`,
        });
      assert.equal((await post("client_credentials")).status, 200);
      const refused = await post("password");
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, "unsupported_grant_type");
      assert.deepEqual(e.writes(), []);
    });

    it("refuses a wrong secret, an unknown client and a missing authorization with 401 and an OAuth error body", async () => {
      const e = await start();
      for (const authorization of [
        basic(e.commerceClientId, "wrong"),
        basic("someone", e.commerceClientSecret),
        undefined,
      ]) {
        const answer = await send(e.commerceTokenUrl, {
          method: "POST",
          ca: e.caPem,
          headers: authorization ? { authorization } : {},
        });
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error, "invalid_client");
        assert.match(String(answer.body.error_description), /client authentication failed/);
      }
      assert.equal(e.admin.commerceTokenRequests(), 3);
      assert.deepEqual(e.admin.commerceIssuedTokens(), []);
    });

    it("a token expires after its lifetime; the API then answers 401 until a new token is fetched", async () => {
      const e = await start({ commerce: { tokenTtlMs: 300 } });
      const client = await clientOf(e);
      assert.equal((await client.get("/commit-contracts")).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const expired = await client.get("/commit-contracts");
      assert.equal(expired.status, 401);
      assert.deepEqual(expired.body, {
        status: "FAILURE",
        requestId: null,
        error: "the bearer token is unknown or has expired",
      });
      assert.equal((await (await clientOf(e)).get("/commit-contracts")).status, 200);
      assert.equal(e.admin.commerceTokenRequests(), 2);
    });

    it("the admin expires every token now", async () => {
      const e = await start();
      const client = await clientOf(e);
      e.admin.expireCommerceTokens();
      assert.equal((await client.get("/commit-contracts")).status, 401);
    });

    it("the API refuses a request without a bearer token, or with an unknown one, in the format asked for", async () => {
      const e = await start();
      const none = await send(`${e.commerceUrl}/commit-contracts`, { ca: e.caPem });
      assert.equal(none.status, 401);
      assert.match(String(none.body.error), /authorization: bearer <access_token> is required/);
      const unknown = await send(`${e.commerceUrl}/commit-contracts`, {
        ca: e.caPem,
        headers: { authorization: "bearer not-a-token", accept: "application/xml" },
      });
      assert.equal(unknown.status, 401);
      assert.match(unknown.contentType, /application\/xml/);
      assert.match(unknown.text, /<ErrorResponse xmlns="http:\/\/www\.vmware\.com\/middleware\/error\/schemas">/);
      assert.deepEqual(unknown.body.ErrorResponse, {
        status: "FAILURE",
        error: "the bearer token is unknown or has expired",
      });
    });
  });

  describe("GET", () => {
    it("commit contracts: all, and one, with the seed's fields and values", async () => {
      const e = await start();
      const client = await clientOf(e);
      const all = (await client.get("/commit-contracts")).body.contractList as Record<string, string>[];
      assert.deepEqual(
        all.map((c) => c.contractNumber),
        ["12611521", "12722872", "12833914"],
      );
      const one = await client.get("/commit-contracts/12611521");
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, {
        contractList: [
          {
            accountName: "VMW Test Service Provider",
            accountNumber: "113370180",
            contractNumber: "12611521",
            commitID: "1131023",
            contractName: "AIR_12611521",
            aggregatorName: "VMW Test Aggregator",
            currencyCode: "USD",
            contractTerm: "12",
            startDate: "2017-11-15T00:00:00-08:00",
            endDate: "2018-11-14T00:00:00-08:00",
            thresholdLimit: "500000",
            commitLevel: "500000",
            spPRMID: "1349347",
            spName: "VMW Test Service Provider",
            spFname: "John",
            spLname: "Doe",
            emailId: "jdoe@vmware.com",
            commitSKU: "VCAN-AIR-LV5-C",
            currentConsumption: "7640",
            contractBalance: "500000.0",
            aggregatorPRMID: "1110923",
          },
        ],
      });
    });

    it("users of a contract, in the doubled wrapper userList.userList", async () => {
      const e = await start();
      const answer = await (await clientOf(e)).get("/commit-contracts/12611521/users");
      assert.equal(answer.body.contractNumber, "12611521");
      const users = (answer.body.userList as { userList: Record<string, unknown>[] }).userList;
      assert.deepEqual(users[0], {
        isAdmin: true,
        customerNumber: "9125255974",
        email: "jdoe@vmware.com",
        firstName: "John",
        lastName: "Doe",
      });
      assert.ok(users.length >= 2);
    });

    it("eligible core-coreless products differ per contract, each with crossRefSKUs in coreVariations.coreVariation", async () => {
      const e = await start();
      const client = await clientOf(e);
      const skus = async (contract: string) => {
        const answer = await client.get(`/commit-contracts/${contract}/subscription-products/core-coreless`);
        const products = answer.body.coreProduct as Array<{
          coreVariations: { coreVariation: { crossRefSKU: string }[] };
        }>;
        return products.flatMap((p) => p.coreVariations.coreVariation.map((v) => v.crossRefSKU));
      };
      assert.deepEqual(await skus("12611521"), [
        "HCX-ALLCR-03PT0-C1S",
        "ADD-AACLS-12AT0-C1S",
        "ADD-AOMSO-12MT0-C1S",
        "ASD-AUPOY-12MTH0-C1S",
      ]);
      assert.deepEqual(await skus("12722872"), ["HOV-AXXCR-1HUT0-C1S"]);
      assert.deepEqual(await skus("12833914"), ["ADD-AACLS-12AT0-C1S", "ADD-AOMSO-12MT0-C1S"]);
    });

    it("service instances of a contract in serviceList.commitServicesVOList, each linking to its details", async () => {
      const e = await start();
      const client = await clientOf(e);
      const answer = await client.get("/commit-contracts/12611521/service-instances");
      const list = (answer.body.serviceList as { commitServicesVOList: Record<string, unknown>[] })
        .commitServicesVOList;
      assert.deepEqual(list[0], {
        serviceInstanceID: "M495240519",
        status: "Active",
        productFamilyCode: "AIRWATCH CLOUD",
        endDate: "2018-12-23 00:00:00.0",
        endUserName: null,
        country: "US",
        postalCode: "63017-5827",
        serviceInstanceURL: `${e.commerceUrl}/service-instances/M495240519`,
      });
      assert.deepEqual(
        list.map((s) => s.serviceInstanceID),
        ["M495240519", "M495240516", "M761739363"],
      );
      const none = await client.get("/commit-contracts/12722872/service-instances");
      assert.deepEqual(none.body, { contractNumber: "12722872", serviceList: { commitServicesVOList: [] } });
    });

    it("one service instance: header, components, usage and contract", async () => {
      const e = await start();
      const answer = await (await clientOf(e)).get("/service-instances/M495240519");
      const header = answer.body.headerDetailsVO as Record<string, unknown>;
      assert.equal(header.serviceInstanceID, "M495240519");
      assert.equal(header.serviceTypeCode, "ORANGE");
      assert.equal(header.termEndDate, "2018-12-23T00:00:00-0800");
      assert.equal(header.resellerPRMID, "1349347");
      assert.deepEqual(answer.body.componentList, {
        componentList: [
          {
            skuDesc:
              "AirWatch by VMware Orange Management Suite - Dedicated Cloud - Per Device - Data Center location selected post purchase - Subscription - 12 Monthly Payments",
            quantity: "82",
            skuType: "PRIMARY",
            orderNumber: "12612136",
            status: "Active",
            startDate: "2017-12-24T00:00:00-08:00",
            crossRefSKU: "ADD-AOMSO-12MT0-C1S",
          },
        ],
      });
      assert.deepEqual(answer.body.usageDataVO, { abdStartDate: null, abdEndDate: null, usageItemList: null });
      assert.deepEqual(answer.body.commitDetailsVO, {
        aggregatorName: "VMW Test Aggregator",
        aggregatorPRMID: "1110923",
        contractNumber: "12611521",
        contractName: "AIR_12611521",
      });
    });

    it("add-ons of a service instance, by its product family", async () => {
      const e = await start();
      const client = await clientOf(e);
      const skus = async (id: string) => {
        const answer = await client.get(`/subscription-products/addon?serviceInstanceId=${id}`);
        const products = answer.body.addOnProduct as Array<{
          addOnProductVariations: { addOnProductVariation: { crossRefSKU: string; fromUnit: string }[] };
        }>;
        return products.flatMap((p) => p.addOnProductVariations.addOnProductVariation.map((v) => v.crossRefSKU));
      };
      assert.deepEqual(await skus("M495240519"), ["ADD-AACLS-12AT0-C1S", "ADD-AOMSO-12MT0-C1S"]);
      assert.deepEqual(await skus("M495240516"), ["HCX-ALLCR-03PT0-C1S"]);
    });

    it("an unknown contract or service instance answers 404, a missing serviceInstanceId 400, in the order answer's shape", async () => {
      const e = await start();
      const client = await clientOf(e);
      for (const path of [
        "/commit-contracts/99999999",
        "/commit-contracts/99999999/users",
        "/commit-contracts/99999999/subscription-products/core-coreless",
        "/commit-contracts/99999999/service-instances",
      ]) {
        const answer = await client.get(path);
        assert.equal(answer.status, 404, path);
        assert.deepEqual(answer.body, {
          status: "FAILURE",
          requestId: null,
          error: "commit contract 99999999 not found",
        });
      }
      for (const path of [
        "/service-instances/M000000000",
        "/subscription-products/addon?serviceInstanceId=M000000000",
      ]) {
        const answer = await client.get(path);
        assert.equal(answer.status, 404, path);
        assert.equal(answer.body.error, "service instance M000000000 not found");
      }
      const missing = await client.get("/subscription-products/addon");
      assert.equal(missing.status, 400);
      assert.match(String(missing.body.error), /serviceInstanceId is required/);
      const xml = await client.get("/commit-contracts/99999999", "application/xml");
      assert.equal(xml.status, 404);
      assert.equal((xml.body.ErrorResponse as Record<string, unknown>).error, "commit contract 99999999 not found");
    });

    it("every GET answers XML with the same content when asked (fields as elements, lists repeated)", async () => {
      const e = await start();
      const client = await clientOf(e);
      const cases: Array<[string, string, (json: Record<string, unknown>, xml: Record<string, unknown>) => void]> = [
        ["/commit-contracts", "CommitContracts", (json, xml) => assert.deepEqual(xml.contractList, json.contractList)],
        [
          "/commit-contracts/12722872",
          "CommitContracts",
          (json, xml) => assert.deepEqual([xml.contractList], json.contractList),
        ],
        [
          "/commit-contracts/12611521/users",
          "CommitContractUsers",
          (json, xml) => {
            const users = (xml.userList as { userList: Array<Record<string, unknown>> }).userList;
            const expected = (json.userList as { userList: Array<Record<string, unknown>> }).userList;
            assert.deepEqual(
              users,
              expected.map((u) => ({ ...u, isAdmin: String(u.isAdmin) })),
            );
          },
        ],
        [
          "/commit-contracts/12611521/subscription-products/core-coreless",
          "SubscriptionProducts",
          (json, xml) =>
            assert.deepEqual(
              (xml.coreProduct as Array<{ baseSKU: string }>).map((p) => p.baseSKU),
              (json.coreProduct as Array<{ baseSKU: string }>).map((p) => p.baseSKU),
            ),
        ],
        [
          "/commit-contracts/12611521/service-instances",
          "CommitServices",
          (json, xml) =>
            assert.deepEqual(
              (
                xml.serviceList as { commitServicesVOList: Array<{ serviceInstanceID: string }> }
              ).commitServicesVOList.map((s) => s.serviceInstanceID),
              (
                json.serviceList as { commitServicesVOList: Array<{ serviceInstanceID: string }> }
              ).commitServicesVOList.map((s) => s.serviceInstanceID),
            ),
        ],
        [
          "/service-instances/M495240519",
          "ServiceInstanceDetails",
          (json, xml) => {
            assert.deepEqual(xml.commitDetailsVO, json.commitDetailsVO);
            assert.deepEqual(
              (xml.componentList as { componentList: unknown }).componentList,
              (json.componentList as { componentList: unknown[] }).componentList[0],
            );
          },
        ],
        [
          "/subscription-products/addon?serviceInstanceId=M495240516",
          "AddOnProducts",
          (json, xml) =>
            assert.equal(
              (xml.addOnProduct as { baseSKU: string }).baseSKU,
              (json.addOnProduct as Array<{ baseSKU: string }>)[0].baseSKU,
            ),
        ],
      ];
      for (const [path, root, compare] of cases) {
        const json = await client.get(path);
        const xml = await client.get(path, "application/xml");
        assert.equal(xml.status, 200, path);
        assert.match(xml.contentType, /^application\/xml/, path);
        assert.match(xml.text, /^<\?xml version="1.0" encoding="UTF-8"\?>/, path);
        compare(json.body, xml.body[root] as Record<string, unknown>);
      }
    });
  });

  describe("POST /order", () => {
    for (const [name, fields] of Object.entries(VALID_ORDERS)) {
      it(`accepts a ${name} order in JSON and in XML; requestIds increase`, async () => {
        const e = await start();
        const client = await clientOf(e);
        const json = await client.order(jsonOrder(fields));
        assert.equal(json.status, 200, json.text);
        assert.deepEqual(json.body, { status: "SUCCESS", requestId: "29013", error: null });
        const xml = await client.order(xmlOrder(fields), "application/xml");
        assert.equal(xml.status, 200, xml.text);
        assert.match(
          xml.text,
          /<OrderResponse xmlns="http:\/\/www\.vmware\.com\/OrderFulfillment" xmlns:ns2="http:\/\/www\.vmware\.com\/middleware\/error\/schemas">/,
        );
        assert.deepEqual(xml.body.OrderResponse, { status: "SUCCESS", requestId: "29014" });
        const orders = e.admin.commerceOrders();
        assert.deepEqual(
          orders.map((o) => [o.requestId, o.format, o.poType, o.contractNumber]),
          [
            ["29013", "json", fields.poType, fields.contract ?? "12611521"],
            ["29014", "xml", fields.poType, fields.contract ?? "12611521"],
          ],
        );
        assert.deepEqual(orders[0].lines, orders[1].lines);
        assert.deepEqual(
          orders[0].lines,
          fields.lines!.map((l) => ({
            partNumber: l.partNumber,
            quantity: Number(l.quantity),
            ...(l.SID && fields.poType !== "NEW_SERVICE_REQUEST" ? { serviceInstanceId: l.SID } : {}),
          })),
        );
      });
    }

    it("accepts the seed's appendix B body verbatim, and answers JSON when accept asks for it", async () => {
      const e = await start();
      const appendixB = `<?xml version="1.0" encoding="UTF-8"?>
<ns0:OrderRequest xmlns:ns0="http://www.vmware.com/OrderFulfillment">
<ns0:source>VSPP-EXT-API</ns0:source>
<ns0:systemType />
<ns0:orders>
<ns0:order>
<ns1:originalOrderNumber xmlns:ns1="http://www.vmware.com/order">
12611521</ns1:originalOrderNumber>
<ns1:resellerInfo xmlns:ns1="http://www.vmware.com/order">
<ns2:ID xmlns:ns2="http://www.vmware.com/it/mw/entitlement/common">
1349347</ns2:ID>
</ns1:resellerInfo>
<ns1:poType xmlns:ns1="http://www.vmware.com/order">NEW_SERVICE_REQUEST</ns1:poType>
<ns1:orderContactList xmlns:ns1="http://www.vmware.com/order">
<ns1:orderContact>
<ns1:emailAddress>jdoe@vmware.com</ns1:emailAddress>
<ns1:customerNumber>9125255974</ns1:customerNumber>
</ns1:orderContact>
</ns1:orderContactList>
<ns1:orderLineList xmlns:ns1="http://www.vmware.com/order">
<ns1:orderLineItem>
<ns1:partNumber>HCX-ALLCR-03PT0-C1S</ns1:partNumber>
<ns1:quantity>1</ns1:quantity>
</ns1:orderLineItem>
</ns1:orderLineList>
</ns0:order>
</ns0:orders>
</ns0:OrderRequest>`;
      const answer = await (await clientOf(e)).order(appendixB, "application/xml", "application/json");
      assert.deepEqual(answer.body, { status: "SUCCESS", requestId: "29013", error: null });
      assert.equal(e.admin.commerceOrders()[0].contractNumber, "12611521");
    });

    it("takes several lines, and quantities written as numbers", async () => {
      const e = await start();
      const answer = await (
        await clientOf(e)
      ).order(
        jsonOrder({
          lines: [
            { partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 2 },
            { partNumber: "ADD-AACLS-12AT0-C1S", quantity: "10" },
          ],
        }),
      );
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        e.admin.commerceOrders()[0].lines.map((l) => l.quantity),
        [2, 10],
      );
    });

    for (const [name, [fields, error]] of Object.entries(INVALID_ORDERS)) {
      it(`refuses ${name}, in JSON and in XML, and records nothing`, async () => {
        const e = await start();
        const client = await clientOf(e);
        const json = await client.order(jsonOrder(fields));
        assert.equal(json.status, 400);
        assert.equal(json.body.status, "FAILURE");
        assert.equal(json.body.requestId, null);
        assert.match(String(json.body.error), error);
        const xml = await client.order(xmlOrder(fields), "application/xml");
        assert.equal(xml.status, 400);
        const response = xml.body.OrderResponse as Record<string, unknown>;
        assert.equal(response.status, "FAILURE");
        assert.match(String(response.error), error);
        assert.equal(e.admin.commerceOrderCount(), 0);
      });
    }

    it("refuses the seed's broken samples: trailing commas (6.1), and poType outside order (6.3)", async () => {
      const e = await start();
      const client = await clientOf(e);
      const trailingComma = jsonOrder().replace(
        '"emailAddress":"jdoe@vmware.com"',
        '"emailAddress":"jdoe@vmware.com",',
      );
      const broken = await client.order(trailingComma);
      assert.equal(broken.status, 400);
      assert.match(String(broken.body.error), /the body is not valid JSON/);
      const tree = orderTree({ poType: "ADDON_REQUEST" }) as { OrderRequest: { orders: Record<string, unknown> } };
      const order = tree.OrderRequest.orders.order as Record<string, unknown>;
      tree.OrderRequest.orders.poType = order.poType;
      delete order.poType;
      const outside = await client.order(JSON.stringify(tree));
      assert.equal(outside.status, 400);
      assert.match(String(outside.body.error), /OrderRequest\.orders\.order\.poType is required/);
      const malformedXml = await client.order("<OrderRequest><source>VSPP-EXT-API</source>", "application/xml");
      assert.equal(malformedXml.status, 400);
      const entity = await client.order('<!DOCTYPE x [<!ENTITY a "b">]><OrderRequest/>', "application/xml");
      assert.match(String((entity.body.OrderResponse as Record<string, unknown>).error), /document type/);
      assert.equal(e.admin.commerceOrderCount(), 0);
    });

    it("refuses an order without a live token, recording nothing", async () => {
      const e = await start();
      const answer = await send(`${e.commerceUrl}/order`, {
        method: "POST",
        ca: e.caPem,
        headers: { "content-type": "application/json" },
        body: jsonOrder(),
      });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.status, "FAILURE");
      assert.equal(e.admin.commerceOrderCount(), 0);
    });
  });

  describe("fulfilment and the order feed", () => {
    type FeedEntry = { status: string; title: string; updated: string; content: Record<string, string> };
    const jsonEntries = async (client: Awaited<ReturnType<typeof clientOf>>, query = "") =>
      (await client.get(`/orderfeed${query}`)).body.entry as FeedEntry[];
    /** The Atom feed's entries, as the same shape as the JSON ones. */
    const atomEntries = async (client: Awaited<ReturnType<typeof clientOf>>, query = "") => {
      const answer = await client.get(`/orderfeed${query}`, "application/atom+xml");
      assert.match(answer.contentType, /^application\/atom\+xml/);
      assert.match(
        answer.text,
        /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom" xmlns:order="http:\/\/www\.vmware\.com\/orderfeed">/,
      );
      const feed = answer.body.feed as { entry?: unknown };
      const list = feed.entry === undefined ? [] : Array.isArray(feed.entry) ? feed.entry : [feed.entry];
      return (list as Array<Record<string, unknown>>).map((e) => {
        const pairs = (e.content as { entry: Array<{ key: string; value: string }> | { key: string; value: string } })
          .entry;
        const content = Object.fromEntries((Array.isArray(pairs) ? pairs : [pairs]).map((p) => [p.key, p.value]));
        return {
          title: String(e.title),
          id: String(e.id),
          updated: String(e.updated),
          status: String(e.status),
          content,
        };
      });
    };

    it("an order appears in the feed only after the delay, one entry per line, the same in JSON and Atom", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 300 } });
      const client = await clientOf(e);
      const placed = await client.order(
        jsonOrder({
          lines: [
            { partNumber: "HCX-ALLCR-03PT0-C1S", quantity: "1" },
            { partNumber: "ADD-AOMSO-12MT0-C1S", quantity: "25" },
          ],
        }),
      );
      const requestId = String(placed.body.requestId);
      assert.deepEqual(await jsonEntries(client), []);
      assert.deepEqual(await atomEntries(client), []);
      assert.equal(e.admin.commerceOrders()[0].fulfillmentStatus, "pending");
      await new Promise((resolve) => setTimeout(resolve, 350));
      const entries = await jsonEntries(client);
      assert.equal(entries.length, 2);
      for (const [entry, part] of entries.map(
        (x, i) => [x, ["HCX-ALLCR-03PT0-C1S", "ADD-AOMSO-12MT0-C1S"][i]] as const,
      )) {
        assert.equal(entry.status, "success");
        assert.deepEqual(Object.keys(entry.content), [
          "OrderNumber",
          "TokenNumber",
          "ExternalLineTransactionReference",
          "LineID",
          "ExternalContractID",
          "PartID",
          "CommitStartDate",
          "CommitEndDate",
          "RequestID",
        ]);
        assert.equal(entry.content.PartID, part);
        assert.equal(entry.content.RequestID, requestId);
        assert.equal(entry.content.ExternalContractID, "12611521");
        assert.equal(entry.title, `Order ID:${entry.content.OrderNumber}`);
        assert.match(entry.content.CommitStartDate, /^\d{4}-\d{2}-\d{2}T00:00:00\.000-08:00$/);
        assert.match(entry.updated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      }
      assert.notEqual(entries[0].content.LineID, entries[1].content.LineID);
      assert.deepEqual(await atomEntries(client), entries);
      const order = e.admin.commerceOrders()[0];
      assert.equal(order.fulfillmentStatus, "success");
      assert.equal(order.orderNumber, entries[0].content.OrderNumber);
    });

    it("a new service order creates service instances; add-on, renewal and upgrade change theirs", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 0 } });
      const client = await clientOf(e);
      await client.order(jsonOrder(VALID_ORDERS["core new service (6.1)"]));
      const created = e.admin.commerceOrders()[0].createdServiceInstances!;
      assert.equal(created.length, 1);
      const list = (await client.get("/commit-contracts/12611521/service-instances")).body.serviceList as {
        commitServicesVOList: Array<{ serviceInstanceID: string; productFamilyCode: string }>;
      };
      assert.deepEqual(
        list.commitServicesVOList.find((s) => s.serviceInstanceID === created[0]),
        {
          ...list.commitServicesVOList.find((s) => s.serviceInstanceID === created[0]),
          productFamilyCode: "HCX",
        },
      );
      const details = async (id: string) => (await client.get(`/service-instances/${id}`)).body;
      assert.equal(((await details(created[0])).headerDetailsVO as { status: string }).status, "Active");

      await client.order(jsonOrder(VALID_ORDERS["coreless add-on (7.2)"]));
      const components = (
        (await details("M495240519")).componentList as { componentList: Array<Record<string, string>> }
      ).componentList;
      assert.deepEqual(
        components.map((c) => [c.crossRefSKU, c.skuType, c.quantity]),
        [
          ["ADD-AOMSO-12MT0-C1S", "PRIMARY", "82"],
          ["ADD-AOMSO-12MT0-C1S", "ADDON", "25"],
        ],
      );

      await client.order(jsonOrder(VALID_ORDERS["core renewal (6.4)"]));
      const header = (await details("M495240516")).headerDetailsVO as Record<string, string>;
      assert.equal(header.termEndDate, "2018-06-19T00:00:00-0800", "3 more months after 2018-03-19");
      const renewal = (await jsonEntries(client, "?requestId=29015"))[0];
      assert.equal(renewal.content.CommitStartDate, "2018-03-20T00:00:00.000-08:00");
      assert.equal(renewal.content.CommitEndDate, "2018-06-19T00:00:00.000-08:00");

      await client.order(jsonOrder(VALID_ORDERS["coreless upgrade (7.3)"]));
      const upgraded = ((await details("M761739363")).componentList as { componentList: Array<Record<string, string>> })
        .componentList;
      assert.equal(((await details("M761739363")).headerDetailsVO as Record<string, string>).serviceTypeCode, "YELLOW");
      assert.deepEqual(
        upgraded.map((c) => [c.crossRefSKU, c.status]),
        [
          ["ADD-AOMSO-12MT0-C1S", "Upgraded"],
          ["ASD-AUPOY-12MTH0-C1S", "Active"],
        ],
      );
    });

    it("a failing part number is fulfilled as failure, changing nothing; the admin chooses it", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 0, failingPartNumbers: ["ADD-AOMSO-12MT0-C1S"] } });
      const client = await clientOf(e);
      await client.order(jsonOrder(VALID_ORDERS["coreless add-on (7.2)"]));
      const [entry] = await jsonEntries(client);
      assert.equal(entry.status, "failure");
      assert.equal(entry.content.CommitStartDate, undefined);
      assert.deepEqual(await atomEntries(client), [entry]);
      const components = (
        (await client.get("/service-instances/M495240519")).body.componentList as {
          componentList: unknown[];
        }
      ).componentList;
      assert.equal(components.length, 1);
      e.admin.setCommerceFulfilment({ failingPartNumbers: [] });
      await client.order(jsonOrder(VALID_ORDERS["coreless add-on (7.2)"]));
      assert.deepEqual(
        (await jsonEntries(client)).map((x) => x.status),
        ["failure", "success"],
      );
    });

    it("the admin processes an order at once, and changes its status out of band (drift)", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 3_600_000 } });
      const client = await clientOf(e);
      await client.order(jsonOrder());
      assert.deepEqual(await jsonEntries(client), []);
      assert.equal(e.admin.fulfilCommerceOrder("29013").fulfillmentStatus, "success");
      assert.equal((await jsonEntries(client))[0].status, "success");
      const drifted = await send(`${e.url}/__admin/commerce/orders/29013/status`, {
        method: "PUT",
        ca: e.caPem,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "cancelled" }),
      });
      assert.equal(drifted.status, 200);
      assert.equal(drifted.body.fulfillmentStatus, "cancelled");
      assert.equal((await jsonEntries(client))[0].status, "cancelled");
      assert.equal((await atomEntries(client))[0].status, "cancelled");
    });

    it("filters by requestId and by if-Modified-Since (an HTTP date; 7 days by default); refuses a bad date", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 0 } });
      const client = await clientOf(e);
      await client.order(jsonOrder());
      await client.order(jsonOrder(VALID_ORDERS["coreless new service (7.1)"]));
      assert.equal((await jsonEntries(client)).length, 2);
      assert.deepEqual(
        (await jsonEntries(client, "?requestId=29014")).map((x) => x.content.PartID),
        ["ADD-AOMSO-12MT0-C1S"],
      );
      assert.equal((await atomEntries(client, "?requestId=29014")).length, 1);
      const future = new Date(Date.now() + 3_600_000).toUTCString();
      assert.deepEqual(await jsonEntries(client, `?if-Modified-Since=${encodeURIComponent(future)}`), []);
      const past = new Date(Date.now() - 3_600_000).toUTCString();
      assert.equal((await jsonEntries(client, `?if-Modified-Since=${encodeURIComponent(past)}`)).length, 2);
      const bad = await client.get("/orderfeed?if-Modified-Since=yesterday");
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.error), /if-Modified-Since must be an HTTP date/);
    });
  });

  describe("faults: the order is stored, the answer is lost", () => {
    const orderPath = "/vcpp-commerce/v1/m3/api/vcpp/order";

    it("records the order, then drops the connection", async () => {
      const e = await start();
      const client = await clientOf(e);
      e.admin.injectFault({ method: "POST", pathIncludes: orderPath, dropAfterApplying: true });
      await assert.rejects(client.order(jsonOrder()), /socket hang up|ECONNRESET/);
      assert.equal(e.admin.commerceOrderCount(), 1);
      assert.equal((await client.order(jsonOrder())).status, 200, "the next order is answered");
      assert.equal(e.admin.commerceOrderCount(), 2);
    });

    it("records the order, then answers 502", async () => {
      const e = await start();
      const client = await clientOf(e);
      e.admin.injectFault({
        method: "POST",
        pathIncludes: orderPath,
        applyFirst: true,
        status: 502,
        body: { status: "FAILURE", requestId: null, error: "Bad Gateway" },
      });
      const answer = await client.order(jsonOrder());
      assert.equal(answer.status, 502);
      assert.equal(e.admin.commerceOrderCount(), 1);
    });

    it("records the order, then answers slowly: the client's timeout fires after the order is stored", async () => {
      const e = await start();
      const client = await clientOf(e);
      e.admin.injectFault({ method: "POST", pathIncludes: orderPath, applyFirst: true, delayMs: 1000 });
      await assert.rejects(client.order(jsonOrder(), "application/json", "application/json", 200), /client timeout/);
      assert.equal(e.admin.commerceOrderCount(), 1);
    });

    it("a fault without applyFirst answers before the order reaches the service: nothing is recorded", async () => {
      const e = await start();
      const client = await clientOf(e);
      e.admin.injectFault({ method: "POST", pathIncludes: orderPath, status: 503 });
      assert.equal((await client.order(jsonOrder())).status, 503);
      assert.equal(e.admin.commerceOrderCount(), 0);
    });
  });

  describe("admin index and command line", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, "../../emulator/cli.js"), ...args], { encoding: "utf8" });

    it("--help lists the commerce options; a bad delay is a usage error", () => {
      const help = cli("--help");
      assert.equal(help.status, 0, help.stderr);
      for (const option of ["--commerce-fulfilment-delay MS", "--commerce-failing-part SKU"])
        assert.ok(help.stdout.includes(option), option);
      const bad = cli("--commerce-fulfilment-delay", "soon");
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--commerce-fulfilment-delay soon: expected milliseconds/);
    });

    it("lists the commerce admin routes and serves the order count over HTTP", async () => {
      const e = await start({ commerce: { fulfilmentDelayMs: 0 } });
      const index = await send(`${e.url}/__admin/`, { ca: e.caPem });
      const listed = (index.body.routes as Array<{ method: string; path: string }>).map((r) => `${r.method} ${r.path}`);
      for (const expected of [
        "GET /__admin/commerce",
        "GET /__admin/commerce/orders",
        "PUT /__admin/commerce/fulfilment",
        "POST /__admin/commerce/orders/{requestId}/fulfil",
        "PUT /__admin/commerce/orders/{requestId}/status",
        "POST /__admin/commerce/expire-tokens",
      ])
        assert.ok(listed.includes(expected), expected);
      await (await clientOf(e)).order(jsonOrder());
      const summary = await send(`${e.url}/__admin/commerce`, { ca: e.caPem });
      assert.equal(summary.body.orderCount, 1);
      assert.equal(summary.body.tokenRequests, 1);
      const orders = await send(`${e.url}/__admin/commerce/orders`, { ca: e.caPem });
      assert.equal((orders.body as unknown as unknown[]).length, 1);
    });
  });
});
