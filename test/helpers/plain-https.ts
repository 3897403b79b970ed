/**
 * Plain HTTPS requests to the emulator, trusting its CA: how the emulator's own tests speak the
 * wire contract without any production client in between.
 */
import { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";

export interface PlainAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (gzipped bytes stay gzipped). */
  raw: Buffer;
  /** The body parsed as JSON; undefined when empty. */
  json(): unknown;
}

export interface PlainRequest {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent form-encoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** `Authorization: Bearer <token>`. */
  bearer?: string;
}

/** One request to `url` (an emulator URL), trusting `caPem`. */
export function plainRequest(
  caPem: string,
  method: string,
  url: string,
  { body, form, headers = {}, bearer }: PlainRequest = {},
): Promise<PlainAnswer> {
  const payload =
    form !== undefined ? new URLSearchParams(form).toString() : body !== undefined ? JSON.stringify(body) : undefined;
  const type =
    form !== undefined
      ? { "content-type": "application/x-www-form-urlencoded" }
      : body !== undefined
        ? { "content-type": "application/json" }
        : {};
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: caPem,
        headers: { ...type, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw,
            json: () => (raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"))),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
