/**
 * Every credential the package handles (passwords, session ids, tokens) is registered here the
 * moment it is read or received, so that no error message or log line can carry it, even when a
 * server echoes it back in an error body.
 */
const secrets = new Set<string>();
/** The secrets longest first, so that one inside another (a password in a token) cannot leave the rest of the longer showing. */
let longestFirst: string[] | undefined;

/** Shortest value worth masking: shorter ones would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH && !secrets.has(value)) {
    secrets.add(value);
    longestFirst = undefined;
  }
}

export function redact(text: string): string {
  longestFirst ??= [...secrets].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of longestFirst) {
    if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}
