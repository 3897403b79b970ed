/** Small pieces the token sources share. */

/** An HTTP Basic `authorization` value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Expiry of a token from an OAuth-style `expires_in` (seconds), or a default lifetime. */
export function expiryIn(expiresInSeconds: number | undefined, defaultLifetimeMs: number): number {
  return (
    Date.now() + (expiresInSeconds !== undefined && expiresInSeconds > 0 ? expiresInSeconds * 1000 : defaultLifetimeMs)
  );
}
