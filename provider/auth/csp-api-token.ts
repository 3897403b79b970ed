/**
 * The Cloud Partner Navigator (CSP) API-token exchange: the long-lived API token a user generates
 * in the Cloud Partner Navigator buys a 30-minute access token, sent as `Authorization: Bearer`.
 * The current form field is `api_token`; a server that still wants the deprecated
 * `refresh_token` says so in a 400, and the exchange is repeated once with that field.
 */
import { z } from "zod";
import { Authenticator, Call, HttpClient } from "../http/client";
import { registerSecret } from "../redact";
import { expiryIn } from "./headers";
import { sharedAuthenticator } from "./token-source";

/** Relative to the CSP base URL (`https://console.cloud.vmware.com`). */
export const CSP_TOKEN_PATH = "csp/gateway/am/api/auth/api-tokens/authorize";
export const CSP_ACCESS_TOKEN_LIFETIME_MS = 30 * 60_000;

const accessTokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().optional(),
  // Unused, but credentials all the same: registered so that no echo of them is shown.
  id_token: z.string().optional().catch(undefined),
  refresh_token: z.string().optional().catch(undefined),
});

const REFUSED = [400, 401, 403];

/** Access tokens for one API token, from the CSP that `http` talks to. */
export function cspApiToken(http: HttpClient, apiToken: string): Authenticator {
  registerSecret(apiToken);
  const key = { service: "csp-api-token", endpoint: http.endpoint.baseUrl, identity: "", secret: apiToken };
  return sharedAuthenticator(key, async () => {
    const exchange = (field: "api_token" | "refresh_token"): Call<typeof accessTokenAnswer> => ({
      operation: "exchange the API token for an access token",
      method: "POST",
      path: CSP_TOKEN_PATH,
      form: { [field]: apiToken },
      schema: accessTokenAnswer,
      idempotent: true, // an extra access token is harmless
      acceptStatuses: REFUSED,
      hint: (status) =>
        status !== undefined && REFUSED.includes(status)
          ? "The API token was refused: generate a new API token in the Cloud Partner Navigator and set it with: pulumi config set --secret vcpp:cspApiToken <token>"
          : undefined,
    });
    let call = exchange("api_token");
    let reply = await http.send(call);
    // Read liberally: a 400 that names the old field may also be a refusal; then the second try is
    // refused as well, and that is the error reported. One extra call, never a loop.
    if (!reply.ok && reply.status === 400 && /refresh_token/.test(reply.text)) {
      call = exchange("refresh_token");
      reply = await http.send(call);
    }
    if (!reply.ok) throw http.httpError(call, reply.status, reply.text);
    for (const token of [reply.body.access_token, reply.body.id_token, reply.body.refresh_token]) registerSecret(token);
    return {
      headers: { authorization: `Bearer ${reply.body.access_token}` },
      expiresAt: expiryIn(reply.body.expires_in, CSP_ACCESS_TOKEN_LIFETIME_MS),
    };
  });
}
