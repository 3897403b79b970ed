/**
 * Typed client of the VMware Cloud Provider Program commerce API (seed 003): commit contracts,
 * their users, eligible products and service instances, add-ons, the order feed, and orders.
 * One OAuth client-credentials token per client id and secret per process (auth/), renewed on
 * 401. `POST /order` is never repeated: its outcome is reported as placed, rejected, not sent or
 * unknown, and what to do about an unknown one is the caller's decision (see resources/vcpp-order.ts).
 */
import { XMLBuilder } from "fast-xml-parser";
import { z } from "zod";
import { Authenticator, Call, Endpoint, HttpClient } from "../http/client";
import { atom, json, xml } from "../http/codecs";
import { clientCredentials } from "../auth/oauth-client-credentials";
import { ServiceError } from "../errors";
import { CommerceConnection, OrderFeedFormat } from "./settings";
import { PoType } from "./po-types";
import {
  AddOnProduct,
  addOnProductsSchema,
  atomOrderFeedSchema,
  CommitContract,
  contractListSchema,
  ContractUser,
  contractUsersSchema,
  CoreProduct,
  eligibleProductsSchema,
  jsonOrderFeedSchema,
  orderAnswerSchema,
  ServiceInstanceDetail,
  serviceInstanceSchema,
  serviceInstancesSchema,
  ServiceInstanceSummary,
} from "./schemas";
import { OrderFeedEntry } from "./types";
import { SharedReads } from "../shared-reads";

/** Key prefix of the shared order feed reads. */
const FEED = "orderfeed:";

export const SERVICE = "VCPP commerce";

export interface OrderLine {
  /** A `crossRefSKU` of the eligible products or add-ons. */
  partNumber: string;
  quantity: number;
  /** The service instance (`SID`): required for add-on, renewal and upgrade orders. */
  serviceInstanceId?: string;
}

/** What an order says, every field resolved. */
export interface OrderSpec {
  contractNumber: string;
  poType: PoType;
  /** The contract's `spPRMID`. */
  resellerId: string;
  contact: { emailAddress: string; customerNumber: string };
  lineItems: OrderLine[];
}

export type PayloadFormat = "json" | "xml";

/**
 * What became of `POST /order`:
 * - `placed`: the service accepted it (`status: SUCCESS`) and gave its request id;
 * - `rejected`: the service refused it (4xx, or `status: FAILURE`): nothing was ordered;
 * - `not-sent`: the request never left (connection refused, name not resolved, TLS): nothing was ordered;
 * - `unknown`: the request may have reached the service but no usable answer came back (timeout,
 *   reset, 5xx, an answer that cannot be read): it may or may not have been ordered.
 */
export type OrderOutcome =
  | { kind: "placed"; requestId: string }
  | { kind: "rejected"; error: ServiceError }
  | { kind: "not-sent"; error: ServiceError }
  | { kind: "unknown"; error: ServiceError };

/** Network failures that prove the request was never sent. */
const NEVER_SENT = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EADDRINUSE"];

export interface OrderFeedQuery {
  /** Only entries modified since then (`if-Modified-Since`, an HTTP date); the service's default is the last 7 days. */
  since?: Date;
  requestId?: string;
  format?: OrderFeedFormat;
}

export class CommerceClient {
  readonly api: HttpClient;
  private readonly auth: Authenticator;
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Order feed reads, shared by every VcppOrder this client serves (one client per configure). */
  private readonly feeds = new SharedReads();

  constructor(
    readonly connection: CommerceConnection,
    options: Partial<Endpoint> = {},
  ) {
    const tokenUrl = new URL(connection.tokenUrl);
    const tokenPath = tokenUrl.pathname.split("/").pop() ?? "";
    const tokenBase = connection.tokenUrl.replace(/\/+$/, "").slice(0, -tokenPath.length - 1);
    const common = { tls: connection.tls, ...options };
    const tokens = new HttpClient({ service: `${SERVICE} token`, baseUrl: tokenBase, ...common });
    this.api = new HttpClient({ service: SERVICE, baseUrl: connection.apiUrl, hint: commerceHint, ...common });
    this.auth = clientCredentials(tokens, {
      tokenPath,
      clientId: connection.clientId,
      clientSecret: connection.clientSecret,
    });
  }

  async commitContracts(): Promise<CommitContract[]> {
    const answer = await this.get("list commit contracts", "commit-contracts", contractListSchema);
    return answer.contractList;
  }

  /** One contract; undefined when the service does not know it (404, or an empty list). */
  async commitContract(contractNumber: string): Promise<CommitContract | undefined> {
    return this.remember(`contract:${contractNumber}`, async () => {
      const reply = await this.api.send(
        {
          operation: `read commit contract ${contractNumber}`,
          method: "GET",
          path: `commit-contracts/${encodeURIComponent(contractNumber)}`,
          schema: contractListSchema,
          acceptStatuses: [404],
        },
        this.auth,
      );
      return reply.ok ? reply.body.contractList.find((c) => c.contractNumber === contractNumber) : undefined;
    });
  }

  /** One contract; a ServiceError (404) naming it when the service does not know it. */
  async requireCommitContract(contractNumber: string): Promise<CommitContract> {
    const contract = await this.commitContract(contractNumber);
    if (contract) return contract;
    const path = `commit-contracts/${encodeURIComponent(contractNumber)}`;
    throw new ServiceError({
      call: this.api.describe({ operation: `read commit contract ${contractNumber}`, method: "GET", path }),
      detail: "404: no such contract",
      code: "HTTP_ERROR",
      status: 404,
      hint: "Check the contract number: getCommitContracts lists the client's contracts",
    });
  }

  async contractUsers(contractNumber: string): Promise<ContractUser[]> {
    return this.remember(`users:${contractNumber}`, async () => {
      const path = `commit-contracts/${encodeURIComponent(contractNumber)}/users`;
      const answer = await this.get(`list users of contract ${contractNumber}`, path, contractUsersSchema);
      return answer.userList;
    });
  }

  /** The core and coreless products the contract may order (`…/subscription-products/core-coreless`). */
  async eligibleProducts(contractNumber: string): Promise<CoreProduct[]> {
    return this.remember(`eligible:${contractNumber}`, async () => {
      const path = `commit-contracts/${encodeURIComponent(contractNumber)}/subscription-products/core-coreless`;
      const answer = await this.get(
        `list products eligible for contract ${contractNumber}`,
        path,
        eligibleProductsSchema,
      );
      return answer.coreProduct;
    });
  }

  async serviceInstances(contractNumber: string): Promise<ServiceInstanceSummary[]> {
    const path = `commit-contracts/${encodeURIComponent(contractNumber)}/service-instances`;
    const answer = await this.get(`list service instances of contract ${contractNumber}`, path, serviceInstancesSchema);
    return answer.serviceList;
  }

  async serviceInstance(serviceInstanceId: string): Promise<ServiceInstanceDetail> {
    const path = `service-instances/${encodeURIComponent(serviceInstanceId)}`;
    return this.get(`read service instance ${serviceInstanceId}`, path, serviceInstanceSchema);
  }

  /** The add-ons the service instance may order (`/subscription-products/addon?serviceInstanceId=`). */
  async addonProducts(serviceInstanceId: string): Promise<AddOnProduct[]> {
    return this.remember(`addons:${serviceInstanceId}`, async () => {
      const answer = await this.api.request(
        {
          operation: `list add-ons eligible for service instance ${serviceInstanceId}`,
          method: "GET",
          path: "subscription-products/addon",
          searchParams: { serviceInstanceId },
          schema: addOnProductsSchema,
        },
        this.auth,
      );
      return answer.addOnProduct;
    });
  }

  /** The order feed, asked for in the connection's form (or the query's): one line per entry. */
  async orderFeed(query: OrderFeedQuery = {}): Promise<OrderFeedEntry[]> {
    const format = query.format ?? this.connection.feedFormat;
    const searchParams: Record<string, string> = {};
    if (query.since) searchParams["if-Modified-Since"] = query.since.toUTCString();
    if (query.requestId) searchParams.requestId = query.requestId;
    const common = { method: "GET" as const, path: "orderfeed", searchParams };
    const operation = `read the order feed${query.requestId ? ` for request ${query.requestId}` : ""}`;
    return format === "atom"
      ? this.api.request({ ...common, operation, codec: atom(), schema: atomOrderFeedSchema }, this.auth)
      : this.api.request({ ...common, operation, codec: json(), schema: jsonOrderFeedSchema }, this.auth);
  }

  /**
   * The order feed, read once for every caller of this client with the same query within
   * `SHARED_READ_TTL_MS` (30 s): refreshing twenty orders costs one read. A failed read is not
   * kept; an order placed through this client drops every shared feed (see SharedReads).
   */
  sharedOrderFeed(query: OrderFeedQuery = {}): Promise<OrderFeedEntry[]> {
    const key = JSON.stringify([query.since?.toISOString(), query.requestId, query.format]);
    return this.feeds.read(`${FEED}${key}`, () => this.orderFeed(query));
  }

  /** Places an order, once: never retried, whatever happens (see {@link OrderOutcome}). */
  placeOrder(order: OrderSpec, format: PayloadFormat = "json"): Promise<OrderOutcome> {
    // A feed read after the order must show it; one read before may not.
    return this.sendOrder(order, format).finally(() => this.feeds.invalidatePrefix(FEED));
  }

  private async sendOrder(order: OrderSpec, format: PayloadFormat): Promise<OrderOutcome> {
    const call: Call<typeof orderAnswerSchema> = {
      operation: `place a ${order.poType} order on contract ${order.contractNumber}`,
      method: "POST",
      path: "order",
      schema: orderAnswerSchema,
      idempotent: false,
      ...(format === "xml"
        ? { body: orderXml(order), headers: { "content-type": "application/xml" }, codec: xml() }
        : { json: orderJson(order) }),
    };
    let answer: z.infer<typeof orderAnswerSchema>;
    try {
      answer = await this.api.request(call, this.auth);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return { kind: orderFailureKind(error), error } as OrderOutcome;
    }
    const status = answer.status?.toUpperCase();
    if (status === "SUCCESS" && answer.requestId) return { kind: "placed", requestId: answer.requestId };
    const detail = `200 with status ${answer.status ?? "(none)"}${answer.error ? `: ${describeError(answer.error)}` : ""}`;
    const error = new ServiceError({
      call: this.api.describe(call),
      detail,
      code: status === "FAILURE" ? "HTTP_ERROR" : "BAD_RESPONSE",
      status: 200,
      serverMessage: answer.error ? describeError(answer.error) : undefined,
      hint:
        status === "FAILURE"
          ? "The order was refused and nothing was ordered: correct it and run pulumi up again"
          : "The service's answer does not say whether the order was accepted",
    });
    return status === "FAILURE" ? { kind: "rejected", error } : { kind: "unknown", error };
  }

  private get<S extends z.ZodType>(operation: string, path: string, schema: S): Promise<z.infer<S>> {
    return this.api.request({ operation, method: "GET", path, schema }, this.auth);
  }

  /** Reference data (contracts, users, eligible products) read once per client; a failure is not kept. */
  private remember<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      this.memo.set(key, value);
      value.catch(() => this.memo.delete(key));
    }
    return value;
  }
}

/** Rejected (nothing ordered), not sent, or unknown, from a failed `POST /order`. */
export function orderFailureKind(error: ServiceError): "rejected" | "not-sent" | "unknown" {
  if (error.status === undefined)
    return error.code === "TLS" || NEVER_SENT.includes(error.networkCode ?? "") ? "not-sent" : "unknown";
  // 408: a proxy gave up waiting for the service, which may have taken the order all the same.
  if (error.status >= 500 || error.status === 408) return "unknown";
  if (error.status >= 400) return "rejected";
  return "unknown"; // a 2xx that could not be read
}

function describeError(error: unknown): string {
  return typeof error === "string" ? error : JSON.stringify(error);
}

/**
 * The JSON order (seed 003, 5.1 and 5.2). The seed's samples are not all valid JSON (trailing
 * commas; one closes `order` before `poType`): this follows the field table, with every field
 * under `OrderRequest.orders.order`. Quantities are sent as text, as in every sample.
 */
export function orderJson(order: OrderSpec): unknown {
  return {
    OrderRequest: {
      source: "VSPP-EXT-API",
      orders: {
        order: {
          originalOrderNumber: order.contractNumber,
          resellerInfo: { ID: order.resellerId },
          poType: order.poType,
          orderContactList: { orderContact: { ...order.contact } },
          orderLineList: {
            orderLineItem: order.lineItems.map((line) => ({
              partNumber: line.partNumber,
              quantity: String(line.quantity),
              ...(line.serviceInstanceId === undefined ? {} : { SID: line.serviceInstanceId }),
            })),
          },
        },
      },
    },
  };
}

const FULFILLMENT_NS = "http://www.vmware.com/OrderFulfillment";
const ORDER_NS = "http://www.vmware.com/order";
const ENTITLEMENT_NS = "http://www.vmware.com/it/mw/entitlement/common";

/** The XML order, in the namespaces and prefixes of the seed's appendix A. */
export function orderXml(order: OrderSpec): string {
  const inOrderNs = (content: Record<string, unknown>) => ({ "@_xmlns:ns1": ORDER_NS, ...content });
  const document = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    "ns0:OrderRequest": {
      "@_xmlns:ns0": FULFILLMENT_NS,
      "ns0:source": "VSPP-EXT-API",
      "ns0:systemType": "",
      "ns0:orders": {
        "ns0:order": {
          "ns1:originalOrderNumber": inOrderNs({ "#text": order.contractNumber }),
          "ns1:resellerInfo": inOrderNs({ "ns2:ID": { "@_xmlns:ns2": ENTITLEMENT_NS, "#text": order.resellerId } }),
          "ns1:poType": inOrderNs({ "#text": order.poType }),
          "ns1:orderContactList": inOrderNs({
            "ns1:orderContact": {
              "ns1:emailAddress": order.contact.emailAddress,
              "ns1:customerNumber": order.contact.customerNumber,
            },
          }),
          "ns1:orderLineList": inOrderNs({
            "ns1:orderLineItem": order.lineItems.map((line) => ({
              "ns1:partNumber": line.partNumber,
              "ns1:quantity": String(line.quantity),
              ...(line.serviceInstanceId === undefined ? {} : { "ns1:SID": line.serviceInstanceId }),
            })),
          }),
        },
      },
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    textNodeName: "#text",
    suppressEmptyNode: true,
    format: true,
  });
  return builder.build(document) as string;
}

function commerceHint(status: number | undefined): string | undefined {
  if (status === 401) return "The token was refused: check vcpp:commerceClientId and vcpp:commerceClientSecret";
  if (status === 403)
    return "The client is not allowed to use the VCPP API: request access for it (seed 003, section 2.1.5)";
  if (status === 404) return "Check the contract number or service instance id, and vcpp:commerceUrl";
  return undefined;
}
