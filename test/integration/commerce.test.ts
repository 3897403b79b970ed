import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import sinon from "sinon";
import { RunningEmulator, startEmulator, EmulatorOptions } from "../../emulator";
import { clearCredentials } from "../../provider/auth/token-source";
import { ClientRegistry } from "../../provider/registry";
import { forgetProgramClients } from "../../functions/program-clients";
import {
  getAddonProducts,
  getCommitContract,
  getCommitContracts,
  getContractUsers,
  getContractUsersOutput,
  getEligibleProducts,
  getOrderFeed,
  getServiceInstance,
  getServiceInstances,
} from "../../functions/commerce";
import { VcppOrderOutputs, VcppOrderProvider } from "../../resources/vcpp-order";
import { capturingLogs, checked } from "../helpers/emulator";

const ORDER_PATH = "/vcpp-commerce/v1/m3/api/vcpp/order";

/** The `vcpp:` keys (without the prefix) that point at the emulator's commerce service. */
function commerceConfig(emulator: RunningEmulator, journalDir: string, extra: Record<string, string> = {}) {
  return {
    commerceTokenUrl: emulator.commerceTokenUrl,
    commerceUrl: emulator.commerceUrl,
    commerceClientId: emulator.commerceClientId,
    commerceClientSecret: emulator.commerceClientSecret,
    commerceOrderJournal: join(journalDir, "orders.jsonl"),
    caCertificates: emulator.caPem,
    ...extra,
  };
}

describe("VCPP commerce against the emulator", () => {
  let emulator: RunningEmulator;
  let journalDir: string;

  async function start(options: EmulatorOptions["commerce"] = { fulfilmentDelayMs: 60_000 }): Promise<void> {
    emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error", commerce: options });
  }
  /** A provider as `configure` sets it up in a fresh provider process (the journal survives it). */
  function provider(extra: Record<string, string> = {}): VcppOrderProvider {
    clearCredentials();
    const config: Record<string, string> = commerceConfig(emulator, journalDir, extra);
    const registry = new ClientRegistry();
    registry.configure((key) => config[key]);
    return new VcppOrderProvider(registry);
  }

  beforeEach(() => {
    journalDir = mkdtempSync(join(tmpdir(), "vcpp-commerce-"));
    for (const level of ["info", "warn", "debug"] as const) sinon.stub(pulumi.log, level);
  });
  afterEach(async () => {
    sinon.restore();
    await emulator?.close();
    rmSync(journalDir, { recursive: true, force: true });
  });

  describe("functions (in a program, Pulumi mocks)", () => {
    before(() =>
      pulumi.runtime.setMocks(
        { newResource: (args) => ({ id: args.name, state: args.inputs }), call: (args) => args.inputs },
        "project",
        "stack",
        false,
      ),
    );
    beforeEach(async () => {
      await start();
      clearCredentials();
      forgetProgramClients();
      const config = Object.fromEntries(
        Object.entries(commerceConfig(emulator, journalDir)).map(([k, v]) => [`vcpp:${k}`, v]),
      );
      pulumi.runtime.setAllConfig(config, ["vcpp:commerceClientSecret"]);
    });
    afterEach(() => {
      forgetProgramClients();
      pulumi.runtime.setAllConfig({}, []);
    });

    it("read contracts, users, eligible products, service instances and add-ons, unwrapped and typed, with one token", async () => {
      const contracts = await getCommitContracts();
      assert.deepEqual(
        contracts.map((c) => c.contractNumber),
        ["12611521", "12722872", "12833914"],
      );
      assert.equal((await getCommitContract({ contractNumber: "12611521" })).spPRMID, "1349347");
      const users = await getContractUsers({ contractNumber: "12611521" });
      assert.deepEqual(
        users.map((u) => [u.email, u.isAdmin]),
        [
          ["jdoe@vmware.com", true],
          ["jroe@vmware.com", false],
        ],
      );
      const products = await getEligibleProducts({ contractNumber: "12611521" });
      assert.ok(products.flatMap((p) => p.coreVariations.map((v) => v.crossRefSKU)).includes("HCX-ALLCR-03PT0-C1S"));
      const instances = await getServiceInstances({ contractNumber: "12611521" });
      assert.deepEqual(
        instances.map((i) => i.serviceInstanceID),
        ["M495240519", "M495240516", "M761739363"],
      );
      const instance = await getServiceInstance({ serviceInstanceId: "M495240519" });
      assert.equal(instance.componentList[0].crossRefSKU, "ADD-AOMSO-12MT0-C1S");
      const addons = await getAddonProducts({ serviceInstanceId: "M495240519" });
      assert.deepEqual(
        addons.flatMap((p) => p.addOnProductVariations.map((v) => v.crossRefSKU)),
        ["ADD-AACLS-12AT0-C1S", "ADD-AOMSO-12MT0-C1S"],
      );
      assert.equal(emulator.admin.commerceTokenRequests(), 1);
    });

    it("the Output form takes Inputs; an unknown contract and bad arguments fail naming what is wrong", async () => {
      const users = await (
        getContractUsersOutput({ contractNumber: pulumi.output("12833914") }) as unknown as {
          promise(): Promise<{ email?: string }[]>;
        }
      ).promise();
      assert.deepEqual(
        users.map((u) => u.email),
        ["jroe@vmware.com"],
      );
      await assert.rejects(getCommitContract({ contractNumber: "99999999" }), /404: no such contract/);
      await assert.rejects(
        getContractUsers({ contractNumber: "" }),
        /getContractUsers: invalid inputs: contractNumber: must not be empty/,
      );
      await assert.rejects(getOrderFeed({ since: "yesterday" }), /since: must be a date/);
    });

    it("getOrderFeed gives the same entries read as Atom and as JSON, and filters by request", async () => {
      const placed = await provider().create(
        await checked(provider(), {
          contractNumber: "12611521",
          poType: "NEW_SERVICE_REQUEST",
          lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
          orderKey: "feed",
        }),
      );
      emulator.admin.fulfilCommerceOrder(placed.outs.requestId);
      const atom = await getOrderFeed({ format: "atom" });
      const json = await getOrderFeed({ format: "json" });
      assert.equal(atom.length, 1);
      assert.deepEqual(json, atom);
      assert.equal(atom[0].requestId, placed.outs.requestId);
      assert.equal(atom[0].partId, "HCX-ALLCR-03PT0-C1S");
      assert.deepEqual(await getOrderFeed({ requestId: "1" }), []);
    });
  });

  describe("VcppOrder", () => {
    const orders: [string, Record<string, unknown>][] = [
      [
        "NEW_SERVICE_REQUEST",
        { contractNumber: "12611521", lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }] },
      ],
      [
        "ONDEMAND_SIGNUP",
        { contractNumber: "12722872", lineItems: [{ partNumber: "HOV-AXXCR-1HUT0-C1S", quantity: 1 }] },
      ],
      [
        "ADDON_REQUEST",
        {
          contractNumber: "12611521",
          lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
        },
      ],
      [
        "RENEWAL_REQUEST",
        {
          contractNumber: "12611521",
          lineItems: [{ partNumber: "ADD-AOMSO-12MT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
        },
      ],
      [
        "UPGRADE_REQUEST",
        {
          contractNumber: "12611521",
          lineItems: [{ partNumber: "ASD-AUPOY-12MTH0-C1S", quantity: 25, serviceInstanceId: "M761739363" }],
        },
      ],
    ];
    for (const [poType, args] of orders) {
      for (const payloadFormat of ["json", "xml"]) {
        it(`places a ${poType} order as ${payloadFormat.toUpperCase()}, once, with the contract's admin user and spPRMID`, async () => {
          await start();
          const p = provider();
          const inputs = await checked(p, { ...args, poType, payloadFormat, orderKey: `${poType}-${payloadFormat}` });
          const { outs } = await p.create(inputs);
          const [order] = emulator.admin.commerceOrders();
          assert.equal(emulator.admin.commerceOrderCount(), 1);
          assert.equal(order.format, payloadFormat);
          assert.equal(order.poType, poType);
          assert.equal(order.resellerId, "1349347");
          assert.equal(order.contractNumber, args.contractNumber);
          assert.deepEqual(order.lines, args.lineItems);
          assert.equal(outs.requestId, order.requestId);
          assert.equal(outs.fulfillmentStatus, "pending");
          assert.deepEqual(outs.contact, {
            emailAddress: "jdoe@vmware.com",
            customerNumber: "9125255974",
          });
        });
      }
    }

    it("check rejects a part the service instance cannot add, naming it and the eligible ones, placing nothing", async () => {
      await start();
      const result = await provider().check(
        {},
        {
          contractNumber: "12611521",
          poType: "ADDON_REQUEST",
          lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1, serviceInstanceId: "M495240519" }],
          orderKey: "k",
        },
      );
      assert.deepEqual(
        result.failures?.map((f) => f.reason),
        [
          "lineItems[0].partNumber: HCX-ALLCR-03PT0-C1S is not eligible for service instance M495240519; eligible: ADD-AACLS-12AT0-C1S, ADD-AOMSO-12MT0-C1S",
        ],
      );
      assert.equal(emulator.admin.commerceOrderCount(), 0);
    });

    it("a definite rejection (400 FAILURE) fails with the service's reason and places nothing", async () => {
      await start();
      const p = provider();
      const inputs = await checked(p, {
        contractNumber: "12611521",
        poType: "NEW_SERVICE_REQUEST",
        contact: { emailAddress: "someone@example.com", customerNumber: "1" },
        lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
        orderKey: "rejected",
      });
      await assert.rejects(
        p.create(inputs),
        /place a NEW_SERVICE_REQUEST order .*400: .*orderContact .* is not a user of contract 12611521/,
      );
      assert.equal(emulator.admin.commerceOrderCount(), 0);
    });

    it("follows fulfilment: pending, then the feed's status, order number, line and commit dates, read as Atom or JSON", async () => {
      await start();
      const inputs = await checked(provider(), {
        contractNumber: "12611521",
        poType: "ADDON_REQUEST",
        lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
        orderKey: "follow",
      });
      const { id, outs } = await provider().create(inputs);
      const pending = await provider().read(id, outs as VcppOrderOutputs);
      assert.equal(pending.props.fulfillmentStatus, "pending");
      const fulfilled = emulator.admin.fulfilCommerceOrder(outs.requestId);
      const fromAtom = (await provider().read(id, outs as VcppOrderOutputs)).props as VcppOrderOutputs;
      const fromJson = (await provider({ commerceOrderFeedFormat: "json" }).read(id, outs as VcppOrderOutputs))
        .props as VcppOrderOutputs;
      assert.deepEqual(fromJson, fromAtom);
      assert.equal(fromAtom.fulfillmentStatus, "success");
      assert.equal(fromAtom.orderNumber, fulfilled.orderNumber);
      assert.ok(fromAtom.lineId);
      assert.ok(fromAtom.commitStartDate && fromAtom.commitEndDate);
    });

    it("a line the service fails shows as failure", async () => {
      await start({ fulfilmentDelayMs: 0, failingPartNumbers: ["ADD-AACLS-12AT0-C1S"] });
      const p = provider();
      const { id, outs } = await p.create(
        await checked(p, {
          contractNumber: "12611521",
          poType: "ADDON_REQUEST",
          lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 1, serviceInstanceId: "M495240519" }],
          orderKey: "failing",
        }),
      );
      assert.equal((await provider().read(id, outs as VcppOrderOutputs)).props.fulfillmentStatus, "failure");
    });

    it("one feed read serves every order read in a run", async () => {
      await start({ fulfilmentDelayMs: 0 });
      const p = provider();
      const created = [];
      for (const key of ["a", "b", "c", "d"]) {
        created.push(
          await p.create(
            await checked(p, {
              contractNumber: "12611521",
              poType: "NEW_SERVICE_REQUEST",
              lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
              orderKey: key,
            }),
          ),
        );
      }
      const refresh = provider();
      const feedReads = () => emulator.requests.filter((r) => r.path.endsWith("/orderfeed")).length;
      const before = feedReads();
      const read = await Promise.all(created.map(({ id, outs }) => refresh.read(id, outs as VcppOrderOutputs)));
      assert.deepEqual(
        read.map((r) => r.props.fulfillmentStatus),
        ["success", "success", "success", "success"],
      );
      assert.equal(feedReads() - before, 1);
    });

    it("waitForFulfillment polls the feed during create, with progress in the log", async () => {
      await start({ fulfilmentDelayMs: 1_500 });
      const p = provider();
      const inputs = await checked(p, {
        contractNumber: "12611521",
        poType: "NEW_SERVICE_REQUEST",
        lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
        orderKey: "wait",
        waitForFulfillment: "20s",
      });
      const { outs } = await capturingLogs(async (messages) => {
        const result = await p.create(inputs);
        assert.ok(messages.some((m) => /Waiting up to 20 s for request \d+/.test(m)));
        return result;
      });
      assert.equal(outs.fulfillmentStatus, "success");
    });

    for (const [what, fault] of [
      ["the connection drops after the server recorded the order", { dropAfterApplying: true }],
      ["a 502 after the server recorded the order", { applyFirst: true, status: 502, body: "Bad gateway" }],
    ] as const) {
      it(`${what}: unconfirmed, not retried, not re-posted by a second up, then confirmed from the feed`, async () => {
        await start();
        emulator.admin.injectFault({ method: "POST", pathIncludes: ORDER_PATH, ...fault });
        const args = {
          contractNumber: "12611521",
          poType: "ADDON_REQUEST",
          lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
          orderKey: `lost-${fault.status ?? "drop"}`,
        };
        const first = await capturingLogs(async (messages) => {
          const result = await provider().create(await checked(provider(), args));
          assert.ok(messages.some((m) => /outcome is unknown .*NOT sent again/.test(m)));
          return result;
        });
        assert.equal(first.outs.fulfillmentStatus, "unconfirmed");
        assert.equal(emulator.admin.commerceOrderCount(), 1);
        // the engine has the resource: a second up changes nothing (diff: no change)
        assert.equal((await provider().diff(first.id, first.outs as VcppOrderOutputs, args)).changes, false);
        // had it lost it (a killed pulumi), the journal stops a second order all the same
        const again = await provider().create(await checked(provider(), args));
        assert.equal(again.outs.fulfillmentStatus, "unconfirmed");
        assert.equal(emulator.admin.commerceOrderCount(), 1);
        const [order] = emulator.admin.commerceOrders();
        emulator.admin.fulfilCommerceOrder(order.requestId);
        const confirmed = (await provider().read(first.id, first.outs as VcppOrderOutputs)).props;
        assert.equal(confirmed.fulfillmentStatus, "success");
        assert.equal(confirmed.requestId, order.requestId);
      });
    }

    it("renews an expired token once and goes on; delete sends nothing", async () => {
      await start();
      const p = provider();
      const inputs = await checked(p, {
        contractNumber: "12611521",
        poType: "NEW_SERVICE_REQUEST",
        lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
        orderKey: "token",
      });
      emulator.admin.expireCommerceTokens();
      const { id, outs } = await p.create(inputs);
      assert.equal(emulator.admin.commerceTokenRequests(), 2);
      const requests = emulator.requests.length;
      await capturingLogs(async (messages) => {
        await p.delete(id, outs as VcppOrderOutputs);
        assert.ok(messages.some((m) => /cannot be withdrawn through the VCPP API/.test(m)));
      });
      assert.equal(emulator.requests.length, requests);
      assert.equal(emulator.admin.commerceOrderCount(), 1);
    });
  });
});
