/**
 * One vCloud Air account: its login user, sessions, and what seeds 002 (5.7 OnDemand) and 004 (5.6)
 * show it holding. Sample values are the seeds' own where they give one; the rest (a second
 * plan, the instance ids, usage rates) are the emulator's, listed in the README.
 */
import { randomBytes, randomUUID } from "node:crypto";

export type VcaApiVersion = "5.6" | "5.7";

export interface VcaAccountOptions {
  /** Which API the account's server speaks: "5.7" (OnDemand, JSON; the default) or "5.6" (XML). */
  version?: VcaApiVersion;
  /** The login user (default `HelloUser@example.com`, the seeds' sample user). */
  user?: string;
  password?: string;
  /** Whether the login user has accepted the terms of service (default true); 5.7 logins answer 412 otherwise. */
  termsAccepted?: boolean;
  /** Lifetime of a session token (default 30 minutes). */
  sessionTtlMs?: number;
  /**
   * How 5.7 answers `GET /api/iam/Users/{id}`: "user" (the bare user object, the default) or
   * "users" (`{"users":[user]}`, the seed's sample made valid JSON), so a client can be proven to
   * read both.
   */
  singleUserForm?: "user" | "users";
}

/** A role a user can hold. */
export interface VcaRole {
  id: string;
  name: string;
  description: string;
}

/**
 * The roles of vCloud Air. Seed 002 shows "Account Administrator" once with id "1" and the
 * description "Allows user management and account settings", once with id "6" and "Allows creation
 * and management of VMs": the second is the Virtual Infrastructure Administrator's description, so
 * the emulator keeps id "1" for Account Administrator and gives "6" to Virtual Infrastructure
 * Administrator. A role sent with both a name and an id is resolved by its name. The other two
 * roles are seed 004's; their ids are the emulator's.
 */
export const VCA_ROLES: VcaRole[] = [
  { id: "1", name: "Account Administrator", description: "Allows user management and account settings." },
  { id: "3", name: "Read-Only Administrator", description: "Read access to all administration objects." },
  { id: "4", name: "End User", description: "Read and write access to virtual machines." },
  { id: "6", name: "Virtual Infrastructure Administrator", description: "Allows creation and management of VMs." },
];

export interface VcaUserRecord {
  id: string;
  userName: string;
  email: string;
  givenName: string;
  familyName: string;
  /** Role ids. */
  roles: string[];
  state: string;
  tosAccepted: boolean;
  tosAcceptDate: number | null;
  created: number;
  modified: number;
}

/** A virtual data centre of a 5.6 compute service. */
export interface VcaVdc {
  id: string;
  name: string;
  status: string;
}

/** A 5.6 compute service (dedicated cloud or virtual private cloud) and its virtual data centres. */
export interface VcaComputeService {
  serviceId: string;
  serviceType: "compute:dedicatedcloud" | "compute:vpc";
  region: string;
  /** The compute id in `/api/vchs/compute/{id}`. */
  computeId: string;
  vdcs: VcaVdc[];
}

export interface VcaPlan {
  id: string;
  name: string;
  serviceName: string;
  region: string;
  description: string;
}

/** A metered virtual machine (an L1 entity) and what it consumes per hour. */
export interface VcaL1 {
  id: string;
  name: string;
  /** When it started consuming. */
  since: number;
  perHour: { cpuGhz: number; memoryGb: number; storageGb: number };
}

/** A virtual data centre of an instance (an L2 entity) holding L1 entities. */
export interface VcaL2 {
  id: string;
  name: string;
  l1: VcaL1[];
}

export interface VcaInstance {
  id: string;
  name: string;
  description: string;
  region: string;
  planId: string;
  serviceGroupId: string;
  l2: VcaL2[];
}

export interface VcaAccountState {
  name: string;
  version: VcaApiVersion;
  user: string;
  password: string;
  companyId: string;
  serviceGroupIds: string[];
  /** Session tokens and their expiry (epoch ms). */
  sessions: Map<string, number>;
  /** vCloud tokens handed out by 5.6 `vcloudsession`, with the VDC each opens. */
  vcloudTokens: Map<string, string>;
  /** Every token ever handed out: none may end up in state or logs. */
  issuedCredentials: string[];
  sessionTtlMs: number;
  singleUserForm: "user" | "users";
  users: VcaUserRecord[];
  services: VcaComputeService[];
  plans: VcaPlan[];
  instances: VcaInstance[];
  logins: number;
  logouts: number;
  /** userName of each forgot-password call, in order. */
  passwordResets: string[];
}

const DAY = 24 * 3_600_000;

export function createAccount(name: string, options: VcaAccountOptions = {}): VcaAccountState {
  const user = options.user ?? "HelloUser@example.com";
  const now = Date.now();
  const serviceGroupId = "89a6da00-0d15-48e9-8fed-6c87dfca5c0e";
  const termsAccepted = options.termsAccepted ?? true;
  return {
    name,
    version: options.version ?? "5.7",
    user,
    password: options.password ?? `vca-${randomBytes(9).toString("base64url")}`,
    companyId: "e9b1f777-ab16-493d-a0af-ad3474e13cd2",
    serviceGroupIds: [serviceGroupId],
    sessions: new Map(),
    vcloudTokens: new Map(),
    issuedCredentials: [],
    sessionTtlMs: options.sessionTtlMs ?? 30 * 60_000,
    singleUserForm: options.singleUserForm ?? "user",
    users: [
      seedUser(randomUUID(), user, "Hello", "User", ["1"], termsAccepted, now),
      seedUser(randomUUID(), "1925test@sample.com", "John", "FamilyName", ["1"], false, now),
      seedUser("790ee208-6c7d-4177-b6c6-212bdbe1a66b", "test994@sample.com", "Jane", "newName", ["6"], false, now),
    ],
    services: [
      {
        serviceId: "example-1101-130711-1",
        serviceType: "compute:dedicatedcloud",
        region: "US - Las Vegas",
        computeId: "vchs-2",
        vdcs: [
          { id: "vdc-7", name: "0001-example-vdc-1-public-api", status: "Active" },
          { id: "vdc-9", name: "0001-example-vdc-2", status: "Active" },
        ],
      },
      {
        serviceId: "example-1101-130711-2",
        serviceType: "compute:vpc",
        region: "US - Santa Clara",
        computeId: "vchs-3",
        vdcs: [{ id: "vdc-8", name: "0002-example-vpc-vdc", status: "Active" }],
      },
    ],
    plans: [
      {
        id: "71",
        name: "Virtual Private Cloud OnDemand",
        serviceName: "com.vmware.vchs.compute",
        region: "LVG",
        description: "Pay-as-you-go compute, storage and networking",
      },
      {
        id: "72",
        name: "Virtual Private Cloud OnDemand",
        serviceName: "com.vmware.vchs.compute",
        region: "SCL",
        description: "Pay-as-you-go compute, storage and networking",
      },
    ],
    instances: [
      {
        id: "b7a6d0f2-5c3e-4f1a-9d8b-2e4c6a8f0b13",
        name: "Virtual Private Cloud OnDemand",
        description: "Virtual Private Cloud OnDemand in Las Vegas",
        region: "LVG",
        planId: "71",
        serviceGroupId,
        l2: [
          {
            id: "3c1d9e7a-0b2f-4e6d-8a5c-7f9e1b3d5a20",
            name: "VDC1",
            l1: [
              {
                id: "5e2f8a1c-6d4b-4c3e-9f7a-1b0d2c4e6f31",
                name: "web-01",
                since: now - 120 * DAY,
                perHour: { cpuGhz: 2.6, memoryGb: 4, storageGb: 40 },
              },
              {
                id: "9a4c2e6f-1b3d-4f5a-8c7e-0d2f4a6c8e42",
                name: "db-01",
                since: now - 45 * DAY,
                perHour: { cpuGhz: 5.2, memoryGb: 16, storageGb: 200 },
              },
            ],
          },
        ],
      },
    ],
    logins: 0,
    logouts: 0,
    passwordResets: [],
  };
}

function seedUser(
  id: string,
  userName: string,
  givenName: string,
  familyName: string,
  roles: string[],
  tosAccepted: boolean,
  now: number,
): VcaUserRecord {
  return {
    id,
    userName,
    email: userName,
    givenName,
    familyName,
    roles,
    state: "Active",
    tosAccepted,
    tosAcceptDate: tosAccepted ? now : null,
    created: now,
    modified: now,
  };
}

/** A role by name (case-insensitive) or id; undefined when none has it. */
export function findRole(reference: { name?: string; id?: string }): VcaRole | undefined {
  if (reference.name !== undefined)
    return VCA_ROLES.find((r) => r.name.toLowerCase() === reference.name!.toLowerCase());
  return VCA_ROLES.find((r) => r.id === reference.id);
}

/** A new session token for the account, valid for its session lifetime. */
export function openSession(account: VcaAccountState, token: string): string {
  account.sessions.set(token, Date.now() + account.sessionTtlMs);
  account.issuedCredentials.push(token);
  account.logins++;
  return token;
}

/** Whether the token was handed out by this account and has not expired (either failure answers 401). */
export function sessionIsValid(account: VcaAccountState, token: string): boolean {
  const expires = account.sessions.get(token);
  return expires !== undefined && Date.now() < expires;
}

/** The login user's record: it carries the account's acceptance of the terms of service. */
export function loginUser(account: VcaAccountState): VcaUserRecord | undefined {
  return account.users.find((u) => u.userName.toLowerCase() === account.user.toLowerCase());
}

export function basicCredentials(header: unknown): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(String(header ?? ""));
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The first value of a header (Node joins or lists repeated ones). */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether the Accept header asks for this version in one of the media ranges the seeds allow. */
export function acceptsVersion(accept: string | undefined, version: VcaApiVersion, media: string): boolean {
  if (!accept) return false;
  return accept.split(",").some((range) => {
    const [type, ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const ok = type === media || type === "application/*" || type === "*/*";
    return ok && params.some((p) => p.replace(/\s/g, "") === `version=${version}`);
  });
}
