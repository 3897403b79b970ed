/**
 * Rolls a fleet of Usage Meter sites out with Pulumi's Automation API: one stack of this folder's
 * program (index.ts) per site of the inventory, its config written from the inventory on every
 * run (the inventory is the source of truth; the Pulumi.<site>.yaml files are derived from it),
 * `pulumi up --refresh` for each site, a few at a time. `--drift` runs `pulumi preview --refresh`
 * instead and reports what differs; `--destroy` removes every site's resources and its stack.
 *
 * It runs the `pulumi` CLI found on PATH, as a pipeline would. Exit code: 0 when every site
 * succeeded (and, with --drift, none drifted), 1 when a site failed or the flags or inventory are
 * wrong, 2 when --drift found drift.
 */
import { spawn } from "node:child_process";
import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { Inventory, InventoryError, loadInventory, readSecrets, Site, SiteDeclaration } from "./inventory";
import { Options, parseOptions, UsageError, USAGE } from "./options";
import { Change, Mode, SiteProgress } from "./progress";

interface SiteResult {
  site: string;
  result: "ok" | "failed" | "drifted" | "in sync" | "destroyed";
  changes: string;
  seconds: number;
  drift: Change[];
  errors: string[];
}

const ACTIVITY: Record<Mode, string> = { up: "rolling out", drift: "checking drift", destroy: "destroying" };

/** Runs one site to the end, whatever happens: a failure is its result, never the fleet's. */
async function runSite(site: Site, inventory: Inventory, options: Options, pulumi: PulumiCommand): Promise<SiteResult> {
  const started = Date.now();
  const progress = new SiteProgress(site.name, options.mode);
  const result = (outcome: SiteResult["result"]): SiteResult => ({
    site: site.name,
    result: outcome,
    changes: progress.changes(),
    seconds: (Date.now() - started) / 1000,
    drift: progress.drift,
    errors: progress.errors,
  });
  try {
    progress.print(ACTIVITY[options.mode]);
    const stack = await selectStack(site, options, pulumi);
    await writeConfig(stack, site, inventory, options, pulumi);
    // runProgram: a refresh or destroy otherwise runs the provider with the config recorded by the
    // last `up`, so a rotated password (or one wrong in the last run) would fail every later run.
    // With it the engine uses the config just written from the inventory.
    const run = { onEvent: progress.onEvent, runProgram: true };
    if (options.mode === "destroy") {
      await stack.destroy(run);
      await stack.workspace.removeStack(site.name);
      return result("destroyed");
    }
    if (options.mode === "drift") {
      await stack.preview({ ...run, refresh: true });
      return result(progress.drift.length > 0 ? "drifted" : "in sync");
    }
    // --refresh: read each appliance first, so that a change made by hand is put back too.
    await stack.up({ ...run, refresh: true });
    return result("ok");
  } catch (error) {
    if (progress.errors.length === 0) progress.errors.push(failureMessage(error));
    progress.print(`failed: ${progress.errors[0]}`);
    return result("failed");
  }
}

/** The lines of a failed command that say why (the CLI's `error:` lines), or the error's first line. */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const reasons = text.split("\n").filter((line) => /^\s*error: /.test(line));
  return (reasons.length ? reasons.map((l) => l.trim()) : [text.split("\n")[0]]).join(" ");
}

/**
 * `pulumi stack select` records the current stack in one file of the Pulumi home shared by every
 * site: selecting one site at a time keeps parallel runs from writing it at once. Each later
 * command names its stack.
 */
let selecting: Promise<unknown> = Promise.resolve();
function selectStack(site: Site, options: Options, pulumi: PulumiCommand): Promise<Stack> {
  const args = { stackName: site.name, workDir: options.project };
  const workspace = {
    pulumiCommand: pulumi,
    envVars: { PULUMI_BACKEND_URL: options.backend },
    secretsProvider: options.secretsProvider,
  };
  // Only a roll-out creates a site's stack: a drift check or a destroy of a site never rolled out
  // fails for that site ("no stack named …") rather than leaving an empty stack behind.
  const select = () =>
    options.mode === "up"
      ? LocalWorkspace.createOrSelectStack(args, workspace)
      : LocalWorkspace.selectStack(args, workspace);
  const next = selecting.then(select, select);
  selecting = next.catch(() => undefined);
  return next;
}

/** The site's stack config, from the inventory; keys it no longer needs are removed. */
async function writeConfig(
  stack: Stack,
  site: Site,
  inventory: Inventory,
  options: Options,
  pulumi: PulumiCommand,
): Promise<void> {
  const secrets = await readSecrets(site);
  const caFile = site.caCertificatesFile ?? inventory.caCertificatesFile;
  const cloud = site.registration ? inventory.cloudPartnerNavigator : undefined;
  const declaration: SiteDeclaration = { proxy: site.proxy, products: site.products, registration: site.registration };
  const plain: Record<string, string | undefined> = {
    "vcpp:usageMeterUrl": site.usageMeter.url,
    "vcpp:usageMeterUser": site.usageMeter.user,
    "vcpp:caCertificates": caFile && (await readFile(caFile, "utf8")),
    "vcpp:cspUrl": cloud?.cspUrl,
    "vcpp:usageInsightUrl": cloud?.usageInsightUrl,
    "vcpp:usageMeteringAgentsUrl": cloud?.usageMeteringAgentsUrl,
    "vcpp-fleet:site": JSON.stringify(declaration),
  };
  const secret: Record<string, string | undefined> = {
    "vcpp:usageMeterPassword": secrets.usageMeterPassword,
    "vcpp:cspApiToken": secrets.cspApiToken,
    "vcpp-fleet:passwords": JSON.stringify({ proxy: secrets.proxyPassword, products: secrets.productPasswords }),
  };
  const wanted = new Set(
    Object.keys({ ...plain, ...secret }).filter((key) => (plain[key] ?? secret[key]) !== undefined),
  );
  const stale = Object.keys(await stack.getAllConfig()).filter((key) => !wanted.has(key));
  if (stale.length) await stack.removeAllConfig(stale);
  await stack.setAllConfig(
    Object.fromEntries(
      Object.entries(plain).flatMap(([key, value]) => (value === undefined ? [] : [[key, { value, secret: false }]])),
    ),
  );
  for (const [key, value] of Object.entries(secret))
    if (value !== undefined) await setSecretConfig(pulumi, options, site.name, key, value);
}

/**
 * The Automation API passes config values on the command line, where any user of the machine
 * can read them (`ps`): secrets go to `pulumi config set --secret` through its stdin instead.
 */
function setSecretConfig(pulumi: PulumiCommand, options: Options, stackName: string, key: string, value: string) {
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(pulumi.command, ["config", "set", "--secret", key, "--stack", stackName, "--non-interactive"], {
      cwd: options.project,
      env: { ...process.env, PULUMI_BACKEND_URL: options.backend },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`pulumi config set --secret ${key} failed: ${stderr.trim()}`)),
    );
    child.stdin.end(value);
  });
}

function printSummary(results: SiteResult[]): void {
  const rows = [
    ["SITE", "RESULT", "RESOURCES CHANGED", "DURATION"],
    ...results.map((r) => [r.site, r.result, r.changes, `${r.seconds.toFixed(1)}s`]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log("");
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join("  ")
        .trimEnd(),
    );
  for (const r of results.filter((r) => r.drift.length)) {
    console.log(`\n${r.site} drifted:`);
    for (const change of r.drift) console.log(`  ${change.resource}: ${change.fields.join("; ")}`);
  }
  for (const r of results.filter((r) => r.result === "failed")) {
    console.log(`\n${r.site} failed:`);
    for (const error of r.errors) console.log(`  ${error.split("\n").join("\n  ")}`);
  }
}

/** The file backend needs a passphrase for new stacks' secrets: say so once, not once per site. */
function checkSecretsProvider(options: Options): void {
  const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE !== undefined || process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (options.backend.startsWith("file://") && !options.secretsProvider && !passphrase)
    throw new UsageError(
      "the local backend keeps secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), or pass --secrets-provider",
    );
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  checkSecretsProvider(options);
  const inventory = await loadInventory(options.inventory);
  const unknown = options.sites.filter((name) => !inventory.sites.some((s) => s.name === name));
  if (unknown.length) throw new UsageError(`--site ${unknown.join(", ")}: not in ${options.inventory}`);
  await access(join(options.project, "Pulumi.yaml")).catch(() => {
    throw new UsageError(`--project ${options.project}: no Pulumi.yaml there (the site program's folder)`);
  });
  const sites = inventory.sites.filter((s) => options.sites.length === 0 || options.sites.includes(s.name));
  if (options.backend.startsWith("file://")) await mkdir(options.backend.slice("file://".length), { recursive: true });
  const pulumi = await PulumiCommand.get().catch((error: Error) => {
    throw new UsageError(`no usable pulumi CLI on PATH (https://www.pulumi.com/docs/install/): ${error.message}`);
  });
  console.log(
    `${sites.length} site(s), ${options.parallel} at a time, state in ${options.backend}, pulumi ${pulumi.version ?? "(version unknown)"}`,
  );
  const { default: pLimit } = await import("p-limit");
  const limit = pLimit(options.parallel);
  const results = await Promise.all(sites.map((site) => limit(() => runSite(site, inventory, options, pulumi))));
  printSummary(results);
  if (results.some((r) => r.result === "failed")) return 1;
  return results.some((r) => r.result === "drifted") ? 2 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const expected = error instanceof UsageError || error instanceof InventoryError;
    console.error(
      expected ? `fleet: ${(error as Error).message}${error instanceof UsageError ? "\n\n" + USAGE : ""}` : error,
    );
    process.exitCode = 1;
  },
);
