/**
 * vCloud Air sessions. 5.6 (dedicated and virtual private cloud): `POST /api/vchs/sessions` with
 * HTTP Basic answers 201 and the token in `x-vchs-authorization`, which later calls send back as
 * is. 5.7 (OnDemand): `POST /api/iam/login` with HTTP Basic answers 201 and the token in
 * `vchs-authorization`, which later calls send as `Authorization: Bearer`. Sessions carry no
 * expiry: one lives until the service refuses it (401), then the HTTP layer logs in again once.
 * Logging out belongs to the vCloud Air client: it sends its logout with the current headers,
 * then calls `invalidate` with them.
 */
import { z } from "zod";
import { Authenticator, HttpClient } from "../http/client";
import { raw } from "../http/codecs";
import { registerSecret } from "../redact";
import { basic } from "./headers";
import { sharedAuthenticator } from "./token-source";

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

export interface VcloudAirLogin {
  version: VcloudAirVersion;
  user: string;
  password: string;
}

/** A session of one user on the vCloud Air server `http` talks to (base URL: the server's root). */
export function vcloudAirSession(http: HttpClient, { version, user, password }: VcloudAirLogin): Authenticator {
  registerSecret(password);
  const login = LOGIN[version];
  const key = { service: `vcloud-air-${version}`, endpoint: http.endpoint.baseUrl, identity: user, secret: password };
  return sharedAuthenticator(key, async () => {
    const call = {
      operation: "log in",
      method: "POST" as const,
      path: login.path,
      headers: { authorization: basic(user, password) },
      // 5.6 answers a Session in XML, 5.7 a JSON list of service groups: only the header matters here.
      codec: raw({ accept: VCLOUD_AIR_ACCEPT[version] }),
      schema: z.unknown(),
      idempotent: true, // a second session is harmless
      hint: (status: number | undefined) =>
        status === 412
          ? `The terms of service are not accepted for ${user}: sign in to vCloud Air in a browser as that user, accept them, then run again`
          : status === 401
            ? "The user or password was refused: check them in the stack config"
            : undefined,
    };
    const reply = await http.send(call);
    const token = headerValue(reply.headers[login.tokenHeader]);
    if (token === undefined) throw http.httpError(call, reply.status, `the answer has no ${login.tokenHeader} header`);
    registerSecret(token);
    return { headers: login.credential(token) };
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}
