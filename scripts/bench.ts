/**
 * `npm run bench`: how many requests and how much time the provider needs, through the real
 * Pulumi engine, against the emulator with latency added to every request (issue #18). For each
 * stack: `pulumi up`, `pulumi refresh` and a no-change `pulumi up` of the provider's resources,
 * the same three with a no-op dynamic provider (the engine's own floor), and the seeds' by-hand
 * flow for the same products. Prints a Markdown table (and writes it with `--out`). Not a test:
 * timings depend on the machine, so nothing here fails on a slow run.
 */
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RateLimit, RunningEmulator, startEmulator } from "../emulator";
import { parseRateLimit } from "../emulator/core/rate-limit";
import {
  apiMinimum,
  BenchReport,
  countRequests,
  markdownReport,
  median,
  Phase,
  PHASES,
  StackResult,
  StackShape,
  sweepReport,
} from "./bench/report";
import { seedsFlow, SeedsProduct } from "./bench/seeds-flow";
import { cloudConfig, commerceConfig, usageMeterConfig } from "./emulator-config";
import {
  EngineUnavailableError,
  installEngine,
  LocalStack,
  REPO_ROOT,
  runCommand,
  stopAllCommands,
} from "./local-stack";

const PROGRAM_DIR = join(REPO_ROOT, "scripts", "bench", "program");
const PRODUCT_PASSWORD = "bench-product-password";
const CONTRACT = "12611521";
const SERVICE_INSTANCE = "M495240519";

const OPTIONS = {
  sizes: { type: "string", default: "1,10,100" },
  mixed: { type: "string", default: "10" },
  orders: { type: "string", default: "3" },
  "latency-ms": { type: "string", default: "100" },
  repeat: { type: "string", default: "3" },
  "max-concurrent-requests": { type: "string" },
  "rate-limit": { type: "string", multiple: true },
  out: { type: "string" },
  requests: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `Usage: npm run bench -- [options]   (or: node dist/scripts/bench.js [options])

Creates, refreshes and re-applies stacks of MeteredProducts through the real Pulumi engine against
the emulator, counts the requests per service from its log, times each command beside the engine's
own floor (a no-op provider) and the seeds' by-hand flow, and prints a Markdown table.

Options:
  --sizes LIST                    stacks of that many MeteredProducts (default 1,10,100; "" for none)
  --mixed N                       also a mixed stack: N products (half pinned to their fingerprint, of a
                                  second type), a UsageMeterRegistration and --orders VcppOrders (default 10; 0: none)
  --orders N                      VcppOrders in the mixed stack (default 3)
  --latency-ms MS                 added by the emulator to every request (default 100)
  --repeat N                      time refresh and no-change up N times and show the median (default 3; create
                                  runs once: it needs a new stack)
  --max-concurrent-requests LIST  set vcpp:maxConcurrentRequests; a list (2,4,8,16) runs every stack once per value
                                  and adds a table comparing them (default: not set, the provider's default)
  --rate-limit SERVICE=RATE[:BURST]
                                  the emulator answers 429 above RATE requests per second (repeatable), as a
                                  small appliance would: usage-meter, csp, usage-insight, commerce
  --out FILE                      also write the Markdown to FILE
  --requests FILE                 write every request of every command as JSON, to see where the requests go
  -h, --help                      print this help

Examples:
  npm run bench -- --sizes 1,10 --mixed 4
  npm run bench -- --out bench.md
  npm run bench -- --sizes 100 --mixed 0 --max-concurrent-requests 2,4,8,16 --rate-limit usage-meter=20:5`;

class UsageError extends Error {}

interface BenchOptions {
  sizes: number[];
  mixed: number;
  orders: number;
  latencyMs: number;
  repeat: number;
  concurrency: Array<number | undefined>;
  rateLimits: Record<string, RateLimit>;
  out?: string;
  requests?: string;
}

function parseOptions(): BenchOptions | undefined {
  const { values } = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return undefined;
  const count = (flag: string, text: string, min: number) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${flag} ${text}: expected a whole number, ${min} or more`);
    return n;
  };
  const list = (flag: string, text: string, min: number) =>
    text.trim() === "" ? [] : text.split(",").map((part) => count(flag, part, min));
  const concurrency = values["max-concurrent-requests"];
  return {
    sizes: list("sizes", values.sizes, 1),
    mixed: count("mixed", values.mixed, 0),
    orders: count("orders", values.orders, 0),
    latencyMs: count("latency-ms", values["latency-ms"], 0),
    repeat: count("repeat", values.repeat, 1),
    concurrency: concurrency === undefined ? [undefined] : list("max-concurrent-requests", concurrency, 1),
    rateLimits: Object.fromEntries((values["rate-limit"] ?? []).map(rateLimitOf)),
    out: values.out,
    requests: values.requests,
  };
}

/** `usage-meter=20:5`, as the emulator's own `--rate-limit` reads it. */
function rateLimitOf(spec: string): [string, RateLimit] {
  const limit = parseRateLimit(spec);
  if (!limit) throw new UsageError(`--rate-limit ${spec}: expected SERVICE=RATE[:BURST], e.g. usage-meter=20:5`);
  return limit;
}

/** The stacks to measure: one per size, and the mixed one. */
function stacksOf(options: BenchOptions): Array<{ label: string; shape: StackShape }> {
  const stacks = options.sizes.map((n) => ({
    label: `${n} product${n === 1 ? "" : "s"}`,
    shape: { products: n, pinnedProducts: 0, registrations: 0, orders: 0 },
  }));
  if (options.mixed > 0) {
    const pinned = Math.floor(options.mixed / 2);
    const shape = {
      products: options.mixed - pinned,
      pinnedProducts: pinned,
      registrations: 1,
      orders: options.orders,
    };
    stacks.push({
      label: `mixed: ${shape.products} + ${pinned} pinned products, 1 registration, ${shape.orders} orders`,
      shape,
    });
  }
  return stacks;
}

interface DeclaredProduct extends SeedsProduct {
  name: string;
  acceptCertificate: boolean | string;
}

/** The products of a shape: vCenter ones accepted on trust, Cloud Director Availability ones pinned. */
async function productsOf(shape: StackShape, emulator: RunningEmulator, prefix: string): Promise<DeclaredProduct[]> {
  const trusted = Array.from({ length: shape.products }, (_, i) => ({
    name: `vcenter-${i + 1}`,
    productType: "vCenter",
    host: `vcenter-${i + 1}.${prefix}.bench.example`,
    port: 443,
    user: "administrator@vsphere.local",
    password: PRODUCT_PASSWORD,
    acceptCertificate: true as boolean | string,
  }));
  const pinned = await Promise.all(
    Array.from({ length: shape.pinnedProducts }, async (_, i) => {
      const host = `vcda-${i + 1}.${prefix}.bench.example`;
      return {
        name: `vcda-${i + 1}`,
        productType: "VCAV",
        host,
        port: 443,
        user: "root",
        password: PRODUCT_PASSWORD,
        acceptCertificate: await emulator.admin.certificateFingerprint(host, 443),
      };
    }),
  );
  return [...trusted, ...pinned];
}

/** The stack's declared resources (the program's `vcpp-bench:resources`). */
function declared(shape: StackShape, products: DeclaredProduct[], noop: boolean): string {
  return JSON.stringify({
    noop,
    products: products.map(({ password: _password, ...p }) => p),
    registrations: Array.from({ length: shape.registrations }, (_, i) => ({
      name: `registration-${i + 1}`,
      args: { usageMeter: "default", contractNumber: "12345678", label: `bench-${i + 1}`, meteringMode: "TEST" },
    })),
    orders: Array.from({ length: shape.orders }, (_, i) => ({
      name: `order-${i + 1}`,
      args: {
        contractNumber: CONTRACT,
        poType: "ADDON_REQUEST",
        lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 10 + i, serviceInstanceId: SERVICE_INSTANCE }],
        orderKey: `bench-order-${i + 1}`,
      },
    })),
  });
}

function providerConfig(
  emulator: RunningEmulator,
  workDir: string,
  maxConcurrentRequests: number | undefined,
): Record<string, string | { secret: string }> {
  return {
    ...usageMeterConfig(emulator),
    ...cloudConfig(emulator),
    ...commerceConfig(emulator, join(workDir, "orders.jsonl")),
    ...(maxConcurrentRequests === undefined ? {} : { "vcpp:maxConcurrentRequests": String(maxConcurrentRequests) }),
    "vcpp-bench:productPassword": { secret: PRODUCT_PASSWORD },
  };
}

const elapsed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

type RequestLog = ReturnType<RunningEmulator["admin"]["requests"]>;

/** up, refresh, no-change up of one stack: each one's wall time and the requests the emulator served. */
async function runPhases(
  stack: LocalStack,
  emulator: RunningEmulator,
  repeat: number,
): Promise<{ times: Record<Phase, number>; requests: Record<Phase, RequestLog> }> {
  const commands: Record<Phase, () => Promise<unknown>> = {
    create: () => stack.up(),
    refresh: () => stack.refresh(),
    "no-change up": () => stack.up(),
  };
  const times = {} as Record<Phase, number>;
  const requests = {} as Record<Phase, RequestLog>;
  for (const phase of PHASES) {
    // Refresh and no-change up change nothing, so they can run again: the median steadies a
    // 2-second measurement against the machine's noise. A create needs a new stack.
    const samples: number[] = [];
    for (let run = 0; run < (phase === "create" ? 1 : repeat); run++) {
      emulator.admin.clearRequests();
      samples.push(await elapsed(commands[phase]));
      const sent = emulator.admin.requests();
      if (run === 0) requests[phase] = sent;
      else if (sent.length !== requests[phase].length)
        throw new Error(
          `${phase} sent ${sent.length} request(s), then ${requests[phase].length}: not a repeatable phase`,
        );
    }
    times[phase] = median(samples);
  }
  return { times, requests };
}

async function measureStack(
  engineBin: string,
  label: string,
  shape: StackShape,
  options: BenchOptions,
  maxConcurrentRequests: number | undefined,
  cleanups: Cleanups,
): Promise<{ result: StackResult; requests: Record<Phase, RequestLog> }> {
  const emulator = await startEmulator({
    quiet: true,
    onUnhandledRequest: "error",
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    usageMeters: { default: {}, seeds: {} },
    usageInsight: { registrationDelayMs: 0 },
    commerce: { fulfilmentDelayMs: 3_600_000 },
  });
  const stop = cleanups.add(() => emulator.close());
  try {
    const products = await productsOf(shape, emulator, "stack");
    const provider = await stackOf(engineBin, emulator, shape, products, false, maxConcurrentRequests, cleanups);
    const measured = await runPhases(provider, emulator, options.repeat);
    const floor = await stackOf(engineBin, emulator, shape, products, true, maxConcurrentRequests, cleanups);
    const floorRun = await runPhases(floor, emulator, options.repeat);
    const stray = PHASES.flatMap((p) => floorRun.requests[p]);
    if (stray.length > 0) throw new Error(`the no-op stack sent ${stray.length} request(s): the floor is not a floor`);
    const seeds = shape.registrations + shape.orders === 0 ? await seedsFlowFor(emulator, shape) : undefined;
    const counts = Object.fromEntries(
      PHASES.map((p) => [p, countRequests(measured.requests[p])]),
    ) as StackResult["counts"];
    const timing = { provider: measured.times, floor: floorRun.times, seeds };
    return { result: { label, shape, counts, timing }, requests: measured.requests };
  } finally {
    await stop();
  }
}

/** The seeds' flow for the same products, on an appliance of their own (no host clashes). */
async function seedsFlowFor(emulator: RunningEmulator, shape: StackShape): Promise<number> {
  const um = emulator.usageMeters.seeds;
  const products = await productsOf(shape, emulator, "seeds");
  return seedsFlow(
    { baseUrl: `${um.url}/api/v1`, user: um.user, password: um.password, caPem: emulator.caPem },
    products.map(({ productType, host, port, user, password }) => ({ productType, host, port, user, password })),
  );
}

async function stackOf(
  engineBin: string,
  emulator: RunningEmulator,
  shape: StackShape,
  products: DeclaredProduct[],
  noop: boolean,
  maxConcurrentRequests: number | undefined,
  cleanups: Cleanups,
): Promise<LocalStack> {
  const stack = await LocalStack.create({ engineBin, projectDir: PROGRAM_DIR, stackName: noop ? "floor" : "bench" });
  cleanups.add(() => stack.dispose());
  await stack.setAllConfig({
    ...providerConfig(emulator, stack.workDir, maxConcurrentRequests),
    "vcpp-bench:resources": declared(shape, products, noop),
  });
  return stack;
}

/** Clean-ups run once each, last added first, on success, failure or Ctrl-C. */
class Cleanups {
  private readonly pending: Array<() => Promise<void>> = [];

  /** Registers a clean-up; the function returned runs it now (and not again). */
  add(cleanup: () => Promise<void>): () => Promise<void> {
    let done = false;
    const once = async () => {
      if (done) return;
      done = true;
      await cleanup();
    };
    this.pending.push(once);
    return once;
  }

  async runAll(): Promise<void> {
    stopAllCommands();
    for (const cleanup of this.pending.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}

async function machine(engineBin: string): Promise<BenchReport["machine"]> {
  const version = await runCommand("pulumi", ["version"], {
    env: { ...process.env, PATH: `${engineBin}:${process.env.PATH ?? ""}` },
  });
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    node: process.version,
    engine: version.stdout.trim() || "unknown",
  };
}

async function commit(): Promise<string> {
  const head = await runCommand("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT });
  const dirty = await runCommand("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: REPO_ROOT });
  return head.code === 0 ? `${head.stdout.trim()}${dirty.stdout.trim() ? " (with local changes)" : ""}` : "unknown";
}

async function main(options: BenchOptions, cleanups: Cleanups): Promise<void> {
  const engineBin = await installEngine((line) => console.error(line));
  const stacks = stacksOf(options);
  const about = {
    machine: await machine(engineBin),
    commit: await commit(),
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    repeat: options.repeat,
  };
  const reports: BenchReport[] = [];
  const log: Array<{ stack: string; maxConcurrentRequests?: number; requests: Record<Phase, RequestLog> }> = [];
  for (const maxConcurrentRequests of options.concurrency) {
    const results: StackResult[] = [];
    for (const { label, shape } of stacks) {
      console.error(
        `[bench] ${label}${maxConcurrentRequests ? `, vcpp:maxConcurrentRequests ${maxConcurrentRequests}` : ""} (API minimum on create: ${apiMinimum(shape).create} requests)...`,
      );
      const measured = await measureStack(engineBin, label, shape, options, maxConcurrentRequests, cleanups);
      results.push(measured.result);
      log.push({ stack: label, maxConcurrentRequests, requests: measured.requests });
    }
    reports.push({ ...about, maxConcurrentRequests, at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), results });
  }
  const sweep = reports.length > 1 ? [`### vcpp:maxConcurrentRequests compared\n\n${sweepReport(reports)}`] : [];
  const text = [...sweep, ...reports.map(markdownReport)].join("\n");
  console.log(text);
  if (options.out) await writeFile(options.out, text);
  if (options.requests) await writeFile(options.requests, `${JSON.stringify(log, null, 2)}\n`);
}

const cleanups = new Cleanups();
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error("\nInterrupted: stopping Pulumi, removing the stacks and stopping the emulator.");
    void cleanups.runAll().then(() => process.exit(130));
  });
}

let options: BenchOptions | undefined;
try {
  options = parseOptions();
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (!options) console.log(USAGE);
else
  main(options, cleanups)
    .then(() => cleanups.runAll())
    .catch(async (error: unknown) => {
      if (interrupted) return; // the signal handler cleans up and exits
      const message = error instanceof Error ? error.message : String(error);
      console.error(
        error instanceof EngineUnavailableError
          ? `bench: ${message}\nThe benchmark needs the real engine: see README, "The real engine" (scripts/install-engine.sh).`
          : `bench failed: ${message}`,
      );
      await cleanups.runAll();
      process.exit(1);
    });
