/**
 * Usage Insight registrations (`…/usage/api/v1/agent-registrations`) and the usage metering
 * agents API (`…/usage-metering-agents`) that changes and withdraws them, as seeds 000/001 and
 * the vendor's references describe them (sections 3, 6 and 7 of the API reference).
 *
 * Where the contract is silent (README, "The emulator"):
 * - the agents it knows are the emulated Usage Meter appliances (agentId = their UUID) and those
 *   given in `usageInsight.agents`; any other agentId is a 404;
 * - an agent registered by another organisation, or with another contract, is a 409 naming
 *   the conflict; so is a POST for the same contract whose label or modes differ (those change
 *   through the agents API's PATCH, not by registering again);
 * - a POST for a registration still in progress answers 202 again (nothing new is started);
 * - a new registration takes `registrationDelayMs` (default 1 s) to complete; meanwhile GET
 *   answers 202 with `Agent-Registration-Progress` as a whole percentage ("40");
 * - `version` may be omitted: the agent's own version is used; a wildcard (`4.x`) is a 400;
 * - a withdrawn registration reads as 404 on GET `agent-registrations/{id}`, but the agents API
 *   still shows it with `deleted: true`; registering it again starts a new registration;
 * - `modifiedAt` and `effectiveFrom` are ISO 8601 timestamps.
 */
import { MeteredProduct, MeteringAgent, MeteringAgents } from "../core/metering-agents";
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";
import { Caller, callerOf, CspState } from "./csp";

export const METERING_MODES = ["PRODUCTION", "TEST"];
export const CONNECTIVITY_MODES = ["ONLINE", "OFFLINE"];

/** An agent the cloud side knows without an emulated appliance behind it. */
export interface KnownAgentOptions {
  agentId: string;
  /** `major.minor` (default "4.8"). */
  version?: string;
  /** What it meters, for its reports (default: nothing). */
  products?: MeteredProduct[];
}

/** An agent known from options or by hand, as the appliances are known. */
export function knownAgent({ agentId, version, products = [] }: KnownAgentOptions): MeteringAgent {
  return { agentId, version: version ?? "4.8", meteredProducts: () => products };
}

export interface Registration {
  agentId: string;
  organizationId: string;
  label: string;
  meteringMode: string;
  connectivityMode: string;
  version: string;
  contractNumber?: string;
  siteName?: string;
  modifiedAt: string;
  effectiveFrom: string;
  changedBy: string;
  agentSequence: number;
  deleted: boolean;
  /** When the registration completes (ms since the epoch). */
  completesAt: number;
  startedAt: number;
  /** Held in progress by an operator, whatever `completesAt` says. */
  held: boolean;
}

export interface UsageInsightState {
  appliances: MeteringAgents;
  /** Agents known besides the appliances. */
  extraAgents: MeteringAgents;
  registrations: Map<string, Registration>;
  registrationDelayMs: number;
}

const LOCATION_PREFIX = "/api/v1/agent-registrations/";
const MAJOR_MINOR = /^\d+\.\d+$/;

export const uiError = (status: number, message: string): EmulatorResponse => ({
  status,
  body: { status, error: reason(status), message },
});

function reason(status: number): string {
  const reasons: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    412: "Precondition Failed",
  };
  return reasons[status] ?? "Error";
}

/** The agent if the cloud side knows it. */
export function agentOf(state: UsageInsightState, agentId: string): MeteringAgent | undefined {
  return state.appliances.get(agentId) ?? state.extraAgents.get(agentId);
}

export function inProgress(r: Registration, now = Date.now()): boolean {
  return r.held || now < r.completesAt;
}

/** A live registration this caller may see. */
export function visibleRegistration(
  state: UsageInsightState,
  caller: Caller,
  agentId: string,
): Registration | undefined {
  const r = state.registrations.get(agentId);
  return r && r.organizationId === caller.organizationId ? r : undefined;
}

/** Records a change as the portal or the API would: a new sequence, who and when. */
export function touch(r: Registration, changedBy: string): void {
  const now = new Date().toISOString();
  r.agentSequence++;
  r.modifiedAt = now;
  r.effectiveFrom = now;
  r.changedBy = changedBy;
}

/** Routes that need a live access token: the caller is resolved first, or the answer is 401. */
export function authenticated(
  csp: CspState,
  service: string,
  method: string,
  pattern: RegExp,
  handler: (caller: Caller, req: EmulatorRequest) => EmulatorResponse,
): Route {
  return {
    service,
    method,
    pattern,
    handle: (req) => {
      const caller = callerOf(csp, req);
      if (caller) return handler(caller, req);
      return {
        ...uiError(401, "Missing, invalid or expired access token"),
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      };
    },
  };
}

export function registrationRoutes(state: UsageInsightState, csp: CspState, base: string): Route[] {
  const route = (method: string, path: string, handler: (caller: Caller, req: EmulatorRequest) => EmulatorResponse) =>
    authenticated(csp, "usage-insight", method, new RegExp(`^${base}/agent-registrations${path}$`), handler);
  return [
    route("POST", "", (caller, req) => register(state, caller, req)),
    route("GET", "/(?<agentId>[^/]+)", (caller, req) => registrationStatus(state, caller, req.params.agentId)),
  ];
}

type RegistrationBody = Partial<Record<string, unknown>>;

function validate(body: RegistrationBody): string | undefined {
  for (const field of ["agentId", "label"])
    if (typeof body[field] !== "string" || body[field] === "") return `${field} is required`;
  if ((body.label as string).length > 512) return "label must be at most 512 characters";
  if (body.meteringMode !== undefined && !METERING_MODES.includes(body.meteringMode as string))
    return `meteringMode must be one of ${METERING_MODES.join(", ")}`;
  if (body.connectivityMode !== undefined && !CONNECTIVITY_MODES.includes(body.connectivityMode as string))
    return `connectivityMode must be one of ${CONNECTIVITY_MODES.join(", ")}`;
  for (const field of ["contractNumber", "siteName"])
    if (body[field] !== undefined && typeof body[field] !== "string") return `${field} must be a string`;
  if (body.version !== undefined && (typeof body.version !== "string" || !MAJOR_MINOR.test(body.version)))
    return `version must be a concrete major.minor version such as 4.8, not ${JSON.stringify(body.version)}`;
  return undefined;
}

function register(state: UsageInsightState, caller: Caller, req: EmulatorRequest): EmulatorResponse {
  const body = (req.body ?? {}) as RegistrationBody;
  if (typeof body !== "object") return uiError(400, "the body must be a JSON object");
  const invalid = validate(body);
  if (invalid) return uiError(400, invalid);
  const agentId = body.agentId as string;
  const agent = agentOf(state, agentId);
  if (!agent) return uiError(404, `Agent ${agentId} is not known`);
  // What the request names; the modes' defaults apply to a new registration only.
  const sent = {
    label: body.label as string,
    meteringMode: body.meteringMode as string | undefined,
    connectivityMode: body.connectivityMode as string | undefined,
    siteName: body.siteName as string | undefined,
  };
  const accepted = { status: 202, headers: { location: `${LOCATION_PREFIX}${agentId}` } };
  const existing = state.registrations.get(agentId);
  if (existing && !existing.deleted) {
    if (existing.organizationId !== caller.organizationId)
      return uiError(409, `Agent ${agentId} is registered by another organization`);
    const how = existing.contractNumber ? `with contract ${existing.contractNumber}` : "without a contract";
    if (existing.contractNumber !== body.contractNumber)
      return uiError(409, `Agent ${agentId} is already registered ${how}`);
    const differing = (Object.keys(sent) as Array<keyof typeof sent>).filter(
      (k) => sent[k] !== undefined && sent[k] !== existing[k],
    );
    if (differing.length > 0)
      return uiError(
        409,
        `Agent ${agentId} is already registered ${how} but a different ${differing.join(", ")}; change it through the usage metering agents API`,
      );
    return inProgress(existing) ? accepted : { status: 201 };
  }
  const now = Date.now();
  const stamp = new Date(now).toISOString();
  state.registrations.set(agentId, {
    agentId,
    organizationId: caller.organizationId,
    ...sent,
    meteringMode: sent.meteringMode ?? "PRODUCTION",
    connectivityMode: sent.connectivityMode ?? "ONLINE",
    contractNumber: body.contractNumber as string | undefined,
    version: (body.version as string | undefined) ?? agent.version,
    modifiedAt: stamp,
    effectiveFrom: stamp,
    changedBy: caller.user,
    // A registration withdrawn before keeps counting: a stale sequence stays stale.
    agentSequence: (existing?.agentSequence ?? 0) + 1,
    deleted: false,
    startedAt: now,
    completesAt: now + state.registrationDelayMs,
    held: false,
  });
  return accepted;
}

function registrationStatus(state: UsageInsightState, caller: Caller, agentId: string): EmulatorResponse {
  const r = visibleRegistration(state, caller, agentId);
  if (!r || r.deleted) return uiError(404, `Agent ${agentId} is not registered`);
  const now = Date.now();
  if (inProgress(r, now)) {
    const span = Math.max(r.completesAt - r.startedAt, 1);
    const percent = Math.min(99, Math.floor(((now - r.startedAt) / span) * 100));
    return { status: 202, headers: { "agent-registration-progress": String(percent) } };
  }
  if (r.contractNumber === undefined) return { status: 204 };
  return {
    status: 200,
    body: { contractNumber: r.contractNumber, ...(r.siteName !== undefined ? { siteName: r.siteName } : {}) },
  };
}

/** An agent as the usage metering agents API shows it. */
export function publicAgent(r: Registration): Record<string, unknown> {
  const { agentId, organizationId, label, modifiedAt, meteringMode, version, connectivityMode } = r;
  const { effectiveFrom, changedBy, agentSequence, deleted } = r;
  return {
    agentId,
    organizationId,
    label,
    modifiedAt,
    meteringMode,
    version,
    connectivityMode,
    effectiveFrom,
    changedBy,
    agentSequence,
    deleted,
  };
}

export function agentRoutes(state: UsageInsightState, csp: CspState, bases: string[]): Route[] {
  const pattern = new RegExp(`^(?:${bases.join("|")})/(?<agentId>[^/]+)$`);
  const route = (
    method: string,
    handler: (r: Registration, caller: Caller, req: EmulatorRequest) => EmulatorResponse,
  ) =>
    authenticated(csp, "usage-metering-agents", method, pattern, (caller, req) => {
      const r = visibleRegistration(state, caller, req.params.agentId);
      if (!r) return uiError(404, `Agent ${req.params.agentId} is not registered`);
      return handler(r, caller, req);
    });
  return [
    route("GET", (r) => ({ status: 200, body: publicAgent(r) })),
    route("PATCH", (r, caller, req) => patchAgent(r, caller, req)),
    route("DELETE", (r, caller) => {
      if (r.deleted) return uiError(404, `Agent ${r.agentId} is already withdrawn`);
      withdraw(r, caller.user);
      return { status: 204 };
    }),
  ];
}

function patchAgent(r: Registration, caller: Caller, req: EmulatorRequest): EmulatorResponse {
  if (r.deleted) return uiError(404, `Agent ${r.agentId} is withdrawn`);
  const body = (req.body ?? {}) as RegistrationBody;
  if (!Number.isInteger(body.agentSequence)) return uiError(400, "agentSequence is required (an integer)");
  if (body.label !== undefined && (typeof body.label !== "string" || body.label === "" || body.label.length > 512))
    return uiError(400, "label must be 1 to 512 characters");
  if (body.meteringMode !== undefined && !METERING_MODES.includes(body.meteringMode as string))
    return uiError(400, `meteringMode must be one of ${METERING_MODES.join(", ")}`);
  if (body.agentSequence !== r.agentSequence)
    return uiError(
      412,
      `agentSequence ${String(body.agentSequence)} is stale: agent ${r.agentId} is at ${r.agentSequence}; read it again`,
    );
  if (body.label !== undefined) r.label = body.label as string;
  if (body.meteringMode !== undefined) r.meteringMode = body.meteringMode as string;
  touch(r, caller.user);
  return { status: 200, body: publicAgent(r) };
}

/** Withdraws a registration: its reports stop; the agent record stays, marked deleted. */
export function withdraw(r: Registration, changedBy: string): void {
  r.deleted = true;
  r.held = false;
  touch(r, changedBy);
}
