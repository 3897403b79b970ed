/**
 * How the commerce service answers: JSON by default, XML when `accept` asks for
 * `application/xml`, the order feed as Atom when it asks for `application/atom+xml`.
 *
 * The seed shows XML only for the order answer (appendix B) and Atom only for the feed; for the
 * other answers it says XML is accepted, without a sample. The XML chosen mirrors the JSON the
 * way JSON/XML gateways map it: the JSON object's fields become the children of one root element
 * (named per answer, e.g. `CommitContracts`), and a list becomes its element repeated (the JSON
 * `"contractList": [a, b]` is `<contractList>a</contractList><contractList>b</contractList>`);
 * null is an empty element.
 *
 * Errors, which the seed does not show outside the order answer, take the order answer's shape
 * everywhere: JSON `{ "status": "FAILURE", "requestId": null, "error": "<message>" }`; XML
 * `<OrderResponse>` with `<status>FAILURE</status>` and `<ns2:error>` in the seed's error
 * namespace for `/order`, `<ErrorResponse>` in that namespace with `<status>` and `<error>`
 * for every other route. The token endpoint answers errors as OAuth 2.0 does:
 * `{ "error": "invalid_client", "error_description": "…" }`.
 */
import { XMLBuilder } from "fast-xml-parser";
import { EmulatorRequest, EmulatorResponse } from "../core/router";

export const ORDER_NAMESPACE = "http://www.vmware.com/OrderFulfillment";
export const ERROR_NAMESPACE = "http://www.vmware.com/middleware/error/schemas";
export const ATOM_NAMESPACE = "http://www.w3.org/2005/Atom";
export const ORDER_FEED_NAMESPACE = "http://www.vmware.com/orderfeed";

export type Format = "json" | "xml";

/** The answer's format, from `accept`: XML when it names `application/xml` (or `text/xml`), else JSON. */
export function answerFormat(request: EmulatorRequest): Format {
  const accept = String(request.headers.accept ?? "").toLowerCase();
  return /\b(application|text)\/xml\b/.test(accept) ? "xml" : "json";
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  format: true,
  suppressEmptyNode: true,
});

/** An XML document: `<?xml …?>` and one root element holding `content` (see the module comment). */
export function xmlDocument(root: string, content: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: xmlReady(content) })}`;
}

/** Null becomes an empty element; booleans and numbers become their text. */
function xmlReady(value: unknown): unknown {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(xmlReady);
  if (typeof value === "object")
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, xmlReady(v)]));
  return String(value);
}

export function xmlAnswer(status: number, xml: string, contentType = "application/xml"): EmulatorResponse {
  return { status, body: xml, headers: { "content-type": `${contentType}; charset=utf-8` } };
}

/** A successful GET answer, in the format asked for. */
export function answer(request: EmulatorRequest, xmlRoot: string, body: Record<string, unknown>): EmulatorResponse {
  return answerFormat(request) === "xml" ? xmlAnswer(200, xmlDocument(xmlRoot, body)) : { status: 200, body };
}

/** An error of the API, in the format asked for (see the module comment). */
export function failure(request: EmulatorRequest, status: number, error: string, isOrder = false): EmulatorResponse {
  if (answerFormat(request) === "json") return { status, body: { status: "FAILURE", requestId: null, error } };
  const xml = isOrder
    ? xmlDocument("OrderResponse", {
        "@xmlns": ORDER_NAMESPACE,
        "@xmlns:ns2": ERROR_NAMESPACE,
        status: "FAILURE",
        "ns2:error": error,
      })
    : xmlDocument("ErrorResponse", { "@xmlns": ERROR_NAMESPACE, status: "FAILURE", error });
  return xmlAnswer(status, xml);
}

/** The order answer of a successful `POST /order` (seed 6.1 and appendix B). */
export function orderAccepted(request: EmulatorRequest, requestId: string): EmulatorResponse {
  if (answerFormat(request) === "json") return { status: 200, body: { status: "SUCCESS", requestId, error: null } };
  return xmlAnswer(
    200,
    xmlDocument("OrderResponse", {
      "@xmlns": ORDER_NAMESPACE,
      "@xmlns:ns2": ERROR_NAMESPACE,
      status: "SUCCESS",
      requestId,
    }),
  );
}

/** A time as the feed's `updated` shows it: `2014-12-18T01:50:02Z`. */
export const atomTime = (time: number): string => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The date styles of the seed, each where the seed uses it (a day `YYYY-MM-DD`, Pacific time). */
export const dates = {
  /** Contracts, components: `2017-12-24T00:00:00-08:00`. */
  iso: (day: string) => `${day}T00:00:00-08:00`,
  /** Service instance list: `2018-12-23 00:00:00.0`. */
  list: (day: string) => `${day} 00:00:00.0`,
  /** Service instance header: `2017-12-24T00:00:00-0800`. */
  header: (day: string) => `${day}T00:00:00-0800`,
  /** Order feed: `2014-12-17T00:00:00.000-08:00`. */
  feed: (day: string) => `${day}T00:00:00.000-08:00`,
};
