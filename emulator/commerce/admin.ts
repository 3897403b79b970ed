/**
 * Out-of-band changes and inspection of the commerce service, as VMware's back office or a test
 * would make them: in process (`emulator.admin`) and over HTTP under `/__admin/commerce`.
 */
import { z } from "zod";
import { AdminModule, adminOperation } from "../core/admin";
import { Same } from "../core/same";
import {
  CommerceState,
  EmulatedOrder,
  fulfil,
  fulfilDue,
  OrderLine,
  PoType,
  setOrderStatus,
  FulfilledLine,
} from "./state";

const fulfilmentSchema = z
  .object({
    delayMs: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("how long after acceptance an order is processed (0: at once)"),
    failingPartNumbers: z
      .array(z.string())
      .optional()
      .describe("order lines with these part numbers are processed as failure (replaces the list)"),
  })
  .strict();
const statusSchema = z
  .object({ status: z.string().min(1).describe("the feed status every line of the order shows from now on") })
  .strict();

/** How orders are processed from now on (orders already processed keep their outcome). */
export interface FulfilmentSettings {
  delayMs?: number;
  failingPartNumbers?: string[];
}
true satisfies Same<FulfilmentSettings, z.infer<typeof fulfilmentSchema>>;

/** An order as the emulator received it, and its processing once done. */
export interface CommerceOrder {
  requestId: string;
  format: "json" | "xml";
  /** When it was accepted (ms since the epoch). */
  receivedAt: number;
  contractNumber: string;
  resellerId: string;
  poType: PoType;
  contact: { emailAddress: string; customerNumber: string };
  lines: OrderLine[];
  /** `pending` until processed; then `success`, `failure` (or what an operator set) when all lines agree, else `mixed`. */
  fulfillmentStatus: string;
  orderNumber?: string;
  /** The feed's lines, once processed. */
  feedLines?: FulfilledLine[];
  /** Service instances the order created. */
  createdServiceInstances?: string[];
}

export interface CommerceAdmin {
  /** Every order accepted by `POST /order`, oldest first: what "exactly one order" is asserted on. */
  commerceOrders(): CommerceOrder[];
  commerceOrderCount(): number;
  /** Requests to the token endpoint, accepted or refused. */
  commerceTokenRequests(): number;
  /** Every access token handed out (to prove none leaks into state or logs). */
  commerceIssuedTokens(): string[];
  /** Every token expires now: the next API call answers 401. */
  expireCommerceTokens(): void;
  setCommerceFulfilment(settings: FulfilmentSettings): void;
  /** Processes the order now, whatever the delay. */
  fulfilCommerceOrder(requestId: string): CommerceOrder;
  /** An operator changes the order's feed status (drift); processes it first if it was not yet. */
  setCommerceOrderStatus(requestId: string, status: string): CommerceOrder;
}

export function commerceAdmin(state: CommerceState): AdminModule<CommerceAdmin> {
  const order = (requestId: string): EmulatedOrder => {
    const found = state.orders.find((o) => o.requestId === requestId);
    if (!found) throw new Error(`no order with requestId ${requestId}`);
    return found;
  };
  const admin: CommerceAdmin = {
    commerceOrders: () => {
      fulfilDue(state);
      return state.orders.map(publicOrder);
    },
    commerceOrderCount: () => state.orders.length,
    commerceTokenRequests: () => state.tokenRequests,
    commerceIssuedTokens: () => [...state.issuedTokens],
    expireCommerceTokens: () => state.tokens.clear(),
    setCommerceFulfilment(settings) {
      if (settings.delayMs !== undefined) state.fulfilmentDelayMs = settings.delayMs;
      if (settings.failingPartNumbers !== undefined) state.failingPartNumbers = [...settings.failingPartNumbers];
    },
    fulfilCommerceOrder(requestId) {
      const found = order(requestId);
      fulfil(state, found);
      return publicOrder(found);
    },
    setCommerceOrderStatus(requestId, status) {
      const found = order(requestId);
      setOrderStatus(state, found, status);
      return publicOrder(found);
    },
  };
  const operations = [
    adminOperation({
      method: "GET",
      path: "/commerce",
      summary: "the commerce service: orders received, token requests, fulfilment settings",
      run: () => ({
        orderCount: admin.commerceOrderCount(),
        tokenRequests: admin.commerceTokenRequests(),
        liveTokens: state.tokens.size,
        fulfilmentDelayMs: state.fulfilmentDelayMs,
        failingPartNumbers: state.failingPartNumbers,
      }),
    }),
    adminOperation({
      method: "GET",
      path: "/commerce/orders",
      summary: "every order accepted by POST /order, oldest first, with its fulfilment",
      run: () => admin.commerceOrders(),
    }),
    adminOperation({
      method: "PUT",
      path: "/commerce/fulfilment",
      summary: "how orders are processed from now on: delayMs, failingPartNumbers",
      body: fulfilmentSchema,
      run: (_, settings) => admin.setCommerceFulfilment(settings),
    }),
    adminOperation({
      method: "POST",
      path: "/commerce/orders/{requestId}/fulfil",
      summary: "process the order now, whatever the delay",
      run: ({ requestId }) => admin.fulfilCommerceOrder(requestId),
    }),
    adminOperation({
      method: "PUT",
      path: "/commerce/orders/{requestId}/status",
      summary: "change the order's feed status out of band (drift), e.g. { status: 'cancelled' }",
      body: statusSchema,
      run: ({ requestId }, body) => admin.setCommerceOrderStatus(requestId, body.status),
    }),
    adminOperation({
      method: "POST",
      path: "/commerce/expire-tokens",
      summary: "every bearer token expires now",
      run: () => admin.expireCommerceTokens(),
    }),
  ];
  return { admin, operations };
}

function publicOrder(order: EmulatedOrder): CommerceOrder {
  const statuses = new Set((order.fulfilledLines ?? []).map((l) => l.status));
  const fulfillmentStatus = !order.fulfilledLines ? "pending" : statuses.size === 1 ? [...statuses][0] : "mixed";
  return {
    requestId: order.requestId,
    format: order.format,
    receivedAt: order.receivedAt,
    contractNumber: order.contractNumber,
    resellerId: order.resellerId,
    poType: order.poType,
    contact: { ...order.contact },
    lines: order.lines.map((l) => ({ ...l })),
    fulfillmentStatus,
    ...(order.orderNumber ? { orderNumber: order.orderNumber } : {}),
    ...(order.fulfilledLines ? { feedLines: order.fulfilledLines.map((l) => ({ ...l })) } : {}),
    ...(order.createdServiceInstances ? { createdServiceInstances: [...order.createdServiceInstances] } : {}),
  };
}
