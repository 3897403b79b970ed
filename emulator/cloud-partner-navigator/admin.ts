/**
 * Out-of-band changes to the Cloud Partner Navigator, as an operator in the portal (or a
 * failure) would make them: in process (`emulator.admin`) and over HTTP under `/__admin/csp`
 * and `/__admin/usage-insight`.
 */
import { z } from "zod";
import { AdminModule, adminOperation } from "../core/admin";
import { Same } from "../core/same";
import { CspState, newApiToken } from "./csp";
import { ReportsState, StoredReport, storeReport } from "./reports";
import {
  CONNECTIVITY_MODES,
  inProgress,
  knownAgent,
  KnownAgentOptions,
  METERING_MODES,
  publicAgent,
  Registration,
  touch,
  UsageInsightState,
  withdraw,
} from "./registrations";

/** Who the records say made a change through the admin operations. */
const PORTAL_USER = "portal-operator@example.com";

const registrationChangeSchema = z
  .object({
    label: z.string().min(1).max(512),
    meteringMode: z.enum(METERING_MODES as ["PRODUCTION", "TEST"]),
    connectivityMode: z.enum(CONNECTIVITY_MODES as ["ONLINE", "OFFLINE"]),
    siteName: z.string().nullable().describe("null removes it"),
    contractNumber: z.string().nullable().describe("null unlinks the contract (GET then answers 204)"),
  })
  .partial()
  .strict();
/** A change made in the portal; `null` removes the site or unlinks the contract. */
export interface RegistrationChange {
  label?: string;
  meteringMode?: "PRODUCTION" | "TEST";
  connectivityMode?: "ONLINE" | "OFFLINE";
  siteName?: string | null;
  contractNumber?: string | null;
}
true satisfies Same<RegistrationChange, z.infer<typeof registrationChangeSchema>>;

const newReportSchema = z
  .object({
    agentId: z.string().min(1),
    year: z.number().int().min(1000).max(9999),
    month: z.number().int().min(1).max(12),
    reportType: z.string().min(1).optional().describe('default "USAGE_DETAIL"'),
    organizationId: z.string().optional().describe("default: the agent's registration's, else the first API token's"),
    content: z.string().describe("the report's tab-separated text (gzipped by the emulator)"),
  })
  .strict();
/** A report added by hand. */
export interface NewReport {
  agentId: string;
  year: number;
  month: number;
  /** Default "USAGE_DETAIL". */
  reportType?: string;
  /** Default: the organisation of the agent's registration, else that of the first API token. */
  organizationId?: string;
  /** The tab-separated text; the emulator gzips it. */
  content: string;
}
true satisfies Same<NewReport, z.infer<typeof newReportSchema>>;

const corruptionSchema = z
  .object({
    ref: z.string(),
    how: z
      .enum(["checksum", "length"])
      .describe("checksum: same length, other bytes; length: the body loses its last bytes"),
  })
  .strict();
const newApiTokenSchema = z.object({ organizationId: z.string().min(1), user: z.string().min(1).optional() }).strict();
const tokenSchema = z.object({ token: z.string() }).strict();
const holdSchema = z.object({ held: z.boolean() }).strict();
const delaySchema = z.object({ ms: z.number().int().min(0) }).strict();
const productSchema = z.object({ productType: z.string(), host: z.string(), fullName: z.string() }).strict();
const agentSchema = z
  .object({
    agentId: z.string().min(1),
    version: z.string().optional().describe('default "4.8"'),
    products: z.array(productSchema).optional().describe("what it meters, for its reports"),
  })
  .strict();
true satisfies Same<KnownAgentOptions, z.infer<typeof agentSchema>>;

/** A registration as the services hold it. */
export type RegistrationRecord = Omit<Registration, "completesAt"> & { inProgress: boolean };

/** A report's listing, with whose and which month it is. */
export type ReportRecord = Omit<StoredReport, "body">;

export interface CloudPartnerNavigatorAdmin {
  /** Token exchanges answered with an access token, by form field. */
  cspExchanges(): { api_token: number; refresh_token: number };
  /** A new API token of this organisation; answers it. */
  addApiToken(organizationId: string, user?: string): string;
  /** The API token is refused from now on (its access tokens live on until they expire). */
  revokeApiToken(token: string): void;
  /** Every access token issued so far expires now. */
  expireAccessTokens(): void;
  /** Every access token issued (none may end up in state or logs). */
  issuedAccessTokens(): string[];
  registrations(): RegistrationRecord[];
  registration(agentId: string): RegistrationRecord;
  /** Changes a registration as the portal would (a new `agentSequence`, `changedBy` the portal operator). */
  changeRegistration(agentId: string, change: RegistrationChange): RegistrationRecord;
  withdrawRegistration(agentId: string): void;
  /** Keeps a registration in progress (`held: true`) until released (`held: false`). */
  holdRegistration(agentId: string, held: boolean): void;
  /** How long new registrations take from now on, in ms. */
  setRegistrationDelay(ms: number): void;
  /** An agent the cloud side knows from now on, without an emulated appliance. */
  addMeteringAgent(agent: KnownAgentOptions): void;
  reports(): ReportRecord[];
  addReport(report: NewReport): ReportRecord;
  /** The report's body no longer matches its listed checksum (or length). */
  corruptReport(ref: string, how: "checksum" | "length"): void;
}

export function cloudPartnerNavigatorAdmin(
  csp: CspState,
  state: UsageInsightState,
  reports: ReportsState,
): AdminModule<CloudPartnerNavigatorAdmin> {
  const admin = inProcessAdmin(csp, state, reports);
  const reg = "/usage-insight/registrations/{agentId}";
  const operations = [
    adminOperation({
      method: "GET",
      path: "/csp",
      summary: "token exchanges so far (by form field), and how many API and access tokens it has",
      run: () => ({
        exchanges: admin.cspExchanges(),
        apiTokens: csp.apiTokens.length,
        accessTokens: csp.accessTokens.size,
      }),
    }),
    adminOperation({
      method: "POST",
      path: "/csp/api-tokens",
      summary: "generate an API token for an organisation; answers { token }",
      body: newApiTokenSchema,
      run: (_, body) => ({ token: admin.addApiToken(body.organizationId, body.user) }),
    }),
    adminOperation({
      method: "POST",
      path: "/csp/api-tokens/revoke",
      summary: "revoke an API token: exchanging it is refused from now on",
      body: tokenSchema,
      run: (_, body) => admin.revokeApiToken(body.token),
    }),
    adminOperation({
      method: "POST",
      path: "/csp/expire-access-tokens",
      summary: "every access token issued so far expires now",
      run: () => admin.expireAccessTokens(),
    }),
    adminOperation({
      method: "GET",
      path: "/usage-insight/registrations",
      summary: "every registration, withdrawn ones included",
      run: () => admin.registrations(),
    }),
    adminOperation({
      method: "GET",
      path: reg,
      summary: "one registration",
      run: ({ agentId }) => admin.registration(agentId),
    }),
    adminOperation({
      method: "PATCH",
      path: reg,
      summary: "change a registration as the portal would (bumps agentSequence)",
      body: registrationChangeSchema,
      run: ({ agentId }, change) => admin.changeRegistration(agentId, change),
    }),
    adminOperation({
      method: "DELETE",
      path: reg,
      summary: "withdraw a registration as the portal would",
      run: ({ agentId }) => admin.withdrawRegistration(agentId),
    }),
    adminOperation({
      method: "PUT",
      path: `${reg}/hold`,
      summary: "held: true keeps the registration in progress until held: false",
      body: holdSchema,
      run: ({ agentId }, body) => admin.holdRegistration(agentId, body.held),
    }),
    adminOperation({
      method: "PUT",
      path: "/usage-insight/registration-delay",
      summary: "how long new registrations take from now on (ms)",
      body: delaySchema,
      run: (_, body) => admin.setRegistrationDelay(body.ms),
    }),
    adminOperation({
      method: "POST",
      path: "/usage-insight/agents",
      summary: "make an agent known without an emulated appliance, with what it meters",
      body: agentSchema,
      run: (_, body) => admin.addMeteringAgent(body),
    }),
    adminOperation({
      method: "GET",
      path: "/usage-insight/reports",
      summary: "every report made so far, with its organisation, agent and month",
      run: () => admin.reports(),
    }),
    adminOperation({
      method: "POST",
      path: "/usage-insight/reports",
      summary: "add a report from its tab-separated text; answers its listing",
      body: newReportSchema,
      run: (_, body) => admin.addReport(body),
    }),
    adminOperation({
      method: "POST",
      path: "/usage-insight/reports/corrupt",
      summary: "the report's body stops matching its listed checksum or length",
      body: corruptionSchema,
      run: (_, body) => admin.corruptReport(body.ref, body.how),
    }),
  ];
  return { admin, operations };
}

function inProcessAdmin(csp: CspState, state: UsageInsightState, reports: ReportsState): CloudPartnerNavigatorAdmin {
  const registration = (agentId: string) => {
    const found = state.registrations.get(agentId);
    if (!found) throw new Error(`agent ${agentId} has never been registered`);
    return found;
  };
  const record = (agentId: string): RegistrationRecord => {
    const r = registration(agentId);
    return {
      ...(publicAgent(r) as Omit<RegistrationRecord, "contractNumber" | "siteName" | "inProgress">),
      ...(r.contractNumber !== undefined ? { contractNumber: r.contractNumber } : {}),
      ...(r.siteName !== undefined ? { siteName: r.siteName } : {}),
      inProgress: inProgress(r),
    };
  };
  const report = (ref: string) => {
    const found = reports.reports.get(ref);
    if (!found) throw new Error(`no report has the reference ${ref}`);
    return found;
  };
  const reportRecord = ({ body: _body, ...rest }: ReturnType<typeof report>): ReportRecord => rest;
  return {
    cspExchanges: () => ({ ...csp.exchanges }),
    addApiToken(organizationId, user) {
      const token = newApiToken();
      csp.apiTokens.push({ token, organizationId, user: user ?? `api-user@${organizationId}`, revoked: false });
      return token;
    },
    revokeApiToken(token) {
      const found = csp.apiTokens.find((t) => t.token === token);
      if (!found) throw new Error("no such API token");
      found.revoked = true;
    },
    expireAccessTokens() {
      for (const token of csp.accessTokens.values()) token.expiresAt = 0;
    },
    issuedAccessTokens: () => [...csp.accessTokens.keys()],
    registrations: () => [...state.registrations.keys()].map(record),
    registration: record,
    changeRegistration(agentId, change) {
      const r = registration(agentId);
      if (r.deleted) throw new Error(`agent ${agentId} is withdrawn`);
      for (const [field, value] of Object.entries(change) as Array<[keyof RegistrationChange, unknown]>) {
        if (value === null) delete r[field];
        else Object.assign(r, { [field]: value });
      }
      touch(r, PORTAL_USER);
      return record(agentId);
    },
    withdrawRegistration(agentId) {
      const r = registration(agentId);
      if (r.deleted) throw new Error(`agent ${agentId} is already withdrawn`);
      withdraw(r, PORTAL_USER);
    },
    holdRegistration(agentId, held) {
      const r = registration(agentId);
      r.held = held;
      // Released: it completes now, whatever was left of its delay.
      if (!held) r.completesAt = Math.min(r.completesAt, Date.now());
    },
    setRegistrationDelay: (ms) => void (state.registrationDelayMs = ms),
    addMeteringAgent: (agent) => void state.extraAgents.set(agent.agentId, knownAgent(agent)),
    reports: () => [...reports.reports.values()].map(reportRecord),
    addReport({ content, reportType, organizationId, ...key }) {
      const owner =
        organizationId ?? state.registrations.get(key.agentId)?.organizationId ?? csp.apiTokens[0].organizationId;
      return reportRecord(
        storeReport(reports, { ...key, organizationId: owner, reportType: reportType ?? "USAGE_DETAIL" }, content),
      );
    },
    corruptReport(ref, how) {
      const r = report(ref);
      const body = Buffer.from(r.body);
      if (how === "length") r.body = body.subarray(0, Math.max(0, body.length - 8));
      else {
        // Flip a byte of the CRC trailer: the length stays, the MD5 changes.
        body[body.length - 5] ^= 0xff;
        r.body = body;
      }
    },
  };
}
