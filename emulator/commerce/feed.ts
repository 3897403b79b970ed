/**
 * `GET /orderfeed`: processed orders, one entry per order line, as Atom (seed 4.8, verbatim in
 * form: the Atom namespace, the `order` prefix for `http://www.vmware.com/orderfeed`, `status`
 * and `content` of key/value entries) or as JSON.
 *
 * Where the seed is silent:
 * - The JSON form mirrors the Atom one: `{ title, id, updated, entry: [{ title, id, updated,
 *   status, content: { OrderNumber, …, RequestID } }] }` (`entry` always a list, `content` an
 *   object of the same keys and values).
 * - Each entry's content adds the key `RequestID` (the `requestId` that `POST /order` answered),
 *   which is what `?requestId=` filters on. A failed line has no CommitStartDate/CommitEndDate.
 * - `ExternalContractID` is the commit contract number.
 * - `if-Modified-Since` (an HTTP date, e.g. `Fri, 11 Nov 2016 20:34:35 GMT`; the name is matched
 *   without regard to case) keeps entries updated at or after it; without it, the last 7 days.
 *   The window applies with `?requestId=` too. An unreadable date answers 400.
 * - An order not processed yet has no entry at all ("there is no record of an order until the
 *   order is processed").
 */
import { randomUUID } from "node:crypto";
import { EmulatorRequest, EmulatorResponse } from "../core/router";
import { ATOM_NAMESPACE, atomTime, dates, failure, ORDER_FEED_NAMESPACE, xmlAnswer, xmlDocument } from "./formats";
import { CommerceState, EmulatedOrder, FulfilledLine } from "./state";

const WEEK_MS = 7 * 24 * 3600_000;
const FEED_ID = randomUUID();

interface FeedEntry {
  title: string;
  id: string;
  updated: string;
  status: string;
  content: Record<string, string>;
}

export function orderFeed(state: CommerceState, request: EmulatorRequest): EmulatorResponse {
  const sinceText = queryValue(request.query, "if-modified-since");
  const since = sinceText === undefined ? Date.now() - WEEK_MS : Date.parse(sinceText);
  if (Number.isNaN(since))
    return failure(request, 400, `if-Modified-Since must be an HTTP date (e.g. Fri, 11 Nov 2016 20:34:35 GMT)`);
  const requestId = queryValue(request.query, "requestid");
  const entries = state.orders
    .filter((order) => requestId === undefined || order.requestId === requestId)
    .flatMap((order) => (order.fulfilledLines ?? []).map((line) => ({ order, line })))
    .filter(({ line }) => line.updatedAt >= since)
    .map(({ order, line }) => feedEntry(order, line));
  const updated = atomTime(Date.now());
  const accept = String(request.headers.accept ?? "").toLowerCase();
  if (accept.includes("application/atom+xml")) return xmlAnswer(200, atom(entries, updated), "application/atom+xml");
  return { status: 200, body: { title: "Order Feed", id: FEED_ID, updated, entry: entries } };
}

function feedEntry(order: EmulatedOrder, line: FulfilledLine): FeedEntry {
  const content: Record<string, string> = {
    OrderNumber: order.orderNumber!,
    TokenNumber: order.tokenNumber!,
    ExternalLineTransactionReference: line.externalLineTransactionReference,
    LineID: line.lineId,
    ExternalContractID: order.contractNumber,
    PartID: line.partNumber,
    ...(line.commitStartDate ? { CommitStartDate: dates.feed(line.commitStartDate) } : {}),
    ...(line.commitEndDate ? { CommitEndDate: dates.feed(line.commitEndDate) } : {}),
    RequestID: order.requestId,
  };
  return {
    title: `Order ID:${order.orderNumber}`,
    id: line.entryId,
    updated: atomTime(line.updatedAt),
    status: line.status,
    content,
  };
}

function atom(entries: FeedEntry[], updated: string): string {
  return xmlDocument("feed", {
    "@xmlns": ATOM_NAMESPACE,
    "@xmlns:order": ORDER_FEED_NAMESPACE,
    title: "Order Feed",
    link: { "@rel": "Self", "@href": "" },
    id: FEED_ID,
    updated,
    entry: entries.map((e) => ({
      title: e.title,
      link: { "@href": "" },
      id: e.id,
      updated: e.updated,
      "order:status": e.status,
      "order:content": {
        "order:entry": Object.entries(e.content).map(([key, value]) => ({ "order:key": key, "order:value": value })),
      },
    })),
  });
}

/** A query parameter whatever the case of its name (the seed writes `if-Modified-Since`). */
function queryValue(query: URLSearchParams, lowerName: string): string | undefined {
  for (const [name, value] of query) if (name.toLowerCase() === lowerName) return value;
  return undefined;
}
