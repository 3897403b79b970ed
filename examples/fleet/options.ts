/** The fleet command's command line. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Mode } from "./progress";

export const USAGE = `Usage: fleet [--drift | --destroy] [options]

Runs one Pulumi stack of the site program per site of the inventory.

Options:
  --inventory FILE          the sites (YAML or JSON; default: sites.yaml)
  --project DIR             the folder of the site program's Pulumi.yaml (default: the current folder)
  --site NAME               only this site (repeatable); e.g. one site per CI job
  --parallel N              sites run at once (default: $FLEET_PARALLEL or 4)
  --state-dir DIR           local state folder (default: $FLEET_STATE_DIR or .fleet-state)
  --backend URL             any Pulumi backend instead (default: $PULUMI_BACKEND_URL), e.g.
                            s3://bucket/fleet, https://api.pulumi.com
  --secrets-provider SPEC   for new stacks, e.g. awskms://alias/fleet (default: passphrase,
                            from $PULUMI_CONFIG_PASSPHRASE or $PULUMI_CONFIG_PASSPHRASE_FILE)
  --drift                   pulumi preview --refresh per site: report drift, change nothing
  --destroy                 pulumi destroy per site, then remove its stack
  -h, --help                print this help

Exit code: 0 all sites succeeded (and in sync, with --drift), 1 a site failed, 2 drift found.`;

export interface Options {
  mode: Mode;
  inventory: string;
  project: string;
  sites: string[];
  parallel: number;
  backend: string;
  secretsProvider?: string;
}

/** A bad command line: printed with the usage, without a stack trace. */
export class UsageError extends Error {}

/** The command line, with defaults from the environment; "help" for -h. */
export function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      inventory: { type: "string", default: "sites.yaml" },
      project: { type: "string", default: "." },
      site: { type: "string", multiple: true, default: [] },
      parallel: { type: "string", default: process.env.FLEET_PARALLEL ?? "4" },
      "state-dir": { type: "string", default: process.env.FLEET_STATE_DIR ?? ".fleet-state" },
      backend: { type: "string", default: process.env.PULUMI_BACKEND_URL },
      "secrets-provider": { type: "string" },
      drift: { type: "boolean", default: false },
      destroy: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (values.drift && values.destroy) throw new UsageError("--drift and --destroy: choose one");
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new UsageError(`--parallel ${values.parallel}: expected a whole number from 1`);
  return {
    mode: values.drift ? "drift" : values.destroy ? "destroy" : "up",
    inventory: resolve(values.inventory),
    project: resolve(values.project),
    sites: values.site,
    parallel,
    backend: values.backend ?? `file://${resolve(values["state-dir"])}`,
    secretsProvider: values["secrets-provider"],
  };
}
