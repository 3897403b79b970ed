import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { EmulatorOptions, RunningEmulator } from "../../emulator";
import { withEmulator } from "../helpers/emulator";
import { PlainRequest, plainRequest } from "../helpers/plain-https";

const TOKEN_PATH = "/csp/gateway/am/api/auth/api-tokens/authorize";
const TSV_GZIP = "text/tab-separated-values+gzip";

interface Report {
  checksum: string;
  contentLength: number;
  contentType: string;
  ref: string;
  reportType: string;
}

/** A caller of the emulated Usage Insight: one organisation's access token, plain HTTPS. */
class Caller {
  private constructor(
    private readonly e: RunningEmulator,
    private readonly token: string,
  ) {}

  static async of(e: RunningEmulator, apiToken = e.cspApiToken): Promise<Caller> {
    const answer = await plainRequest(e.caPem, "POST", `${e.cspUrl}${TOKEN_PATH}`, { form: { api_token: apiToken } });
    assert.equal(answer.status, 200);
    return new Caller(e, (answer.json() as { access_token: string }).access_token);
  }

  insight(method: string, path: string, options: PlainRequest = {}) {
    return plainRequest(this.e.caPem, method, `${this.e.usageInsightUrl}${path}`, { bearer: this.token, ...options });
  }

  agents(method: string, agentId: string, body?: unknown) {
    return plainRequest(this.e.caPem, method, `${this.e.usageMeteringAgentsUrl}/${agentId}`, {
      bearer: this.token,
      body,
    });
  }

  register(body: Record<string, unknown>) {
    return this.insight("POST", "/agent-registrations", { body });
  }

  status(agentId: string) {
    return this.insight("GET", `/agent-registrations/${agentId}`);
  }

  async agent(agentId: string): Promise<Record<string, unknown>> {
    const answer = await this.agents("GET", agentId);
    assert.equal(answer.status, 200);
    return answer.json() as Record<string, unknown>;
  }
}

const uuidOf = (e: RunningEmulator, name = "default") => e.usageMeters[name].uuid;
const registration = (agentId: string, extra: Record<string, unknown> = {}) => ({
  agentId,
  connectivityMode: "ONLINE",
  contractNumber: "1012345",
  label: "um46-reg-demo",
  meteringMode: "PRODUCTION",
  siteName: "Site A",
  version: "4.8",
  ...extra,
});
const immediate: EmulatorOptions = { usageInsight: { registrationDelayMs: 0 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The emulated Usage Insight service and usage metering agents API, spoken in plain HTTPS. */
describe("emulator: Usage Insight", () => {
  describe("registrations", () => {
    it("starts a new registration (202 with Location), shows progress, then the contract and site (200)", () =>
      withEmulator(
        async (e) => {
          const c = await Caller.of(e);
          const agentId = uuidOf(e);
          assert.equal((await c.status(agentId)).status, 404, "not registered yet");
          const started = await c.register(registration(agentId));
          assert.equal(started.status, 202);
          assert.equal(started.headers.location, `/api/v1/agent-registrations/${agentId}`);
          assert.equal(started.raw.length, 0);
          const progress = await c.status(agentId);
          assert.equal(progress.status, 202);
          assert.match(String(progress.headers["agent-registration-progress"]), /^\d{1,2}$/);
          await sleep(1600);
          const done = await c.status(agentId);
          assert.equal(done.status, 200);
          assert.deepEqual(done.json(), { contractNumber: "1012345", siteName: "Site A" });
        },
        { usageInsight: { registrationDelayMs: 1500 } },
      ));

    it("answers 201 to the same registration again, and 202 again while it is still in progress", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        e.admin.setRegistrationDelay(60_000);
        assert.equal((await c.register(registration(agentId))).status, 202);
        assert.equal((await c.register(registration(agentId))).status, 202, "still in progress");
        e.admin.holdRegistration(agentId, false);
        assert.equal((await c.register(registration(agentId))).status, 201);
        const { agentId: _, label, contractNumber } = registration(agentId);
        assert.equal((await c.register({ agentId, label, contractNumber })).status, 201, "fields left out match");
        assert.equal((await c.status(agentId)).status, 200);
      }));

    it("refuses another contract, another label, and another organisation's agent with 409 naming the conflict", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        assert.equal((await c.register(registration(agentId))).status, 202);
        const otherContract = await c.register(registration(agentId, { contractNumber: "2099999" }));
        assert.equal(otherContract.status, 409);
        assert.match((otherContract.json() as { message: string }).message, /contract 1012345/);
        const otherLabel = await c.register(registration(agentId, { label: "renamed" }));
        assert.equal(otherLabel.status, 409);
        assert.match((otherLabel.json() as { message: string }).message, /label/);
        const stranger = await Caller.of(e, e.admin.addApiToken("another-org"));
        const foreign = await stranger.register(registration(agentId));
        assert.equal(foreign.status, 409);
        assert.match((foreign.json() as { message: string }).message, /another organization/);
        assert.equal((await stranger.status(agentId)).status, 404, "another organisation does not see it");
        assert.equal(e.admin.registration(agentId).agentSequence, 1, "nothing changed");
      }, immediate));

    it("refuses a wildcard version, a missing label or agentId, and bad modes with 400; an unknown agent with 404", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        const wildcard = await c.register(registration(agentId, { version: "4.x" }));
        assert.equal(wildcard.status, 400);
        assert.match((wildcard.json() as { message: string }).message, /version/);
        assert.equal((await c.register(registration(agentId, { label: undefined }))).status, 400);
        assert.equal((await c.register(registration(agentId, { agentId: undefined }))).status, 400);
        assert.equal((await c.register(registration(agentId, { meteringMode: "BILLED" }))).status, 400);
        assert.equal((await c.register(registration(agentId, { connectivityMode: "SOMETIMES" }))).status, 400);
        const unknown = await c.register(registration("9273dc74-2cef-4009-abcc-69fe9ccfde8d"));
        assert.equal(unknown.status, 404);
        assert.deepEqual(e.admin.registrations(), []);
      }));

    it("knows the agents it is told about besides its appliances, and every appliance", () =>
      withEmulator(
        async (e) => {
          const c = await Caller.of(e);
          assert.equal((await c.register(registration("extra-agent", { version: undefined }))).status, 202);
          assert.equal(e.admin.registration("extra-agent").version, "5.1");
          assert.equal((await c.register(registration(uuidOf(e, "nine"), { version: undefined }))).status, 202);
          assert.equal(e.admin.registration(uuidOf(e, "nine")).version, "9.0", "the appliance's own version");
          e.admin.addMeteringAgent({ agentId: "added-by-hand" });
          assert.equal((await c.register(registration("added-by-hand"))).status, 202);
        },
        {
          usageMeters: { default: {}, nine: { version: "9" } },
          usageInsight: { agents: [{ agentId: "extra-agent", version: "5.1" }] },
        },
      ));

    it("answers 204 for an agent registered without a contract", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        assert.equal((await c.register(registration(agentId, { contractNumber: undefined }))).status, 202);
        const answer = await c.status(agentId);
        assert.equal(answer.status, 204);
        assert.equal(answer.raw.length, 0);
      }, immediate));

    it("keeps a registration in progress while an operator holds it, whatever the delay", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        assert.equal((await c.register(registration(agentId))).status, 202);
        e.admin.holdRegistration(agentId, true);
        await sleep(50);
        assert.equal((await c.status(agentId)).status, 202);
        assert.equal(e.admin.registration(agentId).inProgress, true);
        e.admin.holdRegistration(agentId, false);
        assert.equal((await c.status(agentId)).status, 200);
      }, immediate));

    it("records a registration whose answer was lost (a dropped connection)", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        e.admin.injectFault({ method: "POST", pathIncludes: "/agent-registrations", dropAfterApplying: true });
        await assert.rejects(c.register(registration(agentId)));
        assert.equal((await c.status(agentId)).status, 200, "the registration happened");
        assert.equal((await c.register(registration(agentId))).status, 201);
      }, immediate));
  });

  describe("usage metering agents", () => {
    it("reads the agent with every documented field, at both published bases", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId, { meteringMode: "TEST" }));
        const agent = await c.agent(agentId);
        assert.deepEqual(Object.keys(agent).sort(), [
          "agentId",
          "agentSequence",
          "changedBy",
          "connectivityMode",
          "deleted",
          "effectiveFrom",
          "label",
          "meteringMode",
          "modifiedAt",
          "organizationId",
          "version",
        ]);
        assert.equal(agent.agentId, agentId);
        assert.equal(agent.organizationId, e.cspOrganizationId);
        assert.equal(agent.meteringMode, "TEST");
        assert.equal(agent.agentSequence, 1);
        assert.equal(agent.deleted, false);
        assert.ok(!Number.isNaN(Date.parse(agent.modifiedAt as string)));
        const vcfBase = e.usageInsightUrl.replace(/\/usage\/api\/v1$/, "/vcf/ums/api/v1/usage-metering-agents");
        const [token] = e.admin.issuedAccessTokens();
        const viaVcf = await plainRequest(e.caPem, "GET", `${vcfBase}/${agentId}`, { bearer: token });
        assert.deepEqual(viaVcf.json(), agent);
      }, immediate));

    it("PATCHes label and meteringMode with the current agentSequence, bumping it; a stale one is 412", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId));
        const patched = await c.agents("PATCH", agentId, { label: "renamed", meteringMode: "TEST", agentSequence: 1 });
        assert.equal(patched.status, 200);
        assert.deepEqual(
          { ...(patched.json() as object), modifiedAt: undefined, effectiveFrom: undefined },
          { ...(await c.agent(agentId)), modifiedAt: undefined, effectiveFrom: undefined },
        );
        const agent = await c.agent(agentId);
        assert.equal(agent.label, "renamed");
        assert.equal(agent.meteringMode, "TEST");
        assert.equal(agent.agentSequence, 2);
        const stale = await c.agents("PATCH", agentId, { label: "again", agentSequence: 1 });
        assert.equal(stale.status, 412);
        assert.match((stale.json() as { message: string }).message, /agentSequence/);
        assert.equal((await c.agent(agentId)).label, "renamed");
        assert.equal((await c.agents("PATCH", agentId, { label: "again" })).status, 400, "agentSequence is required");
        assert.equal((await c.agents("PATCH", agentId, { meteringMode: "FREE", agentSequence: 2 })).status, 400);
        assert.equal((await c.agents("PATCH", "unknown-agent", { agentSequence: 1 })).status, 404);
      }, immediate));

    it("shows a change made in the portal: new values, a new agentSequence, who made it", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId));
        e.admin.changeRegistration(agentId, { label: "from the portal", meteringMode: "TEST", siteName: "Site B" });
        const agent = await c.agent(agentId);
        assert.equal(agent.label, "from the portal");
        assert.equal(agent.agentSequence, 2);
        assert.notEqual(agent.changedBy, e.admin.registration(agentId).organizationId);
        assert.deepEqual((await c.status(agentId)).json(), { contractNumber: "1012345", siteName: "Site B" });
        assert.equal((await c.agents("PATCH", agentId, { label: "mine", agentSequence: 1 })).status, 412);
        e.admin.changeRegistration(agentId, { contractNumber: null });
        assert.equal((await c.status(agentId)).status, 204, "the contract was unlinked");
      }, immediate));

    it("DELETE withdraws: the registration reads 404, the agent shows deleted, and registering again starts anew", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId));
        const deleted = await c.agents("DELETE", agentId);
        assert.equal(deleted.status, 204);
        assert.equal((await c.status(agentId)).status, 404);
        const agent = await c.agent(agentId);
        assert.equal(agent.deleted, true);
        assert.equal(agent.agentSequence, 2);
        assert.equal((await c.agents("DELETE", agentId)).status, 404, "already withdrawn");
        assert.equal((await c.register(registration(agentId))).status, 202);
        assert.equal((await c.agent(agentId)).agentSequence, 3);
        e.admin.withdrawRegistration(agentId);
        assert.equal((await c.status(agentId)).status, 404, "withdrawn in the portal");
      }, immediate));
  });

  describe("reports", () => {
    const now = new Date();
    const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + 1];

    /** The default appliance meters a VCAV and a vCenter; it is registered with a contract. */
    async function registeredWithProducts(e: RunningEmulator): Promise<{ c: Caller; agentId: string }> {
      for (const [productType, host] of [
        ["VCAV", "vcda.example.com"],
        ["vCenter", "vc.example.com"],
      ]) {
        const product = await e.admin.addProduct("default", { productType, host, user: "root", password: "pw" });
        e.admin.changeProduct("default", product.id as number, { metered: true });
      }
      const c = await Caller.of(e);
      const agentId = uuidOf(e);
      assert.equal((await c.register(registration(agentId))).status, 202);
      return { c, agentId };
    }

    const download = (c: Caller, ref: string, accept = TSV_GZIP) =>
      c.insight("GET", `/reports?${new URLSearchParams({ ref })}`, { headers: { accept } });

    it("lists the month's reports of the organisation by agent, and one agent's", () =>
      withEmulator(async (e) => {
        const { c, agentId } = await registeredWithProducts(e);
        const month_ = await c.insight("GET", `/reports/${year}/${month}`);
        assert.equal(month_.status, 200);
        const byAgent = month_.json() as Record<string, Report[]>;
        assert.deepEqual(Object.keys(byAgent), [agentId]);
        assert.deepEqual(byAgent[agentId].map((r) => r.reportType).sort(), ["USAGE_DETAIL", "USAGE_SUMMARY"]);
        for (const r of byAgent[agentId]) {
          assert.equal(r.contentType, TSV_GZIP);
          assert.match(r.checksum, /^[0-9a-f]{32}$/);
          assert.ok(r.contentLength > 0);
        }
        const one = await c.insight("GET", `/reports/${year}/${String(month).padStart(2, "0")}/${agentId}`);
        assert.deepEqual(one.json(), byAgent[agentId], "the same reports, with a zero-padded month too");
        const again = await c.insight("GET", `/reports/${year}/${month}`);
        assert.deepEqual(again.json(), byAgent, "a report is made once");
      }, immediate));

    it("downloads a report as gzipped TSV whose length and MD5 match its listing, with the documented columns", () =>
      withEmulator(async (e) => {
        const { c, agentId } = await registeredWithProducts(e);
        const reports = (await c.insight("GET", `/reports/${year}/${month}/${agentId}`)).json() as Report[];
        const detail = reports.find((r) => r.reportType === "USAGE_DETAIL") as Report;
        assert.match(detail.ref, /[+/=]/, "a reference the client must encode");
        const answer = await download(c, detail.ref);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers["content-type"], TSV_GZIP);
        assert.equal(answer.raw.length, detail.contentLength);
        assert.equal(Number(answer.headers["content-length"]), detail.contentLength);
        assert.equal(createHash("md5").update(answer.raw).digest("hex"), detail.checksum);
        const rows = parse(gunzipSync(answer.raw), { delimiter: "\t", columns: true }) as Record<string, string>[];
        const today = now.getUTCDate();
        // Per day: VCAV has two metrics, vCenter two.
        assert.equal(rows.length, today * 4);
        assert.deepEqual(Object.keys(rows[0]), [
          "agent_id",
          "organization_id",
          "product_type",
          "product_name",
          "host",
          "metric",
          "unit",
          "date",
          "quantity",
        ]);
        const vcav = rows.filter((r) => r.product_type === "VCAV" && r.metric === "protected_vms");
        assert.equal(vcav.length, today);
        assert.equal(vcav[0].host, "vcda.example.com");
        assert.equal(vcav[0].agent_id, agentId);
        assert.equal(vcav[0].date, `${year}-${String(month).padStart(2, "0")}-01`);
        assert.ok(vcav.every((r) => /^\d+$/.test(r.quantity)));

        const summary = reports.find((r) => r.reportType === "USAGE_SUMMARY") as Report;
        const summaryRows = parse(gunzipSync((await download(c, summary.ref)).raw), {
          delimiter: "\t",
          columns: true,
        }) as Record<string, string>[];
        assert.equal(summaryRows.length, 4);
        const vram = summaryRows.find((r) => r.metric === "reserved_vram") as Record<string, string>;
        assert.equal(vram.contract_number, "1012345");
        assert.equal(vram.aggregation, "sum");
        const dailyVram = rows.filter((r) => r.metric === "reserved_vram").map((r) => Number(r.quantity));
        assert.equal(
          Number(vram.quantity),
          dailyVram.reduce((a, b) => a + b, 0),
        );
      }, immediate));

    it("makes the same bytes from the same state, in another emulator", async () => {
      const agentId = "fixed-agent";
      const products = [{ productType: "VCD", host: "vcd.example.com", fullName: "VMware Cloud Director" }];
      const checksums = async (): Promise<string[]> => {
        return withEmulator(
          async (e) => {
            const c = await Caller.of(e);
            await c.register(registration(agentId));
            const reports = (await c.insight("GET", `/reports/${year}/${month}/${agentId}`)).json() as Report[];
            return reports.map((r) => r.checksum);
          },
          {
            ...immediate,
            usageInsight: { registrationDelayMs: 0, agents: [{ agentId, products }] },
            csp: { apiTokens: [{ token: "t", organizationId: "org" }] },
          },
        );
      };
      const first = await checksums();
      assert.equal(first.length, 2);
      assert.deepEqual(await checksums(), first);
    });

    it("refuses a download without the report's content type (406), an unknown reference (404), another organisation (404)", () =>
      withEmulator(async (e) => {
        const { c, agentId } = await registeredWithProducts(e);
        const [report] = (await c.insight("GET", `/reports/${year}/${month}/${agentId}`)).json() as Report[];
        assert.equal((await download(c, report.ref, "application/json")).status, 406);
        assert.equal((await download(c, report.ref, "*/*")).status, 406);
        assert.equal((await download(c, report.ref, `application/json, ${TSV_GZIP}`)).status, 200);
        assert.equal((await download(c, "no-such-ref")).status, 404);
        assert.equal((await c.insight("GET", "/reports", { headers: { accept: TSV_GZIP } })).status, 400);
        const stranger = await Caller.of(e, e.admin.addApiToken("another-org"));
        assert.equal((await download(stranger, report.ref)).status, 404);
        assert.deepEqual((await stranger.insight("GET", `/reports/${year}/${month}`)).json(), {});
      }, immediate));

    it("lists nothing for an agent without a contract, one in progress, a future month; 400 for a bad month", () =>
      withEmulator(
        async (e) => {
          const c = await Caller.of(e);
          const [noContract, pending] = [uuidOf(e), uuidOf(e, "second")];
          await c.register(registration(noContract, { contractNumber: undefined }));
          e.admin.setRegistrationDelay(60_000);
          await c.register(registration(pending));
          assert.deepEqual((await c.insight("GET", `/reports/${year}/${month}`)).json(), {});
          assert.deepEqual((await c.insight("GET", `/reports/${year + 1}/${month}`)).json(), {});
          for (const bad of [`${year}/13`, `${year}/0`, `26/${month}`, `${year}/x`])
            assert.equal((await c.insight("GET", `/reports/${bad}`)).status, 400, bad);
        },
        { usageMeters: { default: {}, second: {} }, ...immediate },
      ));

    it("serves a report added by hand, and a corrupted body that no longer matches its checksum or length", () =>
      withEmulator(async (e) => {
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId));
        const added = e.admin.addReport({ agentId, year: 2025, month: 6, content: "a\tb\n1\t2\n" });
        const listed = (await c.insight("GET", `/reports/2025/6/${agentId}`)).json() as Report[];
        assert.deepEqual(listed, [
          {
            checksum: added.checksum,
            contentLength: added.contentLength,
            contentType: TSV_GZIP,
            ref: added.ref,
            reportType: "USAGE_DETAIL",
          },
        ]);
        assert.equal(gunzipSync((await download(c, added.ref)).raw).toString(), "a\tb\n1\t2\n");

        e.admin.corruptReport(added.ref, "checksum");
        const corrupted = await download(c, added.ref);
        assert.equal(corrupted.raw.length, added.contentLength);
        assert.notEqual(createHash("md5").update(corrupted.raw).digest("hex"), added.checksum);
        e.admin.corruptReport(added.ref, "length");
        assert.ok((await download(c, added.ref)).raw.length < added.contentLength);
      }, immediate));
  });

  describe("admin over HTTP", () => {
    const admin = (e: RunningEmulator, method: string, path: string, body?: unknown) =>
      plainRequest(e.caPem, method, `${e.url}/__admin${path}`, { body });

    it("lists its operations in the index, changes a registration as the portal would, and names a bad field", () =>
      withEmulator(async (e) => {
        const index = (await admin(e, "GET", "/")).json() as { routes: Array<{ method: string; path: string }> };
        const listed = index.routes.map((r) => `${r.method} ${r.path}`);
        for (const expected of [
          "POST /__admin/csp/api-tokens/revoke",
          "POST /__admin/csp/expire-access-tokens",
          "PATCH /__admin/usage-insight/registrations/{agentId}",
          "PUT /__admin/usage-insight/registrations/{agentId}/hold",
          "POST /__admin/usage-insight/reports/corrupt",
        ])
          assert.ok(listed.includes(expected), expected);
        const c = await Caller.of(e);
        const agentId = uuidOf(e);
        await c.register(registration(agentId));
        const bad = await admin(e, "PATCH", `/usage-insight/registrations/${agentId}`, { meteringMode: "FREE" });
        assert.equal(bad.status, 400);
        assert.match((bad.json() as { errMessage: string }).errMessage, /meteringMode/);
        const changed = await admin(e, "PATCH", `/usage-insight/registrations/${agentId}`, { label: "portal" });
        assert.equal(changed.status, 200);
        assert.equal((changed.json() as { agentSequence: number }).agentSequence, 2);
        assert.equal((await c.agent(agentId)).label, "portal");
        assert.equal((await admin(e, "PATCH", "/usage-insight/registrations/nobody", { label: "x" })).status, 400);
        assert.equal((await admin(e, "POST", "/csp/expire-access-tokens")).status, 200);
        assert.equal((await c.status(agentId)).status, 401);
        assert.deepEqual((await admin(e, "GET", "/csp")).json(), {
          exchanges: { api_token: 1, refresh_token: 0 },
          apiTokens: 1,
          accessTokens: 1,
        });
      }, immediate));
  });
});
