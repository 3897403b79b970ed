import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import sinon from "sinon";
import { CSP_TOKEN_PATH } from "../../provider/auth/csp-api-token";
import { clearCredentials } from "../../provider/auth/token-source";
import { ConfigError, ResourceError, ServiceError } from "../../provider/errors";
import { redact } from "../../provider/redact";
import { loadSharedSettings } from "../../provider/settings";
import { UsageInsightClient } from "../../provider/usage-insight/client";
import {
  DEFAULT_CSP_URL,
  DEFAULT_USAGE_INSIGHT_URL,
  loadUsageInsightSettings,
} from "../../provider/usage-insight/settings";
import { ServiceClients } from "../../provider/registry";
import {
  UsageMeterRegistrationOutputs,
  UsageMeterRegistrationProvider,
} from "../../resources/usage-meter-registration";
import { typedRows } from "../../functions/usage-insight";
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

const API_TOKEN = "cpn-api-token-unit-7c1d9e";
const AGENT = "27ecc293-1baf-44a9-be8d-ccac86584212";
const BASE = "/usage/api/v1";
const AGENTS = "/agents";
const tokenPath = `/${CSP_TOKEN_PATH}`;

const from = (config: Record<string, string>) => (key: string) => config[key];

describe("Usage Insight settings", () => {
  it("default to the seeds' CSP gateway and Usage Insight host, and ask for the API token only when it is used", () => {
    const settings = loadUsageInsightSettings(
      () => undefined,
      loadSharedSettings(() => undefined),
    );
    assert.equal(settings.cspUrl, DEFAULT_CSP_URL);
    assert.equal(settings.usageInsightUrl, DEFAULT_USAGE_INSIGHT_URL);
    assert.equal(settings.usageMeteringAgentsUrl, undefined);
    assert.throws(
      () => settings.apiToken(),
      (error: Error) =>
        error instanceof ConfigError &&
        /vcpp:cspApiToken is not set: .*Cloud Partner Navigator.*pulumi config set --secret vcpp:cspApiToken/.test(
          error.message,
        ),
    );
  });

  it("name the key of an invalid URL, and register the API token with the redactor", () => {
    const shared = loadSharedSettings(() => undefined);
    assert.throws(
      () => loadUsageInsightSettings(from({ usageInsightUrl: "http://ums.example.com" }), shared),
      /^ConfigError: vcpp:usageInsightUrl must be an https:\/\/ URL/,
    );
    const settings = loadUsageInsightSettings(
      from({
        cspApiToken: API_TOKEN,
        usageMeteringAgentsUrl: "https://any.example.com/vcf/ums/api/v1/usage-metering-agents",
      }),
      shared,
    );
    assert.equal(settings.apiToken(), API_TOKEN);
    assert.equal(settings.usageMeteringAgentsUrl, "https://any.example.com/vcf/ums/api/v1/usage-metering-agents");
    assert.equal(redact(`token ${API_TOKEN}`), "token [REDACTED]");
  });
});

/** A CSP and Usage Insight on one scripted server: tokens are handed out, everything else goes to `api`. */
async function cloud(
  api: Handler,
): Promise<{ server: TestServer; client: UsageInsightClient; calls: () => SeenRequest[] }> {
  let issued = 0;
  const server = await startServer((request, index) => {
    if (request.path === tokenPath) return { body: { access_token: `access-${++issued}-unit`, expires_in: 1800 } };
    return api(request, index);
  });
  const client = new UsageInsightClient(
    {
      cspUrl: server.url,
      usageInsightUrl: `${server.url}${BASE}`,
      usageMeteringAgentsUrl: `${server.url}${AGENTS}`,
      tls: {},
      apiToken: () => API_TOKEN,
    },
    { retry: FAST_RETRY },
  );
  return { server, client, calls: () => server.requests.filter((r) => r.path !== tokenPath) };
}

const agentBody = (overrides: Record<string, unknown> = {}) => ({
  agentId: AGENT,
  label: "um-lab",
  meteringMode: "TEST",
  connectivityMode: "ONLINE",
  version: "4.8",
  agentSequence: 3,
  ...overrides,
});

describe("UsageInsightClient", () => {
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

  async function serve(api: Handler) {
    const built = await cloud(api);
    server = built.server;
    return built;
  }

  it("reads a registration's four answers: 200 contract, 202 with progress (header in any case), 204, 404", async () => {
    const answers: ScriptedReply[] = [
      { body: { contractNumber: "12345678", siteName: "Lyon" } },
      { status: 202, headers: { "Agent-Registration-Progress": "40%" } },
      { status: 204 },
      { status: 404, body: { message: "unknown agent" } },
    ];
    const { client, calls } = await serve((_r, i) => answers[i - 1]);
    // Each read asks anew (maxAgeMs 0, as a poller would), so each shows the next answer.
    assert.deepEqual(await client.registration(AGENT, 0), {
      state: "registered",
      contractNumber: "12345678",
      siteName: "Lyon",
    });
    assert.deepEqual(await client.registration(AGENT, 0), { state: "in-progress", progress: "40%" });
    assert.deepEqual(await client.registration(AGENT, 0), { state: "no-contract", siteName: undefined });
    assert.deepEqual(await client.registration(AGENT, 0), { state: "not-registered" });
    assert.equal(calls()[0].path, `${BASE}/agent-registrations/${AGENT}`);
    assert.equal(calls()[0].headers.authorization, "Bearer access-1-unit");
  });

  it("shares one registration look-up between concurrent and nearby callers; a registration drops it", async () => {
    const { client, calls } = await serve(() => ({ body: { contractNumber: "12345678", siteName: "Lyon" } }));
    await Promise.all(Array.from({ length: 5 }, () => client.registration(AGENT)));
    await client.registration(AGENT);
    assert.equal(calls().length, 1);
    await client.register({ agentId: AGENT, label: "um-lab", meteringMode: "TEST", connectivityMode: "ONLINE" });
    await client.registration(AGENT);
    assert.deepEqual(
      calls().map((c) => c.method),
      ["GET", "POST", "GET"],
      "a look-up after the registration asks again",
    );
  });

  it("takes 201, 202 and any other 2xx from the registration POST as success, and never retries it", async () => {
    const statuses = [201, 202, 200, 503];
    const { client, calls } = await serve((_r, i) => ({ status: statuses[i - 1] }));
    const spec = {
      agentId: AGENT,
      label: "um-lab",
      meteringMode: "TEST" as const,
      connectivityMode: "ONLINE" as const,
      version: "4.8",
    };
    for (const status of [201, 202, 200]) assert.equal((await client.register(spec)).status, status);
    const error = await rejectionOf(client.register(spec));
    assert.ok(error instanceof ServiceError && error.status === 503);
    assert.equal(calls().length, 4, "the 503 was retried");
    assert.deepEqual(JSON.parse(calls()[0].body), spec);
  });

  it("updates an agent with its agentSequence; after a 412 it reads the agent again and tries once more", async () => {
    const { client, calls } = await serve((request, i) => {
      if (request.method === "PATCH") return i === 1 ? { status: 412 } : { status: 200 };
      return { body: agentBody({ agentSequence: i === 2 ? 5 : 6, label: i === 2 ? "portal" : "declared" }) };
    });
    const agent = await client.updateAgent(AGENT, { label: "declared" }, 3);
    assert.equal(agent.label, "declared");
    assert.equal(agent.agentSequence, 6);
    assert.deepEqual(
      calls().map((r) => `${r.method} ${r.path} ${r.body}`),
      [
        `PATCH ${AGENTS}/${AGENT} {"label":"declared","agentSequence":3}`,
        `GET ${AGENTS}/${AGENT} `,
        `PATCH ${AGENTS}/${AGENT} {"label":"declared","agentSequence":5}`,
        `GET ${AGENTS}/${AGENT} `,
      ],
    );
  });

  it("gives up after a second 412, saying someone else is editing the agent", async () => {
    const { client } = await serve((request) => (request.method === "PATCH" ? { status: 412 } : { body: agentBody() }));
    const error = await rejectionOf(client.updateAgent(AGENT, { meteringMode: "PRODUCTION" }, 3));
    assert.ok(error instanceof ServiceError);
    assert.equal(error.status, 412);
    assert.match(error.message, /changed by someone else.*pulumi up again/);
  });

  it("withdraws an agent with DELETE, and says when it was already gone", async () => {
    const { client } = await serve((_r, i) => ({ status: i === 1 ? 204 : 404 }));
    assert.equal(await client.withdrawAgent(AGENT), true);
    assert.equal(await client.withdrawAgent(AGENT), false);
  });

  it("lists a month's reports by agent, and one agent's reports", async () => {
    const report = {
      ref: 42,
      contentType: "text/tab-separated-values+gzip",
      contentLength: "10",
      checksum: "A".repeat(32),
    };
    const { client, calls } = await serve((request) =>
      request.path.endsWith(AGENT) ? { body: [report] } : { body: { [AGENT]: [report], other: [] } },
    );
    const month = await client.monthReports(2024, 3);
    assert.deepEqual(Object.keys(month), [AGENT, "other"]);
    assert.deepEqual(month[AGENT][0], { ...report, ref: "42", contentLength: 10 });
    assert.equal((await client.agentReports(2024, 3, AGENT)).length, 1);
    assert.deepEqual(
      calls().map((r) => r.path),
      [`${BASE}/reports/2024/3`, `${BASE}/reports/2024/3/${AGENT}`],
    );
  });

  describe("report download", () => {
    const tsv = "agentId\tproductType\tvmCount\tmemoryGb\n" + `${AGENT}\tVCD\t12\t48.5\n${AGENT}\tvCenter\t3\t\n`;
    const gz = gzipSync(Buffer.from(tsv));
    const md5 = createHash("md5").update(gz).digest("hex");
    const contentType = "text/tab-separated-values+gzip";

    it("asks with the report's content type, verifies it, gunzips it and parses the rows", async () => {
      const { client, calls } = await serve(() => ({ body: gz }));
      const lines = await client.downloadReport({ ref: "r-1", contentType, contentLength: gz.length, checksum: md5 });
      assert.equal(calls()[0].headers.accept, contentType);
      assert.equal(calls()[0].query.get("ref"), "r-1");
      assert.deepEqual(typedRows(lines), {
        columns: ["agentId", "productType", "vmCount", "memoryGb"],
        rows: [
          { agentId: AGENT, productType: "VCD", vmCount: 12, memoryGb: 48.5 },
          { agentId: AGENT, productType: "vCenter", vmCount: 3, memoryGb: null },
        ],
      });
    });

    it("refuses a download whose checksum or length is not the announced one (INTEGRITY)", async () => {
      const { client } = await serve(() => ({ body: gz }));
      const wrongSum = await rejectionOf(
        client.downloadReport({ ref: "r-1", contentType, contentLength: gz.length, checksum: "0".repeat(32) }),
      );
      assert.equal(wrongSum.code, "INTEGRITY");
      assert.match(wrongSum.message, /MD5 is [0-9a-f]{32}, expected 0{32}/);
      const wrongLength = await rejectionOf(
        client.downloadReport({ ref: "r-1", contentType, contentLength: gz.length + 1, checksum: md5 }),
      );
      assert.equal(wrongLength.code, "INTEGRITY");
    });
  });

  it("says to generate a new API token when the CSP refuses it, without ever showing it", async () => {
    server = await startServer((request) =>
      request.path === tokenPath
        ? { status: 400, body: { message: `invalid_grant: api token ${API_TOKEN} is not valid` } }
        : { body: {} },
    );
    const client = new UsageInsightClient(
      { cspUrl: server.url, usageInsightUrl: `${server.url}${BASE}`, tls: {}, apiToken: () => API_TOKEN },
      { retry: FAST_RETRY },
    );
    const error = await rejectionOf(client.registration(AGENT));
    assert.match(error.message, /generate a new API token in the Cloud Partner Navigator/);
    assert.ok(!error.message.includes(API_TOKEN));
    assert.ok(!JSON.stringify(error).includes(API_TOKEN));
  });

  it("asks for vcpp:usageMeteringAgentsUrl only when the agents API is needed", async () => {
    server = await startServer(() => ({ body: {} }));
    const client = new UsageInsightClient({
      cspUrl: server.url,
      usageInsightUrl: `${server.url}${BASE}`,
      tls: {},
      apiToken: () => API_TOKEN,
    });
    assert.equal(client.hasAgentsApi, false);
    await assert.rejects(client.withdrawAgent(AGENT), /vcpp:usageMeteringAgentsUrl is not set.*pulumi config set/);
  });
});

describe("UsageMeterRegistration (provider, scripted service)", () => {
  let server: TestServer | undefined;
  let logs: ReturnType<typeof stubLogs>;
  beforeEach(() => {
    logs = stubLogs();
    clearCredentials();
  });
  afterEach(async () => {
    sinon.restore();
    await server?.close();
    server = undefined;
  });

  const declared = { agentId: AGENT, contractNumber: "12345678", label: "um-lab", meteringMode: "TEST" };

  async function providerFor(api: Handler, agentInfo?: () => Promise<unknown>) {
    const built = await cloud(api);
    server = built.server;
    const context = {
      usageInsight: () => built.client,
      usageMeter: () => ({ agentInfo: agentInfo ?? (() => Promise.reject(new Error("no appliance in this test"))) }),
      usageMeterNames: () => ["default", "lab"],
      settings: () => loadSharedSettings(() => undefined),
    } as unknown as ServiceClients;
    return { provider: new UsageMeterRegistrationProvider(context), calls: built.calls };
  }

  describe("check", () => {
    const refusals: Array<[string, Record<string, unknown>, string, RegExp]> = [
      [
        "a wildcard version",
        { ...declared, version: "4.x" },
        "version",
        /concrete major\.minor.*wildcard such as 4\.x/,
      ],
      ["a metering mode in lower case", { ...declared, meteringMode: "test" }, "meteringMode", /TEST .* or PRODUCTION/],
      [
        "an unknown connectivity mode",
        { ...declared, connectivityMode: "SOMETIMES" },
        "connectivityMode",
        /ONLINE or OFFLINE/,
      ],
      [
        "neither agentId nor usageMeter",
        { ...declared, agentId: undefined },
        "agentId",
        /exactly one of agentId and usageMeter/,
      ],
      [
        "both agentId and usageMeter",
        { ...declared, usageMeter: "lab" },
        "usageMeter",
        /exactly one of agentId and usageMeter/,
      ],
      ["an agent id that is not a UUID", { ...declared, agentId: "um-01" }, "agentId", /appliance's UUID/],
      ["an empty label", { ...declared, label: "" }, "label", /must not be empty/],
      ["a label longer than 512", { ...declared, label: "x".repeat(513) }, "label", /at most 512/],
      [
        "a negative registration timeout",
        { ...declared, registrationTimeoutSeconds: -1 },
        "registrationTimeoutSeconds",
        /between 0 and 3600/,
      ],
    ];
    for (const [what, news, field, reason] of refusals) {
      it(`refuses ${what}, naming ${field}`, async () => {
        const { provider, calls } = await providerFor(() => ({ status: 500 }));
        const result = await provider.check({}, news);
        assert.deepEqual(
          result.failures?.map((f) => f.property),
          [field],
        );
        assert.match(result.failures![0].reason, reason);
        assert.equal(calls().length, 0);
      });
    }

    it("fills in the defaults", async () => {
      const { provider } = await providerFor(() => ({ status: 500 }));
      const result = await provider.check({}, declared);
      assert.deepEqual(result.inputs, {
        ...declared,
        connectivityMode: "ONLINE",
        withdrawOnDelete: false,
        registrationTimeoutSeconds: 600,
      });
    });
  });

  const olds: UsageMeterRegistrationOutputs = {
    agentId: AGENT,
    contractNumber: "12345678",
    label: "um-lab",
    meteringMode: "TEST",
    connectivityMode: "ONLINE",
    version: "4.8",
    withdrawOnDelete: false,
    registrationTimeoutSeconds: 600,
    registrationState: "registered",
    agentSequence: 3,
  };
  const news = { ...declared, connectivityMode: "ONLINE", withdrawOnDelete: false, registrationTimeoutSeconds: 600 };

  describe("diff", () => {
    it("updates label and metering mode in place, ignores version, and replaces for contract, site or connectivity", async () => {
      const { provider } = await providerFor(() => ({ status: 500 }));
      assert.deepEqual(await provider.diff(AGENT, olds, news), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
      });
      assert.deepEqual(await provider.diff(AGENT, olds, { ...news, label: "renamed", meteringMode: "PRODUCTION" }), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      assert.equal((await provider.diff(AGENT, olds, { ...news, version: "4.9" })).changes, false);
      assert.equal((await provider.diff(AGENT, { ...olds, siteName: "set-in-portal" }, news)).changes, false);
      assert.deepEqual(await provider.diff(AGENT, olds, { ...news, contractNumber: "87654321", siteName: "Lyon" }), {
        changes: true,
        replaces: ["contractNumber", "siteName"],
        deleteBeforeReplace: true,
      });
      assert.deepEqual(await provider.diff(AGENT, olds, { ...news, agentId: "11111111-2222-3333-4444-555555555555" }), {
        changes: true,
        replaces: ["agentId"],
        deleteBeforeReplace: false,
      });
    });

    it("asks the appliance whether another usageMeter name is another agent", async () => {
      const agentInfo = sinon.stub().resolves({ uuid: AGENT, major_version: 4, minor_version: 8 });
      const { provider } = await providerFor(() => ({ status: 500 }), agentInfo);
      const viaName = { ...news, agentId: undefined, usageMeter: "lab" };
      assert.deepEqual((await provider.diff(AGENT, { ...olds, usageMeter: "default" }, viaName)).replaces, []);
      agentInfo.resolves({ uuid: "11111111-2222-3333-4444-555555555555", major_version: 4, minor_version: 8 });
      assert.deepEqual((await provider.diff(AGENT, { ...olds, usageMeter: "default" }, viaName)).replaces, ["agentId"]);
      // Declared by agentId before: the appliance's UUID decides, even for the default appliance.
      const viaDefault = { ...news, agentId: undefined, usageMeter: "default" };
      assert.deepEqual((await provider.diff(AGENT, olds, viaDefault)).replaces, ["agentId"]);
    });
  });

  describe("create", () => {
    it("refuses an agent registered for another contract, without sending a registration", async () => {
      const { provider, calls } = await providerFor(() => ({ body: { contractNumber: "99999999" } }));
      const error = await rejectionOf(provider.create(news));
      assert.ok(error instanceof ResourceError);
      assert.equal(error.code, "CONFLICT");
      assert.match(error.message, /already registered with contract 99999999, not 12345678.*not registered again/);
      assert.ok(calls().every((r) => r.method === "GET"));
    });

    it("adopts a registration that matches, and gives it the declared label through the agents API", async () => {
      const { provider, calls } = await providerFor((request) => {
        if (request.path.startsWith(BASE)) return { body: { contractNumber: "12345678" } };
        if (request.method === "PATCH") return { status: 200 };
        return {
          body: agentBody({
            label: request.method === "GET" && calls().some((r) => r.method === "PATCH") ? "um-lab" : "old",
          }),
        };
      });
      const { id, outs } = await provider.create(news);
      assert.equal(id, AGENT);
      assert.equal(outs.label, "um-lab");
      assert.equal(outs.registrationState, "registered");
      assert.ok(!calls().some((r) => r.method === "POST"), "an adopted registration was sent again");
      assert.deepEqual(
        calls()
          .filter((r) => r.method === "PATCH")
          .map((r) => JSON.parse(r.body)),
        [{ label: "um-lab", agentSequence: 3 }],
      );
    });

    it("after a lost answer to the POST, looks the registration up and follows it instead of sending it again", async () => {
      let registrationReads = 0;
      const { provider, calls } = await providerFor((request) => {
        if (request.method === "POST") return { destroy: true };
        if (request.path.startsWith(AGENTS)) return { body: agentBody() };
        registrationReads++;
        if (registrationReads === 1) return { status: 404 };
        if (registrationReads === 2) return { status: 202, headers: { "agent-registration-progress": "REGISTERING" } };
        return { body: { contractNumber: "12345678" } };
      });
      const { outs } = await provider.create(news);
      assert.equal(outs.registrationState, "registered");
      assert.equal(calls().filter((r) => r.method === "POST").length, 1);
      assert.ok(logs.info.getCalls().some((c) => /received although its answer was lost/.test(c.args[0])));
    });

    it("after a lost answer and no registration, fails with the POST's error rather than sending it again", async () => {
      const { provider, calls } = await providerFor((request) =>
        request.method === "POST" ? { status: 503, body: { message: "try later" } } : { status: 404 },
      );
      const error = await rejectionOf(provider.create(news));
      assert.ok(error instanceof ServiceError && error.status === 503);
      assert.equal(calls().filter((r) => r.method === "POST").length, 1);
    });

    it("reads the agent id and version from the appliance when usageMeter is given", async () => {
      const agentInfo = sinon.stub().resolves({ uuid: AGENT, major_version: 4, minor_version: 7 });
      const { provider, calls } = await providerFor((request, i) => {
        if (request.method === "POST") return { status: 201 };
        if (request.path.startsWith(AGENTS)) return { body: agentBody({ version: "4.7" }) };
        return i === 1 ? { status: 404 } : { body: { contractNumber: "12345678" } };
      }, agentInfo);
      const { outs } = await provider.create({ ...news, agentId: undefined, usageMeter: "default" });
      assert.equal(outs.agentId, AGENT);
      assert.equal(JSON.parse(calls().find((r) => r.method === "POST")!.body).version, "4.7");
    });
  });

  describe("delete", () => {
    it("leaves the registration by default, warning that billing reports continue", async () => {
      const { provider, calls } = await providerFor(() => ({ status: 500 }));
      await provider.delete(AGENT, olds);
      assert.equal(calls().length, 0);
      assert.match(logs.warn.firstCall.args[0], /left registered .*billing reports continue.*withdrawOnDelete: true/);
    });

    it("withdraws it with withdrawOnDelete: true", async () => {
      const { provider, calls } = await providerFor(() => ({ status: 204 }));
      await provider.delete(AGENT, { ...olds, withdrawOnDelete: true });
      assert.deepEqual(
        calls().map((r) => `${r.method} ${r.path}`),
        [`DELETE ${AGENTS}/${AGENT}`],
      );
    });
  });
});
