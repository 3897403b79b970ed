/**
 * The Cloud Partner Navigator's CSP gateway: the API-token exchange of seeds 000/001 and of the
 * vendor's reference (section 2 and 6 of the API reference), mounted where the console host
 * would be (`/console`). An API token belongs to one organisation; the access tokens it buys
 * speak for that organisation on the Usage Insight routes and expire (30 minutes by default).
 *
 * Where the contract is silent (README, "The emulator"):
 * - a refused API token (unknown or revoked) is a 400 `invalid_grant`, CSP's answer to a bad
 *   refresh token; the message never repeats the token;
 * - both form fields work: `api_token` (current) and `refresh_token` (deprecated). With
 *   `refreshTokenFieldOnly`, the server behaves as an older gateway: `api_token` gets a 400
 *   whose message names `refresh_token`, which is how a client learns to fall back.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";

export const CSP_TOKEN_PATH = "/csp/gateway/am/api/auth/api-tokens/authorize";
const DEFAULT_LIFETIME_SECONDS = 30 * 60;

export interface CspApiTokenOptions {
  /** The API token (also called refresh token) as the Cloud Partner Navigator UI shows it. */
  token: string;
  /** The organisation it belongs to. */
  organizationId: string;
  /** Who the organisation's records say made a change with it (`changedBy`); default `api-user@<organizationId>`. */
  user?: string;
}

export interface CspOptions {
  /** API tokens the gateway knows (default: one random token of one random organisation). */
  apiTokens?: CspApiTokenOptions[];
  /** `expires_in` of an access token, in seconds (default 1800: 30 minutes). */
  accessTokenLifetimeSeconds?: number;
  /** Behave as an older gateway: refuse the `api_token` field with a 400 naming `refresh_token`. */
  refreshTokenFieldOnly?: boolean;
}

/** Who a request speaks for: the organisation of the API token that bought its access token. */
export interface Caller {
  organizationId: string;
  user: string;
}

interface ApiToken extends Caller {
  token: string;
  revoked: boolean;
}

export interface CspState {
  apiTokens: ApiToken[];
  /** Access tokens issued, with when each expires. */
  accessTokens: Map<string, Caller & { expiresAt: number }>;
  lifetimeSeconds: number;
  refreshTokenFieldOnly: boolean;
  /** Exchanges answered with an access token, by form field. */
  exchanges: { api_token: number; refresh_token: number };
}

export function createCsp(options: CspOptions = {}): CspState {
  const tokens = options.apiTokens ?? [{ token: newApiToken(), organizationId: randomUUID() }];
  return {
    apiTokens: tokens.map((t) => ({
      token: t.token,
      organizationId: t.organizationId,
      user: t.user ?? `api-user@${t.organizationId}`,
      revoked: false,
    })),
    accessTokens: new Map(),
    lifetimeSeconds: options.accessTokenLifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS,
    refreshTokenFieldOnly: options.refreshTokenFieldOnly ?? false,
    exchanges: { api_token: 0, refresh_token: 0 },
  };
}

/** An API token as CSP generates them: 64 URL-safe characters. */
export function newApiToken(): string {
  return randomBytes(48).toString("base64url");
}

/** CSP's error body. */
export const cspError = (status: number, error: string, message: string): EmulatorResponse => ({
  status,
  body: { statusCode: status, error, message, requestId: randomUUID() },
});

export function cspRoutes(csp: CspState, base: string): Route[] {
  return [
    {
      service: "csp",
      method: "POST",
      pattern: new RegExp(`^${base}${CSP_TOKEN_PATH}$`),
      handle: (req) => exchange(csp, req),
    },
  ];
}

function exchange(csp: CspState, req: EmulatorRequest): EmulatorResponse {
  if (!String(req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded"))
    return cspError(415, "unsupported_media_type", "Content-Type must be application/x-www-form-urlencoded");
  const form = (req.body ?? {}) as Record<string, string | undefined>;
  const field = form.api_token !== undefined && !csp.refreshTokenFieldOnly ? "api_token" : "refresh_token";
  const value = form[field];
  if (value === undefined || value === "") {
    return cspError(
      400,
      "invalid_request",
      csp.refreshTokenFieldOnly
        ? "The request must carry the refresh_token form field (api_token is not supported here)"
        : "The request must carry the api_token form field",
    );
  }
  const apiToken = csp.apiTokens.find((t) => t.token === value && !t.revoked);
  if (!apiToken) return cspError(400, "invalid_grant", "invalid_grant: Invalid or revoked API token");
  const accessToken = randomBytes(36).toString("base64url");
  const { organizationId, user } = apiToken;
  csp.accessTokens.set(accessToken, { organizationId, user, expiresAt: Date.now() + csp.lifetimeSeconds * 1000 });
  csp.exchanges[field]++;
  return {
    status: 200,
    body: {
      id_token: randomBytes(24).toString("base64url"),
      token_type: "bearer",
      expires_in: csp.lifetimeSeconds,
      scope: "ALL_PERMISSIONS",
      access_token: accessToken,
      refresh_token: value,
    },
  };
}

/** The caller of a request bearing a live access token, or undefined (a 401). */
export function callerOf(csp: CspState, req: EmulatorRequest): Caller | undefined {
  const token = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
  const found = token ? csp.accessTokens.get(token) : undefined;
  if (!found || Date.now() >= found.expiresAt) return undefined;
  return { organizationId: found.organizationId, user: found.user };
}
