import { strict as assert } from "node:assert";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningEmulator, startEmulator } from "../../emulator";
import { CommandResult, REPO_ROOT, runCommand } from "../../scripts/local-stack";
import { closeAfterFailure } from "../helpers/emulator";
import { engineOrSkip } from "./helpers";

const FLEET = join(REPO_ROOT, "dist", "examples", "fleet", "fleet.js");
const PROJECT = join(REPO_ROOT, "examples", "fleet");
const SITES = ["fleet-e2e-ams", "fleet-e2e-fra", "fleet-e2e-lon"];
const APPLIANCES = ["ams", "fra", "lon"];
const passwords = { vcenter: "vcenter-Fleet-Secret-1", vcda: "vcda-Fleet-Secret-2", proxy: "proxy-Fleet-Secret-3" };

/** Three sites, one per emulated appliance: two read their credentials from the environment, one from a file. */
function inventory(emulator: RunningEmulator, workDir: string): object {
  const [ams, fra, lon] = APPLIANCES.map((name) => emulator.usageMeters[name]);
  const vcenter = { name: "vcenter", productType: "vCenter", user: "administrator@vsphere.local" };
  return {
    cloudPartnerNavigator: {
      cspUrl: emulator.cspUrl,
      usageInsightUrl: emulator.usageInsightUrl,
      usageMeteringAgentsUrl: emulator.usageMeteringAgentsUrl,
    },
    caCertificatesFile: "ca.pem",
    sites: [
      {
        name: SITES[0],
        usageMeter: { url: ams.url, user: ams.user },
        credentials: {
          env: {
            usageMeterPassword: "AMS_UM_PASSWORD",
            cspApiToken: "CSP_API_TOKEN",
            products: { vcenter: "VCENTER_PW" },
          },
        },
        proxy: { type: "none" },
        products: [{ ...vcenter, host: "vcenter.ams.example" }],
        registration: { contractNumber: "12345678", label: "um-amsterdam", meteringMode: "PRODUCTION" },
      },
      {
        name: SITES[1],
        usageMeter: { url: fra.url, user: fra.user },
        credentials: { env: { usageMeterPassword: "FRA_UM_PASSWORD", products: { vcenter: "VCENTER_PW" } } },
        proxy: { type: "http", host: "proxy.fra.example", port: 3128 },
        products: [{ ...vcenter, host: "vcenter.fra.example" }],
      },
      {
        name: SITES[2],
        usageMeter: { url: lon.url, user: lon.user },
        credentials: { file: join(workDir, "lon-secrets.yaml") },
        proxy: { type: "https", host: "proxy.lon.example", port: 8443, user: "um" },
        products: [{ name: "vcda", productType: "VCAV", host: "vcda.lon.example", user: "root" }],
        registration: { contractNumber: "12345678", label: "um-london", meteringMode: "TEST" },
      },
    ],
  };
}

describe("examples/fleet: a fleet of three sites through the Automation API and the real engine", function () {
  this.timeout(600_000);
  let emulator: RunningEmulator;
  let workDir: string;
  let env: NodeJS.ProcessEnv;

  /** Runs the fleet program as a user would, from the work folder (its state folder there). */
  const fleet = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> =>
    runCommand(
      process.execPath,
      [FLEET, "--inventory", "sites.yaml", "--project", PROJECT, "--state-dir", "state", "--parallel", "2", ...args],
      { cwd: workDir, env: { ...env, ...extraEnv } },
    );
  const output = (result: CommandResult) => `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
  /** The summary table's row of a site: [result, resources changed]. */
  const row = (result: CommandResult, site: string): string[] => {
    const line = result.stdout.split("\n").find((l) => l.startsWith(`${site} `));
    assert.ok(line, `no summary row for ${site}:\n${output(result)}`);
    const cells = line.split(/\s{2,}/);
    return [cells[1], cells[2]];
  };
  const product = (appliance: string) => emulator.admin.products(appliance)[0];

  before(async function () {
    const engineBin = await engineOrSkip(this);
    emulator = await startEmulator({
      quiet: true,
      onUnhandledRequest: "error",
      usageMeters: Object.fromEntries(APPLIANCES.map((name) => [name, {}])),
      usageInsight: { registrationDelayMs: 200 },
    });
    try {
      workDir = await mkdtemp(join(tmpdir(), "pulumi-vcpp-fleet-"));
      await writeFile(join(workDir, "ca.pem"), emulator.caPem);
      await writeFile(join(workDir, "sites.yaml"), JSON.stringify(inventory(emulator, workDir), null, 2));
      const lon = emulator.usageMeters.lon;
      await writeFile(
        join(workDir, "lon-secrets.yaml"),
        `usageMeterPassword: "${lon.password}"\ncspApiToken: "${emulator.cspApiToken}"\nproxyPassword: "${passwords.proxy}"\nproducts:\n  vcda: "${passwords.vcda}"\n`,
      );
      env = {
        ...process.env,
        PATH: `${engineBin}:${process.env.PATH ?? ""}`,
        PULUMI_HOME: join(workDir, "home"),
        PULUMI_CONFIG_PASSPHRASE: "fleet-e2e-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NO_COLOR: "1",
        AMS_UM_PASSWORD: emulator.usageMeters.ams.password,
        FRA_UM_PASSWORD: emulator.usageMeters.fra.password,
        CSP_API_TOKEN: emulator.cspApiToken,
        VCENTER_PW: passwords.vcenter,
      };
    } catch (error) {
      await closeAfterFailure(emulator, error);
      throw error;
    }
  });

  after(async () => {
    // The site stacks' config files are written next to the program; destroy removes them, a failed run may not.
    for (const site of SITES) await rm(join(PROJECT, `Pulumi.${site}.yaml`), { force: true });
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await emulator?.close();
  });

  it("a roll-out creates every site's proxy, products and registration, two sites at a time", async () => {
    const result = await fleet([]);
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(row(result, SITES[0]), ["ok", "3 created"], output(result));
    assert.deepEqual(row(result, SITES[1]), ["ok", "2 created"]);
    assert.deepEqual(row(result, SITES[2]), ["ok", "3 created"]);
    assert.match(result.stdout, /^\[fleet-e2e-fra\] created MeteredProduct vcenter$/m, "progress while it runs");

    assert.deepEqual(
      APPLIANCES.map((name) => emulator.admin.products(name).map((p) => [p.host, p.metered])),
      [[["vcenter.ams.example", true]], [["vcenter.fra.example", true]], [["vcda.lon.example", true]]],
    );
    const { type, host, port, user } = emulator.admin.appliance("fra").proxy;
    assert.deepEqual(
      { type, host, port, user },
      { type: "http", host: "proxy.fra.example", port: 3128, user: undefined },
    );
    assert.equal(emulator.admin.appliance("lon").proxy.password, passwords.proxy, "the secrets file's proxy password");
    for (const [appliance, label] of [
      ["ams", "um-amsterdam"],
      ["lon", "um-london"],
    ]) {
      const registration = emulator.admin.registration(emulator.usageMeters[appliance].uuid);
      assert.equal(registration.label, label);
      assert.equal(registration.contractNumber, "12345678");
    }
  });

  it("no credential reaches the state folder, the stack config files or the output", async () => {
    const secrets = [
      ...Object.values(passwords),
      emulator.cspApiToken,
      ...APPLIANCES.map((name) => emulator.usageMeters[name].password),
    ];
    const files = [
      ...(await readdir(join(workDir, "state"), { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name)),
      ...SITES.map((site) => join(PROJECT, `Pulumi.${site}.yaml`)),
    ];
    assert.ok(files.length > SITES.length, "state was written");
    for (const file of files) {
      const text = await readFile(file, "utf8");
      assert.deepEqual(
        secrets.filter((secret) => text.includes(secret)),
        [],
        file,
      );
    }
  });

  it("a second roll-out changes nothing and writes nothing to any appliance", async () => {
    emulator.admin.clearRequests();
    const result = await fleet([]);
    assert.equal(result.code, 0, output(result));
    for (const site of SITES) assert.deepEqual(row(result, site), ["ok", "none"], output(result));
    assert.deepEqual(
      emulator.writes().map((r) => `${r.method} ${r.path}`),
      [],
    );
  });

  it("--drift reports exactly the site and the field changed by hand, and exits 2", async () => {
    emulator.admin.changeProduct("fra", product("fra").id as number, { user: "someone-else" });
    emulator.admin.clearRequests();
    const result = await fleet(["--drift", "--parallel", "3"]);
    assert.equal(result.code, 2, output(result));
    assert.deepEqual(row(result, SITES[0]), ["in sync", "none"]);
    assert.deepEqual(row(result, SITES[1]), ["drifted", "1 to update"]);
    assert.deepEqual(row(result, SITES[2]), ["in sync", "none"]);
    const report = result.stdout.slice(result.stdout.indexOf("drifted:") - SITES[1].length - 1);
    assert.equal(
      report.trim(),
      `${SITES[1]} drifted:\n  MeteredProduct vcenter: user: "someone-else" on the appliance, declared "administrator@vsphere.local"`,
      output(result),
    );
    assert.deepEqual(emulator.writes(), [], "a drift check writes nothing");
  });

  it("sites that fail (a refused password, a missing secret) do not stop the others, and the run exits 1", async () => {
    const wrongPassword = "not-Fra-Password-9";
    const result = await fleet([], { FRA_UM_PASSWORD: wrongPassword, CSP_API_TOKEN: "" });
    assert.equal(result.code, 1, output(result));
    assert.deepEqual(row(result, SITES[0]), ["failed", "none"]);
    assert.deepEqual(row(result, SITES[1]), ["failed", "none"]);
    assert.deepEqual(row(result, SITES[2]), ["ok", "none"]);
    assert.match(
      result.stdout,
      /fleet-e2e-ams failed:\n {2}site fleet-e2e-ams: no value for cspApiToken \(\$CSP_API_TOKEN\)\n/,
      "a missing secret is named, before the engine runs",
    );
    // The engine's error for the site's resource: the appliance refused the login, said once.
    const fra = result.stdout.slice(result.stdout.indexOf(`${SITES[1]} failed:`)).split("\n\n")[0];
    assert.match(fra, /Invalid user name or password/, output(result));
    const lines = fra.split("\n");
    assert.deepEqual(lines, [...new Set(lines)], "no line said twice");
    assert.ok(!output(result).includes(wrongPassword), "the password is not printed");
    assert.equal(product("fra").user, "someone-else", "the failed site was left as it was");
  });

  it("a repair run puts the changed field back, and --drift then finds every site in sync", async () => {
    const result = await fleet(["--site", SITES[1]]);
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(row(result, SITES[1]), ["ok", "1 updated"]);
    assert.ok(!result.stdout.includes(SITES[0]), "--site runs that site only");
    assert.equal(product("fra").user, "administrator@vsphere.local");

    const drift = await fleet(["--drift"]);
    assert.equal(drift.code, 0, output(drift));
    for (const site of SITES) assert.deepEqual(row(drift, site), ["in sync", "none"]);
  });

  it("--destroy removes every site's resources and its stack", async () => {
    const result = await fleet(["--destroy"]);
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(row(result, SITES[0]), ["destroyed", "3 deleted"]);
    assert.deepEqual(
      APPLIANCES.map((name) => emulator.admin.products(name)),
      [[], [], []],
    );
    const stacks = join(workDir, "state", ".pulumi", "stacks", "vcpp-fleet");
    const left = (await readdir(stacks).catch(() => [])).filter((file) => file.endsWith(".json"));
    assert.deepEqual(left, [], "the stacks are removed");
    for (const site of SITES)
      await assert.rejects(readFile(join(PROJECT, `Pulumi.${site}.yaml`)), `${site}'s config file is removed`);
  });

  it("--drift of a site without a stack fails that site, and creates no stack", async () => {
    const result = await fleet(["--drift", "--site", SITES[0]]);
    assert.equal(result.code, 1, output(result));
    assert.deepEqual(row(result, SITES[0]), ["failed", "none"]);
    assert.match(result.stdout, /fleet-e2e-ams failed:\n {2}.*no stack named 'fleet-e2e-ams'/, output(result));
    const stacks = join(workDir, "state", ".pulumi", "stacks", "vcpp-fleet");
    const left = (await readdir(stacks).catch(() => [])).filter((file) => file.endsWith(".json"));
    assert.deepEqual(left, []);
  });
});
