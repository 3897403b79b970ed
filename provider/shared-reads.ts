/**
 * Reads shared by every operation of one provider process: callers that need the same list at
 * about the same time share one request (single flight), and the settled answer is reused for a
 * short, bounded time. Why single flight and not DataLoader-style batching: the services offer
 * list endpoints (every product of a type, every pending action), not batch-by-id, so there is
 * nothing to batch; sharing the one list is the whole gain (decisions/performance.md).
 *
 * Correctness rules, in this order:
 * - a read that starts after a write of this process sees that write: the write either patches
 *   the shared answer with what the service answered (`update`) or drops it (`invalidate`);
 * - an error reaches every caller that waited on the request, and is not kept;
 * - nothing outlives the owner: each service client holds its own, and a `configure` with other
 *   settings builds new clients, so two runs (two processes) or two configurations never share a read.
 */
/**
 * How long a settled answer is reused, by default: long enough that a refresh of a few hundred
 * resources costs one list (the engine sends them over a few seconds), short enough that a change
 * made by hand is seen by the next command. See decisions/performance.md.
 */
export const SHARED_READ_TTL_MS = 30_000;

export class SharedReads {
  private readonly entries = new Map<string, Entry>();

  /** @param ttlMs how long a settled answer is reused, counted from when its request was sent. */
  constructor(
    readonly ttlMs: number = SHARED_READ_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The shared answer for `key`: one sent less than `maxAgeMs` ago (in flight or settled), else
   * a new `load()`. A poller passes its interval, so that each poll sees a new answer.
   */
  read<T>(key: string, load: () => Promise<T>, maxAgeMs = this.ttlMs): Promise<T> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.sentAt < Math.min(maxAgeMs, this.ttlMs)) return entry.value as Promise<T>;
    const fresh: Entry = { sentAt: this.now(), value: load() };
    this.entries.set(key, fresh);
    this.forgetOnFailure(key, fresh);
    return fresh.value as Promise<T>;
  }

  /**
   * Applies a write this process made (and whose effect the service's answer states) to the
   * shared answer, in flight or settled: later readers see it, earlier ones keep what they
   * joined. `patch` must be idempotent: the request in flight may or may not include the write.
   */
  update<T>(key: string, patch: (value: T) => T): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const patched: Entry = { sentAt: entry.sentAt, value: (entry.value as Promise<T>).then(patch) };
    this.entries.set(key, patched);
    this.forgetOnFailure(key, patched);
  }

  /** Drops the shared answers of these keys: the next read sends a new request. */
  invalidate(...keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** Drops every shared answer whose key starts with `prefix` (every query of one list). */
  invalidatePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /**
   * Runs a write, then drops the answers it touches, whether it succeeded or not (a failed write
   * may have been applied all the same). Dropping after, not before: a request sent while the
   * write was on its way may not include it.
   */
  async writing<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.invalidate(...keys);
    }
  }

  private forgetOnFailure(key: string, entry: Entry): void {
    // The callers get the rejection through their own promise; this one only stops it being kept.
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
  }
}

interface Entry {
  sentAt: number;
  value: Promise<unknown>;
}
