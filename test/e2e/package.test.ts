/**
 * The package as a user gets it: a clean checkout of HEAD (committed files only, as a clone or a
 * git install sees them) is installed with `npm ci` and packed with `npm pack`; the tarball is
 * installed into a new TypeScript Pulumi program with the tsconfig `pulumi new typescript` writes
 * (strict, no esModuleInterop, no skipLibCheck, node10 resolution), which must compile.
 * Slow (npm, about a minute with a warm npm cache); one test.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../scripts/local-stack";

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

const npm = (cwd: string, ...args: string[]) =>
  run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, maxBuffer: 64 * 1024 * 1024 });
const installedVersion = async (name: string) =>
  JSON.parse(await readFile(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version as string;

describe("the packed package", () => {
  let work: string;
  before(async () => (work = await mkdtemp(join(tmpdir(), "vcpp-package-"))));
  after(async () => rm(work, { recursive: true, force: true }));

  it("from a clean checkout, ships built code, types and README only, and compiles in a new strict Pulumi program", async function () {
    this.timeout(15 * 60_000);
    const source = join(work, "source");
    await mkdir(source);
    await run("git", ["-C", REPO_ROOT, "archive", "--format=tar", "-o", join(work, "source.tar"), "HEAD"]);
    await run("tar", ["-xf", join(work, "source.tar"), "-C", source]);
    await npm(source, "ci");
    const [packed] = JSON.parse((await npm(source, "pack", "--json", "--pack-destination", work)).stdout) as {
      filename: string;
      files: { path: string }[];
    }[];

    const files = packed.files.map((f) => f.path);
    for (const expected of [
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/emulator/index.d.ts",
      "dist/resources/dynamic.js",
    ]) {
      assert.ok(files.includes(expected), `${expected} is not in the tarball`);
    }
    const unwanted = files.filter(
      (f) =>
        /^dist\/(test|scripts|examples)\//.test(f) || f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    assert.deepEqual(unwanted, [], "tests, scripts, examples, sources and source maps stay out of the tarball");

    const program = join(work, "program");
    await mkdir(program);
    const manifest = {
      name: "vcpp-consumer",
      main: "index.ts",
      dependencies: {
        "@pulumi/pulumi": await installedVersion("@pulumi/pulumi"),
        "pulumi-vcpp": `file:${join(work, packed.filename)}`,
      },
      devDependencies: { "@types/node": await installedVersion("@types/node"), typescript: "^5" },
    };
    await writeFile(join(program, "package.json"), JSON.stringify(manifest, null, 2));
    await writeFile(join(program, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
    await writeFile(join(program, "index.ts"), PROGRAM);
    await npm(program, "install");

    const compiled = await run(join(program, "node_modules", ".bin", "tsc"), ["--noEmit", "--pretty", "false"], {
      cwd: program,
    }).catch((error) => error);
    assert.equal(compiled.stdout, "", "tsc --noEmit reports errors");
    // The entry points resolve at run time too, through the package's exports.
    const resolves = "require('pulumi-vcpp'); require('pulumi-vcpp/emulator'); require.resolve('pulumi-vcpp/dynamic')";
    await run(process.execPath, ["-e", resolves], { cwd: program });
    const shipped = await readFile(join(program, "node_modules", "pulumi-vcpp", "dist", "index.js"), "utf8");
    assert.doesNotMatch(shipped, /sourceMappingURL/);
  });
});
