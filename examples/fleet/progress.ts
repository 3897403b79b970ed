/** What one site's run reports as it goes, from the Automation API's engine events. */
import { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";

export type Mode = "up" | "drift" | "destroy";

/** One changed resource: what `pulumi up` did, or what `--drift` found. */
export interface Change {
  op: string;
  resource: string;
  /** The declared fields that differ, as `field: "on the appliance" → "declared"`. */
  fields: string[];
}

/** What the engine's events say while a site runs: progress lines, changes, error diagnostics. */
export class SiteProgress {
  readonly drift: Change[] = [];
  readonly errors: string[] = [];

  constructor(
    private readonly site: string,
    private readonly mode: Mode,
  ) {}

  print(line: string): void {
    process.stdout.write(`[${this.site}] ${line}\n`);
  }

  /** Changes by operation, of the site's own resources (not the stack, not providers). */
  private readonly counts = new Map<string, number>();

  readonly onEvent = (event: EngineEvent): void => {
    // A preview's steps are planned (pre events); an update's are done (outputs events).
    const step = this.mode === "drift" ? event.resourcePreEvent?.metadata : event.resOutputsEvent?.metadata;
    if (step && !QUIET_OPS.includes(step.op) && !BOOKKEEPING.test(step.type)) {
      this.counts.set(step.op, (this.counts.get(step.op) ?? 0) + 1);
      if (this.mode === "drift") {
        const change = changeOf(step);
        this.drift.push(change);
        this.print(`drift: ${change.resource} would be ${PAST[step.op] ?? step.op}: ${change.fields.join("; ")}`);
      } else this.print(`${PAST[step.op] ?? step.op} ${resourceName(step)}`);
    }
    const diagnostic = event.diagnosticEvent;
    if (diagnostic?.severity === "error" && !diagnostic.ephemeral) {
      const message = diagnostic.message.trim();
      // The engine ends a failed run with a bare "update failed" against the stack: the resources'
      // own errors say why, and when there are none the command's error does (runSite).
      const error = diagnostic.urn ? `${nameOfUrn(diagnostic.urn)}: ${message}` : message;
      // A resource that fails its refresh reports the same error again for the run: say it once.
      if (!/^(update|preview|destroy|refresh) failed$/.test(message) && !this.errors.includes(error))
        this.errors.push(error);
    }
  };

  /** "2 created, 1 updated" (or "1 to update" for a preview); "none" when nothing changed. */
  changes(): string {
    const verb = (op: string) => (this.mode === "drift" ? `to ${op}` : (PAST[op] ?? op));
    return this.counts.size ? [...this.counts].map(([op, n]) => `${n} ${verb(op)}`).join(", ") : "none";
  }
}

/**
 * Steps that change nothing, and the halves of a replacement: the engine reports a replace as
 * `create-replacement`, `replace` and `delete-replaced`, counted once, as its `replace`.
 */
const QUIET_OPS = ["same", "read", "refresh", "discard", "create-replacement", "delete-replaced"];
/** The stack itself and the default providers: not the site's resources. */
const BOOKKEEPING = /^pulumi:(pulumi:Stack$|providers:)/;
const PAST: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
};

const nameOfUrn = (urn: string) => urn.split("::").pop() as string;
/** `MeteredProduct vcenter`: the type without its `pulumi-nodejs:dynamic/vcpp:` prefix, and the name. */
const resourceName = (step: StepEventMetadata) => `${step.type.split(":").pop()} ${nameOfUrn(step.urn)}`;

/**
 * The declared fields a step changes: the inputs recorded in state (after the refresh, what the
 * appliance reports) against the program's. Dynamic resources get no field-level diff from the
 * engine, so it is computed here; secrets show as [secret].
 */
function changeOf(step: StepEventMetadata): Change {
  const before = step.old?.inputs ?? {};
  const after = step.new?.inputs ?? {};
  const fields =
    step.op === "create"
      ? ["missing on the appliance"]
      : step.op === "delete"
        ? ["no longer declared"]
        : [...new Set([...Object.keys(before), ...Object.keys(after)])]
            .filter((key) => key !== "__provider" && JSON.stringify(before[key]) !== JSON.stringify(after[key]))
            .sort()
            .map((key) => `${key}: ${shown(before[key])} on the appliance, declared ${shown(after[key])}`);
  return { op: step.op, resource: resourceName(step), fields };
}

const shown = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value).slice(0, 80));
