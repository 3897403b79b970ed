/**
 * Every credential the package handles (passwords, session ids, tokens) is registered here the
 * moment it is read or received, so that no error message or log line can carry it, even when a
 * server echoes it back in an error body.
 */
const secrets = new Set<string>();

/** Shortest value worth masking: shorter ones would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}
