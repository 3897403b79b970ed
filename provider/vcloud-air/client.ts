/**
 * Typed client of the vCloud Air platform API: 5.6 (XML, navigated by the links of the login's
 * `Session`: services → compute → virtual data centres → vCloud sessions) and 5.7 OnDemand (JSON:
 * plans, instances, users, metering). One login per server and user per process, shared by every
 * resource and function (auth/vcloud-air-session.ts); a refused session logs in again once.
 */
import { z } from "zod";
import { Call, Endpoint, HttpClient } from "../http/client";
import { raw, xml } from "../http/codecs";
import { ConfigError, InputError, ServiceError } from "../errors";
import { registerSecret } from "../redact";
import {
  VCLOUD_AIR_ACCEPT,
  VcloudAirSession,
  vcloudAirSession,
  VcloudAirSessionState,
  VcloudAirVersion,
} from "../auth/vcloud-air-session";
import { findLink, ForeignLinkError, linkPath } from "./links";
import {
  billableUsageSchema,
  ComputeDocument,
  computeDocument,
  Instance,
  instancesSchema,
  Link,
  oneUserSchema,
  Plan,
  plansSchema,
  ServiceReference,
  servicesDocument,
  User,
  usersSchema,
  vcloudSessionDocument,
  vdcDocument,
  XML_LISTS,
} from "./schemas";
import { VcaConnection } from "./settings";
import { BillableUsage, ComputeService } from "./types";
import { SharedReads } from "../shared-reads";

export const SERVICE = "vCloud Air";

/** SCIM core schema that 5.7 user documents declare. */
const SCIM_CORE = "urn:scim:schemas:core:1.0";
const JSON_5_7 = { accept: VCLOUD_AIR_ACCEPT["5.7"], "content-type": VCLOUD_AIR_ACCEPT["5.7"] };

/** A 5.7 user as this package declares it. */
export interface UserSpec {
  userName: string;
  email: string;
  givenName: string;
  familyName: string;
  /** Role names, e.g. `Account Administrator`. */
  roles: string[];
}

/** A vCloud session for one virtual data centre (5.6 `VcloudSession`): a credential. */
export interface VcloudSession {
  /** The virtual data centre's URL on the vCloud instance. */
  endpoint: string;
  /** The header to send the token in, `x-vcloud-authorization`. */
  authorizationHeader: string;
  token: string;
}

/** What metering reads: one L1 (virtual machine, gateway) or L2 entity of a service instance, in a window. */
export interface UsageQuery {
  serviceInstanceId: string;
  entity: { level: "l1" | "l2"; id: string };
  window: { start: string; end: string } | { duration: string };
}

/** Advice for vCloud Air's documented statuses. */
export function vcaHint(status: number | undefined): string | undefined {
  if (status === 403)
    return "vCloud Air says the request carried no authorization header (x-vchs-authorization for 5.6, Authorization: Bearer for 5.7): a proxy between here and vCloud Air may strip it; if the header was sent, the user's role does not allow this call";
  if (status === 412)
    return "The terms of service are not accepted for this user: sign in to the vCloud Air portal in a browser as that user, accept them, then run again";
  if (status === 401)
    return "The user or password was refused even after a new login: check them in the stack config (refresh and destroy use the config of the last pulumi up: add --run-program after correcting it)";
  return undefined;
}

const USERS = "users";

export class VcaClient {
  readonly http: HttpClient;
  private readonly session: VcloudAirSession;
  /** The user list, shared by the adoption look-ups of every VcaUser created at once; user writes drop it. */
  private readonly reads = new SharedReads();

  constructor(
    readonly connection: VcaConnection,
    options: Partial<Endpoint> = {},
  ) {
    this.http = new HttpClient({
      service: SERVICE,
      baseUrl: connection.url,
      tls: connection.tls,
      hint: vcaHint,
      ...options,
    });
    this.session = vcloudAirSession(this.http, {
      version: connection.apiVersion,
      user: connection.user,
      password: connection.password,
    });
  }

  /** The API version the account speaks (with `auto`, what the login found). */
  async version(): Promise<VcloudAirVersion> {
    return (await this.session.state()).version;
  }

  // -------------------------------------------------------------------------------------------
  // 5.6: services → compute → virtual data centres, by links

  /** Every compute service of the account with its virtual data centres. */
  async services(): Promise<ComputeService[]> {
    const references = await this.serviceReferences();
    return Promise.all(
      references.map(async (reference) => {
        const compute = await this.compute(reference);
        return {
          serviceId: reference["@serviceId"],
          serviceType: reference["@serviceType"] ?? compute["@serviceType"],
          region: reference["@region"],
          vdcs: compute.VdcRef.map((v) => ({ name: v["@name"], status: v["@status"] })),
        };
      }),
    );
  }

  /** Opens a vCloud session for one virtual data centre (`POST …/vcloudsession`). */
  async vcloudSession(serviceId: string, vdcName: string): Promise<VcloudSession> {
    const references = await this.serviceReferences();
    const reference = references.find((s) => s["@serviceId"] === serviceId);
    if (!reference)
      throw notThere(
        "serviceId",
        `account "${this.connection.name}" has no service ${serviceId} (it has: ${references.map((s) => s["@serviceId"]).join(", ") || "none"})`,
      );
    const compute = await this.compute(reference);
    const vdc = compute.VdcRef.find((v) => v["@name"] === vdcName);
    if (!vdc)
      throw notThere(
        "vdcName",
        `service ${serviceId} has no virtual data centre "${vdcName}" (it has: ${compute.VdcRef.map((v) => v["@name"]).join(", ") || "none"})`,
      );
    const link = findLink(vdc.Link, "down", "vcloudsession") ?? (await this.vdcSessionLink(vdc["@href"]));
    const answer = await this.follow56(
      {
        operation: "create vCloud session",
        method: "POST",
        schema: vcloudSessionDocument,
        idempotent: true, // one more vCloud session is harmless
      },
      link,
    );
    const [vdcLink] = answer.VcloudSession.VdcLink;
    registerSecret(vdcLink["@authorizationToken"]);
    return {
      endpoint: vdcLink["@href"],
      authorizationHeader: vdcLink["@authorizationHeader"],
      token: vdcLink["@authorizationToken"],
    };
  }

  private async serviceReferences(): Promise<ServiceReference[]> {
    const { session } = await this.state("5.6", "list services");
    const link = findLink(session!.Link, "down", "servicelist") ?? findLink(session!.Link, "down");
    const services = await this.follow56(
      { operation: "list services", method: "GET", schema: servicesDocument },
      link,
      "the login's Session has no link to the service list",
    );
    return services.Services.Service;
  }

  private async compute(reference: ServiceReference): Promise<ComputeDocument> {
    const answer = await this.follow56(
      { operation: `read compute service ${reference["@serviceId"]}`, method: "GET", schema: computeDocument },
      { "@href": reference["@href"] },
    );
    return answer.Compute;
  }

  /** A VdcRef without its session link: the `Vdc` it points at has it. */
  private async vdcSessionLink(href: string): Promise<Pick<Link, "@href">> {
    const vdc = await this.follow56(
      { operation: "read virtual data centre", method: "GET", schema: vdcDocument },
      { "@href": href },
    );
    const link = findLink(vdc.Vdc.Link, "down", "vcloudsession") ?? findLink(vdc.Vdc.Link, "down");
    if (!link)
      throw this.missingLink(
        { operation: "read virtual data centre", method: "GET" },
        href,
        "the Vdc has no link to a vCloud session",
      );
    return link;
  }

  /** Sends a 5.6 call to where a link points, reading the XML answer. */
  private async follow56<S extends z.ZodType>(
    call: Omit<Call<S>, "path">,
    link: Pick<Link, "@href"> | undefined,
    missing = "no link to follow",
  ): Promise<z.infer<S>> {
    if (!link) throw this.missingLink(call, "", missing);
    let path: string;
    try {
      path = linkPath(this.http.endpoint.baseUrl, link["@href"]);
    } catch (error) {
      if (!(error instanceof ForeignLinkError)) throw error;
      throw this.missingLink(call, link["@href"], error.message);
    }
    return this.http.request(
      { ...call, path, codec: xml({ accept: VCLOUD_AIR_ACCEPT["5.6"], isArray: XML_LISTS }) },
      this.session,
    );
  }

  /** A link that is missing, or leads elsewhere: the answer is not what a 5.6 server sends. */
  private missingLink(call: Pick<Call<z.ZodType>, "operation" | "method">, href: string, why: string): ServiceError {
    return new ServiceError({
      call: {
        service: SERVICE,
        operation: call.operation,
        method: call.method,
        path: href ? new URL(href, this.connection.url).pathname : "",
      },
      detail: why,
      code: "BAD_RESPONSE",
      hint: `Check that ${this.connection.url} is a vCloud Air 5.6 server`,
    });
  }

  // -------------------------------------------------------------------------------------------
  // 5.7 OnDemand: plans, instances, users, metering

  async plans(filter?: string): Promise<Plan[]> {
    const answer = await this.get57("list plans", "api/sc/plans", plansSchema, filter);
    return answer.plans;
  }

  async instances(filter?: string): Promise<Instance[]> {
    const answer = await this.get57("list instances", "api/sc/instances", instancesSchema, filter);
    return answer.instances;
  }

  async users(filter?: string): Promise<User[]> {
    const answer = await this.get57("list users", "api/iam/Users", usersSchema, filter);
    return answer.users;
  }

  /**
   * The user with this user name (case-insensitive, as e-mail addresses are): the natural key for
   * adoption. One shared list serves every look-up until a user write of this client drops it.
   */
  async findUser(userName: string): Promise<User | undefined> {
    const users = await this.reads.read(USERS, () => this.users());
    return users.find((u) => u.userName.toLowerCase() === userName.toLowerCase());
  }

  /** A user by id, or undefined when vCloud Air has no such user (404). */
  async getUser(id: string): Promise<User | undefined> {
    await this.state("5.7", "read user");
    const reply = await this.http.send(
      {
        operation: "read user",
        method: "GET",
        path: `api/iam/Users/${segment(id)}`,
        headers: JSON_5_7,
        schema: oneUserSchema,
        acceptStatuses: [404],
      },
      this.session,
    );
    return reply.ok ? reply.body : undefined;
  }

  /** `POST /iam/Users`: never retried; callers look the user up by user name when the answer is lost. */
  createUser(spec: UserSpec): Promise<User> {
    return this.reads.writing([USERS], () => this.addUser(spec));
  }

  private async addUser(spec: UserSpec): Promise<User> {
    await this.state("5.7", "add user");
    return this.http.request(
      {
        operation: "add user",
        method: "POST",
        path: "api/iam/Users",
        headers: JSON_5_7,
        json: userBody(spec),
        schema: oneUserSchema,
      },
      this.session,
    );
  }

  /** `PUT /iam/Users/{id}` with the whole user; undefined when the user is gone. */
  updateUser(id: string, spec: UserSpec): Promise<User | undefined> {
    return this.reads.writing([USERS], () => this.replaceUser(id, spec));
  }

  private async replaceUser(id: string, spec: UserSpec): Promise<User | undefined> {
    await this.state("5.7", "update user");
    const reply = await this.http.send(
      {
        operation: "update user",
        method: "PUT",
        path: `api/iam/Users/${segment(id)}`,
        headers: JSON_5_7,
        json: { id, ...userBody(spec) },
        // Some servers answer the user, some nothing: the caller reads it back when it is not here.
        schema: z.union([oneUserSchema, z.undefined()]),
        acceptStatuses: [404],
      },
      this.session,
    );
    if (!reply.ok) return undefined;
    return reply.body ?? (await this.getUser(id));
  }

  /** Removes a user; true if it was there. */
  deleteUser(id: string): Promise<boolean> {
    return this.reads.writing([USERS], () => this.removeUser(id));
  }

  private async removeUser(id: string): Promise<boolean> {
    await this.state("5.7", "remove user");
    const reply = await this.http.send(
      {
        operation: "remove user",
        method: "DELETE",
        path: `api/iam/Users/${segment(id)}`,
        codec: raw({ accept: VCLOUD_AIR_ACCEPT["5.7"] }),
        schema: z.unknown(),
        acceptStatuses: [404],
      },
      this.session,
    );
    return reply.ok;
  }

  /** `PUT /iam/Users/{userName}/password/forgot`: vCloud Air mails the user a link to set a password. */
  async sendPasswordReset(userName: string): Promise<void> {
    await this.state("5.7", "send password reset");
    await this.http.request(
      {
        operation: "send password reset",
        method: "PUT",
        path: `api/iam/Users/${segment(userName)}/password/forgot`,
        codec: raw({ accept: VCLOUD_AIR_ACCEPT["5.7"] }),
        schema: z.unknown(),
      },
      this.session,
    );
  }

  /** Billed usage of an L1 or L2 entity, after invoicing. */
  async billedUsage(query: UsageQuery): Promise<BillableUsage> {
    return this.usage(query, "billed-usage", "read billed usage");
  }

  /** Current usage not yet billed, of an L1 or L2 entity. */
  async unbilledUsage(query: UsageQuery): Promise<BillableUsage> {
    return this.usage(query, "unbilled-usage", "read unbilled usage");
  }

  private async usage(query: UsageQuery, kind: string, operation: string): Promise<BillableUsage> {
    const { serviceInstanceId, entity, window } = query;
    const path = `api/billing/serviceinstance/${segment(serviceInstanceId)}/${entity.level}/${segment(entity.id)}/${kind}`;
    await this.state("5.7", operation);
    return this.http.request(
      { operation, method: "GET", path, searchParams: { ...window }, headers: JSON_5_7, schema: billableUsageSchema },
      this.session,
    );
  }

  private async get57<S extends z.ZodType>(operation: string, path: string, schema: S, filter?: string) {
    await this.state("5.7", operation);
    return this.http.request(
      { operation, method: "GET", path, headers: JSON_5_7, searchParams: filter ? { filter } : undefined, schema },
      this.session,
    );
  }

  /** The login, which must be of the version that has this call. */
  private async state(version: VcloudAirVersion, operation: string): Promise<VcloudAirSessionState> {
    const state = await this.session.state();
    if (state.version !== version) {
      const { name, url, apiVersion } = this.connection;
      throw new ConfigError(
        `vCloud Air: ${operation} needs the ${version === "5.7" ? "5.7 (OnDemand)" : "5.6"} API, but account "${name}" at ${url} ` +
          `${apiVersion === "auto" ? "answered as" : "is configured as"} ${state.version}: use an account of the other API (vcpp:vcaAccounts) or correct its apiVersion`,
      );
    }
    return state;
  }
}

/** An argument that names something the account does not have. */
function notThere(field: string, rule: string): InputError {
  return new InputError({ resource: "vCloud Air session", issues: [{ field, rule }] });
}

/** One path segment: encoded, but `@` kept as is (RFC 3986 allows it in a path; user names are e-mail addresses). */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%40/g, "@");
}

function userBody(spec: UserSpec): Record<string, unknown> {
  return {
    schemas: [SCIM_CORE],
    userName: spec.userName,
    email: spec.email,
    givenName: spec.givenName,
    familyName: spec.familyName,
    roles: { roles: spec.roles.map((name) => ({ name })) },
  };
}
