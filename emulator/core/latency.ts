/**
 * Added latency, for every service: each request (admin requests excepted) waits this long
 * before it is handled, as if the service were far away. The benchmark (`npm run bench`) and
 * anyone trying the provider against a slow appliance use it; 0 (the default) adds nothing.
 */
import { z } from "zod";

/** @internal */
export const latencySchema = z
  .object({ latencyMs: z.number().int().min(0).describe("milliseconds each request waits before it is handled") })
  .strict();

export class Latency {
  constructor(private ms = 0) {
    Latency.check(ms);
  }

  get latencyMs(): number {
    return this.ms;
  }

  set(ms: number): void {
    Latency.check(ms);
    this.ms = ms;
  }

  /** Resolves after the current latency; at once when there is none. */
  async delay(): Promise<void> {
    if (this.ms > 0) await new Promise((resolve) => setTimeout(resolve, this.ms));
  }

  private static check(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0)
      throw new Error(`latencyMs must be a whole number of milliseconds ≥ 0, got ${ms}`);
  }
}
