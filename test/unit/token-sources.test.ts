import { strict as assert } from "node:assert";
import sinon from "sinon";
import { z } from "zod";
import { clearCredentials, RENEWAL_MARGIN_MS } from "../../provider/auth/token-source";
import { CSP_TOKEN_PATH, cspApiToken } from "../../provider/auth/csp-api-token";
import { clientCredentials } from "../../provider/auth/oauth-client-credentials";
import { vcloudAirSession } from "../../provider/auth/vcloud-air-session";
import { HttpClient } from "../../provider/http/client";
import {
  FAST_RETRY,
  Handler,
  rejectionOf,
  ScriptedReply,
  SeenRequest,
  startServer,
  stubLogs,
  TestServer,
} from "./support";

const API_TOKEN = "cpn-unit-api-token-1f2e3d";
const CLIENT_SECRET = "commerce-unit-client-secret";
const VCA_PASSWORD = "vca-unit-password";

/** A service whose token endpoint hands out token-1, token-2, … and whose API accepts only the latest. */
function tokenService(
  issue: (request: SeenRequest, n: number) => ScriptedReply,
  isLogin: (request: SeenRequest) => boolean,
  presented: (request: SeenRequest) => string | undefined,
): Handler & { issued: number } {
  const handler = Object.assign(
    (request: SeenRequest): ScriptedReply => {
      if (isLogin(request)) return issue(request, ++handler.issued);
      return presented(request) === `token-${handler.issued}`
        ? { body: { ok: true } }
        : { status: 401, body: { message: `token ${presented(request)} is not valid` } };
    },
    { issued: 0 },
  );
  return handler;
}

const apiCall = {
  operation: "read things",
  method: "GET" as const,
  path: "api/things",
  schema: z.object({ ok: z.boolean() }),
};
const logins = (server: TestServer, path: string) =>
  server.requests.filter((r) => r.method === "POST" && r.path === path);

describe("token sources", () => {
  let server: TestServer | undefined;
  beforeEach(() => {
    stubLogs();
    clearCredentials();
  });
  afterEach(async () => {
    sinon.restore();
    await server?.close();
    server = undefined;
  });

  async function serve(handler: Handler): Promise<HttpClient> {
    server = await startServer(handler);
    return new HttpClient({ service: "Test service", baseUrl: server.url, retry: FAST_RETRY });
  }

  describe("Cloud Partner Navigator API token", () => {
    const cspPath = `/${CSP_TOKEN_PATH}`;
    const bearerOf = (r: SeenRequest) => r.headers.authorization?.replace(/^Bearer /, "");
    const csp = (
      issue: (request: SeenRequest, n: number) => ScriptedReply = (_r, n) => ({
        body: { access_token: `token-${n}`, expires_in: 1799 },
      }),
    ) => tokenService(issue, (r) => r.path === cspPath, bearerOf);

    it("exchanges the API token once (form field api_token) for 10 concurrent callers, who send it as a bearer token", async () => {
      const http = await serve(csp());
      const sources = Array.from({ length: 10 }, () => cspApiToken(http, API_TOKEN));
      await Promise.all(sources.map((auth) => http.request(apiCall, auth)));
      const exchanges = logins(server!, cspPath);
      assert.equal(exchanges.length, 1);
      assert.equal(new URLSearchParams(exchanges[0].body).get("api_token"), API_TOKEN);
      assert.match(String(exchanges[0].headers["content-type"]), /application\/x-www-form-urlencoded/);
      assert.ok(
        server!.requests
          .filter((r) => r.path === "/api/things")
          .every((r) => r.headers.authorization === "Bearer token-1"),
      );
    });

    it("renews the access token shortly before expires_in runs out, and after 30 minutes when the answer has none", async () => {
      const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ["Date"] });
      const http = await serve(
        csp((_r, n) => ({
          body: n === 1 ? { access_token: `token-${n}`, expires_in: 600 } : { access_token: `token-${n}` },
        })),
      );
      const auth = cspApiToken(http, API_TOKEN);
      await http.request(apiCall, auth);
      clock.tick(600_000 - RENEWAL_MARGIN_MS - 1);
      await http.request(apiCall, auth);
      assert.equal(logins(server!, cspPath).length, 1);
      clock.tick(1);
      await http.request(apiCall, auth);
      assert.equal(logins(server!, cspPath).length, 2);
      clock.tick(30 * 60_000 - RENEWAL_MARGIN_MS - 1);
      await http.request(apiCall, auth);
      assert.equal(logins(server!, cspPath).length, 2);
      clock.tick(1);
      await http.request(apiCall, auth);
      assert.equal(logins(server!, cspPath).length, 3);
    });

    it("on a 401 exchanges once more and repeats the call once", async () => {
      const handler = csp();
      const http = await serve(handler);
      const auth = cspApiToken(http, API_TOKEN);
      await http.request(apiCall, auth);
      handler.issued++; // the service revokes token-1
      await Promise.all([http.request(apiCall, auth), http.request(apiCall, cspApiToken(http, API_TOKEN))]);
      assert.equal(logins(server!, cspPath).length, 2);
    });

    it("retries once with the deprecated refresh_token field when the server asks for it", async () => {
      const http = await serve(
        csp((r, n) =>
          new URLSearchParams(r.body).has("refresh_token")
            ? { body: { access_token: `token-${n}` } }
            : { status: 400, body: { message: "refresh_token is required" } },
        ),
      );
      await http.request(apiCall, cspApiToken(http, API_TOKEN));
      const fields = logins(server!, cspPath).map((r) => [...new URLSearchParams(r.body).keys()]);
      assert.deepEqual(fields, [["api_token"], ["refresh_token"]]);
    });

    for (const status of [400, 401, 403]) {
      it(`a refused API token (${status}) says to generate a new one, and never shows it`, async () => {
        const http = await serve(
          csp(() => ({ status, body: { message: `invalid_grant: api token ${API_TOKEN} is expired` } })),
        );
        const error = await rejectionOf(http.request(apiCall, cspApiToken(http, API_TOKEN)));
        assert.match(error.message, /generate a new API token in the Cloud Partner Navigator/);
        assert.match(error.message, new RegExp(`POST /${CSP_TOKEN_PATH}\\): ${status}`));
        assert.ok(!error.message.includes(API_TOKEN), error.message);
        assert.equal(logins(server!, cspPath).length, 1, "a refused token is not tried again with refresh_token");
      });
    }

    it("does not keep a failed exchange: the next call exchanges again", async () => {
      const http = await serve(
        csp((_r, n) => (n === 1 ? { status: 403, body: {} } : { body: { access_token: `token-${n}` } })),
      );
      const auth = cspApiToken(http, API_TOKEN);
      await rejectionOf(http.request(apiCall, auth));
      assert.deepEqual(await http.request(apiCall, auth), { ok: true });
    });

    it("an access token echoed in an API error is redacted", async () => {
      const http = await serve((r) =>
        r.path === cspPath
          ? { body: { access_token: "csp-access-token-9a8b7c" } }
          : { status: 500, body: { message: `failed for ${r.headers.authorization}` } },
      );
      const error = await rejectionOf(http.request({ ...apiCall, idempotent: false }, cspApiToken(http, API_TOKEN)));
      assert.match(error.message, /failed for Bearer \[REDACTED\]/);
    });

    it("the id and refresh tokens of the answer, unused, are redacted too when a server echoes them", async () => {
      const tokens = {
        access_token: "csp-access-0c1d2e",
        id_token: "csp-id-token-3f4a5b",
        refresh_token: "csp-refresh-6c7d8e",
      };
      const http = await serve((r) =>
        r.path === cspPath ? { body: tokens } : { status: 400, body: `no: ${Object.values(tokens).join(" ")}` },
      );
      const error = await rejectionOf(http.request(apiCall, cspApiToken(http, API_TOKEN)));
      assert.match(error.message, /no: \[REDACTED\] \[REDACTED\] \[REDACTED\]/);
    });

    it("an answer without access_token is a clear error", async () => {
      const http = await serve(() => ({ body: { token: "x" } }));
      const error = await rejectionOf(http.request(apiCall, cspApiToken(http, API_TOKEN)));
      assert.match(error.message, /exchange the API token.*answer this client does not understand: access_token/);
    });
  });

  describe("OAuth client credentials (commerce)", () => {
    const tokenPath = "m0/api/token/oauth";
    const bearerOf = (r: SeenRequest) => r.headers.authorization?.replace(/^Bearer /, "");
    const commerce = () =>
      tokenService(
        (_r, n) => ({ body: { access_token: `token-${n}`, token_type: "bearer", expires_in: 1200 } }),
        (r) => r.path === `/${tokenPath}`,
        bearerOf,
      );
    const credentials = { tokenPath, clientId: "client-1", clientSecret: CLIENT_SECRET };

    it("obtains one token with HTTP Basic client id and secret for concurrent callers, and sends it as a bearer token", async () => {
      const http = await serve(commerce());
      await Promise.all(Array.from({ length: 5 }, () => http.request(apiCall, clientCredentials(http, credentials))));
      const [login, ...more] = logins(server!, `/${tokenPath}`);
      assert.equal(more.length, 0);
      assert.equal(login.headers.authorization, `Basic ${Buffer.from(`client-1:${CLIENT_SECRET}`).toString("base64")}`);
      assert.equal(new URLSearchParams(login.body).get("grant_type"), "client_credentials");
      assert.ok(
        server!.requests
          .filter((r) => r.path === "/api/things")
          .every((r) => r.headers.authorization === "Bearer token-1"),
      );
    });

    it("renews the token shortly before its 20 minutes run out", async () => {
      const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ["Date"] });
      const http = await serve(commerce());
      const auth = clientCredentials(http, credentials);
      await http.request(apiCall, auth);
      clock.tick(20 * 60_000 - RENEWAL_MARGIN_MS - 1);
      await http.request(apiCall, auth);
      clock.tick(1);
      await http.request(apiCall, auth);
      assert.equal(logins(server!, `/${tokenPath}`).length, 2);
    });

    it("on a 401 obtains a new token once", async () => {
      const handler = commerce();
      const http = await serve(handler);
      const auth = clientCredentials(http, credentials);
      await http.request(apiCall, auth);
      handler.issued++;
      await http.request(apiCall, auth);
      assert.equal(logins(server!, `/${tokenPath}`).length, 2);
    });

    it("a refresh token the answer carries, unused, is redacted too when a server echoes it", async () => {
      const http = await serve((r) =>
        r.path === `/${tokenPath}`
          ? { body: { access_token: "commerce-access-1a2b", refresh_token: "commerce-refresh-3c4d" } }
          : { status: 400, body: "no: commerce-access-1a2b commerce-refresh-3c4d" },
      );
      const error = await rejectionOf(http.request(apiCall, clientCredentials(http, credentials)));
      assert.match(error.message, /no: \[REDACTED\] \[REDACTED\]/);
    });

    it("a refused client secret is an error that names the token call and not the secret", async () => {
      const http = await serve(() => ({
        status: 401,
        body: { error: "invalid_client", error_description: `bad secret ${CLIENT_SECRET}` },
      }));
      const error = await rejectionOf(http.request(apiCall, clientCredentials(http, credentials)));
      assert.match(
        error.message,
        /obtain an access token failed \(POST \/m0\/api\/token\/oauth\): 401.*check them in the stack config/,
      );
      assert.ok(!error.message.includes(CLIENT_SECRET));
    });
  });

  describe("vCloud Air sessions", () => {
    function vca(
      version: "5.6" | "5.7",
      login: (n: number) => ScriptedReply = (n) => ({
        status: 201,
        headers: { [version === "5.6" ? "x-vchs-authorization" : "vchs-authorization"]: `token-${n}` },
        body: version === "5.6" ? "<Session/>" : { serviceGroupIds: ["g1"] },
      }),
    ) {
      const path = version === "5.6" ? "/api/vchs/sessions" : "/api/iam/login";
      const presented = (r: SeenRequest) =>
        version === "5.6"
          ? String(r.headers["x-vchs-authorization"])
          : r.headers.authorization?.replace(/^Bearer /, "");
      return {
        path,
        handler: tokenService(
          (_r, n) => login(n),
          (r) => r.path === path,
          presented,
        ),
      };
    }
    const login = { user: "ops@example.com", password: VCA_PASSWORD };

    it("5.6: logs in once with HTTP Basic and sends x-vchs-authorization back", async () => {
      const { path, handler } = vca("5.6");
      const http = await serve(handler);
      await Promise.all(
        [1, 2, 3].map(() => http.request(apiCall, vcloudAirSession(http, { version: "5.6", ...login }))),
      );
      const [session, ...more] = logins(server!, path);
      assert.equal(more.length, 0);
      assert.equal(
        session.headers.authorization,
        `Basic ${Buffer.from(`ops@example.com:${VCA_PASSWORD}`).toString("base64")}`,
      );
      assert.equal(session.headers.accept, "application/xml;version=5.6");
      assert.ok(
        server!.requests
          .filter((r) => r.path === "/api/things")
          .every((r) => r.headers["x-vchs-authorization"] === "token-1"),
      );
    });

    it("5.7: reads the token from vchs-authorization and sends it as a bearer token; a 401 logs in once more", async () => {
      const { path, handler } = vca("5.7");
      const http = await serve(handler);
      const auth = vcloudAirSession(http, { version: "5.7", ...login });
      await http.request(apiCall, auth);
      assert.equal(logins(server!, path)[0].headers.accept, "application/json;version=5.7");
      handler.issued++;
      await http.request(apiCall, auth);
      assert.equal(logins(server!, path).length, 2);
      assert.equal(server!.requests.at(-1)!.headers.authorization, "Bearer token-3");
    });

    it("a 412 on login says to accept the terms of service", async () => {
      const { handler } = vca("5.7", () => ({ status: 412, body: { message: "Terms of service not accepted" } }));
      const http = await serve(handler);
      const error = await rejectionOf(http.request(apiCall, vcloudAirSession(http, { version: "5.7", ...login })));
      assert.match(
        error.message,
        /log in failed \(POST \/api\/iam\/login\): 412.*terms of service are not accepted for ops@example.com: sign in to the vCloud Air portal in a browser/,
      );
    });

    it("a login answer without the token header is a clear error", async () => {
      const { handler } = vca("5.6", () => ({ status: 201, body: "<Session/>" }));
      const http = await serve(handler);
      const error = await rejectionOf(http.request(apiCall, vcloudAirSession(http, { version: "5.6", ...login })));
      assert.match(
        error.message,
        /log in failed \(POST \/api\/vchs\/sessions\): 201: the answer has no x-vchs-authorization header/,
      );
    });

    it("a session token echoed in an error is redacted", async () => {
      const http = await serve((r) =>
        r.path === "/api/vchs/sessions"
          ? { status: 201, headers: { "x-vchs-authorization": "vchs-session-5f6e7d" } }
          : { status: 403, body: { message: `session ${r.headers["x-vchs-authorization"]} may not` } },
      );
      const error = await rejectionOf(http.request(apiCall, vcloudAirSession(http, { version: "5.6", ...login })));
      assert.match(error.message, /session \[REDACTED\] may not/);
    });
  });
});
