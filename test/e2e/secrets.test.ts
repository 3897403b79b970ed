/**
 * Every credential of every service, in one stack through the real engine: none may appear in
 * `pulumi stack export` (secrets there are ciphertext), in the serialized provider, in the order
 * journal, in an error the engine prints, or in the `-v=9 --logtostderr` lines outside the
 * engine's own RPC tracing (see `leaksOutsideEngineTracing`). Configured credentials are canaries,
 * so a leak is unmistakable; the tokens the services hand out are the emulator's, looked up in it.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningEmulator } from "../../emulator";
import { CommandResult } from "../../scripts/local-stack";
import { cloudConfig, commerceConfig, defaultConfig, E2eStack, leaksOutsideEngineTracing, vcaConfig } from "./helpers";

/** Every configured credential: stack config (provider) and the program's secret passwords (inputs). */
const CANARY = {
  um9Password: "canary-um9-password-Q7x",
  um4Password: "canary-um4-password-Z3k",
  cspApiToken: "canary-csp-api-token-R2m",
  commerceClientSecret: "canary-commerce-secret-T6p",
  vca57Password: "canary-vca57-password-K5w",
  vca56Password: "canary-vca56-password-M8v",
};
const PASSWORDS = {
  vcda: "canary-vcda-root-password-H4j",
  tkgm: "canary-tkgm-admin-password-N9c",
  tkgmToken: "canary-tkgm-token-W4d",
  proxy: "canary-proxy-password-B1s",
};
const VDC = { vcaAccount: "dedicated", serviceId: "example-1101-130711-1", vdcName: "0001-example-vdc-1-public-api" };
const ORDER = {
  contractNumber: "12611521",
  poType: "ADDON_REQUEST",
  lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
  orderKey: "secrets-order",
};

/** Every service's config, each credential a secret. */
function allServicesConfig(journal: string) {
  return (emulator: RunningEmulator): Record<string, string | { secret: string }> => {
    const four = emulator.usageMeters.four;
    const dedicated = emulator.vcaAccounts.dedicated;
    return {
      ...defaultConfig(emulator),
      "vcpp:usageMeters": {
        secret: JSON.stringify({ four: { url: four.url, user: four.user, password: four.password } }),
      },
      ...cloudConfig(emulator),
      ...commerceConfig(emulator, journal),
      ...vcaConfig(emulator),
      "vcpp:vcaAccounts": {
        secret: JSON.stringify({
          dedicated: { url: dedicated.vcaUrl, user: dedicated.vcaUser, password: dedicated.vcaPassword },
        }),
      },
    };
  };
}

describe("Secrets of every service through the real Pulumi engine (one stack)", function () {
  this.timeout(600_000);
  let e2e: E2eStack;
  let journalDir: string;
  const verbose = ["-v=9", "--logtostderr"];
  const logs: string[] = [];
  const keep = (result: CommandResult) => void logs.push(result.stdout, result.stderr);

  before(async function () {
    journalDir = mkdtempSync(join(tmpdir(), "vcpp-secrets-e2e-"));
    e2e = await E2eStack.start(this, {
      emulator: {
        // The default appliance is 9.x (bearer and refresh tokens), `four` 4.x (a session id).
        usageMeters: {
          default: { version: "9", password: CANARY.um9Password },
          four: { password: CANARY.um4Password },
        },
        csp: { apiTokens: [{ token: CANARY.cspApiToken, organizationId: "org-secrets" }] },
        usageInsight: { registrationDelayMs: 0 },
        commerce: { clientSecret: CANARY.commerceClientSecret },
        vcaAccounts: {
          default: { version: "5.7", password: CANARY.vca57Password },
          dedicated: { version: "5.6", password: CANARY.vca56Password },
        },
      },
      config: allServicesConfig(join(journalDir, "orders.jsonl")),
    });
    // Those inside structured config (vcpp:vcaAccounts) are not secrets of their own to E2eStack.
    e2e.secrets.push(...Object.values(CANARY));
    await e2e.declare(
      {
        proxies: {
          network: { type: "https", host: "proxy.corp.example", port: 443, user: "metering", password: "proxy" },
        },
        products: {
          vcda: { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda" },
          tkgm: {
            usageMeter: "four",
            productType: "TKGM",
            host: "tkgm.example.com",
            user: "admin",
            password: "tkgm",
            vcId: "7",
            tkgmToken: "tkgmToken",
            tkgmEdition: "Standard",
            tkgmMetric: "vCPU",
          },
        },
        registrations: {
          um: { usageMeter: "default", contractNumber: "12345678", label: "um-secrets", meteringMode: "TEST" },
        },
        orders: { addon: ORDER },
        vcaUsers: {
          jane: {
            userName: "jane.doe@example.com",
            email: "jane.doe@example.com",
            givenName: "Jane",
            familyName: "Doe",
            roles: ["End User"],
          },
        },
        vcaFunctions: { servicesAccount: "dedicated" },
        vcloudSession: VDC,
      },
      PASSWORDS,
    );
    // A refresh too: state then holds inputs as the services report them, which must stay secret.
    for (const args of [
      ["up", "--yes", "--skip-preview", ...verbose],
      ["refresh", "--yes", "--skip-preview", ...verbose],
      ["preview", "--refresh", ...verbose],
    ])
      keep(await e2e.stack.pulumiOk(args));
  });
  after(async function () {
    if (e2e) {
      e2e.emulator.admin.clearFaults();
      const result = await e2e.stack.pulumiOk(["destroy", "--yes", "--skip-preview", ...verbose]);
      keep(result);
      assert.deepEqual(leaksOutsideEngineTracing(e2e, [result.stdout, result.stderr]), [], "the destroy logs");
      await e2e.dispose();
    }
    if (journalDir) rmSync(journalDir, { recursive: true, force: true });
  });

  it("every credential went where it belongs, and every service issued its tokens (so the checks below can fail)", () => {
    const { admin } = e2e.emulator;
    assert.equal(admin.appliance().proxy.password, PASSWORDS.proxy);
    const tkgm = admin.appliance("four").products.find((p) => p.productType === "TKGM");
    assert.equal(tkgm?.extra.tkgmToken, PASSWORDS.tkgmToken);
    assert.ok(admin.appliance("default").issuedCredentials.length >= 2, "9.x: a bearer and a refresh token");
    assert.ok(admin.appliance("four").issuedCredentials.length >= 1, "4.x: a session id");
    assert.ok(admin.issuedAccessTokens().length >= 1, "CSP: an access token");
    assert.ok(admin.commerceIssuedTokens().length >= 1, "commerce: an access token");
    assert.ok(admin.vcaAccount("default").issuedCredentials.length >= 1, "vCloud Air 5.7: a session token");
    assert.ok(
      admin.vcaAccount("dedicated").issuedCredentials.length >= 2,
      "vCloud Air 5.6: a session token (x-vchs-authorization) and a vCloud one (x-vcloud-authorization)",
    );
    assert.equal(admin.commerceOrders().length, 1);
  });

  it("pulumi stack export holds every secret as ciphertext, never in plain text", async () => {
    const state = await e2e.stack.exportState();
    assert.ok(state.includes("tkgm.example.com") && state.includes("secrets-order"), "the export holds the stack");
    assert.ok((state.match(/"ciphertext"/g) ?? []).length >= 5, "the passwords, the TKGM token and the session");
    assert.deepEqual(e2e.leakedIn(state), []);
  });

  it("the serialized provider of every resource is a small shim without credentials", async () => {
    const state = JSON.parse(await e2e.stack.exportState()) as {
      deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
    };
    const dynamic = state.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/vcpp:"));
    assert.equal(dynamic.length, 6, dynamic.map((r) => r.type).join(", "));
    for (const resource of dynamic) {
      const provider = String(resource.outputs?.__provider);
      assert.ok(provider.length < 10_000, `__provider is ${provider.length} characters`);
      assert.match(provider, /pulumi-vcpp\/dynamic/);
      assert.deepEqual(e2e.leakedIn(provider), []);
    }
  });

  it("the order journal holds no credential", () => {
    const journal = readFileSync(join(journalDir, "orders.jsonl"), "utf8");
    assert.match(journal, /secrets-order/);
    assert.deepEqual(e2e.leakedIn(journal), []);
  });

  it("the verbose logs (-v=9 --logtostderr) hold no credential outside the engine's own RPC tracing", () => {
    const all = logs.join("");
    assert.ok(all.length > 10_000, "verbose logs were captured");
    for (const resource of ["MeteredProduct", "UsageMeterRegistration", "VcppOrder", "VcaUser"])
      assert.ok(all.includes(resource), `${resource}'s activity is in the logs`);
    assert.deepEqual(leaksOutsideEngineTracing(e2e, logs), []);
  });

  it("a refresh whose every read fails with an answer echoing every credential shows none of them", async () => {
    const echo = `refused ${[...Object.values(CANARY), ...Object.values(PASSWORDS)].join(" ")}`;
    // Every service's reads are GETs; logins and token exchanges (POST) still work.
    e2e.emulator.admin.injectFault({
      method: "GET",
      pathIncludes: "/",
      status: 400,
      body: { errMessage: echo },
      times: 200,
    });
    const refresh = await e2e.stack.pulumi(["refresh", "--yes", "--skip-preview", ...verbose]);
    e2e.emulator.admin.clearFaults();
    keep(refresh);
    assert.notEqual(refresh.code, 0, "the refresh fails");
    const shown = refresh.stdout + refresh.stderr;
    for (const resource of ["MeteredProduct", "ProxyConfig", "UsageMeterRegistration", "VcppOrder", "VcaUser"])
      assert.match(shown, new RegExp(`${resource}[^\\n]*refused \\[REDACTED\\]`), `${resource}'s error, redacted`);
    assert.deepEqual(leaksOutsideEngineTracing(e2e, [refresh.stdout, refresh.stderr]), []);
  });
});
