import { strict as assert } from "node:assert";
import sinon from "sinon";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";
import { clearCredentials } from "../../provider/auth/token-source";
import { ServiceError } from "../../provider/errors";
import { UsageMeterConnection } from "../../provider/usage-meter/settings";
import { apiBaseUrl, normalizeFingerprint, ProductSpec, UsageMeterClient } from "../../provider/usage-meter/client";
import * as log from "../../provider/log";
import { FAST_RETRY, rejectionOf, startServer, stubLogs, TestServer } from "./support";

const vcda: ProductSpec = {
  productType: "VCAV",
  host: "vcda.example.com",
  port: 443,
  user: "root",
  password: "um-unit-vcda-pw",
};

describe("UsageMeterClient", () => {
  let emulator: RunningEmulator | undefined;
  let server: TestServer | undefined;

  beforeEach(() => {
    stubLogs();
    clearCredentials();
  });
  afterEach(async () => {
    sinon.restore();
    await emulator?.close();
    await server?.close();
    emulator = server = undefined;
  });

  async function start(appliances?: EmulatorOptions["usageMeters"]): Promise<RunningEmulator> {
    return (emulator = await startEmulator({ quiet: true, usageMeters: appliances }));
  }
  function connectionTo(
    e: RunningEmulator,
    name = "default",
    change: Partial<UsageMeterConnection> = {},
  ): UsageMeterConnection {
    const um = e.usageMeters[name];
    return {
      name,
      url: um.url,
      user: um.user,
      password: um.password,
      apiVersion: "auto",
      tls: { caCertificates: e.caPem },
      ...change,
    };
  }
  const clientOf = (e: RunningEmulator, name = "default", change: Partial<UsageMeterConnection> = {}) =>
    new UsageMeterClient(connectionTo(e, name, change), { retry: FAST_RETRY });
  const requestsTo = (e: RunningEmulator, method: string, pathEnd: string) =>
    e.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));

  describe("login", () => {
    it("logs in once (4.x session) for 10 clients of the same appliance and user, however concurrent", async () => {
      const e = await start();
      const clients = Array.from({ length: 10 }, () => clientOf(e));
      await Promise.all(clients.map((c) => c.agentInfo()));
      assert.equal(e.admin.appliance().logins, 1);
      assert.equal(requestsTo(e, "GET", "/agent_info").length, 10);
    });

    it("logs in with HTTP Basic and uses a bearer token on a 9.x appliance", async () => {
      const e = await start({ nine: { version: "9" } });
      const client = clientOf(e, "nine");
      assert.deepEqual(await client.products("VCAV"), []);
      assert.equal((await client.agentInfo()).major_version, 9);
      assert.equal(e.admin.appliance("nine").logins, 1);
      assert.deepEqual(
        requestsTo(e, "POST", "/login").map((r) => r.status),
        [200],
      );
    });

    it("logs in again separately for another user or a changed password", async () => {
      const e = await start();
      await clientOf(e).agentInfo();
      const error = await rejectionOf(clientOf(e, "default", { password: "um-unit-changed-pw" }).agentInfo());
      assert.equal(error.status, 401);
      assert.equal(requestsTo(e, "POST", "/login").length, 2);
    });

    it("after the session expires: one 401, exactly one re-login, and the request is repeated once", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.agentInfo();
      e.admin.expireSessions();
      e.admin.clearRequests();
      await client.agentInfo();
      assert.deepEqual(
        e.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")} ${r.status}`),
        ["GET /agent_info 401", "POST /login 202", "GET /agent_info 200"],
      );
      assert.equal(e.admin.appliance().logins, 2);
    });

    it("after the session expires, 10 concurrent calls cause one re-login", async () => {
      const e = await start();
      const clients = Array.from({ length: 10 }, () => clientOf(e));
      await clients[0].agentInfo();
      e.admin.expireSessions();
      await Promise.all(clients.map((c) => c.agentInfo()));
      assert.equal(e.admin.appliance().logins, 2);
    });

    it("a second 401 after the re-login surfaces as an error, with the credentials hint", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.agentInfo();
      e.admin.injectFault({
        method: "GET",
        pathIncludes: "/agent_info",
        status: 401,
        body: { errCode: "GW_LOGIN_REQUIRED", errMessage: "Login is required" },
        times: 2,
      });
      e.admin.clearRequests();
      const error = await rejectionOf(client.agentInfo());
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 401);
      assert.equal(error.errCode, "GW_LOGIN_REQUIRED");
      assert.match(
        error.message,
        /^Usage Meter: read appliance identity failed \(GET \/um\/default\/api\/v1\/agent_info\): 401 GW_LOGIN_REQUIRED: Login is required\. The appliance refused the credentials: check vcpp:usageMeterUser and vcpp:usageMeterPassword/,
      );
      assert.deepEqual(
        e.requests.map((r) => r.method),
        ["GET", "POST", "GET"],
      );
    });

    it("a wrong password fails with 401, the hint, and no trace of the password", async () => {
      const e = await start();
      const password = "um-unit-wrong-password";
      const error = await rejectionOf(clientOf(e, "default", { password }).agentInfo());
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 401);
      assert.equal(error.operation, "log in");
      assert.match(error.message, /vcpp:usageMeterPassword/);
      assert.ok(!`${error.message} ${error.stack} ${JSON.stringify(error)}`.includes(password));
      assert.equal(requestsTo(e, "POST", "/login").length, 1, "a refused login is not retried");
    });

    it("a login refused with 503 is retried (a second session is harmless)", async () => {
      const e = await start();
      e.admin.injectFault({ method: "POST", pathIncludes: "/login", status: 503 });
      await clientOf(e).agentInfo();
      assert.deepEqual(
        requestsTo(e, "POST", "/login").map((r) => r.status),
        [503, 202],
      );
    });

    it("renews a 9.x token shortly before it expires, without waiting for a 401", async () => {
      const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
      const e = await start({ nine: { version: "9", sessionTtlMs: 5 * 60_000 } });
      const client = clientOf(e, "nine");
      await client.agentInfo();
      clock.tick(3 * 60_000);
      await client.agentInfo();
      assert.equal(e.admin.appliance("nine").logins, 1, "a token with 2 minutes left is kept");
      clock.tick(61_000);
      await client.agentInfo();
      assert.equal(e.admin.appliance("nine").logins, 2, "a token with under a minute left is renewed");
      assert.ok(e.requests.every((r) => r.status !== 401));
    });

    describe("what the login sends", () => {
      async function loginServer(answer: unknown) {
        return (server = await startServer((req) =>
          req.path.endsWith("/login")
            ? { status: 202, body: answer }
            : { body: { uuid: "um-unit-uuid", major_version: 4, minor_version: 6 } },
        ));
      }
      const client = (s: TestServer, apiVersion: UsageMeterConnection["apiVersion"], password = "um-unit-login-pw") =>
        new UsageMeterClient(
          { name: "default", url: s.url, user: "usagemeter", password, apiVersion, tls: {} },
          { retry: FAST_RETRY },
        );
      const basic = (password: string) => `Basic ${Buffer.from(`usagemeter:${password}`).toString("base64")}`;

      it("4.x: the credentials in the JSON body only, then the sessionId header", async () => {
        const s = await loginServer({ sessionid: "um-unit-session-4x" });
        await client(s, "4").agentInfo();
        const [login, list] = s.requests;
        assert.equal(login.path, "/api/v1/login");
        assert.deepEqual(JSON.parse(login.body), { user: "usagemeter", password: "um-unit-login-pw" });
        assert.equal(login.headers.authorization, undefined);
        assert.equal(list.headers.sessionid, "um-unit-session-4x");
      });

      it("9.x: HTTP Basic only, no body, then the bearer token", async () => {
        const s = await loginServer({
          accessToken: { tokenValue: "um-unit-token-9x", expiresAt: Date.now() + 3_600_000 },
        });
        await client(s, "9").agentInfo();
        const [login, list] = s.requests;
        assert.equal(login.body, "");
        assert.equal(login.headers.authorization, basic("um-unit-login-pw"));
        assert.equal(list.headers.authorization, "Bearer um-unit-token-9x");
        assert.equal(list.headers.sessionid, undefined);
      });

      it("auto: both, and the answer decides", async () => {
        const s = await loginServer({ sessionid: "um-unit-session-auto" });
        await client(s, "auto").agentInfo();
        const [login, list] = s.requests;
        assert.deepEqual(JSON.parse(login.body), { user: "usagemeter", password: "um-unit-login-pw" });
        assert.equal(login.headers.authorization, basic("um-unit-login-pw"));
        assert.equal(list.headers.sessionid, "um-unit-session-auto");
      });

      it("an answer with neither a session nor a token is BAD_RESPONSE", async () => {
        const s = await loginServer({ data_usage_acceptance: true });
        const error = await rejectionOf(client(s, "auto").agentInfo());
        assert.equal(error.code, "BAD_RESPONSE");
        assert.match(error.message, /has neither sessionid \(4\.x\) nor accessToken \(9\.x\)/);
      });

      it("a server echoing the session id or the password in an error leaks neither", async () => {
        const sid = "um-unit-session-echoed";
        const password = "um-unit-echoed-pw";
        server = await startServer((req) =>
          req.path.endsWith("/login")
            ? { status: 202, body: { sessionid: sid } }
            : {
                status: 400,
                body: { errCode: "GW_REQ_KEY", errMessage: `session ${sid} of usagemeter/${password} lacks a key` },
              },
        );
        const error = await rejectionOf(client(server, "4", password).agentInfo());
        const shown = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
        assert.ok(!shown.includes(sid) && !shown.includes(password), shown);
        assert.match(error.message, /session \[REDACTED\] of usagemeter\/\[REDACTED\]/);
      });
    });
  });

  describe("products", () => {
    it("registers a product and lists it", async () => {
      const e = await start();
      const client = clientOf(e);
      const product = await client.registerProduct(vcda);
      assert.deepEqual(
        [product.id, product.host, product.port, product.productType, product.status?.code],
        [1, "vcda.example.com", 443, "VCAV", "Warn"],
      );
      assert.deepEqual(
        (await client.products("VCAV")).map((p) => p.id),
        [1],
      );
      assert.deepEqual(
        (await client.products("VCD")).map((p) => p.id),
        [],
      );
      assert.equal(requestsTo(e, "GET", "/product").at(-1)?.query, "?productType=VCD");
    });

    it("a registration answered 503 is sent exactly once, and registers nothing", async () => {
      const e = await start();
      const client = clientOf(e);
      e.admin.injectFault({
        method: "POST",
        pathIncludes: "/product",
        status: 503,
        body: { errCode: "ERR_BUSY", errMessage: "busy" },
        times: 5,
      });
      const error = await rejectionOf(client.registerProduct(vcda));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 503);
      assert.equal(error.operation, "register product");
      assert.equal(requestsTo(e, "POST", "/product").length, 1);
      assert.equal(e.admin.products().length, 0);
    });

    it("a registration whose answer is lost is sent exactly once; the product is then found by its natural key", async () => {
      const e = await start();
      const client = clientOf(e);
      e.admin.injectFault({ method: "POST", pathIncludes: "/product", dropAfterApplying: true });
      const error = await rejectionOf(client.registerProduct(vcda));
      assert.equal(error.status, undefined);
      assert.match(error.message, /no answer/);
      assert.equal(requestsTo(e, "POST", "/product").length, 1);
      const found = await client.findProduct("VCAV", "VCDA.Example.com", 443);
      assert.equal(found?.id, 1);
      assert.equal(await client.findProduct("VCAV", "vcda.example.com", 8443), undefined);
      assert.equal(await client.findProduct("VCD", "vcda.example.com", 443), undefined);
    });

    it("a host name conflict is an error with the appliance's code and advice", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      const error = await rejectionOf(client.registerProduct({ ...vcda, productType: "VCD" }));
      assert.ok(error instanceof ServiceError);
      assert.equal(error.status, 409);
      assert.equal(error.errCode, "ERR_PM_HOST_NAME_CONFLICT");
      assert.match(
        error.message,
        /409 ERR_PM_HOST_NAME_CONFLICT: .*\. Another product is already registered with this host name/,
      );
    });

    it("a listing answered 503 twice succeeds on the third request", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      e.admin.injectFault({ method: "GET", pathIncludes: "/product", status: 503, times: 2 });
      assert.equal((await client.products("VCAV")).length, 1);
      assert.deepEqual(
        requestsTo(e, "GET", "/product").map((r) => r.status),
        [503, 503, 200],
      );
    });

    it("reads products by id from one shared list of their type; one that is not there is undefined", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      e.admin.clearRequests();
      const [found, missing] = await Promise.all([client.getProduct("VCAV", 1), client.getProduct("VCAV", 99)]);
      assert.equal(found?.host, "vcda.example.com");
      assert.equal(missing, undefined);
      assert.deepEqual(
        requestsTo(e, "GET", "/product").map((r) => [r.status, r.query]),
        [[200, "?productType=VCAV"]],
      );
    });

    it("an appliance that answers its own 502 (no such product) for a type's list has none of that type", async () => {
      const e = await start();
      e.admin.injectFault({
        method: "GET",
        pathIncludes: "/product",
        status: 502,
        body: { errCode: "ERR_PM_PRODUCT_NOT_FOUND", errMessage: "Product not found" },
      });
      assert.equal(await clientOf(e).getProduct("VCAV", 1), undefined);
    });

    it("retries a 502 that is not the appliance's own (a proxy's), then reads the product", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      e.admin.injectFault({
        method: "GET",
        pathIncludes: "/product",
        status: 502,
        body: "<html>Bad Gateway</html>",
        headers: { "content-type": "text/html" },
      });
      assert.equal((await client.getProduct("VCAV", 1))?.id, 1);
      assert.deepEqual(
        requestsTo(e, "GET", "/product").map((r) => r.status),
        [502, 200],
      );
    });

    it("does not mistake a proxy's persistent 502 for a product that is gone", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      e.admin.injectFault({
        method: "GET",
        pathIncludes: "/product",
        status: 502,
        body: "<html>Bad Gateway</html>",
        headers: { "content-type": "text/html" },
        times: 20,
      });
      e.admin.injectFault({
        method: "DELETE",
        pathIncludes: "/product",
        status: 502,
        body: "<html>Bad Gateway</html>",
        headers: { "content-type": "text/html" },
        times: 20,
      });
      const read = await rejectionOf(client.getProduct("VCAV", 1));
      assert.equal(read.status, 502);
      assert.equal(read.operation, "list products");
      const removal = await rejectionOf(client.deleteProduct("VCAV", 1));
      assert.equal(removal.status, 502);
      assert.equal(e.admin.products().length, 1);
    });

    it("updates a product with a PUT carrying the id, retried after a 503", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      e.admin.injectFault({ method: "PUT", pathIncludes: "/product", status: 503 });
      const updated = await client.updateProduct(1, { ...vcda, user: "admin" });
      assert.equal(updated.user, "admin");
      assert.deepEqual(
        requestsTo(e, "PUT", "/product").map((r) => r.status),
        [503, 202],
      );
      assert.equal(e.admin.appliance().products[0].password, vcda.password);
    });

    it("updating a product that does not exist is an error", async () => {
      const e = await start();
      const error = await rejectionOf(clientOf(e).updateProduct(42, vcda));
      assert.equal(error.status, 502);
      assert.equal(error.errCode, "ERR_PM_PRODUCT_NOT_FOUND");
    });

    it("deletes a product (true), and deleting one already gone answers false", async () => {
      const e = await start();
      const client = clientOf(e);
      await client.registerProduct(vcda);
      assert.equal(await client.deleteProduct("VCAV", 1), true);
      assert.equal(e.admin.products().length, 0);
      assert.equal(requestsTo(e, "DELETE", "/product")[0].query, "?productType=VCAV&id=1&forget=true");
      assert.equal(await client.deleteProduct("VCAV", 1), false);
      assert.equal(requestsTo(e, "DELETE", "/product").length, 2);
    });

    it("lists pending certificates and accepts one", async () => {
      const e = await start();
      const client = clientOf(e);
      const product = await client.registerProduct(vcda);
      const [action] = await client.pendingCertificates();
      assert.equal(action.data.productId, product.id);
      assert.equal(
        normalizeFingerprint(action.data.certData.fingerprint_sha256),
        await e.admin.certificateFingerprint("vcda.example.com", 443),
      );
      await client.acceptCertificate(product, action.data);
      assert.deepEqual(await client.pendingCertificates(), []);
      assert.equal((await client.getProduct("VCAV", product.id))?.metered, true);
    });

    it("accepts a certificate with the documented certificateId host:port, without listing pending actions", async () => {
      const e = await start();
      const client = clientOf(e);
      const product = await client.registerProduct(vcda);
      e.admin.clearRequests();
      const accepted = await client.acceptCertificate(product);
      assert.equal(accepted?.metered, true);
      assert.deepEqual(
        e.admin.requests().map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}`),
        ["PUT /accept_certificate"],
      );
      assert.equal(e.admin.products()[0].metered, true);
    });

    it("a certificate the appliance does not have yet (400) is undefined, not an error", async () => {
      const e = await start();
      const client = clientOf(e);
      const product = await client.registerProduct(vcda);
      await client.acceptCertificate(product);
      assert.equal(await client.acceptCertificate(product), undefined);
    });

    it("a product list with a malformed field is BAD_RESPONSE naming the field", async () => {
      server = await startServer((req) =>
        req.path.endsWith("/login")
          ? { status: 202, body: { sessionid: "um-unit-session-bad" } }
          : { body: [{ id: 1, host: "h", port: "https", productType: "VCAV" }] },
      );
      const client = new UsageMeterClient({
        name: "default",
        url: server.url,
        user: "usagemeter",
        password: "um-unit-bad-pw",
        apiVersion: "4",
        tls: {},
      });
      const error = await rejectionOf(client.products("VCAV"));
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /\[0\]\.port: /);
    });
  });

  describe("appliance settings", () => {
    it("reads and sets data usage acceptance and the network connection", async () => {
      const e = await start();
      const client = clientOf(e);
      assert.equal(await client.readDataUsageAcceptance(), false);
      await client.setDataUsageAcceptance(true);
      assert.equal(await client.readDataUsageAcceptance(), true);
      await client.applyProxy({ type: "http", host: "proxy.example.com", port: 3128 });
      assert.deepEqual(await client.readProxySettings(), {
        type: "http",
        host: "proxy.example.com",
        port: 3128,
        user: undefined,
      });
      assert.equal((await client.agentInfo()).uuid, e.usageMeters.default.uuid);
    });

    it("an appliance without the undocumented reads (404) answers 'not known', not an error", async () => {
      const e = await start({ default: { undocumentedRoutes: false } });
      const client = clientOf(e);
      assert.equal(await client.readDataUsageAcceptance(), undefined);
      assert.equal(await client.readProxySettings(), undefined);
      assert.deepEqual(
        requestsTo(e, "GET", "/http_proxy").map((r) => r.status),
        [404],
        "asked once, not retried",
      );
    });

    it("405 and 501 also mean the route is missing; a 500 is still a failure", async () => {
      const statuses = [405, 501, 500];
      server = await startServer((req) => {
        if (req.path.endsWith("/login")) return { status: 202, body: { sessionid: "um-unit-session-1" } };
        return { status: statuses.shift(), body: { errCode: "X", errMessage: "no" } };
      });
      const client = new UsageMeterClient(
        { name: "default", url: server.url, user: "usagemeter", password: "um-unit-pw-405", apiVersion: "4", tls: {} },
        { retry: { ...FAST_RETRY, limit: 0 } },
      );
      assert.equal(await client.readProxySettings(), undefined);
      assert.equal(await client.readDataUsageAcceptance(), undefined);
      assert.equal((await rejectionOf(client.readProxySettings())).status, 500);
    });

    it("knows the appliance's flags from the 4.x login answer, and what this process set since", async () => {
      const e = await start({ default: { undocumentedRoutes: false } });
      const client = clientOf(e);
      assert.deepEqual(await client.applianceFlags(), { proxyInUse: false, dataUsageAccepted: false });
      await client.setDataUsageAcceptance(true);
      await client.applyProxy({ type: "https", host: "proxy.example.com", port: 443 });
      assert.deepEqual(
        await clientOf(e).applianceFlags(),
        { proxyInUse: true, dataUsageAccepted: true },
        "shared like the login",
      );
      assert.equal(e.admin.appliance().logins, 1, "the flags did not cost a second login");
      await client.applyProxy({ type: "none" });
      assert.deepEqual(await client.applianceFlags(), { proxyInUse: false, dataUsageAccepted: true });
    });

    describe("how the proxy test's answer is read", () => {
      const answering = async (reply: { status?: number; body?: unknown }) => {
        server = await startServer((req) =>
          req.path.endsWith("/login")
            ? { status: 202, body: { sessionid: "um-unit-session-2", http_proxy: false, data_usage_acceptance: true } }
            : reply,
        );
        return new UsageMeterClient(
          {
            name: "default",
            url: server.url,
            user: "usagemeter",
            password: "um-unit-pw-test",
            apiVersion: "4",
            tls: {},
          },
          { retry: FAST_RETRY },
        );
      };
      const spec = { type: "http" as const, host: "proxy.example.com", port: 3128 };

      it('"SUCCESS" is a pass, with nothing to warn about', async () => {
        const client = await answering({
          status: 202,
          body: { test_result: "SUCCESS", message: "Connected", error_code: null },
        });
        await client.applyProxy(spec);
        assert.equal((log.warn as sinon.SinonStub).callCount, 0);
        assert.equal((await client.applianceFlags()).proxyInUse, true);
      });

      it('"FAILED" with a numeric error_code is PROXY_TEST_FAILED carrying that code', async () => {
        const client = await answering({
          status: 202,
          body: { test_result: "FAILED", message: "Timed out", error_code: 28 },
        });
        const error = await rejectionOf(client.applyProxy(spec));
        assert.equal(error.code, "PROXY_TEST_FAILED");
        assert.equal(error.errCode, "28");
        assert.match(error.message, /could not reach the cloud through http:\/\/proxy\.example\.com:3128: Timed out/);
      });

      it("a value it does not know is taken as the success status says, with a warning naming it", async () => {
        const client = await answering({ status: 202, body: { test_result: "PENDING", message: "Queued" } });
        await client.applyProxy(spec);
        const warnings = (log.warn as sinon.SinonStub).getCalls().map((c) => String(c.args[0]));
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /test_result "PENDING" \(Queued\).*taken as a pass/);
      });

      it("no body at all (as seed 000 shows it) is a pass", async () => {
        const client = await answering({ status: 202 });
        await client.applyProxy(spec);
        assert.equal((log.warn as sinon.SinonStub).callCount, 0);
      });
    });

    it("a 9.x login answer has no flags: both are not known", async () => {
      const e = await start({ nine: { version: "9", undocumentedRoutes: false } });
      assert.deepEqual(await clientOf(e, "nine").applianceFlags(), {
        proxyInUse: undefined,
        dataUsageAccepted: undefined,
      });
    });

    it("a proxy the appliance cannot use is PROXY_TEST_FAILED, and nothing is kept", async () => {
      const e = await start();
      const error = await rejectionOf(clientOf(e).applyProxy({ type: "http", host: "proxy.invalid", port: 3128 }));
      assert.equal(error.code, "PROXY_TEST_FAILED");
      assert.match(error.message, /could not reach the cloud through http:\/\/proxy\.invalid:3128: Could not connect/);
      assert.equal(e.admin.appliance().proxy.type, "none");
    });
  });
});

describe("apiBaseUrl", () => {
  it("appends /api/v1 once, whatever the trailing slashes", () => {
    assert.equal(apiBaseUrl("https://um.example.com:8443"), "https://um.example.com:8443/api/v1");
    assert.equal(apiBaseUrl("https://um.example.com:8443/"), "https://um.example.com:8443/api/v1");
    assert.equal(apiBaseUrl("https://um.example.com/api/v1"), "https://um.example.com/api/v1");
    assert.equal(apiBaseUrl("https://um.example.com/api/v1//"), "https://um.example.com/api/v1");
  });
});

describe("normalizeFingerprint", () => {
  const canonical = "AB:CD:EF:01:23:45";
  for (const input of [
    "ab:cd:ef:01:23:45",
    "abcdef012345",
    "AB CD EF 01 23 45",
    "ab-cd-ef-01-23-45",
    " AB:CD:EF:01:23:45\n",
  ]) {
    it(`normalises ${JSON.stringify(input)}`, () => assert.equal(normalizeFingerprint(input), canonical));
  }
});
