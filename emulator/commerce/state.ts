/**
 * The commerce service's live state: client credentials and tokens, the seeded contracts and
 * service instances, and the orders received, with their asynchronous fulfilment.
 *
 * Fulfilment is evaluated when the state is read (every API request and admin operation does),
 * not by timers: an order is processed once `fulfilmentDelayMs` has passed since it was received,
 * exactly as a timer would, and nothing is left running when the emulator closes.
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  ADDONS,
  allProducts,
  Component,
  ContractSeed,
  EmulatedServiceInstance,
  primary,
  Product,
  seedContracts,
  seedServiceInstances,
  Sku,
} from "./catalogue";

export const PO_TYPES = [
  "NEW_SERVICE_REQUEST",
  "ONDEMAND_SIGNUP",
  "ADDON_REQUEST",
  "RENEWAL_REQUEST",
  "UPGRADE_REQUEST",
] as const;
export type PoType = (typeof PO_TYPES)[number];
/** The order types whose lines name the service instance they change (`SID`). */
export const NEEDS_SID: readonly PoType[] = ["ADDON_REQUEST", "RENEWAL_REQUEST", "UPGRADE_REQUEST"];

export interface CommerceOptions {
  /** Default `vcpp-emulator-client`. */
  clientId?: string;
  /** Default: random. */
  clientSecret?: string;
  /** Lifetime of a bearer token (default 20 minutes, as the seed says); `expires_in` reports it. */
  tokenTtlMs?: number;
  /** How long after it is accepted an order appears in the feed (default 1000; 0: at once). */
  fulfilmentDelayMs?: number;
  /** Order lines with these part numbers are fulfilled as `failure` (default: none). */
  failingPartNumbers?: string[];
  /** The first `requestId` handed out (default 29013, the seed's first sample); later ones increase. */
  firstRequestId?: number;
}

export interface OrderLine {
  partNumber: string;
  quantity: number;
  /** The service instance the line changes (`SID`); only add-on, renewal and upgrade lines have one. */
  serviceInstanceId?: string;
}

/** What `POST /order` accepted, after validation. */
export interface ValidOrder {
  contractNumber: string;
  resellerId: string;
  poType: PoType;
  contact: { emailAddress: string; customerNumber: string };
  lines: OrderLine[];
}

/** One line as the order feed shows it, once the order is processed. */
export interface FulfilledLine {
  lineId: string;
  externalLineTransactionReference: string;
  partNumber: string;
  /** `success` or `failure`; an operator may set anything else (drift). */
  status: string;
  /** Days, `YYYY-MM-DD`; absent on a failed line. */
  commitStartDate?: string;
  commitEndDate?: string;
  /** When the line last changed: what `if-Modified-Since` compares. */
  updatedAt: number;
  /** The Atom entry's id, stable across reads. */
  entryId: string;
}

export interface EmulatedOrder extends ValidOrder {
  requestId: string;
  /** The body's format: `json` or `xml`. */
  format: "json" | "xml";
  receivedAt: number;
  /** Absent until processed; then the feed shows it. */
  orderNumber?: string;
  tokenNumber?: string;
  fulfilledLines?: FulfilledLine[];
  /** Service instances the order created. */
  createdServiceInstances?: string[];
}

export interface CommerceState {
  clientId: string;
  clientSecret: string;
  tokenTtlMs: number;
  fulfilmentDelayMs: number;
  failingPartNumbers: string[];
  /** Live tokens and when each expires. */
  tokens: Map<string, number>;
  /** Every access token ever handed out: none may end up in state or logs. */
  issuedTokens: string[];
  /** Requests to the token endpoint, accepted or not. */
  tokenRequests: number;
  contracts: ContractSeed[];
  serviceInstances: EmulatedServiceInstance[];
  orders: EmulatedOrder[];
  nextRequestId: number;
  nextOrderNumber: number;
  nextLineId: number;
  nextLineReference: number;
  nextServiceInstance: number;
}

export function createCommerceState(options: CommerceOptions = {}): CommerceState {
  return {
    clientId: options.clientId ?? "vcpp-emulator-client",
    clientSecret: options.clientSecret ?? `cs-${randomBytes(12).toString("base64url")}`,
    tokenTtlMs: options.tokenTtlMs ?? 20 * 60_000,
    fulfilmentDelayMs: options.fulfilmentDelayMs ?? 1000,
    failingPartNumbers: [...(options.failingPartNumbers ?? [])],
    tokens: new Map(),
    issuedTokens: [],
    tokenRequests: 0,
    contracts: seedContracts(),
    serviceInstances: seedServiceInstances(),
    orders: [],
    nextRequestId: options.firstRequestId ?? 29013,
    // The seed's feed sample shows order 11990536, line 34056823 and reference 967476878; later ones continue from there.
    nextOrderNumber: 11990536,
    nextLineId: 34056823,
    nextLineReference: 967476878,
    nextServiceInstance: 495240600,
  };
}

export function issueToken(state: CommerceState): string {
  const token = randomBytes(32).toString("base64url");
  state.tokens.set(token, Date.now() + state.tokenTtlMs);
  state.issuedTokens.push(token);
  return token;
}

export function tokenIsLive(state: CommerceState, token: string): boolean {
  const expiresAt = state.tokens.get(token);
  if (expiresAt === undefined) return false;
  if (expiresAt > Date.now()) return true;
  state.tokens.delete(token);
  return false;
}

export const findContract = (state: CommerceState, contractNumber: string): ContractSeed | undefined =>
  state.contracts.find((c) => c.contract.contractNumber === contractNumber);

export const findServiceInstance = (state: CommerceState, id: string): EmulatedServiceInstance | undefined =>
  state.serviceInstances.find((s) => s.serviceInstanceID === id);

/** The add-ons an instance of this product family may order. */
export const addonsOf = (productFamilyCode: string): Product[] => ADDONS[productFamilyCode] ?? [];

/** Every SKU of these products, by part number, with the product it belongs to. */
export function skusOf(products: Product[]): Map<string, { product: Product; sku: Sku }> {
  return new Map(products.flatMap((product) => product.skus.map((sku) => [sku.crossRefSKU, { product, sku }])));
}

/** Every SKU of the catalogue, to look up what an (already validated) order line names. */
const CATALOGUE_SKUS = skusOf(allProducts());

/** What a contract may order without a service instance: its core-coreless list and their add-ons. */
export function orderableFor(contract: ContractSeed): Product[] {
  const families = new Set(contract.products.map((p) => p.productFamilyCode));
  return [...contract.products, ...[...families].flatMap(addonsOf)];
}

export function recordOrder(state: CommerceState, order: ValidOrder, format: "json" | "xml"): EmulatedOrder {
  const recorded: EmulatedOrder = {
    ...order,
    requestId: String(state.nextRequestId++),
    format,
    receivedAt: Date.now(),
  };
  state.orders.push(recorded);
  return recorded;
}

/** Processes every order whose delay has passed, oldest first. */
export function fulfilDue(state: CommerceState, now = Date.now()): void {
  for (const order of state.orders)
    if (!order.fulfilledLines && now - order.receivedAt >= state.fulfilmentDelayMs) fulfil(state, order, now);
}

/** Processes one order now, whatever its delay: its lines get their outcome and the service instances change. */
export function fulfil(state: CommerceState, order: EmulatedOrder, now = Date.now()): void {
  if (order.fulfilledLines) return;
  const day = isoDay(now);
  order.orderNumber = String(state.nextOrderNumber++);
  order.tokenNumber = tokenNumber(now, state.orders.indexOf(order));
  const created = new Map<string, EmulatedServiceInstance>();
  order.fulfilledLines = order.lines.map((line) => {
    const base = {
      lineId: String(state.nextLineId++),
      externalLineTransactionReference: String(state.nextLineReference++),
      partNumber: line.partNumber,
      updatedAt: now,
      entryId: randomUUID(),
    };
    if (state.failingPartNumbers.includes(line.partNumber)) return { ...base, status: "failure" };
    // Validation let only catalogue SKUs through.
    const { product, sku } = CATALOGUE_SKUS.get(line.partNumber)!;
    const component = primary(sku, String(line.quantity), order.orderNumber!, day);
    const dates = applyLine(state, order, line, component, sku.termMonths, day, created, product);
    return { ...base, status: "success", ...dates };
  });
  order.createdServiceInstances = [...created.values()].map((s) => s.serviceInstanceID);
}

/** What a successful line does to the service instances; answers its commit dates. */
function applyLine(
  state: CommerceState,
  order: EmulatedOrder,
  line: OrderLine,
  component: Component,
  term: number,
  day: string,
  created: Map<string, EmulatedServiceInstance>,
  product: Product,
): { commitStartDate: string; commitEndDate: string } {
  const instance = line.serviceInstanceId ? findServiceInstance(state, line.serviceInstanceId) : undefined;
  switch (order.poType) {
    case "ADDON_REQUEST":
      instance!.components.push({ ...component, skuType: "ADDON" });
      return { commitStartDate: day, commitEndDate: instance!.endDate };
    case "UPGRADE_REQUEST":
      for (const c of instance!.components) if (c.skuType === "PRIMARY") c.status = "Upgraded";
      instance!.components.push(component);
      instance!.product = product;
      return { commitStartDate: day, commitEndDate: instance!.endDate };
    case "RENEWAL_REQUEST": {
      // A renewal continues the term: it starts the day after the current one ends.
      const start = addDays(instance!.endDate, 1);
      instance!.endDate = addDays(addMonths(start, term), -1);
      instance!.status = "Active";
      return { commitStartDate: start, commitEndDate: instance!.endDate };
    }
    default: {
      // A new or on-demand order creates one service instance per product family; add-on lines
      // of the same family join it as add-ons.
      const family = product.productFamilyCode;
      let target = created.get(family);
      if (!target) {
        target = newServiceInstance(state, order.contractNumber, product, day, term);
        created.set(family, target);
      }
      const isAddon = target.components.length > 0;
      target.components.push({ ...component, skuType: isAddon ? "ADDON" : "PRIMARY" });
      return { commitStartDate: day, commitEndDate: isAddon ? target.endDate : addDays(addMonths(day, term), -1) };
    }
  }
}

function newServiceInstance(
  state: CommerceState,
  contractNumber: string,
  product: Product,
  day: string,
  term: number,
): EmulatedServiceInstance {
  const instance: EmulatedServiceInstance = {
    serviceInstanceID: `M${state.nextServiceInstance++}`,
    contractNumber,
    status: "Active",
    productFamilyCode: product.productFamilyCode,
    product,
    startDate: day,
    endDate: addDays(addMonths(day, term), -1),
    endUserName: null,
    country: "US",
    postalCode: "94304",
    components: [],
  };
  state.serviceInstances.push(instance);
  return instance;
}

/** An operator changes the outcome of a processed order (drift); an order not processed yet is processed first. */
export function setOrderStatus(state: CommerceState, order: EmulatedOrder, status: string): void {
  fulfil(state, order);
  const now = Date.now();
  for (const line of order.fulfilledLines!) Object.assign(line, { status, updatedAt: now });
}

/** `YYYY-MM-DD` of a time, in UTC. */
export const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10);

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDay(date.getTime());
}

export function addMonths(day: string, months: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return isoDay(date.getTime());
}

/** Like the seed's `08DEC201411`: the day, the month, the year and a two-digit sequence. */
function tokenNumber(time: number, sequence: number): string {
  const date = new Date(time);
  const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" }).toUpperCase();
  const dd = String(date.getUTCDate()).padStart(2, "0");
  return `${dd}${month}${date.getUTCFullYear()}${String(sequence % 100).padStart(2, "0")}`;
}
