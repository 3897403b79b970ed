import { strict as assert } from "node:assert";
import { guarded } from "../../resources/dynamic";
import { ProxyConfigOutputs, ProxyConfigProvider } from "../../resources/proxy-config";
import { ServiceError } from "../../provider/errors";
import { RunningEmulator, startEmulator } from "../../emulator";
import { clearCredentials } from "../../provider/auth/token-source";
import { capturingLogs, checked, contextFor, requestsTo, withEmulator } from "../helpers/emulator";

/** The provider as the shim runs it (credentials registered for redaction before each call). */
const providerFor = (emulator: RunningEmulator) => guarded(new ProxyConfigProvider(contextFor(emulator)));
const apiUrl = (emulator: RunningEmulator) => `${emulator.usageMeters.default.url}/api/v1`;
const writes = (emulator: RunningEmulator) =>
  emulator.writes().map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}`);

async function createProxy(provider: ReturnType<typeof providerFor>, news: Record<string, unknown>) {
  const inputs = await checked(provider, news);
  const created = await provider.create(inputs);
  return { inputs, id: created.id, outs: created.outs as ProxyConfigOutputs };
}

const proxy = { type: "http", host: "proxy.example.com", port: 3128, user: "svc-um", password: "proxy-secret" };
/** What an appliance with GET /http_proxy and GET /data_usage_acceptance confirms: everything it can. */
const ALL_CONFIRMED = ["type", "host", "port", "user", "proxyInUse", "dataUsageAccepted"];

describe("ProxyConfig against the emulator", () => {
  describe("check", () => {
    let emulator: RunningEmulator;
    let provider: ReturnType<typeof providerFor>;
    before(async () => {
      emulator = await startEmulator({ quiet: true });
      provider = providerFor(emulator);
    });
    after(() => emulator.close());
    afterEach(() => assert.deepEqual(emulator.requests, [], "check must not reach the appliance"));

    const refusals: Array<[string, Record<string, unknown>, string[], RegExp]> = [
      ["an unknown type", { type: "socks5" }, ["type"], /must be none, http or https/],
      ["type http without host and port", { type: "http" }, ["host", "port"], /is required when type is http/],
      [
        "type https without port",
        { type: "https", host: "proxy.example.com" },
        ["port"],
        /is required when type is https/,
      ],
      [
        "a host with type none",
        { type: "none", host: "proxy.example.com" },
        ["host"],
        /must not be set when type is none/,
      ],
      ["an empty host", { ...proxy, host: "" }, ["host"], /must not be empty/],
      ["a port out of range", { ...proxy, port: 70000 }, ["port"], /between 1 and 65535/],
      ["a password without a user", { ...proxy, user: undefined }, ["user"], /is required when password is set/],
      [
        "acceptDataUsage as text",
        { type: "none", acceptDataUsage: "yes" },
        ["acceptDataUsage"],
        /must be true or false/,
      ],
      [
        "an appliance name not in vcpp:usageMeters",
        { type: "none", usageMeter: "lab" },
        ["usageMeter"],
        /"lab" is not configured/,
      ],
    ];
    for (const [what, news, fields, reason] of refusals) {
      it(`refuses ${what}, naming ${fields.join(" and ")}`, async () => {
        const result = await provider.check({}, news);
        assert.deepEqual([...new Set(result.failures?.map((f) => f.property))], fields);
        for (const failure of result.failures!)
          assert.ok(failure.reason.startsWith(`${failure.property}: `), failure.reason);
        for (const field of fields)
          assert.ok(
            result.failures!.some((f) => f.property === field && reason.test(f.reason)),
            `no failure on ${field} matches ${reason}`,
          );
      });
    }

    it("accepts a direct connection and fills in acceptDataUsage", async () => {
      assert.deepEqual(await provider.check({}, { type: "none" }), { inputs: { type: "none", acceptDataUsage: true } });
    });
  });

  it("sets a direct connection, accepts the data usage terms, and reads back what the appliance reports", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { inputs, id, outs } = await createProxy(provider, { type: "none" });
      assert.equal(id, apiUrl(emulator));
      assert.deepEqual(outs, {
        type: "none",
        acceptDataUsage: true,
        usageMeterUrl: apiUrl(emulator),
        dataUsageAccepted: true,
        proxyInUse: false,
        confirmed: ALL_CONFIRMED,
      });
      assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
      assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });
      assert.deepEqual(writes(emulator), ["POST /data_usage_acceptance", "PUT /test_proxy"]);

      const read = await provider.read(id, outs);
      assert.equal(read.id, id);
      assert.deepEqual(read.props, outs);
      assert.deepEqual(await provider.diff(id, outs, inputs), { changes: false, replaces: [] });
    }));

  it("goes through an HTTP proxy, then an HTTPS one, updated in place", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const direct = await createProxy(provider, { type: "none" });

      const http = await checked(provider, proxy);
      assert.deepEqual(await provider.diff(direct.id, direct.outs, http), { changes: true, replaces: [] });
      const viaHttp = (await provider.update!(direct.id, direct.outs, http)).outs as ProxyConfigOutputs;
      assert.deepEqual(emulator.admin.appliance().proxy, {
        type: "http",
        host: "proxy.example.com",
        port: 3128,
        user: "svc-um",
        password: "proxy-secret",
      });
      assert.deepEqual(viaHttp, {
        ...proxy,
        acceptDataUsage: true,
        usageMeterUrl: apiUrl(emulator),
        dataUsageAccepted: true,
        proxyInUse: true,
        confirmed: ALL_CONFIRMED,
      });
      assert.deepEqual((await provider.read(direct.id, viaHttp)).props, viaHttp);
      assert.equal((await provider.diff(direct.id, viaHttp, http)).changes, false);

      const https = await checked(provider, { type: "https", host: "secure-proxy.example.com", port: 8443 });
      assert.equal((await provider.diff(direct.id, viaHttp, https)).changes, true);
      const viaHttps = (await provider.update!(direct.id, viaHttp, https)).outs as ProxyConfigOutputs;
      assert.deepEqual(emulator.admin.appliance().proxy, {
        type: "https",
        host: "secure-proxy.example.com",
        port: 8443,
        user: undefined,
        password: undefined,
      });
      assert.deepEqual(viaHttps, {
        type: "https",
        host: "secure-proxy.example.com",
        port: 8443,
        acceptDataUsage: true,
        usageMeterUrl: apiUrl(emulator),
        dataUsageAccepted: true,
        proxyInUse: true,
        confirmed: ALL_CONFIRMED,
      });
      assert.equal(
        requestsTo(emulator, "POST", "/data_usage_acceptance").length,
        1,
        "the terms are accepted once, not on every update",
      );
    }));

  it("restores a direct connection on delete, leaving the data usage acceptance as it is", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, outs } = await createProxy(provider, proxy);
      assert.equal(emulator.admin.appliance().proxy.type, "http");
      await provider.delete!(id, outs);
      assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });
      assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
    }));

  it("fails clearly when the appliance cannot reach the cloud through the proxy, keeping the connection it had", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { id, outs } = await createProxy(provider, proxy);
      const unreachable = await checked(provider, { type: "http", host: "proxy.corp.invalid", port: 3128 });
      const failed = (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(error.code, "PROXY_TEST_FAILED");
        assert.match(
          error.message,
          /set network connection failed \(PUT \/um\/default\/api\/v1\/test_proxy\): the appliance could not reach the cloud through http:\/\/proxy\.corp\.invalid:3128: Could not connect to proxy/,
        );
        assert.match(error.message, /Check the proxy host, port and credentials/);
        return true;
      };
      await assert.rejects(provider.update!(id, outs, unreachable), failed);
      assert.equal(emulator.admin.appliance().proxy.host, "proxy.example.com");

      const fresh = await startEmulator({ quiet: true });
      try {
        const other = providerFor(fresh);
        await assert.rejects(
          other.create(await checked(other, { type: "https", host: "proxy.corp.invalid", port: 443 })),
          /through https:\/\/proxy\.corp\.invalid:443/,
        );
        assert.deepEqual(fresh.admin.appliance().proxy, { type: "none" });
      } finally {
        await fresh.close();
      }
    }));

  it("shows a proxy changed on the appliance on read, reports it in diff, and puts the declared one back", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const { inputs, id, outs } = await createProxy(provider, proxy);
      emulator.admin.setProxy("default", { type: "https", host: "rogue.example.com", port: 443 });

      const refreshed = (await provider.read(id, outs)).props as ProxyConfigOutputs;
      assert.deepEqual(
        [refreshed.type, refreshed.host, refreshed.port, refreshed.user],
        ["https", "rogue.example.com", 443, undefined],
      );
      assert.deepEqual(await provider.diff(id, refreshed, inputs), { changes: true, replaces: [] });

      await provider.update!(id, refreshed, inputs);
      assert.deepEqual(emulator.admin.appliance().proxy, {
        type: "http",
        host: "proxy.example.com",
        port: 3128,
        user: "svc-um",
        password: "proxy-secret",
      });

      emulator.admin.setProxy("default", { type: "none" });
      const direct = (await provider.read(id, outs)).props as ProxyConfigOutputs;
      assert.equal(direct.type, "none");
      assert.equal(direct.password, undefined);
      assert.equal((await provider.diff(id, direct, inputs)).changes, true);
    }));

  it("accepts the data usage terms only as declared, and restores a revoked acceptance", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const declined = await createProxy(provider, { type: "none", acceptDataUsage: false });
      assert.equal(declined.outs.dataUsageAccepted, false);
      assert.deepEqual(
        requestsTo(emulator, "POST", "/data_usage_acceptance"),
        [],
        "already as declared: nothing to set",
      );
      assert.equal((await provider.diff(declined.id, declined.outs, declined.inputs)).changes, false);

      const accept = await checked(provider, { type: "none" });
      assert.equal((await provider.diff(declined.id, declined.outs, accept)).changes, true);
      const accepted = (await provider.update!(declined.id, declined.outs, accept)).outs as ProxyConfigOutputs;
      assert.equal(accepted.dataUsageAccepted, true);
      assert.equal(emulator.admin.appliance().dataUsageAccepted, true);

      emulator.admin.setDataUsageAccepted("default", false);
      const refreshed = (await provider.read(declined.id, accepted)).props as ProxyConfigOutputs;
      assert.equal(refreshed.dataUsageAccepted, false);
      assert.equal((await provider.diff(declined.id, refreshed, accept)).changes, true);
      await provider.update!(declined.id, refreshed, accept);
      assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
    }));

  describe("on an appliance without GET /http_proxy and GET /data_usage_acceptance (undocumented)", () => {
    const withoutExtras = (version: "4" | "9" = "4") => ({
      usageMeters: { default: { version, undocumentedRoutes: false } },
    });
    /** A new `pulumi` command is a new provider process: a fresh login, hence fresh flags. */
    const nextCommand = clearCredentials;

    it("creates, updates and deletes, confirming what the 4.x login answer says", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const direct = await createProxy(provider, { type: "none" });
        assert.deepEqual(direct.outs, {
          type: "none",
          acceptDataUsage: true,
          usageMeterUrl: apiUrl(emulator),
          dataUsageAccepted: true,
          proxyInUse: false,
          confirmed: ALL_CONFIRMED,
        });
        assert.deepEqual(writes(emulator), ["POST /data_usage_acceptance", "PUT /test_proxy"]);

        const http = await checked(provider, proxy);
        const viaHttp = (await provider.update!(direct.id, direct.outs, http)).outs as ProxyConfigOutputs;
        assert.deepEqual(emulator.admin.appliance().proxy, {
          type: "http",
          host: "proxy.example.com",
          port: 3128,
          user: "svc-um",
          password: "proxy-secret",
        });
        assert.deepEqual(viaHttp, {
          ...proxy,
          acceptDataUsage: true,
          usageMeterUrl: apiUrl(emulator),
          dataUsageAccepted: true,
          proxyInUse: true,
          confirmed: ["proxyInUse", "dataUsageAccepted"],
        });
        assert.equal(
          requestsTo(emulator, "POST", "/data_usage_acceptance").length,
          1,
          "the login's flag, kept up to date by this process, says the terms are accepted",
        );

        nextCommand();
        const read = await provider.read(direct.id, viaHttp);
        assert.deepEqual(read.props, viaHttp);
        assert.equal((await provider.diff(direct.id, read.props as ProxyConfigOutputs, http)).changes, false);

        await provider.delete!(direct.id, viaHttp);
        assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });
        assert.deepEqual(
          requestsTo(emulator, "GET", "/http_proxy")
            .map((r) => r.status)
            .filter((s) => s !== 404),
          [],
          "asked, and answered 404 only",
        );
      }, withoutExtras()));

    it("shows what the login's flags can: a proxy removed or added by hand, the terms revoked", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const viaHttp = await createProxy(provider, proxy);

        emulator.admin.setProxy("default", { type: "none" });
        nextCommand();
        const removed = (await provider.read(viaHttp.id, viaHttp.outs)).props as ProxyConfigOutputs;
        assert.deepEqual([removed.type, removed.host, removed.proxyInUse], ["none", undefined, false]);
        assert.equal((await provider.diff(viaHttp.id, removed, viaHttp.inputs)).changes, true);
        await provider.update!(viaHttp.id, removed, viaHttp.inputs);
        assert.equal(emulator.admin.appliance().proxy.host, "proxy.example.com");

        const direct = await checked(provider, { type: "none" });
        const directOuts = (await provider.update!(viaHttp.id, viaHttp.outs, direct)).outs as ProxyConfigOutputs;
        emulator.admin.setProxy("default", { type: "https", host: "rogue.example.com", port: 443 });
        nextCommand();
        const added = await capturingLogs(async (messages) => {
          const props = (await provider.read(viaHttp.id, directOuts)).props as ProxyConfigOutputs;
          assert.ok(
            messages.some((m) => /^warn: .*goes through a proxy, where a direct connection is declared/.test(m)),
            messages.join("\n"),
          );
          return props;
        });
        assert.deepEqual(
          [added.type, added.proxyInUse, added.confirmed],
          ["none", true, ["proxyInUse", "dataUsageAccepted"]],
          "which proxy is not known",
        );
        assert.equal((await provider.diff(viaHttp.id, added, direct)).changes, true);
        await provider.update!(viaHttp.id, added, direct);
        assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });

        emulator.admin.setDataUsageAccepted("default", false);
        nextCommand();
        const revoked = (await provider.read(viaHttp.id, directOuts)).props as ProxyConfigOutputs;
        assert.equal(revoked.dataUsageAccepted, false);
        assert.equal((await provider.diff(viaHttp.id, revoked, direct)).changes, true);
        await provider.update!(viaHttp.id, revoked, direct);
        assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
      }, withoutExtras()));

    it("cannot show another proxy host set by hand (only that a proxy is in use), as the README says", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const viaHttp = await createProxy(provider, proxy);
        emulator.admin.setProxy("default", { type: "http", host: "other-proxy.example.com", port: 8080 });
        nextCommand();
        const read = (await provider.read(viaHttp.id, viaHttp.outs)).props as ProxyConfigOutputs;
        assert.equal(read.host, "proxy.example.com");
        assert.equal((await provider.diff(viaHttp.id, read, viaHttp.inputs)).changes, false);
      }, withoutExtras()));

    it("9.x (no flags in the login answer): the declared values, nothing confirmed, the terms set as declared", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const { id, outs, inputs } = await createProxy(provider, proxy);
        assert.deepEqual(outs, {
          ...proxy,
          acceptDataUsage: true,
          usageMeterUrl: apiUrl(emulator),
          dataUsageAccepted: true,
          confirmed: [],
        });
        assert.equal(emulator.admin.appliance().dataUsageAccepted, true);
        assert.equal(emulator.admin.appliance().proxy.host, "proxy.example.com");
        nextCommand();
        const read = await provider.read(id, outs);
        assert.deepEqual(read.props, outs);
        assert.equal((await provider.diff(id, read.props as ProxyConfigOutputs, inputs)).changes, false);
        await provider.delete!(id, outs);
        assert.deepEqual(emulator.admin.appliance().proxy, { type: "none" });
      }, withoutExtras("9")));
  });

  it("a failing undocumented read after the write is a warning, not a failed create; read reports it", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      emulator.admin.injectFault({
        method: "GET",
        pathIncludes: "/http_proxy",
        status: 403,
        body: { errCode: "GW_FORBIDDEN", errMessage: "Forbidden" },
      });
      const created = await capturingLogs(async (messages) => {
        const result = await createProxy(provider, proxy);
        assert.ok(
          messages.some((m) =>
            /^warn: ProxyConfig on .*read network connection failed .*403.*taken as not known/.test(m),
          ),
          messages.join("\n"),
        );
        return result;
      });
      assert.equal(emulator.admin.appliance().proxy.host, "proxy.example.com");
      assert.deepEqual(created.outs.confirmed, ["proxyInUse", "dataUsageAccepted"]);
      emulator.admin.injectFault({
        method: "GET",
        pathIncludes: "/http_proxy",
        status: 403,
        body: { errCode: "GW_FORBIDDEN", errMessage: "Forbidden" },
      });
      await assert.rejects(provider.read(created.id, created.outs), /read network connection failed .*403/);
    }));
});
