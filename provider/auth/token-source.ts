/**
 * Credentials shared by every client in the provider process: one login (or token exchange)
 * per service, address and user, however many resources need it and however concurrently.
 */
import { Authenticator } from "../http/client";

export interface Credential {
  headers: Record<string, string>;
  /** Epoch ms after which the credential is renewed before use (tokens that expire). */
  renewAfter?: number;
}

interface Entry {
  pending: Promise<Credential>;
  value?: Credential;
}

const credentials = new Map<string, Entry>();

/**
 * An authenticator whose credential is obtained once per `key` and shared. Concurrent callers
 * wait for the same login; a failed login is not cached; a refused credential is dropped only
 * if it is still the current one, so N parallel 401s cause one re-login, not N.
 */
export function sharedAuthenticator(key: string, obtain: () => Promise<Credential>): Authenticator {
  return {
    async headers() {
      let entry = credentials.get(key);
      if (entry?.value?.renewAfter !== undefined && Date.now() >= entry.value.renewAfter) {
        credentials.delete(key);
        entry = undefined;
      }
      if (!entry) {
        const fresh: Entry = { pending: obtain() };
        fresh.pending.then(
          (value) => (fresh.value = value),
          () => credentials.get(key) === fresh && credentials.delete(key),
        );
        credentials.set(key, fresh);
        entry = fresh;
      }
      return (await entry.pending).headers;
    },
    invalidate(refused) {
      const entry = credentials.get(key);
      if (entry?.value && Object.entries(entry.value.headers).every(([k, v]) => refused[k] === v)) credentials.delete(key);
    },
  };
}

/** Forgets every cached credential (tests). */
export function clearCredentials(): void {
  credentials.clear();
}
