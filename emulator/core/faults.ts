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
    method: z.string().describe("HTTP method of the requests that get the fault"),
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
    dropAfterApplying: z.boolean().optional().describe("handle the request for real, then drop the connection"),
    dropBeforeApplying: z.boolean().optional().describe("drop the connection without handling the request"),
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
  dropAfterApplying?: boolean;
  dropBeforeApplying?: boolean;
  delayMs?: number;
  applyFirst?: boolean;
}
true satisfies Same<Fault, z.infer<typeof faultSchema>>;

/** Faults waiting for their requests, first injected first served. */
export class FaultQueue {
  private readonly pending: Array<Fault & { remaining: number }> = [];

  inject(fault: Fault): void {
    this.pending.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The fault this request gets, if any; each use counts against its `times`. */
  take(method: string, path: string): Fault | undefined {
    const index = this.pending.findIndex((f) => f.method === method && path.includes(f.pathIncludes));
    if (index < 0) return undefined;
    const fault = this.pending[index];
    if (--fault.remaining <= 0) this.pending.splice(index, 1);
    return fault;
  }
}
