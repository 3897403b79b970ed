/**
 * Upgrade safety: a stack created with the previous release (the version in CHANGELOG.md before the
 * current one) is switched to the current tree's package, and the engine must see nothing to do:
 * `pulumi preview` plans no change and `pulumi refresh` finds no difference. Both packages are
 * installed into a consumer program with npm, as a user upgrades: the previous one from the tarball
 * kept in test/fixtures/releases when it was cut (what `npm publish` sent), the current one packed
 * from the tree. What makes it hold is the serialized provider (resources/shim.ts): state keeps only
 * a `require` of the installed package, so a change of an output's shape or of an input's normal
 * form shows up here.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { RunningEmulator, startEmulator } from "../../emulator";
import { LocalStack, REPO_ROOT } from "../../scripts/local-stack";
import { cloudConfig, commerceConfig, defaultConfig, engineOrSkip, installedVersion, npm, vcaConfig } from "./helpers";

const run = promisify(execFile);
const readJson = async (file: string) => JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;

/** Where each release's tarball is kept, so that the test needs neither git history nor a registry. */
const RELEASES = join(REPO_ROOT, "test", "fixtures", "releases");

/**
 * The release the current tree upgrades from, and its tarball: CHANGELOG.md's second section (the
 * first is package.json's version, the one being prepared or just cut).
 */
async function previousRelease(): Promise<{ version: string; tarball: string }> {
  const current = String((await readJson(join(REPO_ROOT, "package.json"))).version);
  const changelog = await readFile(join(REPO_ROOT, "CHANGELOG.md"), "utf8");
  const versions = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)].map((m) => m[1]);
  assert.equal(versions[0], current, "CHANGELOG.md's newest section is not package.json's version");
  const released = versions.slice(1);
  assert.ok(released.length > 0, "CHANGELOG.md names no release before " + current);
  const version = released[0];
  const tarball = join(RELEASES, `pulumi-vcpp-${version}.tgz`);
  await access(tarball).catch(() =>
    assert.fail(
      `The upgrade test installs the previous release from ${tarball}, which is missing. Cutting a ` +
        `release keeps its tarball there (README, "Cutting a release"): from its tag, ` +
        `git checkout v${version} && npm ci && npm pack --pack-destination test/fixtures/releases.`,
    ),
  );
  return { version, tarball };
}

/**
 * Builds and packs the current tree, copied to `dir`, with `tsconfig.build.json` as `prepare`
 * does, into `destination`; its node_modules are the repository's (the same lockfile).
 */
async function pack(dir: string, destination: string): Promise<string> {
  await symlink(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  await run(process.execPath, [
    join(dir, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(dir, "tsconfig.build.json"),
  ]);
  const [packed] = JSON.parse(
    (await npm(dir, "pack", "--json", "--ignore-scripts", "--pack-destination", destination)).stdout,
  ) as {
    filename: string;
  }[];
  return join(destination, packed.filename);
}

/** A JavaScript program a user could have written against the previous release: every resource, config-driven. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const vcpp = require("pulumi-vcpp");
const config = new pulumi.Config();
const network = new vcpp.ProxyConfig("network", { type: "http", host: "proxy.corp.example", port: 3128 });
const products = [
  new vcpp.MeteredProduct("vcenter", {
    productType: "vCenter", host: "vcenter.corp.example", user: "administrator@vsphere.local",
    password: config.requireSecret("vcenterPassword"),
  }, { dependsOn: network }),
  new vcpp.MeteredProduct("vcda", {
    productType: "VCAV", host: "vcda.corp.example", user: "root", password: config.requireSecret("vcdaPassword"),
    acceptCertificate: false,
  }, { dependsOn: network }),
];
const registration = new vcpp.UsageMeterRegistration("usage-meter", {
  usageMeter: "default", contractNumber: "12345678", label: "um-lyon", meteringMode: "TEST",
});
const user = new vcpp.VcaUser("jane", {
  userName: "jane@corp.example", email: "jane@corp.example", givenName: "Jane", familyName: "Doe",
  roles: [vcpp.VCA_ROLES[0]],
});
const order = new vcpp.VcppOrder("addon", {
  contractNumber: "12611521", poType: "ADDON_REQUEST", orderKey: "upgrade-addon-1",
  lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
});
exports.proxyUrl = network.usageMeterUrl;
exports.productIds = products.map((p) => p.productId);
exports.registrationState = registration.registrationState;
exports.userId = user.userId;
exports.requestId = order.requestId;
`;

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** A dynamic resource's state: the serialized provider apart, so that a difference in the rest reads short. */
interface DynamicState {
  provider: unknown;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/**
 * Every dynamic resource's state, by URN, from `pulumi stack export`; secrets decrypted, since
 * each write encrypts them with a new nonce (the throwaway passwords of this test).
 */
async function dynamicState(stack: LocalStack): Promise<Record<string, DynamicState>> {
  const exported = await stack.pulumiOk(["stack", "export", "--show-secrets"]);
  const { deployment } = JSON.parse(exported.stdout) as { deployment: { resources: StateResource[] } };
  const split = ({ inputs = {}, outputs = {} }: StateResource): DynamicState => {
    const { __provider: provider, ...declared } = inputs;
    const { __provider: _same, ...read } = outputs;
    return { provider, inputs: declared, outputs: read };
  };
  return Object.fromEntries(
    deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => [r.urn, split(r)]),
  );
}

describe("upgrading from the previous release", function () {
  this.timeout(20 * 60_000);
  let work: string;
  let emulator: RunningEmulator | undefined;
  let stack: LocalStack | undefined;
  after(async () => {
    await stack?.dispose();
    await emulator?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a stack created with the previous release previews no change and refreshes no difference with the current package", async function () {
    const previous = await previousRelease();
    const engineBin = await engineOrSkip(this);
    work = await mkdtemp(join(tmpdir(), "vcpp-upgrade-"));
    const [current, program] = ["current", "program"].map((d) => join(work, d));
    await Promise.all([current, program].map((d) => mkdir(d)));

    // The current tree as it is on disk (committed or not).
    const tracked = (
      await run("git", ["-C", REPO_ROOT, "ls-files", "--cached", "--others", "--exclude-standard"])
    ).stdout
      .split("\n")
      .filter((f) => f && !f.startsWith("test/"));
    // A tracked file deleted from the work tree is not part of it: nothing to copy.
    for (const file of tracked)
      await cp(join(REPO_ROOT, file), join(current, file), { force: true }).catch(() => undefined);
    const currentTarball = await pack(current, work);

    const pulumiVersion = await installedVersion("@pulumi/pulumi");
    await writeFile(
      join(program, "package.json"),
      JSON.stringify({ name: "vcpp-upgrade", main: "index.js", dependencies: { "@pulumi/pulumi": pulumiVersion } }),
    );
    await writeFile(join(program, "Pulumi.yaml"), "name: vcpp-upgrade\nruntime: nodejs\nmain: index.js\n");
    await writeFile(join(program, "index.js"), PROGRAM);
    await npm(program, "install", previous.tarball);
    const installed = () => readJson(join(program, "node_modules", "pulumi-vcpp", "package.json"));
    assert.equal((await installed()).version, previous.version);

    // Orders stay pending: a fulfilment between the up and the refresh would be a real change, not the upgrade's.
    emulator = await startEmulator({
      quiet: true,
      usageInsight: { registrationDelayMs: 100 },
      commerce: { fulfilmentDelayMs: 3_600_000 },
    });
    stack = await LocalStack.create({ engineBin, projectDir: program, stackName: "upgrade" });
    await stack.setAllConfig({
      ...defaultConfig(emulator),
      ...cloudConfig(emulator),
      ...commerceConfig(emulator, join(work, "orders.jsonl")),
      ...vcaConfig(emulator),
      vcenterPassword: { secret: "vcenter-pw" },
      vcdaPassword: { secret: "vcda-pw" },
    });
    await stack.up();
    const before = await dynamicState(stack);
    assert.deepEqual(
      Object.keys(before)
        .map((urn) => urn.split("::").slice(-2).join("::"))
        .sort(),
      [
        "pulumi-nodejs:dynamic/vcpp:MeteredProduct::vcda",
        "pulumi-nodejs:dynamic/vcpp:MeteredProduct::vcenter",
        "pulumi-nodejs:dynamic/vcpp:ProxyConfig::network",
        "pulumi-nodejs:dynamic/vcpp:UsageMeterRegistration::usage-meter",
        "pulumi-nodejs:dynamic/vcpp:VcaUser::jane",
        "pulumi-nodejs:dynamic/vcpp:VcppOrder::addon",
      ],
    );
    const outputs = await stack.outputs();

    await npm(program, "install", currentTarball);
    const upgraded = (await readJson(join(REPO_ROOT, "package.json"))).version;
    assert.equal((await installed()).version, upgraded, "the program now runs the current package");
    emulator.admin.clearRequests();

    // --expect-no-changes makes the engine itself fail on any planned change; the JSON names it.
    const preview = await stack.pulumi(["preview", "--json", "--expect-no-changes"]);
    const steps = (JSON.parse(preview.stdout) as { steps?: { op: string; urn: string }[] }).steps ?? [];
    assert.deepEqual(
      steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`),
      [],
      `pulumi preview after the upgrade to ${upgraded} plans changes`,
    );
    assert.equal(preview.code, 0, preview.stderr);
    assert.deepEqual(emulator.writes(), [], "the preview wrote nothing");

    const refresh = await stack.pulumi(["refresh", "--yes", "--expect-no-changes", "--suppress-progress"]);
    assert.equal(refresh.code, 0, `pulumi refresh after the upgrade finds differences:\n${refresh.stdout}`);
    const after = await dynamicState(stack);
    // Compared whole, not through the engine's diff: the provider's diff may rightly call two forms
    // the same (an e-mail's case), but a new form in state after an upgrade is still a change.
    for (const urn of Object.keys(before)) {
      assert.equal(after[urn].provider, before[urn].provider, `${urn}: the serialized provider changed`);
      assert.deepEqual(
        after[urn].inputs,
        before[urn].inputs,
        `${urn}: inputs changed by the refresh after the upgrade`,
      );
      assert.deepEqual(after[urn].outputs, before[urn].outputs, `${urn}: outputs changed by the refresh`);
    }
    assert.deepEqual(emulator.writes(), [], "the refresh wrote nothing");
    assert.deepEqual(await stack.outputs(), outputs);

    // The current package runs the old stack's whole lifecycle: an up that changes nothing, then destroy.
    const up = await stack.pulumiOk(["up", "--yes", "--expect-no-changes", "--suppress-progress"]);
    assert.doesNotMatch(up.stdout, /updated|created|replaced/);
    await stack.destroy();
    assert.deepEqual(emulator.admin.appliance("default").products, [], "the products are gone");
  });
});
