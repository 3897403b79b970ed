import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import sinon from "sinon";
import { clearCredentials } from "../../provider/auth/token-source";
import { clearVcloudAirSessions, logOutAll } from "../../provider/auth/vcloud-air-session";
import { ConfigError, ServiceError } from "../../provider/errors";
import { redact } from "../../provider/redact";
import { loadSharedSettings } from "../../provider/settings";
import { VcaClient } from "../../provider/vcloud-air/client";
import { linkPath } from "../../provider/vcloud-air/links";
import { loadVcaSettings, VcaConnection } from "../../provider/vcloud-air/settings";
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

const PASSWORD = "vca-unit-secret-pw";
const TOKEN_56 = "vchs-unit-token-56";
const TOKEN_57 = "vchs-unit-token-57";
const VCLOUD_TOKEN = "vcloud-unit-token-d6eF";

/** A 5.6 server as seed 004 shows it: every href absolute, found through links from the Session. */
function server56(
  base: () => string,
  overrides: Partial<Record<string, (r: SeenRequest) => ScriptedReply>> = {},
): Handler {
  const xml = (body: string, status = 200): ScriptedReply => ({
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
    headers: { "content-type": "application/xml;version=5.6" },
  });
  return (r) => {
    const key = `${r.method} ${r.path}`;
    const override = overrides[key];
    if (override) return override(r);
    if (key === "POST /api/vchs/sessions")
      return {
        ...xml(
          `<Session xmlns="http://www.vmware.com/vchs/v5.6" href="${base()}/api/vchs/session"><Link rel="down" type="application/xml;class=vnd.vmware.vchs.servicelist" href="${base()}/api/vchs/services"/><Link rel="remove" href="${base()}/api/vchs/session"/></Session>`,
          201,
        ),
        headers: { "x-vchs-authorization": TOKEN_56 },
      };
    if (r.headers["x-vchs-authorization"] !== TOKEN_56)
      return xml(`<Error majorErrorCode="403" message="no auth"/>`, 403);
    if (key === "GET /api/vchs/services")
      return xml(
        `<Services xmlns="http://www.vmware.com/vchs/v5.6"><Service region="US - Las Vegas" serviceId="example-1101" serviceType="compute:dedicatedcloud" href="${base()}/api/vchs/compute/vchs-2"/></Services>`,
      );
    if (key === "GET /api/vchs/compute/vchs-2")
      return xml(
        `<Compute xmlns="http://www.vmware.com/vchs/v5.6" serviceId="example-1101" serviceType="compute:dedicatedcloud"><Link rel="up" href="${base()}/api/vchs/services"/><VdcRef status="Active" name="vdc-one" href="${base()}/api/vchs/compute/vchs-2/vdc/vdc-7"><Link rel="down" type="application/xml;class=vnd.vmware.vchs.vcloudsession" href="${base()}/api/vchs/compute/vchs-2/vdc/vdc-7/vcloudsession"/></VdcRef></Compute>`,
      );
    if (key === "POST /api/vchs/compute/vchs-2/vdc/vdc-7/vcloudsession")
      return xml(
        `<VcloudSession name="s"><VdcLink authorizationToken="${VCLOUD_TOKEN}" authorizationHeader="x-vcloud-authorization" rel="vcloudvdc" href="https://vcloud.example.com/api/vdc/vdc-7"/></VcloudSession>`,
        201,
      );
    if (key === "DELETE /api/vchs/session") return { status: 204 };
    return { status: 404, body: "<Error message='unknown'/>" };
  };
}

const user = (id: string, userName: string, roles: string[] = ["End User"]) => ({
  id,
  userName,
  email: userName,
  givenName: "Jane",
  familyName: "Doe",
  state: "Active",
  customerNumber: null,
  roles: { roles: roles.map((name, i) => ({ name, id: String(i + 1), description: "" })) },
});

/** A 5.7 server as seed 002 shows it. */
function server57(overrides: Partial<Record<string, (r: SeenRequest) => ScriptedReply>> = {}): Handler {
  return (r) => {
    const key = `${r.method} ${r.path}`;
    const override = overrides[key];
    if (override) return override(r);
    if (key === "POST /api/iam/login")
      return { status: 201, headers: { "vchs-authorization": TOKEN_57 }, body: { serviceGroupIds: ["37"] } };
    if (r.headers.authorization !== `Bearer ${TOKEN_57}`) return { status: 401, body: { message: "expired" } };
    if (key === "GET /api/sc/plans")
      return { body: { plans: [{ id: "p1", name: "Virtual Private Cloud OnDemand", region: "LVG", link: [] }] } };
    if (key === "GET /api/iam/Users") return { body: { users: [user("u1", "jane@example.com")] } };
    if (key === "GET /api/iam/Users/u1") return { body: { users: [user("u1", "jane@example.com")] } };
    if (key === "POST /api/iam/Users") return { status: 201, body: user("u2", JSON.parse(r.body).userName) };
    return { status: 404, body: { message: "no such thing" } };
  };
}

describe("vCloud Air", () => {
  let server: TestServer | undefined;
  beforeEach(() => {
    stubLogs();
    clearCredentials();
    clearVcloudAirSessions();
  });
  afterEach(async () => {
    sinon.restore();
    await server?.close();
    server = undefined;
  });

  async function clientFor(handler: Handler, apiVersion: VcaConnection["apiVersion"]): Promise<VcaClient> {
    server = await startServer(handler);
    const connection: VcaConnection = {
      name: "default",
      url: server.url,
      user: "ops@example.com",
      password: PASSWORD,
      apiVersion,
      tls: {},
    };
    return new VcaClient(connection, { retry: FAST_RETRY });
  }
  const base = () => server!.url;

  describe("settings", () => {
    const load = (config: Record<string, string>) => {
      const get = (key: string) => config[key];
      return loadVcaSettings(get, loadSharedSettings(get));
    };

    it("reads vcpp:vca* as the default account, dropping an /api suffix, auto by default, the password a secret", () => {
      const settings = load({ vcaUrl: "https://vca.example.com/api/", vcaUser: "ops", vcaPassword: PASSWORD });
      const connection = settings.connection();
      assert.equal(connection.url, "https://vca.example.com");
      assert.equal(connection.apiVersion, "auto");
      assert.equal(redact(`x ${PASSWORD}`), "x [REDACTED]");
    });

    it("names the key and the rule for a bad version, and says how to set a missing password", () => {
      assert.throws(() => load({ vcaApiVersion: "6" }), /vcpp:vcaApiVersion must be auto, 5.6 or 5.7/);
      assert.throws(
        () => load({ vcaUrl: "https://vca.example.com", vcaUser: "ops" }).connection(),
        /vcpp:vcaPassword is not set: pulumi config set --secret vcpp:vcaPassword/,
      );
    });

    it('reads named accounts from vcpp:vcaAccounts, each with its own version; an unknown name lists the known ones; "default" is refused', () => {
      const accounts = JSON.stringify({
        legacy: { url: "https://vchs.example.com/api/vchs", user: "a", password: "legacy-secret", apiVersion: "5.6" },
      });
      const settings = load({ vcaAccounts: accounts });
      assert.deepEqual(settings.names(), ["default", "legacy"]);
      assert.equal(settings.connection("legacy").url, "https://vchs.example.com");
      assert.equal(settings.connection("legacy").apiVersion, "5.6");
      assert.throws(
        () => settings.connection("east"),
        /vcaAccount "east" is not configured: vcpp:vcaAccounts has "legacy"/,
      );
      assert.throws(
        () => load({ vcaAccounts: JSON.stringify({ x: { url: "http://a", user: "u", password: "p" } }) }),
        /vcpp:vcaAccounts is invalid: x.url: must be an https:\/\/ URL/,
      );
      assert.throws(
        () => load({ vcaAccounts: JSON.stringify({ default: { url: "https://a", user: "u", password: "p" } }) }),
        /vcpp:vcaAccounts: the name "default" is the account of the vcpp:vcaUrl, .* give it another name$/,
      );
    });
  });

  describe("links", () => {
    it("turn into paths on the same server; a link to another host is refused", () => {
      assert.equal(
        linkPath("https://vchs.example.com", "https://vchs.example.com/api/vchs/services"),
        "api/vchs/services",
      );
      assert.throws(
        () => linkPath("https://vchs.example.com", "https://evil.example.com/api/vchs/services"),
        /leads away/,
      );
    });
  });

  describe("5.6", () => {
    it("lists services, compute and virtual data centres by following links from the Session", async () => {
      const client = await clientFor(server56(base), "5.6");
      const services = await client.services();
      assert.deepEqual(services, [
        {
          serviceId: "example-1101",
          serviceType: "compute:dedicatedcloud",
          region: "US - Las Vegas",
          vdcs: [{ name: "vdc-one", status: "Active" }],
        },
      ]);
      const paths = server!.requests.map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(paths, ["POST /api/vchs/sessions", "GET /api/vchs/services", "GET /api/vchs/compute/vchs-2"]);
      assert.ok(server!.requests.every((r) => r.headers.accept === "application/xml;version=5.6"));
    });

    it("opens a vCloud session for a VDC and registers its token as a secret", async () => {
      const client = await clientFor(server56(base), "5.6");
      const session = await client.vcloudSession("example-1101", "vdc-one");
      assert.deepEqual(session, {
        endpoint: "https://vcloud.example.com/api/vdc/vdc-7",
        authorizationHeader: "x-vcloud-authorization",
        token: VCLOUD_TOKEN,
      });
      assert.equal(redact(VCLOUD_TOKEN), "[REDACTED]");
      const error = await rejectionOf(client.vcloudSession("example-1101", "vdc-two"));
      assert.equal(error.code, "INVALID_INPUTS");
      assert.match(
        error.message,
        /vdcName: service example-1101 has no virtual data centre "vdc-two" \(it has: vdc-one\)/,
      );
    });

    it("logs out with DELETE on the Session's remove link, once", async () => {
      const client = await clientFor(server56(base), "5.6");
      await client.services();
      await logOutAll();
      await logOutAll();
      const logouts = server!.requests.filter((r) => r.method === "DELETE");
      assert.equal(logouts.length, 1);
      assert.equal(logouts[0].path, "/api/vchs/session");
      assert.equal(logouts[0].headers["x-vchs-authorization"], TOKEN_56);
    });

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      it(`a process stopped with ${signal} (as the engine stops a provider) logs out first, then ends by that signal`, async () => {
        server = await startServer(server56(base));
        const script = `
          const { VcaClient } = require(${JSON.stringify(require.resolve("../../provider/vcloud-air/client"))});
          const client = new VcaClient({ name: "default", url: ${JSON.stringify(server.url)}, user: "u", password: "${PASSWORD}", apiVersion: "5.6", tls: {} });
          client.services().then(() => { process.kill(process.pid, "${signal}"); setInterval(() => {}, 1000); });`;
        const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
        const [code, ended] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
        assert.deepEqual([code, ended], [null, signal]);
        assert.deepEqual(
          server.requests.filter((r) => r.method === "DELETE").map((r) => r.path),
          ["/api/vchs/session"],
        );
      });
    }

    it("a link to another host is not followed: the token stays home", async () => {
      const client = await clientFor(
        server56(base, {
          "GET /api/vchs/services": () => ({
            body: `<Services><Service serviceId="s" href="https://evil.example.com/api/vchs/compute/1"/></Services>`,
          }),
        }),
        "5.6",
      );
      const error = await rejectionOf(client.services());
      assert.equal((error as unknown as ServiceError).code, "BAD_RESPONSE");
      assert.match(error.message, /leads away from/);
    });

    it("a malformed answer is a BAD_RESPONSE naming the field", async () => {
      const client = await clientFor(
        server56(base, { "GET /api/vchs/services": () => ({ body: `<Services><Service region="x"/></Services>` }) }),
        "5.6",
      );
      const error = await rejectionOf(client.services());
      assert.equal((error as unknown as ServiceError).code, "BAD_RESPONSE");
      assert.match(error.message, /Services.Service\[0\].@serviceId/);
    });

    it("a 403 says the authorization header was missing", async () => {
      const client = await clientFor(
        server56(base, { "GET /api/vchs/services": () => ({ status: 403, body: "<Error message='Forbidden'/>" }) }),
        "5.6",
      );
      const error = await rejectionOf(client.services());
      assert.match(
        error.message,
        /list services failed \(GET \/api\/vchs\/services\): 403.*carried no authorization header/,
      );
    });

    it("a 5.7 call on a 5.6 account says which API it needs", async () => {
      const client = await clientFor(server56(base), "5.6");
      const error = await rejectionOf(client.plans());
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /list plans needs the 5.7 \(OnDemand\) API, but account "default" .* is configured as 5.6/,
      );
    });
  });

  describe("5.7", () => {
    it("sends the bearer token and the versioned JSON Accept; passes the filter through", async () => {
      const client = await clientFor(server57(), "5.7");
      const plans = await client.plans("region==LVG");
      assert.equal(plans[0].name, "Virtual Private Cloud OnDemand");
      const call = server!.requests.at(-1)!;
      assert.equal(call.query.get("filter"), "region==LVG");
      assert.equal(call.headers.accept, "application/json;version=5.7");
    });

    it("reads one user bare or wrapped in {users: [...]}, and 404 as gone", async () => {
      const client = await clientFor(server57(), "5.7");
      assert.equal((await client.getUser("u1"))?.userName, "jane@example.com");
      assert.equal(await client.getUser("nobody"), undefined);
    });

    it("one user list serves concurrent adoption look-ups; adding a user drops it", async () => {
      const client = await clientFor(server57(), "5.7");
      const lists = () => server!.requests.filter((r) => r.method === "GET" && r.path === "/api/iam/Users").length;
      const found = await Promise.all(
        ["jane@example.com", "JANE@example.com", "other@example.com"].map((n) => client.findUser(n)),
      );
      assert.deepEqual(
        found.map((u) => u?.id),
        ["u1", "u1", undefined],
      );
      assert.equal(lists(), 1);
      await client.createUser({
        userName: "other@example.com",
        email: "other@example.com",
        givenName: "O",
        familyName: "E",
        roles: [],
      });
      await client.findUser("other@example.com");
      assert.equal(lists(), 2, "a look-up after the write asks again");
    });

    it("adds a user with the SCIM schema and roles by name; the POST is never retried", async () => {
      const client = await clientFor(server57({ "POST /api/iam/Users": () => ({ status: 503 }) }), "5.7");
      const spec = {
        userName: "new@example.com",
        email: "new@example.com",
        givenName: "N",
        familyName: "E",
        roles: ["End User"],
      };
      await rejectionOf(client.createUser(spec));
      const posts = server!.requests.filter((r) => r.method === "POST" && r.path === "/api/iam/Users");
      assert.equal(posts.length, 1);
      assert.deepEqual(JSON.parse(posts[0].body), {
        schemas: ["urn:scim:schemas:core:1.0"],
        ...spec,
        roles: { roles: [{ name: "End User" }] },
      });
    });

    it("a 401 logs in again once, then the call goes through", async () => {
      let refused = false;
      const client = await clientFor(
        server57({
          "GET /api/sc/plans": () => {
            if (refused) return { body: { plans: [] } };
            refused = true;
            return { status: 401, body: { message: "expired" } };
          },
        }),
        "5.7",
      );
      await client.plans();
      assert.equal(server!.requests.filter((r) => r.path === "/api/iam/login").length, 2);
    });

    it("a 412 on any call says to accept the terms of service in the portal", async () => {
      const client = await clientFor(
        server57({ "GET /api/sc/instances": () => ({ status: 412, body: { message: "TOS not accepted" } }) }),
        "5.7",
      );
      const error = await rejectionOf(client.instances());
      assert.match(error.message, /412: TOS not accepted. The terms of service are not accepted .*vCloud Air portal/);
    });

    it("billing reads the L1 or L2 path with start and end, or duration", async () => {
      const client = await clientFor(
        server57({ "GET /api/billing/serviceinstance/si-1/l2/vdc-9/unbilled-usage": () => ({ body: { total: 1 } }) }),
        "5.7",
      );
      assert.deepEqual(
        await client.unbilledUsage({
          serviceInstanceId: "si-1",
          entity: { level: "l2", id: "vdc-9" },
          window: { duration: "P7D" },
        }),
        { total: 1 },
      );
      assert.equal(server!.requests.at(-1)!.query.get("duration"), "P7D");
    });
  });

  describe("auto", () => {
    it("logs in as 5.7 where the server has it", async () => {
      const client = await clientFor(server57(), "auto");
      assert.equal(await client.version(), "5.7");
      assert.deepEqual(
        server!.requests.map((r) => r.path),
        ["/api/iam/login"],
      );
    });

    it("falls back to 5.6 when the 5.7 login is not there (404), and navigates from its Session", async () => {
      const client = await clientFor(
        server56(base, { "POST /api/iam/login": () => ({ status: 404, body: "<Error message='no'/>" }) }),
        "auto",
      );
      assert.equal(await client.version(), "5.6");
      assert.equal((await client.services()).length, 1);
      assert.deepEqual(
        server!.requests.slice(0, 2).map((r) => r.path),
        ["/api/iam/login", "/api/vchs/sessions"],
      );
    });

    it("a refused 5.7 login (401) is an error, not a fall-back", async () => {
      const client = await clientFor(
        server57({ "POST /api/iam/login": () => ({ status: 401, body: { message: "bad password" } }) }),
        "auto",
      );
      const error = await rejectionOf(client.version());
      assert.match(error.message, /log in failed \(POST \/api\/iam\/login\): 401/);
      assert.equal(server!.requests.length, 1);
    });
  });
});
