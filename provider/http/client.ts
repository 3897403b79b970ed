/**
 * The one HTTP layer every service client is built on: got underneath, plus what every call
 * needs: TLS with the system CAs and an optional PEM bundle, a User-Agent, a per-host cap on
 * concurrent requests, retries only where repeating is safe, one re-login on a refused session,
 * zod validation of every answer, and errors that say what failed without leaking credentials.
 */
import type { Got, OptionsOfBufferResponseBody, Response, RetryObject } from "got" with { "resolution-mode": "import" };
import type { LimitFunction } from "p-limit" with { "resolution-mode": "import" };
import { setTimeout as sleep } from "node:timers/promises";
import { rootCertificates } from "node:tls";
import { z } from "zod";
import { CallDescription, ErrorCode, formatPath, ServiceError } from "../errors";
import { Codec, DecodeError, json as jsonCodec, parseErrorBody } from "./codecs";
import { redact } from "../redact";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version";
import * as log from "../log";

export interface TlsSettings {
  /** Extra trusted CA certificates (PEM), added to the system's. */
  caCertificates?: string;
  /** Skip certificate verification: only on explicit request, and it logs a warning. */
  insecureSkipTlsVerify?: boolean;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  limit: number;
  /** First backoff; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** Cap on one backoff. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { limit: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };
/**
 * Retries after a throttling answer (429), for any call: a throttled run slows down rather than
 * fails, so it gets more patience than other failures (about a minute of backoff, or what
 * `Retry-After` asks). A 429 is the service's refusal before doing anything (RFC 6585), so a
 * POST that creates is repeated after one too: that is not a blind retry. Any other failure of a
 * POST is still never retried.
 */
export const THROTTLED_RETRY_LIMIT = 10;
/** Statuses that mean "try again later" for a call that is safe to repeat (429: see THROTTLED_RETRY_LIMIT). */
export const RETRIED_STATUS_CODES = [408, 500, 502, 503, 504];
/** Network failures that are retried, for calls that are safe to repeat. */
export const RETRIED_ERROR_CODES = [
  "ETIMEDOUT",
  "ECONNRESET",
  "EADDRINUSE",
  "ECONNREFUSED",
  "EPIPE",
  "ENOTFOUND",
  "ENETUNREACH",
  "EAI_AGAIN",
];
export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * Requests in flight per host by default (vcpp:maxConcurrentRequests). Measured: the engine runs 8
 * resource operations at once by default (on 2 CPUs), each sending its requests in sequence, so
 * more buys nothing and fewer makes the provider the bottleneck (decisions/performance.md).
 */
export const DEFAULT_MAX_CONCURRENCY = 8;
const DEFAULT_CODEC = jsonCodec();
export const USER_AGENT = `${PACKAGE_NAME}/${PACKAGE_VERSION} (node ${process.version})`;

/** One remote service at one address. */
export interface Endpoint {
  /** The service's name as users know it, e.g. "Usage Meter". */
  service: string;
  /** Base URL that call paths are relative to, e.g. `https://um.example.com:8443/api/v1`. */
  baseUrl: string;
  tls?: TlsSettings;
  timeoutMs?: number;
  /** Cap on requests in flight to this host from this process. */
  maxConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** A transient-looking answer that is in fact the service's final word (the Usage Meter's 502 "not found"). */
  isFinalAnswer?(status: number, body: string): boolean;
  /** Service-specific advice for a failure. */
  hint?(status: number | undefined, errCode: string | undefined): string | undefined;
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Call<S extends z.ZodType> {
  /** What the call does, in the domain's words: "register product". */
  operation: string;
  method: Method;
  /** Relative to the endpoint's base URL, without a leading slash. */
  path: string;
  searchParams?: Record<string, string | number | boolean>;
  json?: unknown;
  form?: Record<string, string>;
  /** A body already encoded (an XML document); its `content-type` goes in `headers`. */
  body?: string;
  headers?: Record<string, string>;
  /**
   * How the answer is asked for (`Accept`) and read; JSON (an empty body is `undefined`) by
   * default. See `codecs.ts`: `codecs.xml({ isArray: ["VdcRef"] })`, `codecs.gzipTsv(...)`.
   */
  codec?: Codec;
  /** Schema of a successful answer, as the codec decoded it. */
  schema: S;
  /**
   * Safe to repeat after a transient failure. Defaults to true for GET, PUT and DELETE and
   * false for POST and PATCH: a POST that creates is never retried blindly.
   */
  idempotent?: boolean;
  /** Non-2xx statuses that are answers rather than failures (returned with the body as UTF-8 text). */
  acceptStatuses?: number[];
  /** Advice for a failure of this call, before the endpoint's (a refused token: how to get a new one). */
  hint?(status: number | undefined, errCode: string | undefined): string | undefined;
}

export type Reply<T> =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: T }
  | { ok: false; status: number; headers: Record<string, string | string[] | undefined>; text: string };

/** How a client authenticates: headers for a request, and forgetting a credential the server refused. */
export interface Authenticator {
  headers(): Promise<Record<string, string>>;
  /** Called with the headers of a request answered 401, so that only that credential is dropped. */
  invalidate(refused: Record<string, string>): void;
}

type GotModule = typeof import("got", { with: { "resolution-mode": "import" } });
let gotModule: Promise<GotModule> | undefined;
const loadGot = () => (gotModule ??= import("got"));

const limiters = new Map<string, Promise<HostLimit>>();

/** The advice Node appends to an untrusted certificate's message, for its own command line. */
const NODE_SYSTEM_CA_ADVICE = /; if the root CA is installed locally, try running Node\.js with --use-system-ca$/;

/**
 * One limit per host, shared by every client in the process, so the cap holds across resources;
 * a client configured with another cap (a new configure) sets it.
 */
async function limiterFor(baseUrl: string, concurrency: number): Promise<HostLimit> {
  const host = new URL(baseUrl).host;
  let limiter = limiters.get(host);
  if (!limiter) {
    limiter = import("p-limit").then((m) => new HostLimit(host, m.default(concurrency)));
    limiters.set(host, limiter);
  }
  const limit = await limiter;
  if (limit.max !== concurrency) limit.capAt(concurrency);
  return limit;
}

/**
 * Requests in flight to one host: at most the configured cap; halved when the host throttles
 * (429), down to one, and grown back by one after as many successes in a row as the current
 * limit (additive increase, multiplicative decrease, as TCP does). A 429 to a request sent before
 * the last halving does not halve it again: that request reports the overload already counted.
 */
export class HostLimit {
  max: number;
  private successes = 0;
  private shrunkAt = -Infinity;
  /** Whether this throttling episode was said at info level. */
  private announced = false;

  constructor(
    readonly host: string,
    private readonly limit: LimitFunction,
    private readonly now: () => number = Date.now,
  ) {
    this.max = limit.concurrency;
  }

  get current(): number {
    return this.limit.concurrency;
  }

  /** A new cap (vcpp:maxConcurrentRequests of a new configure): it applies at once, as configured. */
  capAt(max: number): void {
    this.max = max;
    this.successes = 0;
    this.limit.concurrency = max;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(fn);
  }

  /**
   * A 429 from `service` to a request sent at `sentAt` (epoch ms). Said once per episode (until
   * the limit is back at its cap); the further halvings of the same episode are debug lines.
   */
  throttled(sentAt: number, service: string): void {
    this.successes = 0;
    if (sentAt < this.shrunkAt || this.limit.concurrency === 1) return;
    this.shrunkAt = this.now();
    this.limit.concurrency = Math.max(1, Math.floor(this.limit.concurrency / 2));
    const message = `${service} at ${this.host} is throttling requests (429): at most ${this.limit.concurrency} in flight until it recovers`;
    if (this.announced) return log.debug(message);
    this.announced = true;
    log.info(message);
  }

  succeeded(): void {
    if (this.limit.concurrency >= this.max || ++this.successes < this.limit.concurrency) return;
    this.successes = 0;
    this.limit.concurrency++;
    if (this.limit.concurrency >= this.max) this.announced = false;
  }
}

export class HttpClient {
  private readonly retry: RetryPolicy;
  private client?: Promise<Got>;

  constructor(readonly endpoint: Endpoint) {
    // insecureSkipTlsVerify is warned about where the config is read (ClientRegistry.configure), on every run.
    this.retry = { ...DEFAULT_RETRY, ...endpoint.retry };
  }

  /** Sends a call; on 401 with an authenticator, logs in again once and repeats it once. */
  async send<S extends z.ZodType>(call: Call<S>, auth?: Authenticator): Promise<Reply<z.infer<S>>> {
    let headers = auth ? await auth.headers() : {};
    let response = await this.exchange(call, headers);
    if (response.statusCode === 401 && auth) {
      auth.invalidate(headers);
      headers = await auth.headers();
      response = await this.exchange(call, headers);
    }
    return this.interpret(call, response);
  }

  /** Like `send`, but any answer other than a 2xx is an error. */
  async request<S extends z.ZodType>(call: Call<S>, auth?: Authenticator): Promise<z.infer<S>> {
    const reply = await this.send(call, auth);
    if (!reply.ok) throw this.httpError(call, reply.status, reply.text);
    return reply.body;
  }

  describe(call: Pick<Call<z.ZodType>, "operation" | "method" | "path">): CallDescription {
    const path = `${new URL(this.endpoint.baseUrl).pathname.replace(/\/$/, "")}/${call.path}`;
    return { service: this.endpoint.service, operation: call.operation, method: call.method, path };
  }

  /** The error for a non-2xx answer, with the server's `errCode`/`errMessage` when it sent them. */
  httpError(
    call: Pick<Call<z.ZodType>, "operation" | "method" | "path" | "hint">,
    status: number,
    text: string,
  ): ServiceError {
    // Redacted before the body is cut to a snippet: a secret cut in half would no longer match.
    const { errCode, errMessage } = parseErrorBody(redact(text));
    const detail = `${status}${errCode ? ` ${errCode}` : ""}${errMessage ? `: ${errMessage}` : ""}`;
    const hint = call.hint?.(status, errCode) ?? this.endpoint.hint?.(status, errCode) ?? genericHint(status);
    return new ServiceError({
      call: this.describe(call),
      detail,
      code: "HTTP_ERROR",
      status,
      errCode,
      serverMessage: errMessage,
      hint,
    });
  }

  private async exchange(call: Call<z.ZodType>, authHeaders: Record<string, string>): Promise<Response<Uint8Array>> {
    const got = await this.got();
    const limit = await limiterFor(this.endpoint.baseUrl, this.endpoint.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
    const idempotent = call.idempotent ?? ["GET", "PUT", "DELETE"].includes(call.method);
    const options: OptionsOfBufferResponseBody = {
      method: call.method,
      searchParams: call.searchParams,
      json: call.json,
      form: call.form,
      body: call.body,
      // Bytes, always: a gzipped report must not go through a text decoder; codecs decode.
      responseType: "buffer",
      headers: { accept: (call.codec ?? DEFAULT_CODEC).accept, ...call.headers, ...authHeaders },
      retry: { methods: idempotent ? [call.method] : [] },
    };
    // 429s are retried here rather than by got: the wait happens outside the host's limit, so
    // a lowered limit holds at once instead of after the throttled requests gave up their slots.
    for (let attempt = 1; ; attempt++) {
      let response: Response<Uint8Array>;
      try {
        response = await limit.run(() => got(call.path, options));
      } catch (error) {
        throw this.networkError(call, error);
      }
      if (response.statusCode !== 429) {
        if (response.statusCode < 500) limit.succeeded();
        return response;
      }
      limit.throttled(response.timings?.start ?? Date.now(), this.endpoint.service);
      const delay = this.throttledDelay(response, attempt);
      if (delay === undefined) return response;
      log.debug(
        `${this.endpoint.service}: ${call.method} ${redact(call.path)} answered 429; retry ${attempt} in ${Math.round(delay)} ms, at most ${limit.current} requests in flight to ${limit.host}`,
      );
      await sleep(delay);
    }
  }

  /** How long to wait before repeating a throttled call: what Retry-After asks, else the backoff; undefined: give up. */
  private throttledDelay(response: Response<Uint8Array>, attempt: number): number | undefined {
    if (attempt > Math.max(this.retry.limit, THROTTLED_RETRY_LIMIT)) return undefined;
    const retryAfter = retryAfterMs(response.headers["retry-after"], Date.now());
    if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) return undefined;
    // `Retry-After: 0` means "now": the backoff still spreads the callers that were refused together.
    return retryAfter || backoff(attempt, this.retry);
  }

  private interpret<S extends z.ZodType>(call: Call<S>, response: Response<Uint8Array>): Reply<z.infer<S>> {
    const { statusCode: status, headers } = response;
    const body = asBuffer(response.body);
    if (status < 200 || status > 299) {
      const text = body.toString("utf8");
      if (call.acceptStatuses?.includes(status)) return { ok: false, status, headers, text };
      throw this.httpError(call, status, text);
    }
    let decoded: unknown;
    try {
      decoded = (call.codec ?? DEFAULT_CODEC).decode(body);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw this.badResponse(call, status, error.message, { code: error.code, cause: error.cause });
    }
    const parsed = call.schema.safeParse(decoded);
    if (!parsed.success) throw this.badResponse(call, status, describeZodIssues(parsed.error));
    return { ok: true, status, headers, body: parsed.data };
  }

  private badResponse(
    call: Call<z.ZodType>,
    status: number,
    why: string,
    more: { code?: ErrorCode; cause?: unknown } = {},
  ): ServiceError {
    const integrity = more.code === "INTEGRITY";
    return new ServiceError({
      call: this.describe(call),
      detail: integrity
        ? `${status} with a download that is not the announced one: ${why}`
        : `${status} with an answer this client does not understand: ${why}`,
      code: more.code ?? "BAD_RESPONSE",
      status,
      hint: integrity
        ? "Download it again; if it keeps failing, the service's copy is damaged"
        : `Check that ${this.endpoint.baseUrl} is a ${this.endpoint.service} of a supported version`,
      cause: more.cause,
    });
  }

  /**
   * No answer. The code says which kind (TIMEOUT, TLS, NETWORK); got's code stays as
   * `networkCode`. The cause is the error under got's, never got's own: that one carries the
   * request's options, credentials included.
   */
  private networkError(call: Call<z.ZodType>, error: unknown): ServiceError {
    const err = error as { code?: string; message?: string; cause?: unknown };
    const networkCode = err.code ?? "ERROR";
    const code = networkErrorCode(networkCode);
    const issuedFor = (err.cause as { cert?: { subjectaltname?: string } } | undefined)?.cert?.subjectaltname;
    const hint =
      code !== "TLS"
        ? `Check that ${this.endpoint.baseUrl} is reachable from here`
        : networkCode === "ERR_TLS_CERT_ALTNAME_INVALID"
          ? // A trusted certificate of another name: a CA would not help, the URL's host name would.
            `The server's TLS certificate is issued for ${issuedFor ?? "other names"}, not for ${new URL(this.endpoint.baseUrl).hostname}: use one of its names in the URL, or, for a test appliance only, set vcpp:insecureSkipTlsVerify`
          : "The server's TLS certificate is not trusted: add its CA (PEM) to vcpp:caCertificates, or, for a test appliance only, set vcpp:insecureSkipTlsVerify";
    // Node 23+ suggests its own flag for some TLS failures; the hint says what to do here instead.
    const reason = (err.message ?? "unknown error").replace(NODE_SYSTEM_CA_ADVICE, "");
    const detail = `no answer (${networkCode}: ${reason})`;
    return new ServiceError({ call: this.describe(call), detail, code, hint, networkCode, cause: err.cause });
  }

  private got(): Promise<Got> {
    return (this.client ??= loadGot().then(({ default: got }) => {
      const { tls = {}, baseUrl, timeoutMs = DEFAULT_TIMEOUT_MS } = this.endpoint;
      return got.extend({
        prefixUrl: baseUrl,
        timeout: { request: timeoutMs },
        headers: { "user-agent": USER_AGENT },
        throwHttpErrors: false,
        https: {
          rejectUnauthorized: !tls.insecureSkipTlsVerify,
          certificateAuthority: tls.caCertificates ? [...rootCertificates, tls.caCertificates] : undefined,
        },
        retry: {
          limit: this.retry.limit,
          statusCodes: RETRIED_STATUS_CODES,
          errorCodes: RETRIED_ERROR_CODES,
          maxRetryAfter: this.retry.maxRetryAfterMs,
          // got only asks for a delay once its rules (limit, methods, statuses, codes) allow a retry.
          calculateDelay: ({ attemptCount, error, retryAfter }: RetryObject) => {
            const response = error.response;
            if (response && this.endpoint.isFinalAnswer?.(response.statusCode, textOf(response.body))) return 0;
            // `Retry-After: 0` means "now": a delay of 0 would tell got not to retry at all.
            const delay = retryAfter || backoff(attemptCount, this.retry);
            log.debug(
              `${this.endpoint.service}: ${error.options.method} ${redact(String(error.options.url ?? ""))} answered ${response?.statusCode ?? error.code}; retry ${attemptCount}/${this.retry.limit} in ${Math.round(delay)} ms`,
            );
            return delay;
          },
        },
      });
    }));
  }
}

/** A `Retry-After` header (seconds, or an HTTP date) in milliseconds from `now`; undefined if absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter (half to full of the exponential value), capped. */
export function backoff(attempt: number, policy: RetryPolicy): number {
  const exponential = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return exponential / 2 + (Math.random() * exponential) / 2;
}

/** got 15+ hands binary bodies over as a Uint8Array; the codecs read Buffers (a view, no copy). */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** A got body as text, whatever its response type. */
function textOf(body: unknown): string {
  return body instanceof Uint8Array ? asBuffer(body).toString("utf8") : String(body ?? "");
}

/** The kind of a failure without an answer, from the socket's or TLS layer's code. */
export function networkErrorCode(networkCode: string): ErrorCode {
  if (networkCode === "ETIMEDOUT") return "TIMEOUT";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(networkCode)) return "TLS";
  return "NETWORK";
}

function genericHint(status: number): string | undefined {
  if (status === 401) return "The credentials were refused: check the user and password or token in the stack config";
  if (status === 403) return "The account is not allowed to do this";
  if (status === 404) return "Check the service URL in the stack config";
  if (status === 429) return "The service is throttling requests; try again later or lower vcpp:maxConcurrentRequests";
  if (status >= 500) return "The service failed; try again later, and check its health if it persists";
  return undefined;
}

/** `items[0].port: expected number, received string`: names the field and the rule. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? formatPath(issue.path) : "(body)"}: ${issue.message}`)
    .join("; ");
}
