import { strict as assert } from "node:assert";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InventoryError, loadInventory, readSecrets } from "../../examples/fleet/inventory";

const navigator = { usageMeteringAgentsUrl: "https://navigator.example/agents" };
const amsterdam = {
  name: "amsterdam",
  usageMeter: { url: "https://um-ams.example:8443" },
  credentials: { env: { usageMeterPassword: "AMS_UM_PW", cspApiToken: "CSP_TOKEN", products: { vcenter: "VC_PW" } } },
  proxy: { type: "http", host: "proxy.example", port: 3128 },
  products: [{ name: "vcenter", productType: "vCenter", host: "vc.example", user: "administrator@vsphere.local" }],
  registration: { contractNumber: "12345678", label: "um-ams", meteringMode: "TEST" },
};

describe("examples/fleet inventory", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "fleet-inventory-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  /** Writes the inventory (YAML or JSON text, or an object as JSON) and loads it. */
  async function load(inventory: unknown, file = "sites.yaml") {
    const path = join(dir, file);
    await writeFile(path, typeof inventory === "string" ? inventory : JSON.stringify(inventory));
    return loadInventory(path);
  }
  /** The message of the InventoryError that loading the inventory fails with. */
  async function refusal(inventory: unknown): Promise<string> {
    const error = await load(inventory).then(
      () => assert.fail("the inventory was accepted"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof InventoryError, String(error));
    return error.message;
  }

  it("reads a YAML inventory, defaulting the user and making file paths relative to the inventory", async () => {
    const inventory = await load(
      [
        "cloudPartnerNavigator: { usageMeteringAgentsUrl: 'https://navigator.example/agents' }",
        "caCertificatesFile: ca.pem",
        "sites:",
        "  - name: fra",
        "    usageMeter: { url: 'https://um-fra.example' }",
        "    credentials: { file: secrets/fra.yaml }",
        "    proxy: { type: none }",
      ].join("\n"),
    );
    const [fra] = inventory.sites;
    assert.equal(fra.usageMeter.user, "usagemeteradmin");
    assert.deepEqual(fra.products, []);
    assert.deepEqual(fra.credentials, { file: join(dir, "secrets", "fra.yaml") });
    assert.equal(inventory.caCertificatesFile, join(dir, "ca.pem"));
  });

  it("the example inventory (examples/fleet/sites.yaml) is valid", async () => {
    const inventory = await loadInventory(join(__dirname, "..", "..", "..", "examples", "fleet", "sites.yaml"));
    assert.deepEqual(
      inventory.sites.map((site) => site.name),
      ["amsterdam", "frankfurt"],
    );
  });

  it("refuses a bad inventory naming every bad field and its rule", async () => {
    const message = await refusal({
      cloudPartnerNavigator: navigator,
      sites: [
        { ...amsterdam, usageMeter: { url: "http://um-ams.example" } },
        { ...amsterdam, registration: { ...amsterdam.registration, meteringMode: "LIVE" } },
      ],
    });
    assert.match(message, /sites\.0\.usageMeter\.url: must be an https:\/\/ URL/);
    assert.match(message, /sites\.1\.registration\.meteringMode: .*"TEST"\|"PRODUCTION"/);
  });

  it("refuses a product type the package does not meter (the package's own PRODUCT_TYPES)", async () => {
    const message = await refusal({
      cloudPartnerNavigator: navigator,
      sites: [{ ...amsterdam, products: [{ ...amsterdam.products[0], productType: "vcenter" }] }],
    });
    assert.match(message, /sites\.0\.products\.0\.productType: .*"vCenter"/);
  });

  it("refuses a site named twice, and a product named twice within a site", async () => {
    const vcenter = amsterdam.products[0];
    const message = await refusal({
      cloudPartnerNavigator: navigator,
      sites: [amsterdam, { ...amsterdam, products: [vcenter, { ...vcenter, host: "vc2.example" }] }],
    });
    assert.match(message, /sites\.1\.name: amsterdam twice/);
    assert.match(message, /sites\.1\.products\.1\.name: vcenter twice/);
  });

  it("refuses a password written in the inventory instead of where it comes from", async () => {
    const message = await refusal({
      sites: [{ ...amsterdam, registration: undefined, credentials: { usageMeterPassword: "secret-in-git" } }],
    });
    assert.match(message, /sites\.0\.credentials: must be \{env: \{\.\.\.\}\}/);
    assert.ok(!message.includes("secret-in-git"), "the value is not repeated");
  });

  it("refuses env credentials that name no variable for a product, the API token or the proxy password", async () => {
    const message = await refusal({
      cloudPartnerNavigator: navigator,
      sites: [
        {
          ...amsterdam,
          credentials: { env: { usageMeterPassword: "AMS_UM_PW" } },
          proxy: { ...amsterdam.proxy, user: "um" },
        },
      ],
    });
    assert.match(message, /sites\.0\.credentials\.env\.products\.vcenter: needs the name of the environment variable/);
    assert.match(message, /sites\.0\.credentials\.env\.cspApiToken: needs/);
    assert.match(message, /sites\.0\.credentials\.env\.proxyPassword: needs/);
  });

  it("a registration needs the Cloud Partner Navigator's URLs", async () => {
    assert.match(await refusal({ sites: [amsterdam] }), /sites\.0\.registration: needs cloudPartnerNavigator/);
  });

  it("reads a site's secrets from the environment, naming each missing variable and no value", async () => {
    const [site] = (await load({ cloudPartnerNavigator: navigator, sites: [amsterdam] })).sites;
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AMS_UM_PW: "um-pw", CSP_TOKEN: "csp-token", VC_PW: "vc-pw" });
      assert.deepEqual(await readSecrets(site), {
        usageMeterPassword: "um-pw",
        cspApiToken: "csp-token",
        proxyPassword: undefined,
        productPasswords: { vcenter: "vc-pw" },
      });
      delete process.env.VC_PW;
      process.env.CSP_TOKEN = "";
      await assert.rejects(readSecrets(site), {
        name: "InventoryError",
        message: "site amsterdam: no value for cspApiToken ($CSP_TOKEN), products.vcenter ($VC_PW)",
      });
    } finally {
      process.env = saved;
    }
  });

  it("reads a site's secrets from its file, by their own names or the keys given", async () => {
    await writeFile(join(dir, "ams.yaml"), "umPassword: um-pw\ncspApiToken: csp-token\nproducts: { vcenter: vc-pw }\n");
    const credentials = { file: "ams.yaml", keys: { usageMeterPassword: "umPassword" } };
    const [site] = (await load({ cloudPartnerNavigator: navigator, sites: [{ ...amsterdam, credentials }] })).sites;
    assert.deepEqual(await readSecrets(site), {
      usageMeterPassword: "um-pw",
      cspApiToken: "csp-token",
      proxyPassword: undefined,
      productPasswords: { vcenter: "vc-pw" },
    });
  });

  it("a secrets file that is not YAML is named without quoting its text", async () => {
    await writeFile(join(dir, "broken.yaml"), "usageMeterPassword: [unclosed-Secret-7\n");
    const credentials = { file: "broken.yaml" };
    const [site] = (await load({ cloudPartnerNavigator: navigator, sites: [{ ...amsterdam, credentials }] })).sites;
    const error = await readSecrets(site).then(
      () => assert.fail("read"),
      (e: Error) => e,
    );
    assert.equal(error.message, `site amsterdam: cannot read the secrets file ${join(dir, "broken.yaml")}`);
  });
});
