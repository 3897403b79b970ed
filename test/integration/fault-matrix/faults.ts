/**
 * The faults of the matrix: how each is set on the emulator, and what a user must see under it.
 */
import { RunningEmulator } from "../../../emulator";
import { Subject, Target } from "./subjects";

type Fault = Parameters<RunningEmulator["admin"]["injectFault"]>[0];

/**
 * - transient: the operation succeeds (retried where repeating is safe); a create whose POST is
 *   never repeated blindly may instead fail clearly, and then the next run creates it exactly once.
 * - persistent: the operation fails with a clear error (or succeeds when it does not need what the
 *   fault broke), and the next run, the fault gone, ends as declared.
 */
export type FaultKind = "transient" | "persistent";

export interface MatrixFault {
  /** Column heading. */
  name: string;
  kind: FaultKind;
  /** Sets the fault on the request an operation sends (before it runs). */
  inject(emulator: RunningEmulator, target: Target, subject: Subject): Promise<void> | void;
  /** Whether the operation must first log in (so the fault hits a session it already holds). */
  loggedIn?: boolean;
  /** Requests to the target a successful run must have sent (a retry shows as more than one). */
  expectedTries?: number;
  /** Least time a successful run must have waited, in ms (a Retry-After honoured). */
  minWaitMs?: number;
  /** The status a failure must report (undefined: no answer). */
  status?: number | "2xx";
}

const at = (target: Target, fault: Omit<Fault, "method" | "pathIncludes">): Fault => ({ ...target, ...fault });

/** More failures than any retry policy allows. */
const ALWAYS = 100;

export const FAULTS: MatrixFault[] = [
  { name: "latency 300 ms", kind: "transient", inject: (e, t) => e.admin.injectFault(at(t, { delayMs: 300 })) },
  {
    name: "2 × 503",
    kind: "transient",
    expectedTries: 3,
    inject: (e, t) => e.admin.injectFault(at(t, { status: 503, times: 2 })),
  },
  {
    name: "429 Retry-After 1",
    kind: "transient",
    expectedTries: 2,
    minWaitMs: 1000,
    inject: (e, t) => e.admin.injectFault(at(t, { retryAfterSeconds: 1 })),
  },
  {
    name: "reset before applying",
    kind: "transient",
    inject: (e, t) => e.admin.injectFault(at(t, { dropBeforeApplying: true })),
  },
  {
    name: "reset after applying",
    kind: "transient",
    inject: (e, t) => e.admin.injectFault(at(t, { dropAfterApplying: true })),
  },
  { name: "hang (timeout)", kind: "transient", inject: (e, t) => e.admin.injectFault(at(t, { hang: true })) },
  {
    name: "hang after applying",
    kind: "transient",
    inject: (e, t) => e.admin.injectFault(at(t, { hang: true, applyFirst: true })),
  },
  {
    name: "session expired",
    kind: "transient",
    loggedIn: true,
    inject: (e, _, subject) => subject.expireSessions(e),
  },
  {
    name: "persistent 500",
    kind: "persistent",
    status: 500,
    inject: (e, t) => e.admin.injectFault(at(t, { status: 500, times: ALWAYS })),
  },
  {
    name: "malformed syntax",
    kind: "persistent",
    status: "2xx",
    inject: (e, t) => e.admin.injectFault(at(t, { malformed: "syntax", times: ALWAYS })),
  },
  {
    name: "malformed schema",
    kind: "persistent",
    status: "2xx",
    inject: (e, t) => e.admin.injectFault(at(t, { malformed: "schema", times: ALWAYS })),
  },
  {
    name: "untrusted TLS certificate",
    kind: "persistent",
    inject: (e) => e.admin.presentCertificate("untrusted"),
  },
  {
    name: "TLS certificate of another name",
    kind: "persistent",
    inject: (e) => e.admin.presentCertificate("wrong-name"),
  },
];
