import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ResourceError, ServiceError } from "../provider/errors";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { UserSpec, VcaClient } from "../provider/vcloud-air/client";
import { VCA_ROLES, VcaRole } from "../provider/vcloud-air/roles";
import { User } from "../provider/vcloud-air/schemas";
import { DEFAULT_VCA_ACCOUNT } from "../provider/vcloud-air/settings";
import { shimFor } from "./shim";
import {
  checkInputs,
  dropUndefined,
  inputsOf,
  isUnknown,
  KindProvider,
  nonEmpty,
  parseInputs,
  Same,
} from "./validation";

/** Inputs of a {@link VcaUser}. */
export interface VcaUserArgs {
  /** Name of the account in `vcpp:vcaAccounts`; omit to use the `vcpp:vca*` keys. Changing it replaces the user. */
  vcaAccount?: pulumi.Input<string>;
  /** The user's login name (usually the e-mail address). Changing it replaces the user. */
  userName: pulumi.Input<string>;
  /** The user's e-mail address. Updated in place. */
  email: pulumi.Input<string>;
  /** Given (first) name. Updated in place. */
  givenName: pulumi.Input<string>;
  /** Family (last) name. Updated in place. */
  familyName: pulumi.Input<string>;
  /** Role names, e.g. `["Virtual Infrastructure Administrator"]`; order does not matter. Updated in place. */
  roles: pulumi.Input<pulumi.Input<VcaRole>[]>;
  /**
   * Have vCloud Air mail the user a link to set a password, once, when this resource adds the
   * user (not for a user it adopts, not on update). The package never sees or stores a password.
   * @default false
   */
  sendPasswordReset?: pulumi.Input<boolean>;
}

/** A vCloud Air user as the service reports it. */
export interface VcaUserOutputs {
  /** Name of the account in `vcpp:vcaAccounts`; absent for the `vcpp:vca*` keys. */
  vcaAccount?: string;
  /** The login name, as vCloud Air reports it. */
  userName: string;
  /** The e-mail address, as vCloud Air reports it (drift shows here). */
  email: string;
  /** Given name, as vCloud Air reports it. */
  givenName: string;
  /** Family name, as vCloud Air reports it. */
  familyName: string;
  /** Role names, as vCloud Air reports them (declared order first). */
  roles: VcaRole[];
  /** As declared. */
  sendPasswordReset: boolean;
  /** vCloud Air's id of the user (also the resource's id). */
  userId: string;
  /** The user's state, e.g. `Active`. */
  state?: string;
}

const ROLES_RULE = `must be one of ${VCA_ROLES.map((r) => `"${r}"`).join(", ")} (case-sensitive)`;

/** @internal */
export const vcaUserInputs = z.object({
  vcaAccount: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "must be a name from vcpp:vcaAccounts")
    .optional(),
  userName: nonEmpty.refine((s) => !/\s/.test(s), "must not contain spaces"),
  email: z.email("must be an e-mail address such as jane@example.com"),
  givenName: nonEmpty,
  familyName: nonEmpty,
  roles: z
    .array(z.enum(VCA_ROLES, ROLES_RULE), "must be a list of role names")
    .min(1, "must name at least one role")
    .refine((roles) => new Set(roles).size === roles.length, "must not name a role twice"),
  sendPasswordReset: z.boolean("must be true or false").default(false),
});
/** @internal */
export type VcaUserInputs = z.infer<typeof vcaUserInputs>;
true satisfies Same<keyof VcaUserArgs, keyof z.input<typeof vcaUserInputs>>;
true satisfies Same<Pick<VcaUserOutputs, keyof VcaUserInputs>, VcaUserInputs>;

/** Fields whose change means another user. */
const REPLACING_FIELDS = ["vcaAccount", "userName"] as const;
/** Fields `PUT /iam/Users/{id}` changes in place. */
const UPDATABLE_FIELDS = ["email", "givenName", "familyName", "roles"] as const;

/** @internal */
export class VcaUserProvider implements KindProvider {
  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkInputs(vcaUserInputs, news, this.context);
    // A role still unknown in preview (another resource's output) is judged once known, like any field.
    const roles = Array.isArray(news.roles) ? news.roles : [];
    const failures = checked.failures?.filter(
      (f) => !roles.some((r, i) => isUnknown(r) && f.property === `roles[${i}]`),
    );
    const result: pulumi.dynamic.CheckResult = failures?.length === 0 ? { inputs: news } : { ...checked, failures };
    const name = news.vcaAccount;
    const known = this.context.vcaAccountNames();
    if (typeof name === "string" && !isUnknown(name) && !known.includes(name)) {
      const failure = {
        property: "vcaAccount",
        reason: `vcaAccount: "${name}" is not configured (known: ${known.join(", ")}); add it under vcpp:vcaAccounts`,
      };
      return { inputs: news, failures: [...(result.failures ?? []), failure] };
    }
    return result;
  }

  async diff(_id: string, olds: VcaUserOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    const differs = (field: (typeof REPLACING_FIELDS)[number] | (typeof UPDATABLE_FIELDS)[number]) => {
      const [before, after] = [olds[field], news[field]];
      if (isUnknown(after) || (Array.isArray(after) && after.some(isUnknown))) return true;
      if (field === "vcaAccount") return (before ?? DEFAULT_VCA_ACCOUNT) !== (after ?? DEFAULT_VCA_ACCOUNT);
      if (field === "userName" || field === "email") return lower(before) !== lower(after);
      if (field === "roles") return !sameRoles(before, after);
      return before !== after;
    };
    const replaces = REPLACING_FIELDS.filter(differs);
    const changes = replaces.length > 0 || UPDATABLE_FIELDS.some(differs);
    // Another user name: the new user exists before the old one goes. Another account name only: both names
    // may point at one account, where creating first would adopt the user that the delete then removes.
    return { changes, replaces, deleteBeforeReplace: differs("vcaAccount") && !differs("userName") };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(vcaUserInputs, inputs, "VcaUser");
    const client = this.context.vca(args.vcaAccount);
    const { user, addedNow } = await this.addOrAdopt(client, toSpec(args));
    if (args.sendPasswordReset && addedNow) await client.sendPasswordReset(user.userName);
    else if (args.sendPasswordReset)
      log.info(`VcaUser ${args.userName}: adopted an existing user, so no password reset was sent`);
    const outs = outputs(args, user);
    return { id: outs.userId, outs };
  }

  async read(id: string, props: VcaUserOutputs): Promise<pulumi.dynamic.ReadResult> {
    const user = await this.context.vca(props.vcaAccount).getUser(id);
    if (!user) return { id: "", props: {} };
    const outs = outputs(props, user);
    // Inputs as vCloud Air reports them: the next preview then shows `email: "a@x" => "b@x"`.
    return { id, props: outs, inputs: inputsOf(vcaUserInputs, outs) };
  }

  async update(id: string, _olds: VcaUserOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(vcaUserInputs, news, "VcaUser");
    const client = this.context.vca(args.vcaAccount);
    const user = await client.updateUser(id, toSpec(args));
    if (!user)
      throw new ResourceError({
        resource: "VcaUser",
        code: "GONE",
        message: `VcaUser ${args.userName} (id ${id}) no longer exists on ${client.connection.url}: run pulumi refresh, then pulumi up to add it again`,
      });
    return { outs: outputs(args, user) };
  }

  async delete(id: string, props: VcaUserOutputs): Promise<void> {
    const client = this.context.vca(props.vcaAccount);
    if (!(await client.deleteUser(id)))
      log.info(`VcaUser ${props.userName} (id ${id}) was already gone from ${client.connection.url}`);
  }

  /**
   * Adds the user, or adopts the one that already has this user name (made by hand, or left by an
   * interrupted run), applying the declared fields. The POST is never repeated: when its answer
   * is lost or it conflicts, the user is looked up by user name.
   */
  private async addOrAdopt(client: VcaClient, spec: UserSpec): Promise<{ user: User; addedNow: boolean }> {
    const existing = await client.findUser(spec.userName);
    if (existing) {
      log.info(`VcaUser: adopting ${spec.userName}, already on ${client.connection.url} as id ${existing.id}`);
      return { user: await this.apply(client, existing, spec), addedNow: false };
    }
    try {
      return { user: await client.createUser(spec), addedNow: true };
    } catch (error) {
      const answerLost =
        error instanceof ServiceError && (error.status === undefined || error.status >= 500 || error.status === 409);
      if (!answerLost) throw error;
      const added = await client.findUser(spec.userName);
      if (!added) throw error;
      log.info(
        `VcaUser: ${spec.userName} was added (id ${added.id}) although the answer was ${(error as ServiceError).status ?? "lost"}; adopting it`,
      );
      return { user: await this.apply(client, added, spec), addedNow: error.status !== 409 };
    }
  }

  /** Brings an adopted user to the declared fields; one already as declared is left alone. */
  private async apply(client: VcaClient, user: User, spec: UserSpec): Promise<User> {
    const asDeclared =
      lower(user.email) === lower(spec.email) &&
      user.givenName === spec.givenName &&
      user.familyName === spec.familyName &&
      sameRoles(roleNames(user), spec.roles);
    if (asDeclared) return user;
    return (await client.updateUser(user.id, spec)) ?? user;
  }
}

function toSpec(args: VcaUserInputs): UserSpec {
  const { userName, email, givenName, familyName, roles } = args;
  return { userName, email, givenName, familyName, roles };
}

function roleNames(user: User): string[] {
  return user.roles.roles.map((r) => r.name);
}

/** Outputs: what vCloud Air reports, the declared values where it reports nothing. */
function outputs(declared: Partial<Pick<VcaUserOutputs, keyof VcaUserInputs>>, user: User): VcaUserOutputs {
  const reported = roleNames(user);
  // Declared order first, so that an unchanged set of roles never shows as a change of order.
  const known = declared.roles ?? [];
  const roles = [
    ...known.filter((r) => reported.includes(r)),
    ...reported.filter((r) => !known.includes(r as VcaRole)),
  ] as VcaRole[];
  return dropUndefined({
    vcaAccount: declared.vcaAccount,
    userName: user.userName,
    email: user.email ?? "",
    givenName: user.givenName ?? "",
    familyName: user.familyName ?? "",
    roles,
    sendPasswordReset: declared.sendPasswordReset ?? false,
    userId: user.id,
    state: user.state,
  });
}

const lower = (value: unknown) => String(value ?? "").toLowerCase();

function sameRoles(before: unknown, after: unknown): boolean {
  const [a, b] = [before, after].map((v) => (Array.isArray(v) ? [...v].map(String).sort() : []));
  return a.length === b.length && a.every((role, i) => role === b[i]);
}

/**
 * A user of a vCloud Air 5.7 (OnDemand) account, with its e-mail, names and roles. Create adopts
 * an existing user with the same user name; `pulumi preview --refresh` shows a change made in
 * vCloud Air; no password is ever handled (see `sendPasswordReset`).
 */
export class VcaUser extends pulumi.dynamic.Resource {
  /** Name of the account in `vcpp:vcaAccounts`; undefined for the `vcpp:vca*` keys. */
  declare readonly vcaAccount: pulumi.Output<string | undefined>;
  /** The login name, as vCloud Air reports it. */
  declare readonly userName: pulumi.Output<string>;
  /** The e-mail address, as vCloud Air reports it. */
  declare readonly email: pulumi.Output<string>;
  /** Given name, as vCloud Air reports it. */
  declare readonly givenName: pulumi.Output<string>;
  /** Family name, as vCloud Air reports it. */
  declare readonly familyName: pulumi.Output<string>;
  /** Role names, as vCloud Air reports them. */
  declare readonly roles: pulumi.Output<VcaRole[]>;
  /** As declared. */
  declare readonly sendPasswordReset: pulumi.Output<boolean>;
  /** vCloud Air's id of the user (also the resource's id). */
  declare readonly userId: pulumi.Output<string>;
  /** The user's state, e.g. `Active`. */
  declare readonly state: pulumi.Output<string | undefined>;

  constructor(name: string, args: VcaUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(shimFor("VcaUser"), name, { userId: undefined, state: undefined, ...args }, opts, "vcpp", "VcaUser");
  }

  /**
   * A read-only reference to an existing user by its id (Pulumi's `get`): the program reads its
   * e-mail, names and roles and manages nothing. To manage a user that exists, declare it with
   * `new VcaUser(…)`: create adopts it by user name (`pulumi import` cannot work for dynamic
   * resources, see the README).
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: Pick<VcaUserArgs, "vcaAccount">,
    opts?: pulumi.CustomResourceOptions,
  ): VcaUser {
    // Every output is named, so that the resource object has it (the SDK creates outputs for the keys it is given).
    const outputs = {
      userName: undefined,
      email: undefined,
      givenName: undefined,
      familyName: undefined,
      roles: undefined,
    };
    return new VcaUser(name, { ...outputs, sendPasswordReset: undefined, ...state } as unknown as VcaUserArgs, {
      ...opts,
      id,
    });
  }
}
