/**
 * The serialization proof: what Pulumi writes into state as a resource's `__provider` is a few
 * lines that capture the kind's name and nothing else (no credential, no package code), and that
 * text, loaded in a fresh Node process the way Pulumi's dynamic provider host loads it, runs the
 * installed package against a real (emulated) appliance.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RunningEmulator } from "../../emulator";
import { provider as inProcessProvider } from "../../resources/dynamic";
import { ProviderKind, shimFor } from "../../resources/shim";
import { loginRequests, stackConfigFor, withEmulator } from "../helpers/emulator";

/** The repository root (dist/test/integration → ../../..): the Pulumi project directory the plugin runs in. */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");
const KINDS = [
  "MeteredProduct",
  "ProxyConfig",
  "UsageMeterRegistration",
  "VcaUser",
] as const satisfies readonly ProviderKind[];
/** The key @pulumi/pulumi marks a secret value with, in mocks' inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Serializes the provider of a kind exactly as `pulumi.dynamic.Resource` does (@pulumi/pulumi/dynamic/index.js). */
async function serialize(kind: ProviderKind): Promise<pulumi.runtime.SerializedFunction> {
  const provider = shimFor(kind); // the same name as in @pulumi/pulumi, so the text is identical
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

/** The stack config as the engine sends it to Configure: every namespace, full keys, secrets decrypted. */
function engineConfig(emulator: RunningEmulator): Record<string, string> {
  const vcpp = Object.entries(stackConfigFor(emulator)).map(([key, value]) => [`vcpp:${key}`, value]);
  return { ...Object.fromEntries(vcpp), "aws:region": "eu-west-1" };
}

/** Runs a script in a fresh Node process in the project directory, with no credential in its environment. */
async function runNode(script: string, job: unknown): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), "vcpp-serialization-"));
  try {
    const [scriptFile, jobFile, resultFile] = ["runner.js", "job.json", "result.json"].map((f) => join(dir, f));
    await writeFile(scriptFile, script);
    await writeFile(jobFile, JSON.stringify(job));
    const child = spawn(process.execPath, [scriptFile, jobFile, resultFile], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((done) => child.on("close", done));
    assert.equal(code, 0, `the child process failed:\n${output}`);
    return JSON.parse(await readFile(resultFile, "utf8"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads serialized providers as @pulumi/pulumi/cmd/dynamic-provider does, and runs the job's operations. */
const HOST_SCRIPT = String.raw`
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { readFileSync, writeFileSync } = require("node:fs");
// Resolved from the project directory, as the plugin resolves them.
const projectRequire = createRequire(join(process.cwd(), "index.js"));
const requireFromString = projectRequire("require-from-string");
const { Config } = projectRequire("@pulumi/pulumi/cmd/dynamic-provider/config");
const [jobFile, resultFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, "utf8"));

// getProvider of cmd/dynamic-provider: deserialize once per text, then configure with the stack config.
const cache = {};
let configured = 0;
async function getProvider(text) {
  let provider = cache[text];
  if (!provider) {
    provider = requireFromString(text).handler();
    cache[text] = provider;
    if (provider.configure) {
      await provider.configure({ config: new Config(job.config, "vcpp-test") });
      configured++;
    }
  }
  return provider;
}

async function up() {
  const products = await getProvider(job.providers.MeteredProduct);
  const proxy = await getProvider(job.providers.ProxyConfig);
  const refused = await products.check({}, { ...job.product, productType: "vcav", port: 0 });
  const checked = await products.check({}, job.product);
  const created = await products.create(checked.inputs);
  const read = await products.read(created.id, created.outs);
  const diff = await products.diff(created.id, read.props, checked.inputs);
  const proxyChecked = await proxy.check({}, job.proxy);
  const proxyCreated = await proxy.create(proxyChecked.inputs);
  return { refused, checked, created, read, diff, proxyCreated };
}

async function destroy() {
  const products = await getProvider(job.providers.MeteredProduct);
  const proxy = await getProvider(job.providers.ProxyConfig);
  const read = await products.read(job.product.id, job.product.props);
  await products.delete(job.product.id, job.product.props);
  await proxy.delete(job.proxy.id, job.proxy.props);
  const gone = await products.read(job.product.id, job.product.props);
  return { read, gone };
}

(job.mode === "up" ? up() : destroy()).then(
  (result) => {
    const loaded = Object.keys(require.cache).filter((file) => file.startsWith(process.cwd()) && !file.includes("node_modules"));
    writeFileSync(resultFile, JSON.stringify({ ...result, configured, loaded }));
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

/** What HOST_SCRIPT reports: the providers' answers as JSON, and what it configured and loaded. */
interface HostRun {
  refused: pulumi.dynamic.CheckResult;
  checked: pulumi.dynamic.CheckResult;
  created: pulumi.dynamic.CreateResult;
  read: pulumi.dynamic.ReadResult;
  diff: pulumi.dynamic.DiffResult;
  proxyCreated: pulumi.dynamic.CreateResult;
  gone: pulumi.dynamic.ReadResult;
  configured: number;
  loaded: string[];
}

/** Builds a MeteredProduct and a ProxyConfig under Pulumi's mocks and reports the `__provider` each carries. */
const PROGRAM_SCRIPT = String.raw`
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { writeFileSync } = require("node:fs");
const projectRequire = createRequire(join(process.cwd(), "index.js"));
const pulumi = projectRequire("@pulumi/pulumi");
const resultFile = process.argv[3];
const captured = {};
pulumi.runtime
  .setMocks({ newResource: (args) => ((captured[args.type] = args.inputs), { id: args.name, state: args.inputs }), call: () => ({}) }, "vcpp-test", "test", false)
  .then(() => {
    const { MeteredProduct, ProxyConfig } = projectRequire("pulumi-vcpp");
    new MeteredProduct("product", { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" });
    new ProxyConfig("proxy", { type: "http", host: "proxy.example.com", port: 3128, user: "svc", password: "proxy-secret" });
  });
process.once("beforeExit", () => writeFileSync(resultFile, JSON.stringify(captured)));
`;

describe("serialized providers", () => {
  it("the package resolves itself by name from the project directory (name and exports in package.json)", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, unknown>;
    };
    assert.equal(pkg.name, "pulumi-vcpp");
    assert.equal(pkg.exports["./dynamic"], "./dist/resources/dynamic.js");
  });

  it("capture only the kind's name: no credential, no package code, no secret", () =>
    withEmulator(async (emulator) => {
      // This process has configured the provider and logged in: nothing of that may leak into the text.
      const implementation = inProcessProvider("MeteredProduct");
      await implementation.configure({
        config: { get: (key: string) => engineConfig(emulator)[key] },
      } as unknown as pulumi.dynamic.ConfigureRequest);
      const checked = await implementation.check!(
        {},
        { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" },
      );
      await implementation.create(checked.inputs);
      const sessions = [...emulator.admin.appliance().sessions.keys()];
      assert.equal(sessions.length, 1);

      for (const kind of KINDS) {
        const serialized = await serialize(kind);
        const { text } = serialized;
        assert.equal(serialized.containsSecrets, false);
        assert.ok(text.length < 10_000, `${kind}: ${text.length} characters`);
        for (const secret of [emulator.usageMeters.default.password, "root-secret", ...sessions])
          assert.ok(!text.includes(secret), `${kind} carries a credential`);
        for (const leak of [
          emulator.url,
          "BEGIN CERTIFICATE",
          "UsageMeterClient",
          "ProcessContext",
          "zod",
          "got",
          "registerSecret",
        ]) {
          assert.ok(!text.includes(leak), `${kind} carries ${leak}`);
        }
        const captures = new Set(
          [...text.matchAll(/with\(\{ (.*?), this: undefined/g)].flatMap((m) =>
            m[1].split(", ").map((c) => c.split(":")[0]),
          ),
        );
        assert.deepEqual([...captures].sort(), ["implementation", "kind", "provider"]);
        assert.ok(text.includes(`kind: "${kind}"`));
        assert.ok(text.includes(`("pulumi-vcpp/dynamic").provider(kind)`));
      }
    }));

  it("are what a MeteredProduct and a ProxyConfig carry in __provider, in plain text, with the passwords as secret inputs", async () => {
    const inputs = (await runNode(PROGRAM_SCRIPT, {})) as Record<string, Record<string, unknown>>;
    const carried = {
      MeteredProduct: inputs["pulumi-nodejs:dynamic/vcpp:MeteredProduct"],
      ProxyConfig: inputs["pulumi-nodejs:dynamic/vcpp:ProxyConfig"],
    };
    for (const kind of ["MeteredProduct", "ProxyConfig"] as const) {
      assert.ok(carried[kind], `no ${kind} was registered`);
      assert.equal(
        carried[kind].__provider,
        (await serialize(kind)).text,
        `${kind}'s __provider is not the serialized shim`,
      );
      assert.deepEqual(carried[kind].password, {
        [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
        value: kind === "MeteredProduct" ? "root-secret" : "proxy-secret",
      });
    }
  });

  it("run in a fresh process as Pulumi's dynamic provider host runs them, sharing one session, and a later process destroys with them", () =>
    withEmulator(async (emulator) => {
      const providers = Object.fromEntries(
        await Promise.all(KINDS.map(async (kind) => [kind, (await serialize(kind)).text])),
      );
      const config = engineConfig(emulator);
      const product = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" };
      const proxy = { type: "http", host: "proxy.example.com", port: 3128 };

      const up = (await runNode(HOST_SCRIPT, { mode: "up", providers, config, product, proxy })) as HostRun;
      assert.deepEqual((up.refused.failures ?? []).map((f) => f.property).sort(), ["port", "productType"]);
      assert.equal(up.checked.failures, undefined);
      assert.deepEqual(up.checked.inputs, { ...product, port: 443, acceptCertificate: true });
      assert.equal(up.created.id, String(up.created.outs.productId));
      assert.equal(up.created.outs.metered, true);
      assert.equal(up.read.id, up.created.id);
      assert.deepEqual(up.read.props, up.created.outs);
      assert.deepEqual(up.diff, { changes: false, replaces: [], deleteBeforeReplace: false });
      assert.equal(up.proxyCreated.outs.type, "http");
      assert.equal(up.configured, 2, "each provider text is configured once");
      assert.ok(
        up.loaded.includes(join(REPO_ROOT, "dist", "resources", "dynamic.js")),
        `the installed package was not loaded: ${up.loaded.join(", ")}`,
      );

      assert.deepEqual(
        emulator.admin.products().map((p) => [String(p.id), p.host, p.metered]),
        [[up.created.id, "vcda.example.com", true]],
      );
      assert.deepEqual(emulator.admin.appliance().proxy, {
        type: "http",
        host: "proxy.example.com",
        port: 3128,
        user: undefined,
        password: undefined,
      });
      assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
      assert.equal(loginRequests(emulator).length, 1, "both kinds share the process's one session");

      const destroy = (await runNode(HOST_SCRIPT, {
        mode: "destroy",
        providers,
        config,
        product: { id: up.created.id, props: up.created.outs },
        proxy: { id: up.proxyCreated.id, props: up.proxyCreated.outs },
      })) as HostRun;
      // The same product, as the appliance reports it: its status now the appliance's own, not the
      // one the acceptance (which answers no body) left in the outputs.
      assert.deepEqual(
        { ...destroy.read, props: { ...destroy.read.props, status: undefined } },
        { ...up.read, props: { ...up.read.props, status: undefined } },
      );
      assert.deepEqual(destroy.gone, { id: "", props: {} });
      assert.deepEqual(emulator.admin.products(), []);
      assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });
      assert.equal(loginRequests(emulator).length, 2, "one login per provider process");
    }));
});
