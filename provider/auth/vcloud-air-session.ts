/**
 * vCloud Air sessions. 5.6 (dedicated and virtual private cloud): `POST /api/vchs/sessions` with
 * HTTP Basic answers 201, the token in `x-vchs-authorization` (sent back as is) and a `Session`
 * whose links lead to the services and to its own removal. 5.7 (OnDemand): `POST /api/iam/login`
 * with HTTP Basic answers 201 and the token in `vchs-authorization`, which later calls send as
 * `Authorization: Bearer`. `auto` tries the 5.7 login first: a server without it (404, 405, 406)
 * is logged in to as 5.6; the token header that comes back then confirms the version.
 *
 * Sessions carry no expiry: one lives until the service refuses it (401), then the HTTP layer
 * logs in again once. 5.6 sessions are logged out (`DELETE` of the Session's `remove` link) when
 * the process ends: on `beforeExit` (a program that ran functions) and on SIGINT/SIGTERM (the
 * engine stops a dynamic provider with SIGINT, then SIGKILL 5 s later; pkg/resource/plugin
 * plugin.go of CLI 3.250). 5.7 documents no logout; its token is left to expire.
 */
import { z } from "zod";
import { Authenticator, HttpClient } from "../http/client";
import { Codec, raw, xml } from "../http/codecs";
import { registerSecret } from "../redact";
import * as log from "../log";
import { findLink, linkPath } from "../vcloud-air/links";
import { SessionDocument, sessionDocument, XML_LISTS } from "../vcloud-air/schemas";
import { basic } from "./headers";
import { Credential, CredentialKey, credentialId, sharedAuthenticator } from "./token-source";

export type VcloudAirVersion = "5.6" | "5.7";

/** The `Accept` every call of a version sends: the version is part of the media type. */
export const VCLOUD_AIR_ACCEPT: Record<VcloudAirVersion, string> = {
  "5.6": "application/xml;version=5.6",
  "5.7": "application/json;version=5.7",
};

const LOGIN: Record<
  VcloudAirVersion,
  { path: string; tokenHeader: string; credential: (token: string) => Record<string, string> }
> = {
  "5.6": {
    path: "api/vchs/sessions",
    tokenHeader: "x-vchs-authorization",
    credential: (token) => ({ "x-vchs-authorization": token }),
  },
  "5.7": {
    path: "api/iam/login",
    tokenHeader: "vchs-authorization",
    credential: (token) => ({ authorization: `Bearer ${token}` }),
  },
};

/** Statuses with which a server says it has no 5.7 login: `auto` then logs in as 5.6. */
const NO_5_7_LOGIN = [404, 405, 406];

/** How long logging out may hold up the end of a process. */
export const LOGOUT_TIMEOUT_MS = 3_000;

export interface VcloudAirLogin {
  version: VcloudAirVersion | "auto";
  user: string;
  password: string;
}

/** What a login established: its version and, for 5.6, the `Session` to navigate from. */
export interface VcloudAirSessionState {
  version: VcloudAirVersion;
  headers: Record<string, string>;
  /** 5.6 only. */
  session?: SessionDocument;
}

/** A session that is also the `Authenticator` calls send with. */
export interface VcloudAirSession extends Authenticator {
  /** Logs in if needed, and tells the version and (5.6) the Session. */
  state(): Promise<VcloudAirSessionState>;
}

/** Logins of this process, by credential id, for `state()` and for logging out at the end. */
const states = new Map<string, VcloudAirSessionState & { http: HttpClient }>();

/** What one user's session on one vCloud Air server is shared by. */
export function vcloudAirSessionKey(http: HttpClient, { version, user, password }: VcloudAirLogin): CredentialKey {
  return { service: `vcloud-air-${version}`, endpoint: http.endpoint.baseUrl, identity: user, secret: password };
}

/** A session of one user on the vCloud Air server `http` talks to (base URL: the server's root). */
export function vcloudAirSession(http: HttpClient, login: VcloudAirLogin): VcloudAirSession {
  registerSecret(login.password);
  const id = credentialId(vcloudAirSessionKey(http, login));
  const auth = sharedAuthenticator(vcloudAirSessionKey(http, login), async (): Promise<Credential> => {
    const state = await logIn(http, login);
    states.set(id, { ...state, http });
    if (state.version === "5.6") installLogoutHooks();
    return { headers: state.headers };
  });
  return {
    headers: () => auth.headers(),
    invalidate: (refused) => auth.invalidate(refused),
    async state() {
      const headers = await auth.headers();
      const state = states.get(id);
      if (state) return state;
      // Logged out meanwhile (the process is ending): log in anew.
      auth.invalidate(headers);
      await auth.headers();
      return states.get(id)!;
    },
  };
}

async function logIn(http: HttpClient, { version, user, password }: VcloudAirLogin): Promise<VcloudAirSessionState> {
  if (version !== "auto") return logInAs(http, version, user, password);
  const attempt = await logInAs(http, "5.7", user, password, NO_5_7_LOGIN);
  if (attempt) return attempt;
  log.debug(`vCloud Air at ${http.endpoint.baseUrl} has no 5.7 login: logging in as 5.6`);
  return logInAs(http, "5.6", user, password);
}

function logInAs(
  http: HttpClient,
  version: VcloudAirVersion,
  user: string,
  password: string,
): Promise<VcloudAirSessionState>;
function logInAs(
  http: HttpClient,
  version: VcloudAirVersion,
  user: string,
  password: string,
  notThere: number[],
): Promise<VcloudAirSessionState | undefined>;
async function logInAs(
  http: HttpClient,
  version: VcloudAirVersion,
  user: string,
  password: string,
  notThere: number[] = [],
): Promise<VcloudAirSessionState | undefined> {
  const login = LOGIN[version];
  const call = {
    operation: "log in",
    method: "POST" as const,
    path: login.path,
    headers: { authorization: basic(user, password) },
    // 5.6 answers a Session in XML (its links are the way on); 5.7 a JSON list of service groups, not needed.
    codec: version === "5.6" ? sessionCodec() : raw({ accept: VCLOUD_AIR_ACCEPT[version] }),
    schema: version === "5.6" ? sessionDocument.optional() : z.unknown(),
    idempotent: true, // a second session is harmless
    acceptStatuses: notThere,
    hint: (status: number | undefined) =>
      status === 412
        ? `The terms of service are not accepted for ${user}: sign in to the vCloud Air portal in a browser as that user, accept them, then run again`
        : status === 401
          ? "The user or password was refused: check them in the stack config (refresh and destroy use the config of the last pulumi up: add --run-program after correcting it)"
          : undefined,
  };
  const reply = await http.send(call);
  if (!reply.ok) return undefined;
  const token = headerValue(reply.headers[login.tokenHeader]);
  if (token === undefined) throw http.httpError(call, reply.status, `the answer has no ${login.tokenHeader} header`);
  registerSecret(token);
  const session =
    version === "5.6"
      ? ((reply.body as z.infer<typeof sessionDocument> | undefined)?.Session ?? { Link: [] })
      : undefined;
  return { version, headers: login.credential(token), session };
}

/** The Session document; an empty body (a server that sends only the header) is a Session without links. */
function sessionCodec(): Codec {
  const document = xml({ accept: VCLOUD_AIR_ACCEPT["5.6"], isArray: XML_LISTS });
  return { accept: document.accept, decode: (body) => (body.length === 0 ? undefined : document.decode(body)) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

/**
 * Logs out every 5.6 session of this process (the Session's `remove` link, else its own href),
 * within `timeoutMs`; a failure is only logged: the session then expires on the server's terms.
 */
export async function logOutAll(timeoutMs = LOGOUT_TIMEOUT_MS): Promise<void> {
  const sessions = [...states.entries()].filter(([, s]) => s.version === "5.6");
  for (const [id] of sessions) states.delete(id);
  const logouts = sessions.map(async ([, { http, headers, session }]) => {
    const href = findLink(session?.Link ?? [], "remove")?.["@href"] ?? session?.["@href"];
    if (href === undefined) return;
    try {
      // 401/404: the session had already ended, which is what logging out wants.
      await http.send({
        operation: "log out",
        method: "DELETE",
        path: linkPath(http.endpoint.baseUrl, href),
        headers,
        codec: raw({ accept: VCLOUD_AIR_ACCEPT["5.6"] }),
        schema: z.unknown(),
        acceptStatuses: [401, 404],
      });
    } catch (error) {
      log.debug(`vCloud Air at ${http.endpoint.baseUrl}: logging out failed: ${(error as Error).message}`);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(logouts), deadline]);
  clearTimeout(timer);
}

let hooksInstalled = false;

/**
 * Once a 5.6 session exists: log out when the event loop empties (a program's process), or on
 * SIGINT/SIGTERM (how the engine stops a provider). After a signal the handler steps aside and
 * raises the signal again, so the process ends as it would have without it.
 */
function installLogoutHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("beforeExit", () => void logOutAll());
  const onSignal = (signal: NodeJS.Signals) => {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    void logOutAll().finally(() => process.kill(process.pid, signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Forgets the logins this module knows of (tests). */
export function clearVcloudAirSessions(): void {
  states.clear();
}
