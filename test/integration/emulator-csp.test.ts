import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EmulatorOptions, RunningEmulator } from "../../emulator";
import { withEmulator } from "../helpers/emulator";
import { plainRequest } from "../helpers/plain-https";

const TOKEN_PATH = "/csp/gateway/am/api/auth/api-tokens/authorize";

/** The emulated CSP gateway's token exchange, spoken in plain HTTPS (no production client). */
describe("emulator: CSP token exchange", () => {
  const exchange = (e: RunningEmulator, form: Record<string, string>) =>
    plainRequest(e.caPem, "POST", `${e.cspUrl}${TOKEN_PATH}`, { form });
  /** A request on a Usage Insight route, answered 404 (an agent nobody registered) when the token is good. */
  const probe = (e: RunningEmulator, token: string) =>
    plainRequest(e.caPem, "GET", `${e.usageInsightUrl}/agent-registrations/never-registered`, { bearer: token });
  const accessToken = async (e: RunningEmulator) =>
    ((await exchange(e, { api_token: e.cspApiToken })).json() as { access_token: string }).access_token;
  const run = (fn: (e: RunningEmulator) => Promise<void>, options: EmulatorOptions = {}) => withEmulator(fn, options);

  it("exchanges the API token (api_token) for a 30-minute bearer access token that Usage Insight accepts", () =>
    run(async (e) => {
      const answer = await exchange(e, { api_token: e.cspApiToken });
      assert.equal(answer.status, 200);
      const body = answer.json() as Record<string, unknown>;
      assert.equal(body.token_type, "bearer");
      assert.equal(body.expires_in, 1800);
      assert.equal(typeof body.access_token, "string");
      assert.equal((await probe(e, body.access_token as string)).status, 404);
      assert.deepEqual(e.admin.cspExchanges(), { api_token: 1, refresh_token: 0 });
      assert.deepEqual(e.writes(), [], "an exchange changes nothing");
    }));

  it("still accepts the deprecated refresh_token field, and counts exchanges by field", () =>
    run(async (e) => {
      const answer = await exchange(e, { refresh_token: e.cspApiToken });
      assert.equal(answer.status, 200);
      assert.equal((await probe(e, (answer.json() as { access_token: string }).access_token)).status, 404);
      await exchange(e, { api_token: e.cspApiToken });
      assert.deepEqual(e.admin.cspExchanges(), { api_token: 1, refresh_token: 1 });
    }));

  it("as an older gateway (refreshTokenFieldOnly), refuses api_token with a 400 naming refresh_token, and takes refresh_token", () =>
    run(
      async (e) => {
        const refused = await exchange(e, { api_token: e.cspApiToken });
        assert.equal(refused.status, 400);
        assert.match((refused.json() as { message: string }).message, /refresh_token/);
        assert.equal((await exchange(e, { refresh_token: e.cspApiToken })).status, 200);
        assert.deepEqual(e.admin.cspExchanges(), { api_token: 0, refresh_token: 1 });
      },
      { csp: { refreshTokenFieldOnly: true } },
    ));

  it("refuses an unknown API token with a CSP error body that does not repeat the token nor name refresh_token", () =>
    run(async (e) => {
      const answer = await exchange(e, { api_token: "not-a-token-it-knows" });
      assert.equal(answer.status, 400);
      const body = answer.json() as Record<string, unknown>;
      assert.equal(body.statusCode, 400);
      assert.equal(body.error, "invalid_grant");
      assert.doesNotMatch(answer.raw.toString(), /not-a-token-it-knows|refresh_token/);
      assert.deepEqual(e.admin.cspExchanges(), { api_token: 0, refresh_token: 0 });
    }));

  it("refuses a revoked API token, while the access tokens it bought live on until they expire", () =>
    run(async (e) => {
      const bought = await accessToken(e);
      e.admin.revokeApiToken(e.cspApiToken);
      assert.equal((await exchange(e, { api_token: e.cspApiToken })).status, 400);
      assert.equal((await probe(e, bought)).status, 404);
    }));

  it("refuses a request without the field, and one that is not form-encoded", () =>
    run(async (e) => {
      const empty = await exchange(e, {});
      assert.equal(empty.status, 400);
      assert.match((empty.json() as { message: string }).message, /api_token/);
      const json = await plainRequest(e.caPem, "POST", `${e.cspUrl}${TOKEN_PATH}`, {
        body: { api_token: e.cspApiToken },
      });
      assert.equal(json.status, 415);
    }));

  it("answers 401 on every Usage Insight route to an access token that expired, was expired by an operator, or is unknown", () =>
    run(
      async (e) => {
        const short = await accessToken(e);
        const answer = (await exchange(e, { api_token: e.cspApiToken })).json() as { expires_in: number };
        assert.equal(answer.expires_in, 2);
        assert.equal((await probe(e, short)).status, 404);
        await new Promise((resolve) => setTimeout(resolve, 2100));
        assert.equal((await probe(e, short)).status, 401);

        const fresh = await accessToken(e);
        e.admin.expireAccessTokens();
        const routes = [
          ["GET", `${e.usageInsightUrl}/agent-registrations/some-agent`],
          ["POST", `${e.usageInsightUrl}/agent-registrations`],
          ["GET", `${e.usageInsightUrl}/reports/2026/1`],
          ["GET", `${e.usageInsightUrl}/reports/2026/1/some-agent`],
          ["GET", `${e.usageInsightUrl}/reports?ref=x`],
          ["GET", `${e.usageMeteringAgentsUrl}/some-agent`],
          ["PATCH", `${e.usageMeteringAgentsUrl}/some-agent`],
          ["DELETE", `${e.usageMeteringAgentsUrl}/some-agent`],
        ];
        for (const [method, url] of routes) {
          const body = method === "POST" || method === "PATCH" ? {} : undefined;
          for (const bearer of [fresh, "never-issued", undefined]) {
            const answer = await plainRequest(e.caPem, method, url, { bearer, body });
            assert.equal(answer.status, 401, `${method} ${url}`);
            assert.match(String(answer.headers["www-authenticate"]), /^Bearer /);
          }
        }
        assert.equal((await probe(e, await accessToken(e))).status, 404, "a new exchange works again");
      },
      { csp: { accessTokenLifetimeSeconds: 2 } },
    ));

  it("knows several API tokens, each of its organisation, and generates new ones by hand", () =>
    run(
      async (e) => {
        assert.equal(e.cspApiToken, "token-a");
        assert.equal(e.cspOrganizationId, "org-a");
        assert.equal((await exchange(e, { api_token: "token-b" })).status, 200);
        const generated = e.admin.addApiToken("org-c");
        assert.equal((await exchange(e, { api_token: generated })).status, 200);
      },
      {
        csp: {
          apiTokens: [
            { token: "token-a", organizationId: "org-a" },
            { token: "token-b", organizationId: "org-b" },
          ],
        },
      },
    ));

  describe("command line", () => {
    const CLI = join(__dirname, "../../emulator/cli.js");

    it("prints stack config for the cloud side that works: the token it names buys an access token", async () => {
      const child = spawn(process.execPath, [
        CLI,
        "--csp-api-token",
        "cli-token:cli-org",
        "--csp-token-lifetime",
        "60",
      ]);
      try {
        let out = "";
        await new Promise<void>((resolve, reject) => {
          child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes("Ctrl-C stops it.")) resolve();
          });
          child.on("exit", (code) => reject(new Error(`the emulator exited (${code}): ${out}`)));
        });
        const config = (key: string) =>
          new RegExp(`pulumi config set (?:--secret |--plaintext )?vcpp:${key} '?([^'\\s]+)`).exec(out)?.[1];
        assert.equal(config("cspApiToken"), "cli-token");
        assert.match(config("usageInsightUrl") ?? "", /\/usage\/api\/v1$/);
        assert.match(config("usageMeteringAgentsUrl") ?? "", /\/usage-metering-agents$/);
        const caFile = /CA certificate: (\S+)/.exec(out)?.[1] as string;
        const answer = await plainRequest(readFileSync(caFile, "utf8"), "POST", `${config("cspUrl")}${TOKEN_PATH}`, {
          form: { api_token: "cli-token" },
        });
        assert.equal(answer.status, 200);
        assert.equal((answer.json() as { expires_in: number }).expires_in, 60);
      } finally {
        child.kill("SIGTERM");
      }
    });

    it("refuses a bad lifetime or token as a usage error", () => {
      for (const args of [
        ["--csp-token-lifetime", "soon"],
        ["--registration-delay", "1.5"],
        ["--csp-api-token", "a b"],
      ]) {
        const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
        assert.equal(run.status, 2, args.join(" "));
        assert.match(run.stderr, new RegExp(`^emulator: ${args[0]} `));
      }
    });
  });
});
