/**
 * The real Pulumi engine, driven the way a pipeline drives it: the CLI on a local file backend in
 * a temporary folder, secrets encrypted with a passphrase, no Pulumi Cloud account and no plugin
 * download. Used by the demo and by the end-to-end tests.
 */
import { spawn, ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";

/** The repository root (this file runs from dist/scripts). */
export const REPO_ROOT = resolve(__dirname, "..", "..");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Children still running, so an interrupted demo or test run can stop them. */
const running = new Set<ChildProcess>();

/** Stops every engine process this module started (on Ctrl-C, or a failed test run). */
export function stopAllCommands(): void {
  for (const child of running) child.kill("SIGTERM");
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Called with each chunk of stderr as it arrives (progress). */
  onStderr?: (chunk: string) => void;
  onStdout?: (chunk: string) => void;
  /** Start the command in a process group of its own, so that a test can kill it and its plugins at once. */
  detached?: boolean;
  /** Called with the child process once started (its pid, to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs a command to completion, collecting its output; never rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: options.detached,
    });
    running.add(child);
    options.onSpawn?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    child.on("error", (error) => {
      running.delete(child);
      reject(error);
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command that exits without reading its input must not crash this process with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Makes the engine available (scripts/install-engine.sh: a `pulumi` on PATH, the cached build, or
 * a build from the Go modules) and returns the folder to put first on PATH.
 */
export async function installEngine(onProgress: (line: string) => void = () => undefined): Promise<string> {
  const result = await runCommand("bash", [join(REPO_ROOT, "scripts", "install-engine.sh")], {
    cwd: REPO_ROOT,
    onStderr: (chunk) =>
      chunk
        .split("\n")
        .filter((l) => l.startsWith("[engine]"))
        .forEach(onProgress),
  });
  if (result.code !== 0) {
    const reason =
      result.stderr
        .split("\n")
        .filter((l) => l.includes("ERROR"))
        .join("\n") || result.stderr.slice(-2000);
    throw new EngineUnavailableError(reason.trim());
  }
  return result.stdout.trim().split("\n").pop() as string;
}

/** Neither a `pulumi` on PATH nor a way to build one. */
export class EngineUnavailableError extends Error {
  constructor(reason: string) {
    super(`The Pulumi engine is not available: ${reason}`);
    this.name = "EngineUnavailableError";
  }
}

const resourceState = z.object({
  type: z.string().nullish(),
  id: z.string().nullish(),
  inputs: z.record(z.string(), z.unknown()).nullish(),
  outputs: z.record(z.string(), z.unknown()).nullish(),
});
const previewStep = z.object({
  op: z.string(),
  urn: z.string(),
  oldState: resourceState.nullish(),
  newState: resourceState.nullish(),
});
/** What this package reads of `pulumi preview --json`. */
const previewJson = z.object({ steps: z.array(previewStep).default([]) });

/** A step of `pulumi preview --json`. */
export type PreviewStep = z.infer<typeof previewStep>;

/**
 * The declared fields a step changes: where the inputs recorded in state (after a refresh, as the
 * service reports them) differ from the program's. The engine's JSON has no field-level diff for
 * dynamic resources, so it is computed here.
 */
export function changedInputs(step: PreviewStep): string[] {
  const before = step.oldState?.inputs ?? {};
  const after = step.newState?.inputs ?? {};
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((field) => field !== "__provider" && JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .sort();
}

export interface Preview {
  steps: PreviewStep[];
  /** Steps that would change something (not `same`, `refresh` or `read`). */
  changes: PreviewStep[];
}

export interface LocalStackOptions {
  /** The folder returned by installEngine. */
  engineBin: string;
  /** The folder holding Pulumi.yaml. */
  projectDir: string;
  stackName?: string;
  /** Extra environment for the engine and the programs it runs. */
  env?: NodeJS.ProcessEnv;
}

/** The commands that read the stack's config, and so need to be told where it is. */
const CONFIG_FILE_COMMANDS = ["config", "up", "preview", "refresh", "destroy"];

/** A stack on a local file backend in its own temporary folder; `dispose` removes every trace. */
export class LocalStack {
  readonly stackName: string;

  private constructor(
    readonly workDir: string,
    readonly projectDir: string,
    private readonly env: NodeJS.ProcessEnv,
    stackName: string,
  ) {
    this.stackName = stackName;
  }

  static async create(options: LocalStackOptions): Promise<LocalStack> {
    const workDir = await mkdtemp(join(tmpdir(), "pulumi-vcpp-stack-"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      PATH: `${options.engineBin}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: join(workDir, "home"),
      PULUMI_BACKEND_URL: `file://${join(workDir, "state")}`,
      // Only protects this throwaway stack's secrets; a real pipeline supplies its own.
      PULUMI_CONFIG_PASSPHRASE: "pulumi-vcpp-local-stack",
      PULUMI_SKIP_UPDATE_CHECK: "1",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
    };
    const stack = new LocalStack(workDir, options.projectDir, env, options.stackName ?? "dev");
    try {
      await Promise.all(["state", "home"].map((dir) => mkdir(join(workDir, dir))));
      await stack.pulumiOk(["stack", "init", stack.stackName]);
    } catch (error) {
      await stack.dispose();
      throw error;
    }
    return stack;
  }

  /** The stack's config lives with the temporary stack, not next to Pulumi.yaml. */
  get configFile(): string {
    return join(this.workDir, `Pulumi.${this.stackName}.yaml`);
  }

  /** Runs `pulumi <args>` for this stack; the result whatever the exit code. */
  pulumi(
    args: string[],
    options: Pick<RunOptions, "input" | "onStdout" | "onStderr" | "detached" | "onSpawn"> = {},
  ): Promise<CommandResult> {
    const stackArgs = args[0] === "stack" && args[1] === "init" ? [] : ["--stack", this.stackName];
    const configArgs = CONFIG_FILE_COMMANDS.includes(args[0]) ? ["--config-file", this.configFile] : [];
    return runCommand("pulumi", [...args, ...stackArgs, ...configArgs, "--non-interactive"], {
      ...options,
      cwd: this.projectDir,
      env: this.env,
    });
  }

  /** Runs `pulumi <args>` and fails with its output when it fails. */
  async pulumiOk(
    args: string[],
    options: Pick<RunOptions, "input" | "onStdout" | "onStderr"> = {},
  ): Promise<CommandResult> {
    const result = await this.pulumi(args, options);
    if (result.code !== 0) throw new PulumiCommandError(args, result);
    return result;
  }

  /**
   * Sets a config value; secrets go through stdin so they never appear on a command line. Others are
   * `--plaintext`: the CLI refuses a value that merely looks like a secret (a URL ending in /oauth).
   */
  async setConfig(key: string, value: string, { secret = false } = {}): Promise<void> {
    await this.pulumiOk(["config", "set", key, ...(secret ? ["--secret"] : ["--plaintext"])], { input: value });
  }

  /**
   * Runs `pulumi config set …` lines in bash exactly as a user pastes them (quotes, `$(cat …)`),
   * in the project folder with this stack's environment; a `pulumi` function points them at this
   * stack and its config file (the flags go before the arguments: a value may follow `--`).
   */
  configScript(lines: string[]): Promise<CommandResult> {
    const pulumi = `pulumi() { command pulumi "$1" "$2" --stack=${this.stackName} --config-file="${this.configFile}" --non-interactive "\${@:3}"; }`;
    return runCommand("bash", ["-c", ["set -eu", pulumi, ...lines].join("\n")], {
      cwd: this.projectDir,
      env: this.env,
    });
  }

  async setAllConfig(values: Record<string, string | { secret: string }>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === "string") await this.setConfig(key, value);
      else await this.setConfig(key, value.secret, { secret: true });
    }
  }

  up(options: { refresh?: boolean } & Pick<RunOptions, "onStdout"> = {}): Promise<CommandResult> {
    return this.pulumiOk(
      ["up", "--yes", "--skip-preview", "--suppress-progress", ...(options.refresh ? ["--refresh"] : [])],
      options,
    );
  }

  /** What the next `pulumi up` would do, from the engine's JSON (never from its text). */
  async preview(options: { refresh?: boolean } = {}): Promise<Preview> {
    const result = await this.pulumiOk(["preview", "--json", ...(options.refresh ? ["--refresh"] : [])]);
    const { steps } = previewJson.parse(JSON.parse(result.stdout));
    return { steps, changes: steps.filter((s) => !["same", "refresh", "read"].includes(s.op)) };
  }

  refresh(): Promise<CommandResult> {
    return this.pulumiOk(["refresh", "--yes", "--skip-preview", "--suppress-progress"]);
  }

  destroy(options: Pick<RunOptions, "onStdout"> = {}): Promise<CommandResult> {
    return this.pulumiOk(["destroy", "--yes", "--skip-preview", "--suppress-progress"], options);
  }

  /** The stack outputs (secrets stay masked). */
  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.pulumiOk(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
  }

  /** The raw text of `pulumi stack export`, as an auditor would read it. */
  async exportState(): Promise<string> {
    return (await this.pulumiOk(["stack", "export"])).stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}

export class PulumiCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly result: CommandResult,
  ) {
    const tail = (text: string) => text.trim().split("\n").slice(-40).join("\n");
    super(
      `pulumi ${args.join(" ")} failed with exit code ${result.code}\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
    this.name = "PulumiCommandError";
  }
}
