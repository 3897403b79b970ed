/**
 * How a call's answer is read: what it asks for (`Accept`) and how the body (always fetched as
 * bytes) becomes a value for the call's zod schema. JSON is the default; XML for vCloud Air and
 * commerce orders; Atom for the order feed; gzipped TSV for Usage Insight reports; raw bytes.
 * A codec throws `DecodeError`; the HTTP client turns it into a ServiceError naming the call.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { parse as parseDelimited } from "csv-parse/sync";
import { XMLParser } from "fast-xml-parser";
import type { ErrorCode } from "../errors";

export interface Codec<T = unknown> {
  /** The `Accept` header the call sends. */
  accept: string;
  /** Turns the body (bytes, as received) into the value the call's schema validates. */
  decode(body: Buffer): T;
}

/** A body that could not be decoded: BAD_RESPONSE, or INTEGRITY for a download that is not the announced one. */
export class DecodeError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, "BAD_RESPONSE" | "INTEGRITY">,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** JSON read as UTF-8; an empty body is `undefined` (204s and bodiless 202s). */
export function json(options: { accept?: string } = {}): Codec {
  return {
    accept: options.accept ?? "application/json",
    decode(body) {
      const text = body.toString("utf8");
      if (text.trim() === "") return undefined;
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new DecodeError("BAD_RESPONSE", "the body is not JSON", { cause: error });
      }
    },
  };
}

export interface XmlOptions {
  /** Defaults to `application/xml`; vCloud Air wants `application/xml;version=5.6`. */
  accept?: string;
  /**
   * Elements that are always arrays, even when one (or none) came: local names (`VdcRef`) or
   * dotted paths from the root (`Services.Service`). Any other repeated element becomes an
   * array only when it repeats, so name every list the schema reads as one.
   */
  isArray?: string[];
}

/**
 * Parser options, chosen so that one document always gives the same shape:
 * - attributes kept, as `@name`, beside child elements (`@majorErrorCode`);
 * - namespace prefixes dropped (`order:status` is `status`): vendors vary the prefix, never the
 *   local name, and schemas are written against local names; `xmlns` declarations go with them;
 * - values stay strings (no number parsing): `"0123"` SKUs and order numbers keep their zeros,
 *   and the schema coerces what is a number;
 * - an element with only text is that string; with attributes too, its text is `#text`;
 * - no entity expansion at all (`processEntities: false`); any DTD is refused before parsing
 *   (see `refuseDeclarations`), so a billion-laughs body is an error, never expanded. XML's
 *   five predefined entities and character references are decoded by `decodePredefined`.
 */
function xmlParser(isArray: string[] = []): XMLParser {
  const names = new Set(isArray.filter((n) => !n.includes(".")));
  const paths = new Set(isArray.filter((n) => n.includes(".")));
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    textNodeName: "#text",
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    tagValueProcessor: (_name, value) => decodePredefined(value),
    attributeValueProcessor: (_name, value) => decodePredefined(value),
    isArray: (name, jPath, _leaf, isAttribute) => !isAttribute && (names.has(name) || paths.has(String(jPath))),
  });
}

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** One pass over XML's predefined entities and character references; the result is never re-read, so nothing expands. */
function decodePredefined(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (whole, name: string) => {
    if (!name.startsWith("#")) return PREDEFINED[name];
    const point = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return point <= 0x10ffff ? String.fromCodePoint(point) : whole;
  });
}

/** A document type declaration is where entities are defined: no service of ours sends one, so it is refused. */
function refuseDeclarations(text: string): void {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) {
    throw new DecodeError(
      "BAD_RESPONSE",
      "the XML body declares a document type or entities, which is refused (entity expansion attack?)",
    );
  }
}

function parseXml(text: string, isArray?: string[]): Record<string, unknown> {
  refuseDeclarations(text);
  let document: unknown;
  try {
    document = xmlParser(isArray).parse(text, true);
  } catch (error) {
    throw new DecodeError("BAD_RESPONSE", `the body is not well-formed XML (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isRecord(document) || Object.keys(document).length === 0)
    throw new DecodeError("BAD_RESPONSE", "the body is not XML");
  return document;
}

/** XML read as UTF-8 into `{ Root: { "@attr": "…", Child: "…" } }` (see `xmlParser` for the rules). */
export function xml(options: XmlOptions = {}): Codec<Record<string, unknown>> {
  return {
    accept: options.accept ?? "application/xml",
    decode: (body) => parseXml(body.toString("utf8"), options.isArray),
  };
}

/** One entry of an Atom feed, in a shape a zod schema then checks. */
export interface AtomEntry {
  id: string;
  title?: string;
  updated?: string;
  /** The content's key/value pairs (`<content><entry><key/><value/></entry></content>`, the order feed's form). */
  content: Record<string, string>;
  /** The content when it is text rather than key/value pairs. */
  text?: string;
  /** Every other child element by local name (the order feed's `status`), as the XML codec reads it. */
  extensions: Record<string, unknown>;
}

export interface AtomFeed {
  id?: string;
  title?: string;
  updated?: string;
  entries: AtomEntry[];
}

/** An Atom feed (`application/atom+xml`), e.g. the commerce order feed. */
export function atom(options: { accept?: string } = {}): Codec<AtomFeed> {
  return {
    accept: options.accept ?? "application/atom+xml",
    decode(body) {
      const feed = parseXml(body.toString("utf8"), ["feed.entry", "feed.entry.content.entry"]).feed;
      if (!isRecord(feed))
        throw new DecodeError("BAD_RESPONSE", "the body is XML but not an Atom feed (no <feed> element)");
      const entries = (feed.entry as unknown[] | undefined) ?? [];
      return {
        id: textOf(feed.id),
        title: textOf(feed.title),
        updated: textOf(feed.updated),
        entries: entries.map(atomEntry),
      };
    },
  };
}

function atomEntry(entry: unknown, index: number): AtomEntry {
  if (!isRecord(entry)) throw new DecodeError("BAD_RESPONSE", `Atom entry [${index}] is empty`);
  const { id, title, updated, content, ...extensions } = entry;
  const identifier = textOf(id);
  if (identifier === undefined) throw new DecodeError("BAD_RESPONSE", `Atom entry [${index}] has no <id>`);
  const pairs = isRecord(content) && Array.isArray(content.entry) ? content.entry.filter(isRecord) : [];
  const values = Object.fromEntries(
    pairs.flatMap((p) => (textOf(p.key) === undefined ? [] : [[textOf(p.key), textOf(p.value) ?? ""]])),
  );
  const text = pairs.length ? undefined : textOf(content);
  return {
    id: identifier,
    title: textOf(title),
    updated: textOf(updated),
    content: values,
    ...(text === undefined ? {} : { text }),
    extensions,
  };
}

/** An element's text, whether or not it has attributes. */
function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value["#text"] === "string") return value["#text"];
  return undefined;
}

export interface GzipTsvOptions {
  /** The report's announced size in bytes (compressed, as downloaded). */
  contentLength: number;
  /** The report's announced MD5, hex. */
  checksum: string;
  /** The report's content type, sent as `Accept`; defaults to `text/tab-separated-values+gzip`. */
  accept?: string;
  /** Refuse a report larger than this once decompressed (a gzip bomb); default 256 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * A gzipped tab-separated report (Usage Insight): length and MD5 checked against what the
 * service announced BEFORE decompressing, then rows keyed by the header row's names. Fields are
 * not quoted in TSV (a tab cannot occur in one), so a `"` is an ordinary character.
 */
export function gzipTsv(options: GzipTsvOptions): Codec<Record<string, string>[]> {
  return {
    accept: options.accept ?? "text/tab-separated-values+gzip",
    decode(body) {
      verifyDownload(body, options.contentLength, options.checksum);
      const maxBytes = options.maxBytes ?? DEFAULT_MAX_REPORT_BYTES;
      let text: string;
      try {
        text = gunzipSync(body, { maxOutputLength: maxBytes }).toString("utf8");
      } catch (error) {
        const why =
          (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE"
            ? `it is larger than ${maxBytes} bytes decompressed`
            : "it is not valid gzip";
        throw new DecodeError("BAD_RESPONSE", `the report could not be decompressed: ${why}`, { cause: error });
      }
      try {
        return parseDelimited(text, {
          delimiter: "\t",
          columns: true,
          quote: false,
          bom: true,
          skip_empty_lines: true,
        }) as Record<string, string>[];
      } catch (error) {
        throw new DecodeError(
          "BAD_RESPONSE",
          `the report is not tab-separated values with a header row (${(error as Error).message})`,
          { cause: error },
        );
      }
    },
  };
}

function verifyDownload(body: Buffer, contentLength: number, checksum: string): void {
  if (body.length !== contentLength) {
    throw new DecodeError(
      "INTEGRITY",
      `the download is ${body.length} bytes, expected ${contentLength} (incomplete or not the announced report)`,
    );
  }
  const md5 = createHash("md5").update(body).digest("hex");
  if (md5 !== checksum.trim().toLowerCase())
    throw new DecodeError("INTEGRITY", `the download's MD5 is ${md5}, expected ${checksum}`);
}

/** The body as it came, e.g. for a download this package does not interpret. */
export function raw(options: { accept?: string } = {}): Codec<Buffer> {
  return { accept: options.accept ?? "application/octet-stream", decode: (body) => body };
}

/**
 * The service's own code and message from an error body, whatever the call accepts:
 * JSON `{errCode, errMessage}` and kin (Usage Meter, OAuth), XML `<Error majorErrorCode
 * minorErrorCode message/>` (vCloud Air) or `<error>text</error>` (commerce), else a short
 * snippet of the text.
 */
export function parseErrorBody(text: string): { errCode?: string; errMessage?: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    const body = tryJson(trimmed);
    if (body) return jsonError(body);
  }
  if (trimmed.startsWith("<")) {
    const found = xmlError(trimmed);
    if (found) return found;
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return { errMessage: snippet || undefined };
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return isRecord(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function jsonError(body: Record<string, unknown>): { errCode?: string; errMessage?: string } {
  return {
    errCode: str(body.errCode) ?? str(body.error_code) ?? str(body.code),
    errMessage: str(body.errMessage) ?? str(body.message) ?? str(body.error_description) ?? str(body.error),
  };
}

/** An XML error element at the root or just under it; undefined for any other XML (an HTML page, say). */
function xmlError(text: string): { errCode?: string; errMessage?: string } | undefined {
  let document: Record<string, unknown>;
  try {
    document = parseXml(text);
  } catch {
    return undefined;
  }
  const [root] = Object.values(document);
  const element = document.Error ?? document.error ?? (isRecord(root) ? (root.Error ?? root.error) : undefined);
  if (element === undefined) return undefined;
  if (!isRecord(element)) return { errMessage: str(element) };
  return {
    errCode:
      str(element["@minorErrorCode"]) ??
      str(element["@majorErrorCode"]) ??
      str(textOf(element.code)) ??
      str(textOf(element.errorCode)),
    errMessage:
      str(element["@message"]) ??
      str(textOf(element.message)) ??
      str(textOf(element.errorMessage)) ??
      str(element["#text"]),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
