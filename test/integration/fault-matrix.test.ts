/**
 * The fault matrix (#19): every resource × {create, read, update, delete} × every fault, each cell
 * through the dynamic provider against the emulator (no engine, for speed; test/e2e/faults.test.ts
 * takes a representative subset through the real engine). The table is printed after the run and
 * written to dist/fault-matrix.md; README.md "The fault matrix" holds a copy.
 */
import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningEmulator, startEmulator } from "../../emulator";
import { ServiceError } from "../../provider/errors";
import { FAULTS, MatrixFault } from "./fault-matrix/faults";
import { NotApplicable, Operation, OPERATIONS, Subject, SUBJECTS, Target } from "./fault-matrix/subjects";

type Existing = { id: string; outs?: Record<string, unknown> };

/** What each cell showed, by resource, operation and fault name. */
const table = new Map<string, string>();
const key = (subject: Subject, op: Operation, fault: MatrixFault) => `${subject.resource}|${op}|${fault.name}`;

async function perform(
  provider: pulumi.dynamic.ResourceProvider,
  op: Operation,
  inputs: Record<string, unknown>,
  existing: Existing | undefined,
  changed: Record<string, unknown> | undefined,
): Promise<Existing | undefined> {
  switch (op) {
    case "create":
      return provider.create(inputs);
    case "read": {
      const read = await provider.read!(existing!.id, existing!.outs);
      // A fault must never make a thing that exists look gone: the engine would drop it from state.
      assert.equal(read.id, existing!.id, "read under a fault lost the resource");
      assert.ok(read.props, "read under a fault returned no outputs");
      return { id: read.id!, outs: read.props };
    }
    case "update":
      return { id: existing!.id, outs: (await provider.update!(existing!.id, existing!.outs, changed!)).outs };
    case "delete":
      await provider.delete!(existing!.id, existing!.outs);
      return undefined;
  }
}

const matches = (target: Target) => (r: { method: string; path: string }) =>
  (target.method === "*" || r.method === target.method) && r.path.includes(target.pathIncludes);

/** The error a user reads: which service, which operation, what status, what to do. */
function assertClear(error: unknown, subject: Subject, fault: MatrixFault): asserts error is ServiceError {
  if (!(error instanceof ServiceError)) throw error;
  assert.ok(subject.services.includes(error.service), `names another service: ${error.message}`);
  assert.ok(error.operation && error.message.includes(error.operation), `names no operation: ${error.message}`);
  assert.ok(error.message.startsWith(`${error.service}: `), error.message);
  assert.ok(error.hint && error.message.includes(error.hint), `gives no hint: ${error.message}`);
  if (fault.status === "2xx") assert.equal(error.code, "BAD_RESPONSE", error.message);
  else if (fault.status !== undefined) assert.equal(error.status, fault.status, error.message);
  if (fault.name.includes("TLS")) {
    assert.equal(error.code, "TLS", error.message);
    // A trusted certificate of another name: the URL's host name must change, not the CAs.
    assert.match(
      error.hint,
      fault.name.includes("another name") ? /is issued for .*: use one of its names/ : /vcpp:caCertificates/,
    );
  }
}

/** Runs one cell and returns what it showed, asserting what the issue asks of it. */
async function cell(subject: Subject, op: Operation, fault: MatrixFault): Promise<string> {
  const emulator = await startEmulator({ quiet: true, ...subject.options });
  const dir = mkdtempSync(join(tmpdir(), "vcpp-fault-matrix-"));
  try {
    const target = subject.targets[op] as Target;
    const setup = subject.open(emulator, dir);
    const inputs = (await setup.provider.check!({}, subject.inputs)).inputs;
    const existing = op === "create" ? undefined : await setup.provider.create(inputs);
    const changed = op === "update" ? (await setup.provider.check!(inputs, subject.changed)).inputs : undefined;

    // The faulted operation runs in a new provider process, as in the next `pulumi up`.
    const run = subject.open(emulator, dir);
    if (fault.loggedIn) await run.login();
    emulator.admin.clearRequests();
    await fault.inject(emulator, target, subject);
    const started = Date.now();
    let result: Existing | undefined;
    let failure: ServiceError | undefined;
    try {
      result = await perform(run.provider, op, inputs, existing, changed);
    } catch (error) {
      assertClear(error, subject, fault);
      failure = error;
    }
    const waited = Date.now() - started;
    const tries = emulator.requests.filter(matches(target)).length;
    // A fault that met no request proves nothing (the TLS one fails before any request is logged).
    if (!fault.name.includes("TLS")) assert.ok(tries >= 1, `no ${target.method} ${target.pathIncludes} was sent`);
    await heal(emulator);

    let shown: string;
    if (result?.outs && subject.unconfirmed?.(result.outs)) {
      // Sent once, outcome unknown: recorded as unconfirmed, never sent again (not even by the next run).
      assert.equal(op, "create");
      assert.equal(tries, 1, "the order was sent more than once");
      assert.ok(subject.count(emulator) <= 1, "a duplicate");
      return "unconfirmed, never re-sent";
    } else if (failure) {
      // Only a create's POST is never repeated blindly; everything else must ride out a transient fault.
      if (fault.kind === "transient")
        assert.ok(op === "create" && target.method === "POST", `failed under a transient fault: ${failure.message}`);
      // The next run (the fault gone) ends as declared: a create adopts what the lost answer created.
      const next = subject.open(emulator, dir);
      result = await perform(next.provider, op, inputs, existing, changed);
      shown = `error ${failure.code}${failure.status ? ` ${failure.status}` : ""}; next run ok`;
    } else {
      if (fault.kind === "persistent")
        assert.ok(fault.status === "2xx", `succeeded although ${fault.name} broke every answer`);
      if (fault.expectedTries) assert.ok(tries >= fault.expectedTries, `${tries} tries, no retry`);
      if (fault.minWaitMs) assert.ok(waited >= fault.minWaitMs, `waited ${waited} ms only: Retry-After ignored`);
      shown = fault.kind === "persistent" ? "ok (answer not read)" : tries > 1 ? `ok, ${tries} tries` : "ok";
    }
    // Never a duplicate, never a loss: exactly one thing exists unless it was deleted.
    assert.equal(subject.count(emulator), op === "delete" ? 0 : 1, "what exists on the service");
    if (result) await perform(subject.open(emulator, dir).provider, "read", inputs, result, undefined);
    return shown;
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fault is over: no fault left, the trusted certificate again. */
async function heal(emulator: RunningEmulator): Promise<void> {
  emulator.admin.clearFaults();
  await emulator.admin.presentCertificate("trusted");
}

function markdown(): string {
  const notes: string[] = [];
  const head = ["Resource", "Operation", ...FAULTS.map((f) => f.name)];
  const rows = SUBJECTS.flatMap((subject) =>
    OPERATIONS.map((op) => {
      const target = subject.targets[op];
      if ("notApplicable" in target) {
        notes.push(`${subject.resource} ${op}: ${(target as NotApplicable).notApplicable}.`);
        return [subject.resource, op, ...FAULTS.map(() => `n/a (${notes.length})`)];
      }
      return [
        subject.resource,
        `${op} (${target.method})`,
        ...FAULTS.map((f) => table.get(key(subject, op, f)) ?? "not run"),
      ];
    }),
  );
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    line(head.map(() => "---")),
    ...rows.map(line),
    "",
    ...notes.map((n, i) => `(${i + 1}) ${n}`),
    "",
  ].join("\n");
}

describe("The fault matrix: every resource × operation × fault, against the emulator", function () {
  this.timeout(120_000);

  after(() => {
    const text = markdown();
    console.log(`\n${text}`);
    mkdirSync("dist", { recursive: true });
    writeFileSync(join("dist", "fault-matrix.md"), text);
  });

  for (const subject of SUBJECTS)
    describe(subject.resource, () => {
      for (const op of OPERATIONS) {
        if ("notApplicable" in subject.targets[op]) continue;
        for (const fault of FAULTS)
          it(`${op} under ${fault.name}`, async () => {
            table.set(key(subject, op, fault), "FAILED");
            table.set(key(subject, op, fault), await cell(subject, op, fault));
          });
      }
    });
});
