/**
 * OAuth 2 client credentials, as the commerce API issues them: `POST <token URL>` with HTTP Basic
 * `clientId:clientSecret` answers `{access_token, token_type, expires_in}` (20 minutes); calls send
 * `authorization: Bearer <token>`. The seed's request has no body; the form
 * `grant_type=client_credentials` is sent all the same, because RFC 6749 (4.4.2) requires it and a
 * server that does not need it ignores it.
 */
import { z } from "zod";
import { Authenticator, HttpClient } from "../http/client";
import { registerSecret } from "../redact";
import { basic, expiryIn } from "./headers";
import { sharedAuthenticator } from "./token-source";

export const CLIENT_CREDENTIALS_LIFETIME_MS = 20 * 60_000;

export interface ClientCredentials {
  /** The token endpoint relative to the base URL of `http` (commerce: `m0/api/token/oauth`). */
  tokenPath: string;
  clientId: string;
  clientSecret: string;
}

const tokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().optional(),
  // Client credentials need none (RFC 6749 4.4.3), but a server may send one: it is a credential all the same.
  refresh_token: z.string().optional().catch(undefined),
});

export function clientCredentials(
  http: HttpClient,
  { tokenPath, clientId, clientSecret }: ClientCredentials,
): Authenticator {
  registerSecret(clientSecret);
  const key = {
    service: "oauth-client-credentials",
    endpoint: `${http.endpoint.baseUrl}/${tokenPath}`,
    identity: clientId,
    secret: clientSecret,
  };
  return sharedAuthenticator(key, async () => {
    const answer = await http.request({
      operation: "obtain an access token",
      method: "POST",
      path: tokenPath,
      headers: { authorization: basic(clientId, clientSecret) },
      form: { grant_type: "client_credentials" },
      schema: tokenAnswer,
      idempotent: true, // an extra token is harmless
      hint: (status) =>
        status === 400 || status === 401
          ? "The client id or secret was refused: check them in the stack config"
          : undefined,
    });
    for (const token of [answer.access_token, answer.refresh_token]) registerSecret(token);
    return {
      headers: { authorization: `Bearer ${answer.access_token}` },
      expiresAt: expiryIn(answer.expires_in, CLIENT_CREDENTIALS_LIFETIME_MS),
    };
  });
}
