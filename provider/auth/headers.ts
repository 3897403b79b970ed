/** Small pieces the token sources share. */

/** An HTTP Basic `authorization` value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Epoch ms from epoch ms or an ISO date; undefined when absent or unreadable (the token then lives until refused). */
export function parseInstant(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Expiry of a token from an OAuth-style `expires_in` (seconds), or a default lifetime. */
export function expiryIn(expiresInSeconds: number | undefined, defaultLifetimeMs: number): number {
  return (
    Date.now() + (expiresInSeconds !== undefined && expiresInSeconds > 0 ? expiresInSeconds * 1000 : defaultLifetimeMs)
  );
}
