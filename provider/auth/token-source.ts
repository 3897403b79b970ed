/**
 * The one auth layer: credentials shared by every client and function in a process. One login
 * (or token exchange) per service, endpoint, identity and secret, however many resources and
 * functions need it and however concurrently. Each service's way of obtaining a credential is a
 * small module next to this one; this one decides when to obtain, share, renew and forget.
 */
import { createHash } from "node:crypto";
import { Authenticator } from "../http/client";

export interface Credential {
  headers: Record<string, string>;
  /** Epoch ms at which the service stops accepting it (tokens that expire); absent: until refused. */
  expiresAt?: number;
}

/** What a credential is shared by. The secret is only hashed into the key, never kept. */
export interface CredentialKey {
  /** e.g. "usage-meter", "csp-api-token". */
  service: string;
  /** Base URL of the service that issues the credential. */
  endpoint: string;
  /** User or client id ("" when the secret is the identity, as an API token). */
  identity: string;
  secret: string;
}

/** Renew a token this long before it expires, so that no call goes out with a dying token. */
export const RENEWAL_MARGIN_MS = 60_000;

interface Entry {
  pending: Promise<Credential>;
  value?: Credential;
  renewAt?: number;
}

const credentials = new Map<string, Entry>();

/**
 * An authenticator whose credential is obtained once per key and shared in the process.
 * Concurrent callers wait for the same login; a failed login is not cached; an expiring token is
 * renewed shortly before it expires; a refused credential is dropped only if it is still the
 * current one, so N parallel 401s cause one re-login, not N. Implementations of `obtain` register
 * every token they receive with the redactor before anything else.
 */
export function sharedAuthenticator(key: CredentialKey, obtain: () => Promise<Credential>): Authenticator {
  const id = credentialId(key);
  return {
    async headers() {
      let entry = credentials.get(id);
      if (entry?.renewAt !== undefined && Date.now() >= entry.renewAt) {
        credentials.delete(id);
        entry = undefined;
      }
      if (!entry) {
        const fresh: Entry = { pending: obtain() };
        const obtainedAt = Date.now();
        fresh.pending.then(
          (value) => {
            fresh.value = value;
            fresh.renewAt = renewalTime(obtainedAt, value.expiresAt);
          },
          () => credentials.get(id) === fresh && credentials.delete(id),
        );
        credentials.set(id, fresh);
        entry = fresh;
      }
      return (await entry.pending).headers;
    },
    invalidate(refused) {
      const entry = credentials.get(id);
      if (entry?.value && Object.entries(entry.value.headers).every(([k, v]) => refused[k] === v))
        credentials.delete(id);
    },
  };
}

/** The margin before expiry, or half the lifetime for a token that lives less than two margins. */
function renewalTime(obtainedAt: number, expiresAt: number | undefined): number | undefined {
  if (expiresAt === undefined) return undefined;
  return expiresAt - Math.min(RENEWAL_MARGIN_MS, Math.max(0, expiresAt - obtainedAt) / 2);
}

/** The id a credential is shared by in this process (also what per-login facts can be kept by). */
export function credentialId({ service, endpoint, identity, secret }: CredentialKey): string {
  // A hash, never the secret: a changed password or token logs in anew, and no map holds it.
  const fingerprint = createHash("sha256").update(secret).digest("hex").slice(0, 16);
  return JSON.stringify([service, endpoint.replace(/\/+$/, ""), identity, fingerprint]);
}

/** Forgets every cached credential (tests). */
export function clearCredentials(): void {
  credentials.clear();
}
