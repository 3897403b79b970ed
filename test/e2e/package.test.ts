/**
 * The package as a user gets it: a clean checkout of HEAD (committed files only, as a clone or a
 * git install sees them) is installed with `npm ci`, passes `npm publish --dry-run` and is packed
 * with `npm pack`; the tarball is installed into a new TypeScript Pulumi program made like
 * `pulumi new typescript` (strict, no esModuleInterop, no skipLibCheck, node10 resolution). There:
 * a program using every export compiles; every TypeScript block of the README compiles (the way
 * octokit tests its README); the `pulumi-vcpp-emulator` bin starts the emulator, and the
 * `pulumi config set` lines it prints, run in a shell as printed, point stacks at every service,
 * through which the README's example runs with the real engine.
 * Slow (npm, about two minutes with a warm npm cache), so everything shares one install.
 */
import assert from "node:assert/strict";
import { ChildProcess, execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LocalStack, REPO_ROOT, runCommand, CommandResult } from "../../scripts/local-stack";
import { engineOrSkip, installedVersion, npm } from "./helpers";

const run = promisify(execFile);

/** `pulumi new typescript`'s tsconfig.json (its template uses TypeScript 5). */
const TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** Uses every public export; `import *` makes tsc check every declaration they reach. */
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import * as vcpp from "pulumi-vcpp";
import * as emulator from "pulumi-vcpp/emulator";
import {
  ConfigError, ConfirmedOutput, ErrorCode, getPendingCertificates, getPendingCertificatesOutput, getUsageMeterInfo,
  getUsageMeterInfoOutput, InputError, InputIssue, MeteredProduct, MeteredProductArgs,
  MeteredProductOutputs, PendingCertificate, PendingCertificates, PRODUCT_TYPES, ProductType, ProxyConfig,
  ProxyConfigArgs, ProxyConfigOutputs, ResourceError, ServiceError, UsageMeterFunctionArgs,
  UsageMeterFunctionOutputArgs, UsageMeterInfo, VcppError,
} from "pulumi-vcpp";
import { EmulatorOptions, RunningEmulator, startEmulator } from "pulumi-vcpp/emulator";

const config = new pulumi.Config();
const proxyArgs: ProxyConfigArgs = { type: "http", host: "proxy.corp.example", port: 3128 };
const network = new ProxyConfig("network", proxyArgs);
const type: ProductType = PRODUCT_TYPES[0];
const productArgs: MeteredProductArgs = { productType: type, host: "vc.corp.example", user: "u", password: config.requireSecret("p") };
const product = new MeteredProduct("vcenter", productArgs, { dependsOn: network });
export const metered: pulumi.Output<boolean> = product.metered;
export const url: pulumi.Output<string> = network.usageMeterUrl;
export const confirmed: pulumi.Output<ConfirmedOutput[]> = network.confirmed;
const outputs: Pick<MeteredProductOutputs, "productId"> & Pick<ProxyConfigOutputs, "dataUsageAccepted"> = { productId: 1, dataUsageAccepted: true };
const info: Promise<UsageMeterInfo> = getUsageMeterInfo({} as UsageMeterFunctionArgs);
const pending: Promise<PendingCertificates> = getPendingCertificates();
const certificates: pulumi.Output<PendingCertificate[]> = getPendingCertificatesOutput({} as UsageMeterFunctionOutputArgs).certificates;
export const agentId = getUsageMeterInfoOutput().agentId;
const describe = (error: unknown): string => {
  if (error instanceof InputError) return error.issues.map((issue: InputIssue) => issue.field).join();
  if (error instanceof ServiceError || error instanceof ConfigError || error instanceof ResourceError) return error.message;
  const code: ErrorCode | undefined = error instanceof VcppError ? error.code : undefined;
  return String(code);
};
const options: EmulatorOptions = { quiet: true };
const started: Promise<RunningEmulator> = startEmulator(options);
const vcaUser = new vcpp.VcaUser("jane", { userName: "j@corp.example", email: "j@corp.example", givenName: "J", familyName: "D", roles: [vcpp.VCA_ROLES[0]] });
export const vcaUserId: pulumi.Output<string> = vcaUser.userId;
export const vcaPlans: pulumi.Output<vcpp.VcaPlan[]> = vcpp.getVcaPlansOutput({ filter: "region==LVG" }).plans;
export const vcaServices: Promise<vcpp.ComputeService[]> = vcpp.getVcaServices().then((s) => s.services);
export const used = [vcpp, emulator, outputs, info, pending, certificates, describe, started];
`;

/** A program that reads every service through functions, with the config the bin prints. */
const EVERY_SERVICE = `
import * as vcpp from "pulumi-vcpp";

const info = vcpp.getUsageMeterInfoOutput();
export const agentId = info.agentId;
export const registrationState = vcpp.getAgentRegistrationOutput({ agentId: info.agentId }).registrationState;
export const contracts = vcpp.getCommitContractsOutput().apply((all) => all.map((c) => c.contractNumber));
export const plans = vcpp.getVcaPlansOutput().plans.apply((all) => all.length);
export const dedicatedServices = vcpp.getVcaServicesOutput({ vcaAccount: "dedicated" }).services.apply((all) => all.length);
`;

/** What a user needs to point a stack at every emulated service; the keys holding credentials are secrets. */
const EXPECTED_CONFIG_KEYS = [
  "vcpp:usageMeterUrl",
  "vcpp:usageMeterPassword",
  "vcpp:caCertificates",
  "vcpp:cspUrl",
  "vcpp:cspApiToken",
  "vcpp:usageInsightUrl",
  "vcpp:usageMeteringAgentsUrl",
  "vcpp:commerceTokenUrl",
  "vcpp:commerceUrl",
  "vcpp:commerceClientId",
  "vcpp:commerceClientSecret",
  "vcpp:vcaUrl",
  "vcpp:vcaUser",
  "vcpp:vcaPassword",
  "vcpp:vcaApiVersion",
  "vcpp:vcaAccounts.dedicated.url",
  "vcpp:vcaAccounts.dedicated.user",
  "vcpp:vcaAccounts.dedicated.password",
  "vcpp:vcaAccounts.dedicated.apiVersion",
];
const CREDENTIAL = /(password|token|secret)$/i;

/** A `pulumi config set` line's key and whether it is set as a secret. */
function configLine(line: string): { key: string; secret: boolean } {
  const words = line.split(/\s+/);
  assert.deepEqual(words.slice(0, 3), ["pulumi", "config", "set"], line);
  const key = words.slice(3).find((w) => !w.startsWith("--"));
  assert.ok(key, `no key in: ${line}`);
  return { key, secret: words.includes("--secret") };
}

/** The README's fenced blocks of one language, with the line each starts on and the heading above it. */
function fencedBlocks(readme: string, language: string): { line: number; heading: string; code: string }[] {
  const blocks: { line: number; heading: string; code: string }[] = [];
  const lines = readme.split("\n");
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    if (/^#+ /.test(lines[i])) heading = lines[i];
    if (!lines[i].startsWith("```")) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (lines[i] === "```" + language) blocks.push({ line: i + 1, heading, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

/**
 * A README block as a module of its own: its imports first, then what a fragment takes from its
 * surroundings (the package's names it uses, `pulumi`, a `config`), its statements inside an async
 * function when they `await` (a CommonJS program has no top-level await).
 */
function moduleOf(code: string, exported: string[]): string {
  const lines = code.split("\n");
  const imports = lines.filter((l) => l.startsWith("import "));
  const body = lines.filter((l) => !l.startsWith("import ")).join("\n");
  const imported = new Set(imports.flatMap((l) => [...l.matchAll(/\b\w+\b/g)].map((m) => m[0])));
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(body) && !imported.has(name);
  const prelude = [
    ...(imported.has("pulumi") ? [] : ['import * as pulumi from "@pulumi/pulumi";']),
    ...(exported.some(uses) ? [`import { ${exported.filter(uses).join(", ")} } from "pulumi-vcpp";`] : []),
    ...(/\bconst config\b/.test(body) || !uses("config") ? [] : ["const config = new pulumi.Config();"]),
  ];
  const statements = /\bawait\b/.test(body)
    ? `export async function example(): Promise<void> {\n${body}\n}`
    : `${body}\nexport {};`;
  return [...imports, ...prelude, statements].join("\n");
}

/** The installed bin, started as `npx pulumi-vcpp-emulator` starts it, until `stop`. */
class EmulatorBin {
  private stdout = "";
  private child?: ChildProcess;
  private exited?: Promise<CommandResult>;

  static async start(consumer: string): Promise<EmulatorBin> {
    const bin = new EmulatorBin();
    let ready: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (ready = resolve));
    bin.exited = runCommand(join(consumer, "node_modules", ".bin", "pulumi-vcpp-emulator"), [], {
      cwd: consumer,
      onStdout: (chunk) => {
        bin.stdout += chunk;
        if (bin.stdout.includes("Ctrl-C stops it.")) ready();
      },
      onSpawn: (child) => (bin.child = child),
    });
    const early = await Promise.race([started.then(() => undefined), bin.exited]);
    assert.equal(early, undefined, `the emulator exited before it was ready: ${JSON.stringify(early)}`);
    return bin;
  }

  get output(): string {
    return this.stdout;
  }

  /** The `pulumi config set` lines under "Point a stack at it:". */
  configLines(): string[] {
    const after = this.stdout.split("Point a stack at it:\n")[1] ?? "";
    return after
      .split("\n\n")[0]
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /** Ctrl-C, as the summary says. */
  async stop(): Promise<CommandResult> {
    this.child?.kill("SIGINT");
    return this.exited!;
  }
}

describe("the packed package, as a user installs it", function () {
  this.timeout(15 * 60_000);
  let work: string;
  let source: string;
  let consumer: string;
  let files: string[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "vcpp-package-"));
    source = join(work, "source");
    await mkdir(source);
    await run("git", ["-C", REPO_ROOT, "archive", "--format=tar", "-o", join(work, "source.tar"), "HEAD"]);
    await run("tar", ["-xf", join(work, "source.tar"), "-C", source]);
    await npm(source, "ci");
    const [packed] = JSON.parse((await npm(source, "pack", "--json", "--pack-destination", work)).stdout) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed.files.map((f) => f.path);

    consumer = join(work, "program");
    await mkdir(consumer);
    const manifest = {
      name: "vcpp-consumer",
      main: "index.ts",
      dependencies: {
        "@pulumi/pulumi": await installedVersion("@pulumi/pulumi"),
        // The README's VcppOrder example keys its order with it.
        "@pulumi/random": await installedVersion("@pulumi/random"),
        "pulumi-vcpp": `file:${join(work, packed.filename)}`,
      },
      devDependencies: { "@types/node": await installedVersion("@types/node"), typescript: "^5" },
    };
    await writeFile(join(consumer, "package.json"), JSON.stringify(manifest, null, 2));
    await writeFile(join(consumer, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
    await writeFile(join(consumer, "index.ts"), PROGRAM);
    await npm(consumer, "install");
  });
  after(async () => rm(work, { recursive: true, force: true }));

  const tsc = (cwd: string) =>
    run(join(consumer, "node_modules", ".bin", "tsc"), ["--noEmit", "--pretty", "false"], { cwd }).catch(
      (error: { stdout: string }) => error,
    );

  it("npm publish --dry-run passes on the clean checkout", async () => {
    const { stdout, stderr } = await npm(source, "publish", "--dry-run", "--ignore-scripts");
    const version = JSON.parse(await readFile(join(source, "package.json"), "utf8")).version as string;
    assert.match(stdout + stderr, new RegExp(`\\+ pulumi-vcpp@${version.replace(/\./g, "\\.")}`));
  });

  it("the tarball holds the built code, its types, the README, CHANGELOG and LICENSE, and nothing only the tests use", () => {
    for (const expected of [
      "package.json",
      "README.md",
      "CHANGELOG.md",
      "LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/resources/dynamic.js",
      "dist/resources/metered-product.d.ts",
      "dist/functions/commerce.d.ts",
      "dist/emulator/index.d.ts",
      "dist/emulator/cli.js",
    ]) {
      assert.ok(files.includes(expected), `${expected} is not in the tarball`);
    }
    const unwanted = files.filter(
      (f) =>
        /^dist\/(test|scripts|examples)\//.test(f) ||
        /(^|\/)(test|tests|fixtures|__tests__)\//.test(f) ||
        /\.(test|spec)\.(js|d\.ts)$/.test(f) ||
        f.endsWith(".map") ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    assert.deepEqual(unwanted, [], "tests, scripts, examples, sources and source maps stay out of the tarball");
    assert.deepEqual(
      files.filter((f) => !f.startsWith("dist/")).sort(),
      ["CHANGELOG.md", "LICENSE", "README.md", "package.json"],
      "besides dist/, only the package's documents",
    );
  });

  it("a strict program using every export compiles against it, and its entry points resolve", async () => {
    const compiled = await tsc(consumer);
    assert.equal(compiled.stdout, "", "tsc --noEmit reports errors");
    const resolves = "require('pulumi-vcpp'); require('pulumi-vcpp/emulator'); require.resolve('pulumi-vcpp/dynamic')";
    await run(process.execPath, ["-e", resolves], { cwd: consumer });
    const shipped = await readFile(join(consumer, "node_modules", "pulumi-vcpp", "dist", "index.js"), "utf8");
    assert.doesNotMatch(shipped, /sourceMappingURL/);
  });

  it("every TypeScript block of the README compiles in that program", async () => {
    const readme = await readFile(join(consumer, "node_modules", "pulumi-vcpp", "README.md"), "utf8");
    const blocks = fencedBlocks(readme, "ts");
    assert.ok(blocks.length >= 5, `only ${blocks.length} TypeScript blocks found in the README`);
    const exported = JSON.parse(
      (await run(process.execPath, ["-p", "JSON.stringify(Object.keys(require('pulumi-vcpp')))"], { cwd: consumer }))
        .stdout,
    ) as string[];
    const dir = join(consumer, "readme");
    await mkdir(dir);
    const names = blocks.map((b) => `line-${b.line}.ts`);
    await Promise.all(blocks.map((b, i) => writeFile(join(dir, names[i]), moduleOf(b.code, exported))));
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({ ...TEMPLATE_TSCONFIG, files: names }, null, 2));
    const compiled = await tsc(dir);
    assert.equal(compiled.stdout, "", "README blocks (file line-N.ts is the block at README line N) do not compile");
  });

  describe("with the emulator its bin starts, through the real engine", () => {
    let bin: EmulatorBin | undefined;
    const stacks: LocalStack[] = [];
    after(async () => {
      await Promise.all(stacks.map((s) => s.dispose()));
      await bin?.stop();
    });

    /** A project of its own in the program's folder (its node_modules), its stack pointed at the emulator with the printed lines. */
    async function project(name: string, program: string, engineBin: string): Promise<LocalStack> {
      const dir = join(consumer, name);
      await mkdir(dir);
      await writeFile(join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: index.ts\n`);
      await writeFile(join(dir, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
      await writeFile(join(dir, "index.ts"), program);
      const stack = await LocalStack.create({ engineBin, projectDir: dir, stackName: "dev" });
      stacks.push(stack);
      const configured = await stack.configScript(bin!.configLines());
      assert.equal(configured.code, 0, `the printed lines failed in bash:\n${configured.stderr}`);
      return stack;
    }

    it("npx pulumi-vcpp-emulator prints a pulumi config set line for every service's keys, credentials with --secret", async function () {
      await engineOrSkip(this);
      bin = await EmulatorBin.start(consumer);
      assert.match(bin.output, /^pulumi-vcpp emulator listening on https:\/\/127\.0\.0\.1:\d+/);
      const lines = bin.configLines().map(configLine);
      assert.deepEqual(lines.map((l) => l.key).sort(), [...EXPECTED_CONFIG_KEYS].sort());
      assert.deepEqual(
        lines.filter((l) => l.secret !== CREDENTIAL.test(l.key)).map((l) => l.key),
        [],
        "credentials, and only they, are set with --secret",
      );
    });

    it("the printed lines, run in a shell as printed, point a stack at every service: a program's functions read each", async function () {
      const engineBin = await engineOrSkip(this);
      assert.ok(bin, "the emulator started");
      const stack = await project("every-service", EVERY_SERVICE, engineBin);
      await stack.up();
      const outputs = await stack.outputs();
      const uuid = /uuid ([0-9a-f-]{36})/.exec(bin.output)?.[1];
      assert.equal(outputs.agentId, uuid, "the Usage Meter appliance's UUID");
      assert.equal(outputs.registrationState, "not-registered", "Usage Insight, through the CSP token exchange");
      assert.ok((outputs.contracts as string[]).includes("12611521"), "commerce's commit contracts");
      assert.ok((outputs.plans as number) > 0, "vCloud Air 5.7 plans");
      assert.ok((outputs.dedicatedServices as number) > 0, "vCloud Air 5.6 services, from vcpp:vcaAccounts");
    });

    it("the README's example, with the README's config keys, runs: up creates it, a second preview changes nothing, destroy removes it", async function () {
      const engineBin = await engineOrSkip(this);
      assert.ok(bin, "the emulator started");
      const readme = await readFile(join(consumer, "node_modules", "pulumi-vcpp", "README.md"), "utf8");
      const example = fencedBlocks(readme, "ts").find((b) => b.heading === "## Using it");
      const setup = fencedBlocks(readme, "sh").find((b) => b.heading === "## Using it");
      assert.ok(example && setup, "the README's example and its config lines, under Using it");
      const stack = await project("readme-example", example.code, engineBin);

      // The README's keys: its vcpp: keys are among those the bin printed; the program's own are set as it says.
      const readmeLines = setup.code.split("\n").filter((l) => l.startsWith("pulumi config set"));
      const printed = bin.configLines().map((l) => configLine(l).key);
      for (const { key, secret } of readmeLines.map(configLine)) {
        if (key.startsWith("vcpp:")) assert.ok(printed.includes(key), `the bin does not print ${key}`);
        else await stack.setConfig(key, `${key}-value`, { secret });
      }

      await stack.up();
      const state = JSON.parse(await stack.exportState()) as {
        deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
      };
      const created = state.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      assert.deepEqual(created.map((r) => r.type).sort(), [
        "pulumi-nodejs:dynamic/vcpp:MeteredProduct",
        "pulumi-nodejs:dynamic/vcpp:ProxyConfig",
      ]);
      const product = created.find((r) => r.type.endsWith("MeteredProduct"))!.outputs!;
      assert.equal(typeof product.productId, "number", "the appliance answered with the product's id");
      const again = await stack.pulumi(["preview", "--expect-no-changes", "--suppress-progress"]);
      assert.equal(again.code, 0, again.stdout);
      await stack.destroy();
    });

    it("Ctrl-C stops the emulator, with exit code 0", async function () {
      if (!bin) this.skip();
      const stopped = await bin.stop();
      bin = undefined;
      assert.equal(stopped.code, 0, stopped.stderr);
    });
  });
});
