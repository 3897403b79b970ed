// Commerce: read the commit contracts and what a contract may order, then place one add-on order,
// guarded by `protect` (an order costs money, and deleting it from the stack does not withdraw it).
// The commerce API's URLs and client credentials come from vcpp:* stack config.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { getAddonProductsOutput, getCommitContractsOutput, getEligibleProductsOutput, VcppOrder } from "pulumi-vcpp";

const config = new pulumi.Config();
const contractNumber = config.require("contractNumber");
const serviceInstanceId = config.require("serviceInstanceId");
const partNumber = config.require("addonPartNumber");
const quantity = config.requireNumber("quantity");

export const contracts = getCommitContractsOutput().apply((all) =>
  all.map((c) => ({ contractNumber: c.contractNumber, name: c.contractName, balance: c.contractBalance })),
);
export const eligibleParts = getEligibleProductsOutput({ contractNumber }).apply((products) =>
  products.flatMap((p) => p.coreVariations.map((v) => v.crossRefSKU)),
);
export const addonParts = getAddonProductsOutput({ serviceInstanceId }).apply((products) =>
  products.flatMap((p) => p.addOnProductVariations.map((v) => v.crossRefSKU)),
);

// The order's key in the order journal: in the state before the order is attempted, so that an
// interrupted `pulumi up` never orders twice. The keepers give a new key only for a new order.
const orderKey = new random.RandomUuid("addon-order-key", {
  keepers: { contractNumber, serviceInstanceId, partNumber, quantity: String(quantity) },
});

const order = new VcppOrder(
  "addon",
  {
    contractNumber,
    poType: "ADDON_REQUEST",
    lineItems: [{ partNumber, quantity, serviceInstanceId }],
    orderKey: orderKey.result,
  },
  // Any change of the order's content places a NEW order: protect makes that a deliberate step.
  { protect: true },
);

export const requestId = order.requestId;
export const fulfillmentStatus = order.fulfillmentStatus;
export const orderNumber = order.orderNumber;
