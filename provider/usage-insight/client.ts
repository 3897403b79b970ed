/**
 * Typed client of the Cloud Partner Navigator's Usage Insight service (registrations, monthly
 * usage reports) and of the usage metering agents API (an agent's label and metering mode, and
 * withdrawal). Both take the same CSP access token, exchanged once per API token per process
 * (auth/csp-api-token.ts). Knows nothing of Pulumi.
 */
import { z } from "zod";
import { cspApiToken } from "../auth/csp-api-token";
import { Authenticator, Endpoint, HttpClient } from "../http/client";
import { gzipTsv } from "../http/codecs";
import { ServiceError } from "../errors";
import { agentsUrlMissing, UsageInsightSettings } from "./settings";
import {
  Agent,
  agentReportsSchema,
  agentSchema,
  ConnectivityMode,
  MeteringMode,
  monthReportsSchema,
  Report,
  registrationSchema,
} from "./schemas";
import { SharedReads } from "../shared-reads";

export const SERVICE = "Usage Insight";
export const AGENTS_SERVICE = "Usage metering agents";
export const CSP_SERVICE = "Cloud Partner Navigator";

/** The header a 202 carries while a registration is in progress (any case: Node lowercases it). */
export const PROGRESS_HEADER = "agent-registration-progress";

/** Where a registration stands, as `GET /agent-registrations/{agentId}` answers. */
export type RegistrationStatus =
  | { state: "registered"; contractNumber: string; siteName?: string }
  | { state: "in-progress"; progress?: string }
  | { state: "no-contract"; siteName?: string }
  | { state: "not-registered" };

export interface RegistrationSpec {
  agentId: string;
  label: string;
  contractNumber?: string;
  siteName?: string;
  meteringMode: MeteringMode;
  connectivityMode: ConnectivityMode;
  /** `major.minor`; the service takes it at first registration only. */
  version?: string;
}

export interface AgentChanges {
  label?: string;
  meteringMode?: MeteringMode;
}

const ignoredBody = z.unknown();

/** What a POST that was sent may have done: no answer, or the service failed after reading it. */
export function isAnswerLost(error: unknown): boolean {
  return error instanceof ServiceError && (error.status === undefined || error.status >= 500);
}

const registrationKey = (agentId: string) => `registration:${agentId}`;

export class UsageInsightClient {
  readonly http: HttpClient;
  private readonly agentsHttp?: HttpClient;
  private readonly auth: Authenticator;
  /** Registration look-ups shared by the resource and the functions of one process; writes drop them. */
  private readonly reads = new SharedReads();

  constructor(settings: UsageInsightSettings, options: Partial<Endpoint> = {}) {
    const common = { tls: settings.tls, ...options };
    this.http = new HttpClient({
      service: SERVICE,
      baseUrl: settings.usageInsightUrl,
      hint: usageInsightHint,
      ...common,
    });
    if (settings.usageMeteringAgentsUrl)
      this.agentsHttp = new HttpClient({
        service: AGENTS_SERVICE,
        baseUrl: settings.usageMeteringAgentsUrl,
        ...common,
      });
    const csp = new HttpClient({ service: CSP_SERVICE, baseUrl: settings.cspUrl, ...common });
    this.auth = cspApiToken(csp, settings.apiToken());
  }

  /** Whether the agents API is configured (label, metering mode and agentSequence can be read). */
  get hasAgentsApi(): boolean {
    return this.agentsHttp !== undefined;
  }

  /**
   * 200 registered, 202 in progress, 204 registered without a contract, 404 not registered.
   * Shared: callers within `maxAgeMs` (a poller passes its interval) share one look-up.
   */
  registration(agentId: string, maxAgeMs?: number): Promise<RegistrationStatus> {
    return this.reads.read(registrationKey(agentId), () => this.lookUpRegistration(agentId), maxAgeMs);
  }

  private async lookUpRegistration(agentId: string): Promise<RegistrationStatus> {
    const reply = await this.http.send(
      {
        operation: "read agent registration",
        method: "GET",
        path: `agent-registrations/${encodeURIComponent(agentId)}`,
        schema: registrationSchema,
        acceptStatuses: [404],
      },
      this.auth,
    );
    if (!reply.ok) return { state: "not-registered" };
    if (reply.status === 202) return { state: "in-progress", progress: headerText(reply.headers[PROGRESS_HEADER]) };
    const contractNumber = reply.body?.contractNumber;
    // 204, or a 200 that names no contract: registered, but nothing is billed against a contract.
    if (contractNumber === undefined) return { state: "no-contract", siteName: reply.body?.siteName };
    return { state: "registered", contractNumber, siteName: reply.body?.siteName };
  }

  /**
   * `POST /agent-registrations`, sent once and never retried: 201 (already registered as
   * specified) and 202 (started) are both success, as is any other 2xx. After a lost answer
   * (see `isAnswerLost`) the caller looks the registration up before anything else.
   */
  async register(spec: RegistrationSpec): Promise<{ status: number }> {
    const reply = await this.reads.writing([registrationKey(spec.agentId)], () =>
      this.http.send(
        { operation: "register agent", method: "POST", path: "agent-registrations", json: spec, schema: ignoredBody },
        this.auth,
      ),
    );
    return { status: reply.status };
  }

  /** The agent as the agents API reports it; undefined when it does not know it or it was withdrawn. */
  async agent(agentId: string): Promise<Agent | undefined> {
    const http = this.agents("reading an agent's label and metering mode");
    const reply = await http.send(
      { ...this.agentCall("read agent", "GET", agentId), acceptStatuses: [404] },
      this.auth,
    );
    if (!reply.ok || reply.body.deleted === true) return undefined;
    return reply.body;
  }

  /**
   * Changes an agent's label and metering mode with the optimistic lock `agentSequence`; a 412
   * (someone changed it since) re-reads the agent and tries once more with its new sequence.
   */
  async updateAgent(agentId: string, changes: AgentChanges, agentSequence?: number): Promise<Agent> {
    const http = this.agents("changing a label or metering mode");
    let sequence = agentSequence ?? (await this.requireAgent(agentId)).agentSequence;
    for (let attempt = 1; ; attempt++) {
      const call = {
        ...this.agentCall("update agent", "PATCH", agentId),
        json: { ...changes, agentSequence: sequence },
        schema: ignoredBody,
        acceptStatuses: [412],
        // Safe to repeat (a lost answer, a 5xx, a reset): it sets fields to values, and a repeat after
        // the service applied it meets the 412 below, which re-reads the agent.
        idempotent: true,
      };
      const reply = await http.send(call, this.auth);
      if (reply.ok) {
        // The agents API answers the updated agent; an answer without one is read back.
        const updated = agentSchema.safeParse(reply.body);
        return updated.success ? updated.data : this.requireAgent(agentId);
      }
      if (attempt === 2)
        throw new ServiceError({
          call: http.describe(call),
          detail: "412: the agent was changed by someone else twice while this update was sent",
          code: "HTTP_ERROR",
          status: 412,
          hint: "Someone is editing the agent in the portal at the same time: run pulumi up again",
        });
      sequence = (await this.requireAgent(agentId)).agentSequence;
    }
  }

  /** Withdraws a registration; false when the agents API did not know it. */
  async withdrawAgent(agentId: string): Promise<boolean> {
    const http = this.agents("withdrawing a registration");
    const reply = await this.reads.writing([registrationKey(agentId)], () =>
      http.send(
        { ...this.agentCall("withdraw agent", "DELETE", agentId), schema: ignoredBody, acceptStatuses: [404] },
        this.auth,
      ),
    );
    return reply.ok;
  }

  /** Every report of a month, by agent id. */
  async monthReports(year: number, month: number): Promise<Record<string, Report[]>> {
    return this.http.request(
      { operation: "list usage reports", method: "GET", path: `reports/${year}/${month}`, schema: monthReportsSchema },
      this.auth,
    );
  }

  /** One agent's reports of a month. */
  async agentReports(year: number, month: number, agentId: string): Promise<Report[]> {
    return this.http.request(
      {
        operation: "list usage reports of an agent",
        method: "GET",
        path: `reports/${year}/${month}/${encodeURIComponent(agentId)}`,
        schema: agentReportsSchema,
      },
      this.auth,
    );
  }

  /**
   * Downloads a report with its content type as `Accept`, verifies its length and MD5 against
   * the listing (INTEGRITY on a mismatch), gunzips it and parses its tab-separated rows.
   */
  async downloadReport(report: Pick<Report, "ref" | "contentType" | "contentLength" | "checksum">) {
    const codec = gzipTsv({
      accept: report.contentType,
      contentLength: report.contentLength,
      checksum: report.checksum,
    });
    return this.http.request(
      {
        operation: "download usage report",
        method: "GET",
        path: "reports",
        searchParams: { ref: report.ref },
        codec,
        schema: z.array(z.record(z.string(), z.string())),
      },
      this.auth,
    );
  }

  private agents(what: string): HttpClient {
    if (!this.agentsHttp) throw agentsUrlMissing(what);
    return this.agentsHttp;
  }

  private agentCall(operation: string, method: "GET" | "PATCH" | "DELETE", agentId: string) {
    return { operation, method, path: encodeURIComponent(agentId), schema: agentSchema };
  }

  private async requireAgent(agentId: string): Promise<Agent> {
    const agent = await this.agent(agentId);
    if (agent) return agent;
    const http = this.agents("reading an agent");
    throw new ServiceError({
      call: http.describe(this.agentCall("read agent", "GET", agentId)),
      detail: "404: the agents API does not know this agent (withdrawn?)",
      code: "GONE",
      status: 404,
      hint: "Run pulumi refresh to see the registration as it is, then pulumi up",
    });
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(", ") : value;
  return text === undefined || text === "" ? undefined : text;
}

function usageInsightHint(status: number | undefined): string | undefined {
  if (status === 401)
    return "The access token was refused: generate a new API token in the Cloud Partner Navigator and set it with pulumi config set --secret vcpp:cspApiToken";
  if (status === 404)
    return "Usage Insight does not know this agent: the Usage Meter must have reached the cloud (or uploaded its data offline) before it can be registered; check agentId and vcpp:usageInsightUrl";
  if (status === 409)
    return "The agent is already registered with other settings (another contract, or another label, mode or site): a registration is never overridden; change label and meteringMode in place, or withdraw the registration in the Cloud Partner Navigator first";
  if (status === 400)
    return "Usage Insight refused the registration: check contractNumber, meteringMode, connectivityMode and version (a concrete major.minor such as 4.8, never 4.x)";
  return undefined;
}
