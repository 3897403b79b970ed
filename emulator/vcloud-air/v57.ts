/**
 * vCloud Air OnDemand 5.7 (seed 002): JSON under `/api`, `Accept: application/json;version=5.7`.
 * `POST /iam/login` (Basic) → 201, `vchs-authorization` and `{serviceGroupIds}`; later calls send
 * `Authorization: Bearer <token>`. Users (SCIM-like) under `/iam/Users`, plans and instances under
 * `/sc`, read-only metering under `/billing`.
 *
 * Choices where seed 002 is silent or contradicts itself (also in the README):
 * - `/api/IAM/Users` (shown once) and `/api/iam/Users` (everywhere else) are both served.
 * - Its get-one-user sample is not valid JSON (`{"users":[` closed as one object): one user is
 *   answered as the bare user object, as SCIM does (account option `singleUserForm: "users"`
 *   answers `{"users":[user]}` instead); the list is `{"users":[…]}`.
 * - Its plans sample (`{ {`) is read as `{"plans":[…]}`; instances alike, `{"instances":[…]}`.
 * - Errors are `{"code","message"}`. Create answers 201 with the user, update 200 with the user,
 *   delete and forgot-password 204. A second user with the same userName (case-insensitive)
 *   answers 409 `USER_ALREADY_EXISTS`; a bad e-mail, an unknown role or a missing field 400.
 * - An update (`PUT`) changes the fields it carries; userName cannot change (400).
 * - Roles are sent by name or id, in the seed's `{"roles":{"roles":[{name,id}]}}` form or as a
 *   plain list; names win over ids (see VCA_ROLES).
 * - The API documents no logout for 5.7: none is served.
 * - Metering: the answer's shape and the unbilled path (`…/unbilled-usage`) are the emulator's;
 *   usage before the first day of the current month (UTC) is billed, usage since is unbilled.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";
import {
  acceptsVersion,
  basicCredentials,
  findRole,
  header,
  loginUser,
  openSession,
  sessionIsValid,
  VCA_ROLES,
  VcaAccountState,
  VcaInstance,
  VcaL1,
  VcaPlan,
  VcaUserRecord,
} from "./account";
import { Attributes, compileFilter, FilterError } from "./filter";

const JSON_TYPE = "application/json;version=5.7";

type Handler = (account: VcaAccountState, req: EmulatorRequest) => EmulatorResponse;

export const jsonError = (status: number, code: string, message: string): EmulatorResponse => ({
  status,
  body: { code, message },
  headers: { "content-type": JSON_TYPE },
});
const json = (status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse => ({
  status,
  body,
  headers: { "content-type": JSON_TYPE, ...headers },
});

export function v57Routes(accounts: Map<string, VcaAccountState>, pattern: string): Route[] {
  const route = (method: string, path: string, handler: Handler, authenticated = true): Route => ({
    service: "vcloud-air",
    method,
    pattern: new RegExp(`^/vca/(?<account>${pattern})/api${path}$`),
    handle: (req) => {
      const account = accounts.get(req.params.account) as VcaAccountState;
      if (!acceptsVersion(header(req.headers, "accept"), "5.7", "application/json"))
        return jsonError(406, "NOT_ACCEPTABLE", "The Accept header must ask for application/json;version=5.7");
      if (authenticated) {
        const authorization = header(req.headers, "authorization");
        if (!authorization) return jsonError(403, "FORBIDDEN", "The Authorization header is missing");
        const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1].trim();
        if (token === undefined || !sessionIsValid(account, token))
          return jsonError(401, "UNAUTHORIZED", "The token is not valid or has expired: log in again");
      }
      return handler(account, req);
    },
  });
  const users = "/(?:iam|IAM)/Users";
  return [
    route("POST", "/iam/login", login, false),
    route("GET", users, (account, req) =>
      collection(req, account.users, USER_ATTRIBUTES, (found) => ({ users: found.map((u) => publicUser(account, u)) })),
    ),
    route("POST", users, createUser),
    route("GET", `${users}/(?<id>[^/]+)`, (account, req) =>
      withUser(account, req, (u) =>
        json(200, account.singleUserForm === "users" ? { users: [publicUser(account, u)] } : publicUser(account, u)),
      ),
    ),
    route("PUT", `${users}/(?<id>[^/]+)`, updateUser),
    route("DELETE", `${users}/(?<id>[^/]+)`, (account, req) =>
      withUser(account, req, (u) => {
        account.users = account.users.filter((other) => other !== u);
        return { status: 204 };
      }),
    ),
    route("PUT", `${users}/(?<userName>[^/]+)/password/forgot`, (account, req) => {
      const user = byUserName(account, req.params.userName);
      if (!user) return jsonError(404, "USER_NOT_FOUND", `No user with userName ${req.params.userName}`);
      account.passwordResets.push(user.userName);
      return { status: 204 };
    }),
    route("GET", "/sc/plans", (account, req) =>
      collection(req, account.plans, PLAN_ATTRIBUTES, (found) => ({ plans: found.map(publicPlan) })),
    ),
    route("GET", "/sc/instances", (account, req) =>
      collection(req, account.instances, INSTANCE_ATTRIBUTES, (found) => ({
        instances: found.map(publicInstance),
      })),
    ),
    route(
      "GET",
      "/billing/serviceinstance/(?<instance>[^/]+)/(?<level>l1|l2)/(?<entity>[^/]+)/(?<kind>billed|unbilled)-usage",
      usage,
    ),
  ];
}

const login: Handler = (account, req) => {
  const credentials = basicCredentials(header(req.headers, "authorization"));
  if (!credentials) return jsonError(403, "FORBIDDEN", "HTTP Basic credentials are required");
  const me = loginUser(account);
  if (!me || credentials.user.toLowerCase() !== account.user.toLowerCase() || credentials.password !== account.password)
    return jsonError(401, "UNAUTHORIZED", "Invalid user name or password");
  if (!me.tosAccepted)
    return jsonError(
      412,
      "TOS_NOT_ACCEPTED",
      "The terms of service are not accepted: sign in to vCloud Air in a browser and accept them",
    );
  const claims = Buffer.from(JSON.stringify({ jti: randomUUID(), sub: randomUUID() })).toString("base64url");
  const token = openSession(account, `eyJhbGciOiJIUzI1NiJ9.${claims}.${randomBytes(32).toString("base64url")}`);
  return json(201, { serviceGroupIds: account.serviceGroupIds }, { "vchs-authorization": token });
};

function collection<T>(
  req: EmulatorRequest,
  items: T[],
  attributes: Attributes<T>,
  answer: (found: T[]) => unknown,
): EmulatorResponse {
  const filters = req.query.getAll("filter");
  if (filters.length > 1) return jsonError(400, "BAD_FILTER", "Only one filter query parameter is supported");
  if (filters.length === 0) return json(200, answer(items));
  try {
    return json(200, answer(items.filter(compileFilter(filters[0], attributes))));
  } catch (error) {
    if (error instanceof FilterError) return jsonError(400, "BAD_FILTER", `filter ${filters[0]}: ${error.message}`);
    throw error;
  }
}

// ---- users ----

const USER_ATTRIBUTES: Attributes<VcaUserRecord> = {
  id: (u) => u.id,
  userName: (u) => u.userName,
  email: (u) => u.email,
  givenName: (u) => u.givenName,
  familyName: (u) => u.familyName,
  state: (u) => u.state,
  tosAccepted: (u) => u.tosAccepted,
  // Epoch milliseconds, as answered; compared with a number or a date-time.
  tosAcceptDate: (u) => u.tosAcceptDate,
  "meta.created": (u) => u.created,
  "meta.modified": (u) => u.modified,
  "roles.name": (u) => u.roles.map((id) => VCA_ROLES.find((r) => r.id === id)!.name),
  "roles.id": (u) => u.roles,
};

export function publicUser(account: VcaAccountState, u: VcaUserRecord): Record<string, unknown> {
  return {
    meta: { created: u.created, modified: u.modified },
    schemas: ["urn:scim:schemas:core:1.0"],
    state: u.state,
    id: u.id,
    companyId: account.companyId,
    customerNumber: null,
    email: u.email,
    familyName: u.familyName,
    givenName: u.givenName,
    roles: { roles: u.roles.map((id) => VCA_ROLES.find((r) => r.id === id)) },
    serviceGroupIds: { serviceGroupIds: [] },
    tosAcceptDate: u.tosAcceptDate,
    tosAccepted: u.tosAccepted,
    userName: u.userName,
  };
}

const roleReference = z.union([
  z.string(),
  z.looseObject({ name: z.string().optional(), id: z.union([z.string(), z.number()]).optional() }),
]);
const userBody = z.looseObject({
  userName: z.string().min(1).optional(),
  email: z.string().optional(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  roles: z.union([z.array(roleReference), z.looseObject({ roles: z.array(roleReference) })]).optional(),
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserFields {
  userName?: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  /** Role ids. */
  roles?: string[];
}

/** The fields of a user body, or the first thing wrong with it. */
export function userFields(body: unknown): UserFields | string {
  // The router parses JSON only when the Content-Type says so; anything else arrives as text.
  if (typeof body === "string") return "body: expected JSON with Content-Type: application/json";
  const parsed = userBody.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue.path.join(".") || "body"}: ${issue.message}`;
  }
  const { userName, email, givenName, familyName, roles } = parsed.data;
  if (email !== undefined && !EMAIL.test(email)) return `email: ${email} is not an e-mail address`;
  let roleIds: string[] | undefined;
  if (roles !== undefined) {
    const references = Array.isArray(roles) ? roles : roles.roles;
    if (references.length === 0) return "roles: at least one role is required";
    roleIds = [];
    for (const reference of references) {
      const ref =
        typeof reference === "string"
          ? VCA_ROLES.some((r) => r.id === reference)
            ? { id: reference }
            : { name: reference }
          : { name: reference.name, id: reference.id === undefined ? undefined : String(reference.id) };
      const role = findRole(ref);
      if (!role)
        return `roles: unknown role ${JSON.stringify(reference)}; known: ${VCA_ROLES.map((r) => `${r.name} (${r.id})`).join(", ")}`;
      if (!roleIds.includes(role.id)) roleIds.push(role.id);
    }
  }
  return { userName, email, givenName, familyName, roles: roleIds };
}

export function byUserName(account: VcaAccountState, userName: string): VcaUserRecord | undefined {
  return account.users.find((u) => u.userName.toLowerCase() === userName.toLowerCase());
}

/** Adds a user (through the API or out of band): the error answer, or the new record. */
export function addUser(account: VcaAccountState, fields: UserFields): VcaUserRecord | EmulatorResponse {
  for (const required of ["userName", "email", "roles"] as const)
    if (fields[required] === undefined) return jsonError(400, "BAD_REQUEST", `${required} is required`);
  if (byUserName(account, fields.userName!))
    return jsonError(409, "USER_ALREADY_EXISTS", `A user with userName ${fields.userName} already exists`);
  const now = Date.now();
  const user: VcaUserRecord = {
    id: randomUUID(),
    userName: fields.userName!,
    email: fields.email!,
    givenName: fields.givenName ?? "",
    familyName: fields.familyName ?? "",
    roles: fields.roles!,
    state: "Active",
    tosAccepted: false,
    tosAcceptDate: null,
    created: now,
    modified: now,
  };
  account.users.push(user);
  return user;
}

const createUser: Handler = (account, req) => {
  const fields = userFields(req.body);
  if (typeof fields === "string") return jsonError(400, "BAD_REQUEST", fields);
  const added = addUser(account, fields);
  return "status" in added ? added : json(201, publicUser(account, added));
};

const updateUser: Handler = (account, req) =>
  withUser(account, req, (user) => {
    const fields = userFields(req.body);
    if (typeof fields === "string") return jsonError(400, "BAD_REQUEST", fields);
    if (fields.userName !== undefined && fields.userName.toLowerCase() !== user.userName.toLowerCase())
      return jsonError(400, "BAD_REQUEST", `userName cannot change (is ${user.userName})`);
    changeUser(user, fields);
    return json(200, publicUser(account, user));
  });

/** Applies the fields given (userName excepted). */
export function changeUser(user: VcaUserRecord, fields: UserFields): void {
  const { userName: _userName, ...change } = fields;
  for (const [key, value] of Object.entries(change)) if (value !== undefined) Object.assign(user, { [key]: value });
  user.modified = Date.now();
}

function withUser(
  account: VcaAccountState,
  req: EmulatorRequest,
  then: (user: VcaUserRecord) => EmulatorResponse,
): EmulatorResponse {
  const user = account.users.find((u) => u.id === req.params.id);
  return user ? then(user) : jsonError(404, "USER_NOT_FOUND", `No user with id ${req.params.id}`);
}

// ---- plans and instances ----

const PLAN_ATTRIBUTES: Attributes<VcaPlan> = {
  id: (p) => p.id,
  name: (p) => p.name,
  serviceName: (p) => p.serviceName,
  region: (p) => p.region,
};

const publicPlan = (p: VcaPlan) => ({ ...p, link: [] });

const INSTANCE_ATTRIBUTES: Attributes<VcaInstance> = {
  id: (i) => i.id,
  name: (i) => i.name,
  region: (i) => i.region,
  planId: (i) => i.planId,
  serviceGroupId: (i) => i.serviceGroupId,
};

/**
 * The compute endpoint of an instance (the vCloud API of its region) is not emulated: its URLs
 * name a host of the region under example.com, as a real answer names one of vchs.vmware.com.
 */
function publicInstance(i: VcaInstance): Record<string, unknown> {
  const { l2: _l2, ...rest } = i;
  const compute = `https://${i.region.toLowerCase()}.vchs.example.com/api/compute/api`;
  return {
    ...rest,
    apiUrl: `${compute}/org/${i.id}`,
    dashboardUrl: `https://${i.region.toLowerCase()}.vchs.example.com/ui/?orgName=${i.id}`,
    // vCloud Air answers these as JSON text inside the JSON.
    instanceAttributes: JSON.stringify({
      orgName: i.id,
      sessionUri: `${compute}/sessions`,
      apiVersionUri: `${compute}/versions`,
    }),
    link: [],
  };
}

// ---- metering ----

const HOUR = 3_600_000;
const RATES = { cpuGhz: 0.013, memoryGb: 0.0065, storageGb: 0.00014 };
const METRICS = [
  { key: "cpuGhz", name: "CPU", unit: "GHz-hour" },
  { key: "memoryGb", name: "Memory", unit: "GB-hour" },
  { key: "storageGb", name: "Storage", unit: "GB-hour" },
] as const;

const usage: Handler = (account, req) => {
  const { instance: instanceId, level, entity: entityId, kind } = req.params;
  const instance = account.instances.find((i) => i.id === instanceId);
  if (!instance) return jsonError(404, "NOT_FOUND", `No service instance ${instanceId}`);
  const l2 = level === "l2" ? instance.l2.find((e) => e.id === entityId) : undefined;
  const l1 = level === "l1" ? instance.l2.flatMap((e) => e.l1).find((e) => e.id === entityId) : undefined;
  const entity = l2 ?? l1;
  if (!entity) return jsonError(404, "NOT_FOUND", `No ${level.toUpperCase()} entity ${entityId} in ${instanceId}`);
  const window = usageWindow(req.query);
  if (typeof window === "string") return jsonError(400, "BAD_REQUEST", window);
  const now = Date.now();
  const firstOfMonth = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  // Billed: invoiced periods (before this month); unbilled: this month so far.
  const [from, to] =
    kind === "billed"
      ? [window.start, Math.min(window.end, firstOfMonth)]
      : [Math.max(window.start, firstOfMonth), Math.min(window.end, now)];
  const machines = l2 ? l2.l1 : [l1 as VcaL1];
  const billableUsage = METRICS.map(({ key, name, unit }) => {
    const quantity = machines.reduce((sum, m) => sum + m.perHour[key] * hoursBetween(Math.max(from, m.since), to), 0);
    return { name, unit, quantity: round(quantity, 3), cost: round(quantity * RATES[key], 2) };
  });
  return json(200, {
    serviceInstanceId: instance.id,
    entityType: level.toUpperCase(),
    entityId: entity.id,
    entityName: entity.name,
    billingStatus: kind === "billed" ? "BILLED" : "UNBILLED",
    start: new Date(window.start).toISOString(),
    end: new Date(window.end).toISOString(),
    currency: "USD",
    billableUsage,
    total: round(
      billableUsage.reduce((sum, u) => sum + u.cost, 0),
      2,
    ),
  });
};

const hoursBetween = (from: number, to: number) => Math.max(0, to - from) / HOUR;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The period of a metering request: `start` and `end` (ISO 8601 or epoch milliseconds), or
 * `duration` (ISO 8601, e.g. `P30D`, ending now); exactly one of the two forms.
 */
export function usageWindow(query: URLSearchParams): { start: number; end: number } | string {
  const [start, end, duration] = ["start", "end", "duration"].map((k) => query.get(k));
  if (duration !== null) {
    if (start !== null || end !== null) return "give start and end, or duration, not both";
    const length = durationMs(duration);
    if (length === undefined) return `duration ${duration} is not an ISO 8601 duration such as P30D or PT12H`;
    const now = Date.now();
    return { start: now - length, end: now };
  }
  if (start === null || end === null) return "give start and end, or duration";
  const [from, to] = [instant(start), instant(end)];
  if (from === undefined) return `start ${start} is not a date-time (ISO 8601) or epoch milliseconds`;
  if (to === undefined) return `end ${end} is not a date-time (ISO 8601) or epoch milliseconds`;
  if (to <= from) return "end must be after start";
  return { start: from, end: to };
}

function instant(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** An ISO 8601 duration in milliseconds (months as 30 days, years as 365). */
function durationMs(text: string): number | undefined {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!match || text === "P" || text.endsWith("T")) return undefined;
  const [y, mo, w, d, h, mi, s] = match.slice(1).map((v) => Number(v ?? 0));
  const ms = ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000;
  return ms > 0 ? ms : undefined;
}
