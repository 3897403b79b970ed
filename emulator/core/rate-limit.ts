/**
 * Rate limiting per service, as an overloaded or throttling service does it: a token bucket per
 * service (the `service` of the request log: "usage-meter", "csp", "usage-insight", "commerce",
 * "vcloud-air"), and a request that finds it empty is answered 429 with `Retry-After`, unhandled.
 * Every appliance of the Usage Meter service shares its bucket. Admin requests are never limited.
 */
import { z } from "zod";
import { AdminModule, adminOperation } from "./admin";
import { EmulatorResponse } from "./router";
import { Same } from "./same";

/** @internal */
export const rateLimitSchema = z
  .object({
    requestsPerSecond: z.number().positive().describe("sustained rate served; requests above it are answered 429"),
    burst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("requests served at once before the rate applies (default: requestsPerSecond, at least 1)"),
  })
  .strict();

/** A service's limit: `requestsPerSecond` sustained, `burst` at once (the bucket's size). */
export interface RateLimit {
  requestsPerSecond: number;
  burst?: number;
}
true satisfies Same<RateLimit, z.infer<typeof rateLimitSchema>>;

/**
 * A `--rate-limit` value (`usage-meter=20:5`, the emulator's and the bench's): the service, its
 * requests per second and optionally its burst; undefined when it does not read so.
 */
export function parseRateLimit(spec: string): [string, RateLimit] | undefined {
  const match = /^([\w-]+)=(\d+(?:\.\d+)?)(?::([1-9]\d*))?$/.exec(spec);
  if (!match || Number(match[2]) <= 0) return undefined;
  return [match[1], { requestsPerSecond: Number(match[2]), ...(match[3] ? { burst: Number(match[3]) } : {}) }];
}

interface Bucket {
  limit: Required<RateLimit>;
  tokens: number;
  refilledAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Starts limiting a service (or changes its limit), with a full bucket. */
  set(service: string, limit: RateLimit): void {
    const full = {
      requestsPerSecond: limit.requestsPerSecond,
      burst: limit.burst ?? Math.max(1, limit.requestsPerSecond),
    };
    this.buckets.set(service, { limit: full, tokens: full.burst, refilledAt: Date.now() });
  }

  clear(service?: string): void {
    if (service === undefined) this.buckets.clear();
    else this.buckets.delete(service);
  }

  limits(): Record<string, Required<RateLimit>> {
    return Object.fromEntries([...this.buckets].map(([service, b]) => [service, b.limit]));
  }

  /** The 429 answer for a request of this service above its rate; undefined when it is served (and counted). */
  check(service: string, now = Date.now()): EmulatorResponse | undefined {
    const bucket = this.buckets.get(service);
    if (!bucket) return undefined;
    const { requestsPerSecond, burst } = bucket.limit;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * requestsPerSecond);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    // Retry-After is in whole seconds: the wait until the next token, rounded up.
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / requestsPerSecond));
    return {
      status: 429,
      headers: { "retry-after": String(seconds) },
      body: {
        errCode: "RATE_LIMITED",
        errMessage: `too many requests: ${service} serves ${requestsPerSecond} per second (burst ${burst}); retry after ${seconds} s`,
      },
    };
  }
}

export interface RateLimitAdmin {
  /** Answers requests of `service` above `limit` with 429 and `Retry-After`. */
  setRateLimit(service: string, limit: RateLimit): void;
  /** Removes the limit of one service, or of all. */
  clearRateLimits(service?: string): void;
  rateLimits(): Record<string, Required<RateLimit>>;
}

/** The admin side; `services()` lists the service names routes log, so that a misspelt one is refused. */
export function rateLimitAdmin(limiter: RateLimiter, services: () => string[]): AdminModule<RateLimitAdmin> {
  const known = (service: string) => {
    const names = [...new Set(services())];
    if (!names.includes(service)) throw new Error(`no service "${service}": expected one of ${names.join(", ")}`);
    return service;
  };
  const admin: RateLimitAdmin = {
    setRateLimit: (service, limit) => limiter.set(known(service), rateLimitSchema.parse(limit)),
    clearRateLimits: (service) => limiter.clear(service === undefined ? undefined : known(service)),
    rateLimits: () => limiter.limits(),
  };
  const operations = [
    adminOperation({
      method: "PUT",
      path: "/rate-limits/{service}",
      summary: "answer the service's requests above a rate with 429 and Retry-After (token bucket)",
      body: rateLimitSchema,
      run: (params, limit) => admin.setRateLimit(params.service, limit),
    }),
    adminOperation({
      method: "DELETE",
      path: "/rate-limits/{service}",
      summary: "stop limiting the service's requests",
      run: (params) => admin.clearRateLimits(params.service),
    }),
    adminOperation({
      method: "GET",
      path: "/rate-limits",
      summary: "the rate limit of each limited service",
      run: () => admin.rateLimits(),
    }),
  ];
  return { admin, operations };
}
