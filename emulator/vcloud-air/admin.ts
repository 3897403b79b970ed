/**
 * Out-of-band changes to vCloud Air accounts, as an administrator in the web UI would make them:
 * in process (`emulator.admin.vca…`) and over HTTP under `/__admin/vca-accounts/{name}`. Users are
 * named by their userName (the natural key; ids are the service's).
 */
import { z } from "zod";
import { AdminModule, adminOperation } from "../core/admin";
import { Same } from "../core/same";
import { VcaAccountState } from "./account";
import { addUser, byUserName, changeUser, publicUser, userFields, UserFields } from "./v57";

const newUserSchema = z
  .object({
    userName: z.string().min(1),
    email: z.string(),
    givenName: z.string().optional(),
    familyName: z.string().optional(),
    roles: z.array(z.string()).min(1).describe("role names or ids"),
  })
  .strict();
const userChangeSchema = newUserSchema.omit({ userName: true }).partial().strict();
const termsSchema = z.object({ accepted: z.boolean() }).strict();

/** A user made by hand: roles by name or id. */
export interface VcaNewUser {
  userName: string;
  email: string;
  givenName?: string;
  familyName?: string;
  roles: string[];
}
true satisfies Same<VcaNewUser, z.infer<typeof newUserSchema>>;
export type VcaUserChange = Partial<Omit<VcaNewUser, "userName">>;

/** What an account has counted. */
export interface VcaCounts {
  logins: number;
  logouts: number;
  /** userName of each forgot-password call, in order. */
  passwordResets: string[];
}

export interface VcaAdmin {
  /** The account's live state (default: the account named `default`). */
  vcaAccount(name?: string): VcaAccountState;
  /** Its users as `GET /api/iam/Users` answers them. */
  vcaUsers(name?: string): Record<string, unknown>[];
  /** Creates a user by hand (one a program may then adopt). */
  vcaAddUser(name: string, user: VcaNewUser): Record<string, unknown>;
  /** Changes a user's e-mail, names or roles by hand. */
  vcaChangeUser(name: string, userName: string, change: VcaUserChange): Record<string, unknown>;
  vcaRemoveUser(name: string, userName: string): void;
  /** The login user accepts (or has not accepted) the terms of service: 5.7 logins answer 412 until accepted. */
  vcaSetTermsAccepted(name: string, accepted: boolean): void;
  /** Every session of the account, or of all accounts, expires now. */
  vcaExpireSessions(name?: string): void;
  vcaCounts(name?: string): VcaCounts;
}

export function vcaAdmin(accounts: Map<string, VcaAccountState>): AdminModule<VcaAdmin> {
  const admin = inProcessAdmin(accounts);
  const account = "/vca-accounts/{name}";
  const operations = [
    adminOperation({
      method: "GET",
      path: account,
      summary: "the account: version, login user, terms accepted, counts of logins, logouts and password resets, users",
      run: ({ name }) => {
        const state = admin.vcaAccount(name);
        return {
          version: state.version,
          user: state.user,
          termsAccepted: byUserName(state, state.user)?.tosAccepted ?? false,
          ...admin.vcaCounts(name),
          users: admin.vcaUsers(name),
        };
      },
    }),
    adminOperation({
      method: "POST",
      path: `${account}/users`,
      summary: "create a user by hand (roles by name or id)",
      body: newUserSchema,
      run: ({ name }, body) => admin.vcaAddUser(name, body),
    }),
    adminOperation({
      method: "PATCH",
      path: `${account}/users/{userName}`,
      summary: "change a user's email, givenName, familyName or roles by hand",
      body: userChangeSchema,
      run: ({ name, userName }, change) => admin.vcaChangeUser(name, userName, change),
    }),
    adminOperation({
      method: "DELETE",
      path: `${account}/users/{userName}`,
      summary: "delete a user by hand",
      run: ({ name, userName }) => admin.vcaRemoveUser(name, userName),
    }),
    adminOperation({
      method: "PUT",
      path: `${account}/terms`,
      summary: "the login user accepts (true) or has not accepted (false) the terms of service",
      body: termsSchema,
      run: ({ name }, body) => admin.vcaSetTermsAccepted(name, body.accepted),
    }),
    adminOperation({
      method: "POST",
      path: `${account}/expire-sessions`,
      summary: "every session token of the account expires now",
      run: ({ name }) => admin.vcaExpireSessions(name),
    }),
  ];
  return { admin, operations };
}

function inProcessAdmin(accounts: Map<string, VcaAccountState>): VcaAdmin {
  const account = (name = "default") => {
    const found = accounts.get(name);
    if (!found) throw new Error(`no vCloud Air account named ${name} (have ${[...accounts.keys()].join(", ")})`);
    return found;
  };
  const user = (name: string, userName: string) => {
    const found = byUserName(account(name), userName);
    if (!found) throw new Error(`vCloud Air account ${name} has no user ${userName}`);
    return found;
  };
  const fields = (body: object): UserFields => {
    const parsed = userFields(body);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
  };
  return {
    vcaAccount: account,
    vcaUsers: (name) => account(name).users.map((u) => publicUser(account(name), u)),
    vcaAddUser(name, body) {
      const added = addUser(account(name), fields(body));
      if ("status" in added) throw new Error((added.body as { message: string }).message);
      return publicUser(account(name), added);
    },
    vcaChangeUser(name, userName, change) {
      const record = user(name, userName);
      changeUser(record, fields(change));
      return publicUser(account(name), record);
    },
    vcaRemoveUser(name, userName) {
      const record = user(name, userName);
      account(name).users = account(name).users.filter((u) => u !== record);
    },
    vcaSetTermsAccepted(name, accepted) {
      const state = account(name);
      const record = user(name, state.user);
      record.tosAccepted = accepted;
      record.tosAcceptDate = accepted ? Date.now() : null;
    },
    vcaExpireSessions(name) {
      for (const state of name ? [account(name)] : accounts.values()) state.sessions.clear();
    },
    vcaCounts: (name) => {
      const { logins, logouts, passwordResets } = account(name);
      return { logins, logouts, passwordResets: [...passwordResets] };
    },
  };
}
