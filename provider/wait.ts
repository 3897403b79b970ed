/**
 * Bounded waits that say so in the Pulumi log: what is awaited, how long at most, and progress.
 * Every long wait of the package (a product's certificate, the cloud-side registration, an
 * order's fulfilment) goes through here so that none is silent.
 */
import * as log from "./log";

export interface WaitOptions<T> {
  /** What is awaited, in words that finish "waiting for …", e.g. "the certificate of VCAV vcda:443". */
  what: string;
  timeoutMs: number;
  /** Pause between two polls. */
  pollMs: number;
  /** How often to log progress (default every 5 s). */
  progressEveryMs?: number;
  /** One look: the awaited value, or undefined while it is not there yet. */
  poll: () => Promise<T | undefined>;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Polls until `poll` answers, or until `timeoutMs` has passed (then undefined). The first poll
 * is immediate; only a wait that actually happens is announced, so a value already there logs nothing.
 */
export async function waitFor<T>(options: WaitOptions<T>): Promise<T | undefined> {
  const { what, timeoutMs, pollMs, progressEveryMs = 5_000, poll } = options;
  const start = Date.now();
  let value = await poll();
  if (value !== undefined || timeoutMs <= 0) return value;
  log.info(`Waiting up to ${seconds(timeoutMs)} for ${what}`);
  let nextProgress = start + progressEveryMs;
  for (;;) {
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      log.info(`Stopped waiting for ${what} after ${seconds(elapsed)}`);
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, timeoutMs - elapsed)));
    value = await poll();
    if (value !== undefined) {
      log.info(`Done waiting for ${what} (${seconds(Date.now() - start)})`);
      return value;
    }
    if (Date.now() >= nextProgress) {
      log.info(`Still waiting for ${what} (${seconds(Date.now() - start)} of ${seconds(timeoutMs)})`);
      nextProgress += progressEveryMs;
    }
  }
}
