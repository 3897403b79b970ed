/**
 * The Usage Meter appliance's login: 4.x answers a `sessionid` (sent back as `sessionId`), 9.x a
 * bearer token with its expiry. With `auto`, the credentials go both ways (4.x reads the JSON
 * body, 9.x HTTP Basic) and the answer's kind decides.
 */
import { z } from "zod";
import { Authenticator, HttpClient } from "../http/client";
import { registerSecret } from "../redact";
import { timestamp } from "../readers";
import { basic } from "./headers";
import { Credential, CredentialKey, sharedAuthenticator } from "./token-source";

export interface UsageMeterLogin {
  user: string;
  password: string;
  apiVersion: "auto" | "4" | "9";
}

/** 4.x answers `sessionid`; 9.x answers `accessToken`. */
const loginAnswer = z
  .looseObject({
    sessionid: z.string().min(1).optional(),
    accessToken: z.looseObject({ tokenValue: z.string().min(1), expiresAt: timestamp.optional() }).optional(),
    // Unused, but a credential all the same: registered so that no echo of it is shown.
    refreshToken: z.string().optional().catch(undefined),
  })
  .refine(
    (a) => a.sessionid !== undefined || a.accessToken !== undefined,
    "has neither sessionid (4.x) nor accessToken (9.x)",
  );

/** What one user's session on one appliance is shared by. */
export function usageMeterSessionKey(http: HttpClient, { user, password }: UsageMeterLogin): CredentialKey {
  return { service: "usage-meter", endpoint: http.endpoint.baseUrl, identity: user, secret: password };
}

/**
 * The session of one user on the appliance `http` talks to (its base URL ends in `/api/v1`).
 * `onLogin` sees each login answer (the 4.x one also tells about the appliance's settings).
 */
export function usageMeterSession(
  http: HttpClient,
  login: UsageMeterLogin,
  onLogin?: (answer: Record<string, unknown>) => void,
): Authenticator {
  const { user, password, apiVersion } = login;
  registerSecret(password);
  return sharedAuthenticator(usageMeterSessionKey(http, login), async (): Promise<Credential> => {
    const answer = await http.request({
      operation: "log in",
      method: "POST",
      path: "login",
      json: apiVersion === "9" ? undefined : { user, password },
      headers: apiVersion === "4" ? {} : { authorization: basic(user, password) },
      schema: loginAnswer,
      idempotent: true, // a second session is harmless
    });
    registerSecret(answer.refreshToken);
    onLogin?.(answer);
    if (answer.sessionid !== undefined) {
      registerSecret(answer.sessionid);
      return { headers: { sessionId: answer.sessionid } };
    }
    const token = answer.accessToken!;
    registerSecret(token.tokenValue);
    return { headers: { authorization: `Bearer ${token.tokenValue}` }, expiresAt: token.expiresAt };
  });
}
