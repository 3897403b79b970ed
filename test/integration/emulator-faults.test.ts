/**
 * The emulator's injectable faults, on the wire (plain HTTPS, no production client): what the
 * fault matrix (test/integration/fault-matrix.test.ts) relies on each fault to do.
 */
import { strict as assert } from "node:assert";
import { request } from "node:https";
import { XMLValidator } from "fast-xml-parser";
import { RunningEmulator, startEmulator } from "../../emulator";
import { plainRequest } from "../helpers/plain-https";
import { withEmulator } from "../helpers/emulator";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function commerceToken(e: RunningEmulator): Promise<string> {
  const answer = await plainRequest(e.caPem, "POST", e.commerceTokenUrl, {
    form: { grant_type: "client_credentials" },
    headers: { authorization: basic(e.commerceClientId, e.commerceClientSecret) },
  });
  return String((answer.json() as { access_token: string }).access_token);
}

/** The failure of a request (a TLS refusal, a reset), or a failed assertion if it was answered. */
async function failureOf(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  assert.fail("expected the request to fail");
}

describe("emulator faults", () => {
  it("429 with Retry-After: the status, the header, and the request not handled", () =>
    withEmulator(async (e) => {
      const url = `${e.usageMeters.default.url}/api/v1/login`;
      e.admin.injectFault({ method: "POST", pathIncludes: "/login", retryAfterSeconds: 2 });
      const throttled = await plainRequest(e.caPem, "POST", url, { body: { user: "x", password: "y" } });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers["retry-after"], "2");
      assert.equal(e.admin.appliance().logins, 0, "nothing handled");
      const next = await plainRequest(e.caPem, "POST", url, {
        body: { user: e.usageMeters.default.user, password: e.usageMeters.default.password },
      });
      assert.equal(next.status, 202, "the fault served once");
    }));

  it('method "*" matches any method', () =>
    withEmulator(async (e) => {
      e.admin.injectFault({ method: "*", pathIncludes: "/api/v1/", status: 503, times: 2 });
      const url = `${e.usageMeters.default.url}/api/v1/product`;
      assert.equal((await plainRequest(e.caPem, "GET", url)).status, 503);
      assert.equal((await plainRequest(e.caPem, "DELETE", url)).status, 503);
      assert.equal((await plainRequest(e.caPem, "GET", url)).status, 401);
    }));

  it("hang: no answer, the client times out, and close() ends the connection at once", async () => {
    const e = await startEmulator({
      quiet: true,
      faults: [{ method: "GET", pathIncludes: "/agent_info", hang: true }],
    });
    const started = Date.now();
    const timedOut = await new Promise<string>((resolve) => {
      const req = request(`${e.usageMeters.default.url}/api/v1/agent_info`, { ca: e.caPem, timeout: 300 }, () =>
        resolve("answered"),
      );
      req.on("timeout", () => {
        req.destroy();
        resolve("timeout");
      });
      req.on("error", () => resolve("timeout"));
      req.end();
    });
    assert.equal(timedOut, "timeout");
    assert.ok(Date.now() - started >= 300);
    // A second hung request stays open until close(), which must not wait for it.
    e.admin.injectFault({ method: "GET", pathIncludes: "/agent_info", hang: true });
    const open = failureOf(plainRequest(e.caPem, "GET", `${e.usageMeters.default.url}/api/v1/agent_info`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = Date.now();
    await e.close();
    assert.ok(Date.now() - closing < 1000, "close() does not wait for the hung response");
    assert.match(String((await open).code ?? (await open).message), /ECONNRESET|socket hang up/);
  });

  describe("malformed bodies keep the real status and content type", () => {
    it("JSON: syntax and schema, after the request was handled", () =>
      withEmulator(async (e) => {
        const um = e.usageMeters.default;
        const login = () =>
          plainRequest(e.caPem, "POST", `${um.url}/api/v1/login`, { body: { user: um.user, password: um.password } });
        e.admin.injectFault({ method: "POST", pathIncludes: "/login", malformed: "syntax" });
        const broken = await login();
        assert.equal(broken.status, 202, "the login's own status");
        assert.match(String(broken.headers["content-type"]), /json/);
        assert.throws(() => broken.json(), SyntaxError);
        assert.equal(e.admin.appliance().logins, 1, "handled for real");

        e.admin.injectFault({ method: "POST", pathIncludes: "/login", malformed: "schema" });
        const wrong = await login();
        assert.equal(wrong.status, 202);
        assert.deepEqual(wrong.json(), [42, null], "valid JSON, an array where the API answers an object");
      }));

    it("XML (vCloud Air 5.6): syntax and schema, with the 5.6 media type", () =>
      withEmulator(async (e) => {
        const account = e.vcaAccounts.dedicated;
        const login = () =>
          plainRequest(e.caPem, "POST", `${account.vcaUrl}/api/vchs/sessions`, {
            headers: {
              accept: "application/xml;version=5.6",
              authorization: basic(account.vcaUser, account.vcaPassword),
            },
          });
        e.admin.injectFault({ method: "POST", pathIncludes: "/sessions", malformed: "syntax" });
        const broken = await login();
        assert.equal(broken.status, 201);
        assert.match(String(broken.headers["content-type"]), /vnd\.vmware\.vchs\.session.*version=5\.6/);
        assert.notEqual(XMLValidator.validate(broken.raw.toString("utf8")), true);

        e.admin.injectFault({ method: "POST", pathIncludes: "/sessions", malformed: "schema" });
        const wrong = await login();
        assert.equal(XMLValidator.validate(wrong.raw.toString("utf8")), true);
        assert.match(wrong.raw.toString("utf8"), /<Unexpected>/);
      }));

    it("Atom (the commerce order feed) and JSON by what the client accepts", () =>
      withEmulator(async (e) => {
        const token = await commerceToken(e);
        const feed = (accept: string) =>
          plainRequest(e.caPem, "GET", `${e.commerceUrl}/orderfeed`, { bearer: token, headers: { accept } });
        e.admin.injectFault({ method: "GET", pathIncludes: "/orderfeed", malformed: "syntax" });
        const broken = await feed("application/atom+xml");
        assert.match(String(broken.headers["content-type"]), /^application\/atom\+xml/);
        assert.notEqual(XMLValidator.validate(broken.raw.toString("utf8")), true);

        e.admin.injectFault({ method: "GET", pathIncludes: "/orderfeed", malformed: "schema" });
        const wrong = await feed("application/atom+xml");
        assert.equal(XMLValidator.validate(wrong.raw.toString("utf8")), true);
        assert.doesNotMatch(wrong.raw.toString("utf8"), /<feed/);

        e.admin.injectFault({ method: "GET", pathIncludes: "/orderfeed", malformed: "schema" });
        const json = await feed("application/json");
        assert.match(String(json.headers["content-type"]), /json/);
        assert.deepEqual(json.json(), [42, null]);
      }));
  });

  describe("the certificate every service presents", () => {
    const agentInfo = (e: RunningEmulator) =>
      plainRequest(e.caPem, "GET", `${e.usageMeters.default.url}/api/v1/agent_info`);

    it("untrusted from the start: the client refuses it; trusted again through the admin API", async () => {
      const e = await startEmulator({ quiet: true, certificate: "untrusted" });
      try {
        const refused = await failureOf(agentInfo(e));
        assert.match(String(refused.code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
        const switched = await plainRequest(e.caPem, "PUT", `${e.url}/__admin/certificate`, {
          body: { presents: "trusted" },
        }).catch(() => undefined);
        assert.equal(switched, undefined, "the admin API is behind the same certificate");
        await e.admin.presentCertificate("trusted");
        assert.equal((await agentInfo(e)).status, 401, "answered (login required): trusted again");
      } finally {
        await e.close();
      }
    });

    it("wrong-name, through the admin API: signed by the trusted CA for another host name", () =>
      withEmulator(async (e) => {
        const bad = await plainRequest(e.caPem, "PUT", `${e.url}/__admin/certificate`, {
          body: { presents: "expired" },
        });
        assert.equal(bad.status, 400);
        assert.match(String((bad.json() as { errMessage: string }).errMessage), /presents/);
        const set = await plainRequest(e.caPem, "PUT", `${e.url}/__admin/certificate`, {
          body: { presents: "wrong-name" },
        });
        assert.equal(set.status, 200);
        const refused = await failureOf(agentInfo(e));
        assert.equal(refused.code, "ERR_TLS_CERT_ALTNAME_INVALID");
      }));
  });
});
