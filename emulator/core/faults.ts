/**
 * Injectable faults, for every service: what a failing network or an overloaded service would
 * do to matching requests. The schema is the one definition: it types `Fault`, validates
 * `POST /__admin/faults`, and describes the fields in the admin index.
 */
import { z } from "zod";
import { Same } from "./same";

/** @internal */
export const faultSchema = z
  .object({
    method: z.string().describe('HTTP method of the requests that get the fault ("*": any method)'),
    pathIncludes: z.string().describe("substring of the path that selects the requests"),
    times: z.number().int().min(1).optional().describe("how many matching requests get the fault (default 1)"),
    status: z
      .number()
      .int()
      .min(100)
      .max(599)
      .optional()
      .describe("answer with this status instead of handling the request"),
    body: z.unknown().optional().describe("the body of that answer (JSON, or text)"),
    headers: z.record(z.string(), z.string()).optional().describe("headers of that answer"),
    retryAfterSeconds: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("answer with a Retry-After header of this many seconds (status 429 unless status says otherwise)"),
    dropAfterApplying: z.boolean().optional().describe("handle the request for real, then drop the connection"),
    dropBeforeApplying: z.boolean().optional().describe("drop the connection without handling the request"),
    hang: z
      .boolean()
      .optional()
      .describe(
        "never answer (the client times out); with applyFirst, after handling the request for real. The emulator's close() ends the connection",
      ),
    malformed: z
      .enum(["syntax", "schema"])
      .optional()
      .describe(
        "handle the request for real, then answer its status and content type (JSON, XML or Atom) with a body that does not parse (syntax) or parses but is not what the API defines (schema)",
      ),
    delayMs: z.number().int().min(0).optional().describe("wait this long before anything else"),
    applyFirst: z
      .boolean()
      .optional()
      .describe(
        "handle the request for real first; then wait delayMs and drop the connection or answer status instead (the change is made, the client hears otherwise or late)",
      ),
  })
  .strict();

/** A fault served instead of (or after) the real handling of matching requests (see `faultSchema`). */
export interface Fault {
  method: string;
  pathIncludes: string;
  times?: number;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  retryAfterSeconds?: number;
  dropAfterApplying?: boolean;
  dropBeforeApplying?: boolean;
  hang?: boolean;
  malformed?: "syntax" | "schema";
  delayMs?: number;
  applyFirst?: boolean;
}
true satisfies Same<Fault, z.infer<typeof faultSchema>>;

/** Faults waiting for their requests, first injected first served. */
export class FaultQueue {
  private readonly pending: Array<Fault & { remaining: number }> = [];

  inject(fault: Fault): void {
    this.pending.push({ ...normalised(fault), remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The fault this request gets, if any; each use counts against its `times`. */
  take(method: string, path: string): Fault | undefined {
    const index = this.pending.findIndex(
      (f) => (f.method === "*" || f.method === method) && path.includes(f.pathIncludes),
    );
    if (index < 0) return undefined;
    const fault = this.pending[index];
    if (--fault.remaining <= 0) this.pending.splice(index, 1);
    return fault;
  }
}

/** `retryAfterSeconds` as the status and header it stands for; `malformed` is served after handling. */
function normalised(fault: Fault): Fault {
  const withRetryAfter =
    fault.retryAfterSeconds === undefined
      ? fault
      : {
          ...fault,
          status: fault.status ?? 429,
          headers: { ...fault.headers, "retry-after": String(fault.retryAfterSeconds) },
        };
  return withRetryAfter.malformed ? { ...withRetryAfter, applyFirst: true } : withRetryAfter;
}

/**
 * A body in the answer's own format (from its content type, else from what the request accepts)
 * that does not parse (`syntax`) or parses but is not what the API defines (`schema`): the other
 * JSON type at the top, or an XML/Atom document with a root element the API does not have.
 */
export function malformedBody(
  how: "syntax" | "schema",
  real: unknown,
  contentType: string,
): { body: string; contentType: string } {
  const type = contentType.toLowerCase();
  if (type.includes("atom"))
    return {
      contentType,
      body:
        how === "syntax"
          ? '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>'
          : '<?xml version="1.0" encoding="UTF-8"?><Unexpected xmlns="http://www.w3.org/2005/Atom"><entry>not a feed</entry></Unexpected>',
    };
  if (type.includes("xml"))
    return {
      contentType,
      body:
        how === "syntax"
          ? '<?xml version="1.0" encoding="UTF-8"?><Broken><unclosed attr="1>'
          : '<?xml version="1.0" encoding="UTF-8"?><Unexpected><field>not what the API defines</field></Unexpected>',
    };
  const json = contentType || "application/json";
  if (how === "syntax") return { contentType: json, body: '{"truncated": [1, 2' };
  return { contentType: json, body: Array.isArray(real) ? '{"unexpected": "an object, not a list"}' : "[42, null]" };
}
