/**
 * End-to-end helpers: the real engine (scripts/install-engine.sh), an emulator per test file, and
 * a temporary stack of the suite's program (test/e2e/program) whose resources are stack config.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Context } from "mocha";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";
import { EngineUnavailableError, installEngine, LocalStack, REPO_ROOT } from "../../scripts/local-stack";
import { closeAfterFailure, stackConfigFor } from "../helpers/emulator";
export { cloudConfig, commerceConfig, vcaConfig } from "../../scripts/emulator-config";
import { killProcessTree, processesWithPulumiHome, waitFor } from "./processes";

export const PROGRAM_DIR = join(REPO_ROOT, "test", "e2e", "program");

let engine: Promise<string> | undefined;
const ENGINE_BUILD_TIMEOUT_MS = 40 * 60_000;

/**
 * The engine's folder, or the test is skipped with a loud message when it cannot be had
 * (no `pulumi` and no Go). With CI=true that is a failure: CI must prove the real engine.
 */
export async function engineOrSkip(context: Context): Promise<string> {
  // The first run on a machine compiles the engine for minutes (longer when test workers share
  // the cores): allow for it, and show its progress as it comes.
  context.timeout(Math.max(context.timeout(), ENGINE_BUILD_TIMEOUT_MS));
  engine ??= installEngine((line) => process.stderr.write(`${line}\n`));
  try {
    return await engine;
  } catch (error) {
    if (!(error instanceof EngineUnavailableError) || process.env.CI === "true") throw error;
    console.warn(
      `\n${"!".repeat(78)}\n!! SKIPPING the end-to-end suite: ${error.message}\n!! Nothing was proven against the real Pulumi engine.\n${"!".repeat(78)}\n`,
    );
    context.skip();
  }
}

/** The declared resources of the suite's program (see test/e2e/program/index.ts). */
export interface Declared {
  proxies?: Record<string, Record<string, unknown>>;
  products?: Record<string, Record<string, unknown>>;
  vcaUsers?: Record<string, Record<string, unknown>>;
  vcaUserLookups?: Record<string, { id: string; vcaAccount?: string }>;
  vcaFunctions?: { servicesAccount: string };
  registrations?: Record<string, Record<string, unknown>>;
  orders?: Record<string, Record<string, unknown>>;
  vcloudSession?: { vcaAccount: string; serviceId: string; vdcName: string };
}

/** An emulator and a stack of the suite's program pointed at it, for one test file. */
export class E2eStack {
  private constructor(
    readonly emulator: RunningEmulator,
    readonly stack: LocalStack,
  ) {}

  /** Every stack config value that is a secret, to look for in state and logs. */
  readonly secrets: string[] = [];

  static async start(
    context: Context,
    options: {
      emulator?: EmulatorOptions;
      config?: (emulator: RunningEmulator) => Record<string, string | { secret: string }>;
    } = {},
  ): Promise<E2eStack> {
    const engineBin = await engineOrSkip(context);
    const emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error", ...options.emulator });
    try {
      const stack = await LocalStack.create({ engineBin, projectDir: PROGRAM_DIR, stackName: "e2e" });
      const e2e = new E2eStack(emulator, stack);
      const config = options.config?.(emulator) ?? defaultConfig(emulator);
      e2e.secrets.push(...Object.values(config).flatMap((v) => (typeof v === "string" ? [] : [v.secret])));
      e2e.secrets.push(...Object.values(emulator.usageMeters).map((um) => um.password));
      await stack.setAllConfig(config);
      return e2e;
    } catch (error) {
      await closeAfterFailure(emulator, error);
      throw error;
    }
  }

  /** Declares resources and their passwords (secret config) for the next engine command. */
  async declare(resources: Declared, passwords: Record<string, string> = {}): Promise<void> {
    this.secrets.push(...Object.values(passwords));
    await this.stack.setConfig("vcpp-e2e:resources", JSON.stringify(resources));
    await this.stack.setConfig("vcpp-e2e:passwords", JSON.stringify(passwords), { secret: true });
  }

  /** Every credential the emulator handed out or holds: session ids, tokens (CSP, commerce and vCloud Air too), passwords. */
  issuedCredentials(): string[] {
    return [
      ...Object.keys(this.emulator.usageMeters).flatMap(
        (name) => this.emulator.admin.appliance(name).issuedCredentials,
      ),
      ...this.emulator.admin.issuedAccessTokens(),
      ...this.emulator.admin.commerceIssuedTokens(),
      ...Object.keys(this.emulator.vcaAccounts).flatMap(
        (name) => this.emulator.admin.vcaAccount(name).issuedCredentials,
      ),
    ];
  }

  /** Secrets (declared and issued) that occur in the text. */
  leakedIn(text: string): string[] {
    return [...this.secrets, ...this.issuedCredentials()].filter(
      (secret) => secret.length >= 6 && text.includes(secret),
    );
  }

  /**
   * Removes the stack and closes the emulator; fails if a request reached no emulator route, or if
   * an engine process of the stack (a plugin: language host, dynamic provider) is still running.
   */
  async dispose(): Promise<void> {
    try {
      await disposeChecked(this.stack);
    } finally {
      await this.emulator.close();
    }
  }
}

/** Removes the stack, failing if one of its engine processes is still running (see below). */
export async function disposeChecked(stack: LocalStack): Promise<void> {
  try {
    await assertNoStrayProcesses(stack.workDir);
  } finally {
    await stack.dispose();
  }
}

/**
 * The engine stops its plugins when it exits; a process of the stack that is still running ten
 * seconds later was orphaned (e.g. by a killed CLI). It is killed, and the test run fails naming it.
 */
async function assertNoStrayProcesses(workDir: string): Promise<void> {
  const pulumiHome = join(workDir, "home");
  if (await waitFor(() => processesWithPulumiHome(pulumiHome).length === 0, 10_000)) return;
  const strays = processesWithPulumiHome(pulumiHome);
  if (strays.length === 0) return;
  for (const stray of strays) killProcessTree(stray.pid);
  throw new Error(
    `engine processes outlived the stack (killed now):\n${strays.map((p) => `  ${p.pid} ${p.command}`).join("\n")}`,
  );
}

/** npm in `cwd`, quietly, from the cache where it can (the tests install the same packages again and again). */
export const npm = (cwd: string, ...args: string[]) =>
  promisify(execFile)("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });

/** The version of a package installed in the repository's node_modules. */
export const installedVersion = async (name: string): Promise<string> =>
  JSON.parse(await readFile(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;

/** Stack config pointing at the emulator's default appliance (the integration tests' config, as `vcpp:` keys). */
export function defaultConfig(emulator: RunningEmulator): Record<string, string | { secret: string }> {
  return asStackConfig(stackConfigFor(emulator));
}

/** `vcpp:` keys for provider config; the ones holding passwords as secrets. */
export function asStackConfig(config: Record<string, string>): Record<string, string | { secret: string }> {
  const secretKeys = ["usageMeterPassword", "usageMeters"];
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [`vcpp:${key}`, secretKeys.includes(key) ? { secret: value } : value]),
  );
}

/** The short name at the end of a URN. */
export const nameOf = (urn: string): string => urn.split("::").pop() as string;

/**
 * Pulumi's own RPC tracing prints secret config and secret inputs in plain text at -v=9: in CLI
 * 3.250 the secret filter runs before the arguments are formatted (sdk/go/common/util/logging),
 * and the Node SDK's debug line echoes RegisterResource responses. Those lines are Pulumi's, and
 * the README says so; every other line (ours included) must hold no secret.
 */
const ENGINE_TRACING = [
  /^(Un)?[Mm]arshaling property for RPC\[/,
  /^Planner decided /,
  /RegisterResource RPC finished: /,
];

export function leaksOutsideEngineTracing(e2e: E2eStack, logs: string[]): string[] {
  return logs
    .join("\n")
    .split("\n")
    .filter((line) => !ENGINE_TRACING.some((pattern) => pattern.test(messageOf(line))))
    .flatMap((line) => e2e.leakedIn(line).map((secret) => `${secret.slice(0, 3)}… in: ${line.slice(0, 160)}`));
}

/** The message of a JSON log line (the engine logs JSON with --logtostderr), or the line itself. */
function messageOf(line: string): string {
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
  } catch {
    return line;
  }
}
