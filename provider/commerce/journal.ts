/**
 * The order journal: an append-only file of what this machine sent to `POST /order`, written
 * and flushed to disk BEFORE the order is sent and again when its answer comes. It is what makes
 * an order survive a `pulumi` process killed mid-create: the engine then forgets the create (a
 * pending operation it drops on the next `up`), but the journal still says "sent, answer unknown"
 * or "placed as request N", and the next create adopts that instead of ordering again.
 * One JSON object per line; a torn last line (a crash mid-write) is skipped. It holds no
 * credentials: order keys, a fingerprint of the order's content, contract and part numbers, times.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../errors";

/**
 * - `sending`: written before the POST; alone, it means the outcome is unknown (killed, or no answer);
 * - `placed`: the service accepted it, with its request id;
 * - `unknown`: an answer was lost (timeout, reset, 5xx): it may or may not have been ordered;
 * - `rejected` / `not-sent`: nothing was ordered;
 * - `released`: the resource left the stack; the same key and content may be ordered again.
 */
export type JournalEvent = "sending" | "placed" | "unknown" | "rejected" | "not-sent" | "released";

export interface JournalRecord {
  /** The order's key (a VcppOrder's `orderKey`). */
  key: string;
  /** SHA-256 of the order's declared content. */
  fingerprint: string;
  event: JournalEvent;
  /** ISO 8601. */
  at: string;
  contractNumber: string;
  partNumbers: string[];
  requestId?: string;
}

/** What the journal knows about an order key and content. */
export type JournalVerdict =
  { state: "none" } | { state: "placed"; requestId: string; at: string } | { state: "unknown"; at: string };

export class OrderJournal {
  constructor(readonly path: string) {}

  /** Every readable record, oldest first. */
  records(): JournalRecord[] {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new ConfigError(`the order journal ${this.path} cannot be read: ${(error as Error).message}`);
    }
    return text.split("\n").flatMap((line) => {
      if (!line.trim()) return [];
      try {
        const record = JSON.parse(line) as JournalRecord;
        return typeof record.key === "string" && typeof record.event === "string" ? [record] : [];
      } catch {
        return []; // a line torn by a crash mid-write
      }
    });
  }

  /**
   * Whether an order with this key and content was sent before and not released: placed (with
   * its request id), or unknown (sent, no usable answer; or the process died waiting).
   */
  verdict(key: string, fingerprint: string): JournalVerdict {
    const mine = this.records().filter((r) => r.key === key && r.fingerprint === fingerprint);
    let verdict: JournalVerdict = { state: "none" };
    for (const record of mine) {
      if (record.event === "placed" && record.requestId)
        verdict = { state: "placed", requestId: record.requestId, at: record.at };
      else if (record.event === "sending") verdict = { state: "unknown", at: record.at };
      else if (record.event === "unknown")
        verdict = verdict.state === "unknown" ? verdict : { state: "unknown", at: record.at };
      else if (record.event !== "placed") verdict = { state: "none" };
    }
    return verdict;
  }

  /** Orders under this key with other content that were sent and not released (a warning's material). */
  otherContent(key: string, fingerprint: string): JournalRecord[] {
    const fingerprints = new Set(
      this.records()
        .filter((r) => r.key === key && r.fingerprint !== fingerprint)
        .map((r) => r.fingerprint),
    );
    return [...fingerprints].flatMap((other) => {
      const verdict = this.verdict(key, other);
      if (verdict.state === "none") return [];
      return this.records()
        .filter((r) => r.key === key && r.fingerprint === other)
        .slice(-1);
    });
  }

  /** Appends one record and flushes it to disk before returning; a failure throws (then nothing is sent). */
  append(record: Omit<JournalRecord, "at"> & { at?: string }): JournalRecord {
    const full: JournalRecord = { ...record, at: record.at ?? new Date().toISOString() };
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.path, "a", 0o600);
      try {
        writeSync(fd, `${JSON.stringify(full)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new ConfigError(
        `the order journal ${this.path} cannot be written (${(error as Error).message}): no order was sent. Make it writable, or set vcpp:commerceOrderJournal to a writable path`,
      );
    }
    return full;
  }
}
