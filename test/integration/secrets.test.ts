/**
 * Error paths, for every service: a server that echoes the token or session the client is using
 * (and the configured credential behind it) in a failed answer must not get either into the error
 * the user sees. The echo is injected after the first call, so it holds the very token in use.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { RunningEmulator } from "../../emulator";
import { getCommitContracts } from "../../functions/commerce";
import { forgetProgramClients } from "../../functions/program-clients";
import { getUsageReports } from "../../functions/usage-insight";
import { getUsageMeterInfo } from "../../functions/usage-meter";
import { getVcaPlans, getVcaServices, getVcaVcloudSession } from "../../functions/vcloud-air";
import { VcppError } from "../../provider/errors";
import { MeteredProductOutputs, MeteredProductProvider } from "../../resources/metered-product";
import { ProxyConfigOutputs, ProxyConfigProvider } from "../../resources/proxy-config";
import { guarded } from "../../resources/dynamic";
import { contextFor, everyServiceConfig, setProgramConfig, withEmulator } from "../helpers/emulator";

interface Case {
  credential: string;
  /** A call that authenticates, made twice: the second one meets the echo. */
  call: () => Promise<unknown>;
  /** The request the echo answers instead. */
  fault: { method: string; pathIncludes: string };
  /** The tokens in use and the configured secret behind them. */
  secrets: (e: RunningEmulator) => string[];
}

const YEAR_MONTH = { year: 2025, month: 1 };
/** A virtual data centre of the emulator's 5.6 account (seed 004). */
const VDC = { serviceId: "example-1101-130711-1", vdcName: "0001-example-vdc-1-public-api" };
const CASES: Case[] = [
  {
    credential: "Usage Meter 4.x password and session id",
    call: () => getUsageMeterInfo(),
    fault: { method: "GET", pathIncludes: "/um/default/api/v1/agent_info" },
    secrets: (e) => [e.usageMeters.default.password, ...e.admin.appliance("default").issuedCredentials],
  },
  {
    credential: "Usage Meter 9.x password, bearer and refresh tokens",
    call: () => getUsageMeterInfo({ usageMeter: "nine" }),
    fault: { method: "GET", pathIncludes: "/um/nine/" },
    secrets: (e) => [e.usageMeters.nine.password, ...e.admin.appliance("nine").issuedCredentials],
  },
  {
    credential: "CSP API token and access token",
    call: () => getUsageReports(YEAR_MONTH),
    fault: { method: "GET", pathIncludes: "/reports" },
    secrets: (e) => [e.cspApiToken, ...e.admin.issuedAccessTokens()],
  },
  {
    credential: "commerce client secret and access token",
    call: () => getCommitContracts(),
    fault: { method: "GET", pathIncludes: "commit-contracts" },
    secrets: (e) => [e.commerceClientSecret, ...e.admin.commerceIssuedTokens()],
  },
  {
    credential: "vCloud Air 5.7 password and session token",
    call: () => getVcaPlans(),
    fault: { method: "GET", pathIncludes: "/vca/default/" },
    secrets: (e) => [e.vcaAccounts.default.vcaPassword, ...e.admin.vcaAccount("default").issuedCredentials],
  },
  {
    credential: "vCloud Air 5.6 password and session token",
    call: () => getVcaServices({ vcaAccount: "dedicated" }),
    fault: { method: "GET", pathIncludes: "/vca/dedicated/" },
    secrets: (e) => [e.vcaAccounts.dedicated.vcaPassword, ...e.admin.vcaAccount("dedicated").issuedCredentials],
  },
  {
    credential: "vCloud Air 5.6 session and vCloud session (x-vcloud-authorization) tokens",
    call: () => getVcaVcloudSession({ vcaAccount: "dedicated", ...VDC }),
    fault: { method: "POST", pathIncludes: "/vcloudsession" },
    secrets: (e) => [e.vcaAccounts.dedicated.vcaPassword, ...e.admin.vcaAccount("dedicated").issuedCredentials],
  },
];

describe("Secrets in error paths, for every service", () => {
  afterEach(() => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
  });

  for (const { credential, call, fault, secrets } of CASES) {
    it(`a failed answer echoing the ${credential} shows neither`, () =>
      withEmulator(
        async (emulator) => {
          setProgramConfig(everyServiceConfig(emulator));
          await call();
          const inUse = secrets(emulator);
          assert.ok(inUse.length >= 2, `the emulator issued a token (${inUse.length} credentials)`);
          // Short enough that the client's 200-character snippet of a text answer holds every one.
          for (const secret of inUse)
            emulator.admin.injectFault({ ...fault, status: 400, body: `refused ${secret}`, times: 1 });
          const failures: VcppError[] = [];
          for (let i = 0; i < inUse.length; i++) {
            const error = await call().then(
              () => assert.fail("the echoing answer was taken for a success"),
              (e: unknown) => e,
            );
            assert.ok(error instanceof VcppError, String(error));
            failures.push(error);
          }
          for (const error of failures) {
            const shown = `${String(error)}\n${error.stack}\n${JSON.stringify(error)}\n${String(error.cause ?? "")}`;
            assert.match(
              error.message,
              /refused \[REDACTED\]/,
              `the server's answer is shown, redacted: ${error.message}`,
            );
            for (const secret of inUse) assert.ok(!shown.includes(secret), `${secret.slice(0, 4)}… leaked: ${shown}`);
          }
        },
        { usageMeters: { default: {}, nine: { version: "9" } } },
      ));
  }

  it("a token the server's answer is cut off in (past the snippet the error quotes) shows no part of it", () =>
    withEmulator(async (emulator) => {
      setProgramConfig(everyServiceConfig(emulator));
      await getUsageMeterInfo();
      const [session] = emulator.admin.appliance("default").issuedCredentials;
      const body = `${"x".repeat(190)} ${session} and more`;
      emulator.admin.injectFault({ method: "GET", pathIncludes: "agent_info", status: 400, body });
      const error = await getUsageMeterInfo().then(
        () => assert.fail("the answer was taken for a success"),
        (e: Error) => e,
      );
      assert.match(error.message, /x{100}/, "the answer is quoted");
      assert.ok(!error.message.includes(session.slice(0, 8)), error.message);
    }));

  it("a refresh, update or destroy, whose process knows a password only from state, redacts it from an echo", () =>
    withEmulator(async (emulator) => {
      const context = contextFor(emulator);
      // Values no check or create of this process has seen: as in a new provider process.
      const fresh = (what: string) => `${what}-only-in-state-${Math.random().toString(36).slice(2)}`;
      const product = {
        usageMeter: "default",
        productType: "VCAV",
        host: "vcda.example.com",
        port: 443,
        user: "root",
        password: fresh("password"),
        tkgmToken: fresh("tkgm-token"),
      } as unknown as MeteredProductOutputs;
      const proxy = { usageMeter: "default", type: "https", password: fresh("proxy") } as unknown as ProxyConfigOutputs;
      // As the shim runs them: the engine's arguments are registered whatever the method.
      const products = guarded(new MeteredProductProvider(context));
      const proxies = guarded(new ProxyConfigProvider(context));
      const newProxy = { usageMeter: "default", type: "https", host: "proxy.example.com", port: 3128, user: "u" };
      const echo = (text: string) => ({ status: 400, body: { errMessage: `refused ${text}` } });
      const secretsOf = `${product.password} ${product.tkgmToken}`;
      const attempts: [string, () => Promise<unknown>, object][] = [
        [
          "MeteredProduct read",
          () => products.read("7", product),
          { method: "GET", pathIncludes: "/product", ...echo(secretsOf) },
        ],
        [
          "MeteredProduct delete",
          () => products.delete("7", product),
          { method: "DELETE", pathIncludes: "/product", ...echo(secretsOf) },
        ],
        [
          "ProxyConfig delete",
          () => proxies.delete("um", proxy),
          { method: "PUT", pathIncludes: "/test_proxy", ...echo(String(proxy.password)) },
        ],
        [
          "ProxyConfig update (the old password, only in state, echoed)",
          () => proxies.update("um", proxy, { ...newProxy, password: fresh("new-proxy") }),
          { method: "PUT", pathIncludes: "/test_proxy", ...echo(String(proxy.password)) },
        ],
        [
          "MeteredProduct update (the old password and token, only in state, echoed)",
          () => products.update("7", product, { ...product, password: fresh("new-password") }),
          { method: "PUT", pathIncludes: "/product", ...echo(secretsOf) },
        ],
      ];
      for (const [operation, attempt, fault] of attempts) {
        emulator.admin.injectFault(fault as Parameters<typeof emulator.admin.injectFault>[0]);
        const error = await attempt().then(
          () => assert.fail(`${operation}: the echoing answer was taken for a success`),
          (e: Error) => e,
        );
        assert.match(error.message, /refused \[REDACTED\]/, `${operation}: ${error.message}`);
        for (const secret of [product.password, product.tkgmToken!, String(proxy.password)])
          assert.ok(!error.message.includes(secret), `${operation}: ${error.message}`);
      }
    }));
});
