/**
 * `POST /order`: the body (JSON, or the XML of the seed's appendix A; the content type chooses),
 * checked against the seed's field table (5.1), not against its sample bodies, several of which
 * are broken:
 * - trailing commas (6.1, 6.3, 6.4, 7.1, 7.2, 7.4) are not JSON: such a body is refused as JSON;
 * - 6.3 closes `order` before `poType`, `orderContactList` and `orderLineList`: the field table
 *   puts them under `OrderRequest/orders/order/`, so only there are they read;
 * - 6.2 and 6.4 give customer number 912525974, one digit short of the contract user's
 *   9125255974 (4.3): a contact must be a user of the contract, so those samples are refused;
 * - quantities are strings in the samples and "Integer" in the table: both `"25"` and `25` are
 *   read, and anything but a positive whole number is refused.
 * A single `orderLineItem` object is read as a list of one (that is what one XML element gives).
 * `systemType` (in some samples, undocumented) is ignored, and so is a `SID` on a new or
 * on-demand line (the table says which orders use it; it does not say others must not send it).
 */
import { XMLParser } from "fast-xml-parser";
import {
  addonsOf,
  CommerceState,
  findContract,
  findServiceInstance,
  NEEDS_SID,
  OrderLine,
  orderableFor,
  PO_TYPES,
  PoType,
  skusOf,
  ValidOrder,
} from "./state";

export const ORDER_SOURCE = "VSPP-EXT-API";

/** A refused order: the answer's `error`. */
export class OrderRejection extends Error {}

/** The body as a tree of the field table's names; throws OrderRejection when it cannot be read. */
export function parseOrderBody(text: string, format: "json" | "xml"): unknown {
  if (text.trim() === "") throw new OrderRejection("the request has no body: expected an OrderRequest");
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OrderRejection(`the body is not valid JSON (${(error as Error).message})`);
    }
  }
  // No entity of any kind is expanded, and a document type declaration is refused outright.
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new OrderRejection("the XML body may not declare a document type");
  try {
    return new XMLParser({
      removeNSPrefix: true,
      parseTagValue: false,
      processEntities: false,
      ignoreDeclaration: true,
      isArray: (name) => name === "orderLineItem",
    }).parse(text, true);
  } catch (error) {
    throw new OrderRejection(`the body is not well-formed XML (${(error as Error).message})`);
  }
}

type Tree = Record<string, unknown>;

const isTree = (value: unknown): value is Tree => typeof value === "object" && value !== null && !Array.isArray(value);

function child(parent: unknown, name: string, path: string): Tree {
  const value = isTree(parent) ? parent[name] : undefined;
  if (!isTree(value)) throw new OrderRejection(`${path}.${name} is required (an object)`);
  return value;
}

/** A text field: a string, or a number written as one (XML text is trimmed by the parser). */
function text(parent: Tree, name: string, path: string): string {
  const value = parent[name];
  if (typeof value === "number") return String(value);
  if (typeof value !== "string" || value.trim() === "") throw new OrderRejection(`${path}.${name} is required`);
  return value.trim();
}

/** Checks every rule of the field table; answers the order, or throws OrderRejection naming the field and the rule. */
export function validateOrder(state: CommerceState, body: unknown): ValidOrder {
  const request = child(body, "OrderRequest", "body");
  const source = text(request, "source", "OrderRequest");
  if (source !== ORDER_SOURCE)
    throw new OrderRejection(`OrderRequest.source must be "${ORDER_SOURCE}", got "${source}"`);
  const at = "OrderRequest.orders.order";
  const order = child(child(request, "orders", "OrderRequest"), "order", "OrderRequest.orders");

  const contractNumber = text(order, "originalOrderNumber", at);
  const contract = findContract(state, contractNumber);
  if (!contract)
    throw new OrderRejection(`${at}.originalOrderNumber ${contractNumber} is not a commit contract of this partner`);
  const resellerId = text(child(order, "resellerInfo", at), "ID", `${at}.resellerInfo`);
  if (resellerId !== contract.contract.spPRMID)
    throw new OrderRejection(
      `${at}.resellerInfo.ID ${resellerId} is not the spPRMID of contract ${contractNumber} (${contract.contract.spPRMID})`,
    );
  const poType = text(order, "poType", at);
  if (!(PO_TYPES as readonly string[]).includes(poType))
    throw new OrderRejection(`${at}.poType must be one of ${PO_TYPES.join(", ")}, got "${poType}"`);

  const contactAt = `${at}.orderContactList.orderContact`;
  const contactTree = child(child(order, "orderContactList", at), "orderContact", `${at}.orderContactList`);
  const contact = {
    emailAddress: text(contactTree, "emailAddress", contactAt),
    customerNumber: text(contactTree, "customerNumber", contactAt),
  };
  const user = contract.users.find(
    (u) => u.email.toLowerCase() === contact.emailAddress.toLowerCase() && u.customerNumber === contact.customerNumber,
  );
  if (!user)
    throw new OrderRejection(
      `${contactAt} ${contact.emailAddress} / ${contact.customerNumber} is not a user of contract ${contractNumber}`,
    );

  const lines = orderLines(state, order, contractNumber, poType as PoType, at);
  return { contractNumber, resellerId, poType: poType as PoType, contact, lines };
}

function orderLines(
  state: CommerceState,
  order: Tree,
  contractNumber: string,
  poType: PoType,
  at: string,
): OrderLine[] {
  const listAt = `${at}.orderLineList`;
  // An empty XML element is empty text, not an object: a list without lines either way.
  const items = order.orderLineList === "" ? undefined : child(order, "orderLineList", at).orderLineItem;
  const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
  if (list.length === 0) throw new OrderRejection(`${listAt}.orderLineItem must name at least one line`);
  const contract = findContract(state, contractNumber)!;
  const forContract = skusOf(orderableFor(contract));
  return list.map((item, index) => {
    const lineAt = `${listAt}.orderLineItem[${index}]`;
    if (!isTree(item)) throw new OrderRejection(`${lineAt} must be an object`);
    const partNumber = text(item, "partNumber", lineAt);
    const quantity = positiveInteger(item.quantity, `${lineAt}.quantity`);
    if (!NEEDS_SID.includes(poType)) {
      if (!forContract.has(partNumber))
        throw new OrderRejection(
          `${lineAt}.partNumber ${partNumber} is not eligible for contract ${contractNumber} (eligible: ${[...forContract.keys()].join(", ")})`,
        );
      return { partNumber, quantity };
    }
    if (item.SID === undefined || item.SID === "")
      throw new OrderRejection(`${lineAt}.SID is required for ${poType} (the service instance the line changes)`);
    const serviceInstanceId = text(item, "SID", lineAt);
    const instance = findServiceInstance(state, serviceInstanceId);
    if (!instance || instance.contractNumber !== contractNumber)
      throw new OrderRejection(
        `${lineAt}.SID ${serviceInstanceId} is not a service instance of contract ${contractNumber}`,
      );
    // An add-on must be one of the instance's add-ons; a renewal or an upgrade, a product of the
    // contract in the instance's family.
    const eligible = skusOf(
      poType === "ADDON_REQUEST"
        ? addonsOf(instance.productFamilyCode)
        : contract.products.filter((p) => p.productFamilyCode === instance.productFamilyCode),
    );
    if (!eligible.has(partNumber)) {
      const scope = poType === "ADDON_REQUEST" ? `service instance ${serviceInstanceId}` : `contract ${contractNumber}`;
      throw new OrderRejection(
        `${lineAt}.partNumber ${partNumber} is not eligible for ${scope} (eligible: ${[...eligible.keys()].join(", ") || "none"})`,
      );
    }
    return { partNumber, quantity, serviceInstanceId };
  });
}

function positiveInteger(value: unknown, path: string): number {
  const written = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!/^[0-9]+$/.test(written) || Number(written) < 1 || !Number.isSafeInteger(Number(written)))
    throw new OrderRejection(`${path} must be a positive whole number, got ${JSON.stringify(value ?? null)}`);
  return Number(written);
}
