/**
 * Settings every service shares (TLS, concurrency, timeouts), read from the stack's `vcpp:*`
 * config, and the parsers each service's own settings are built from. Inside the provider
 * process they are read in `configure` (never captured into the serialized provider); in a
 * program, functions read the same keys. Keys that are present are validated at once; a key that
 * is missing is reported only when something needs it, so a stack that uses one service never
 * has to configure the others.
 */
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "./errors";
import { DEFAULT_MAX_CONCURRENCY, describeZodIssues, TlsSettings } from "./http/client";
import { registerSecret } from "./redact";

/** Reads one config key of the `vcpp` namespace (`usageMeterUrl` for `vcpp:usageMeterUrl`). */
export type ConfigSource = (key: string) => string | undefined;

/** What every service client is built with. */
export interface SharedSettings {
  /** Trust (`vcpp:caCertificates`) and `vcpp:insecureSkipTlsVerify`; a service's named connections may override them. */
  tls: TlsSettings;
  /** `vcpp:maxConcurrentRequests`: requests in flight per host from one process. */
  maxConcurrentRequests: number;
  /** `vcpp:requestTimeoutSeconds`, in milliseconds. */
  requestTimeoutMs: number;
}

export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

/** A string's type rule: absent (inside a structured key or inputs), it "is required", not "expected string, received undefined". */
export const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") });

export const httpsUrl = requiredString()
  .trim()
  .url("must be a URL such as https://um.example.com:8443")
  // zod runs this even when the URL check failed: only judge a URL that parses (new URL would throw).
  .refine((u) => !URL.canParse(u) || new URL(u).protocol === "https:", "must be an https:// URL");

export const pemBundle = z
  .string()
  .refine(isPemBundle, "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)");

/** Control characters: a pasted value carrying a line break or NUL is a mistake, and would corrupt a header. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it matches
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A user name, password, token or secret from config: present, not empty, no control characters. */
export const credential = requiredString()
  .min(1, "must not be empty")
  .max(4096, "must be at most 4096 characters")
  .refine((s) => !CONTROL_CHARACTERS.test(s), "must not contain control characters");

/** `insecureSkipTlsVerify` inside a structured key (a JSON boolean). */
export const boolFlag = z.boolean("must be true or false");

export const boolString = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");

export const wholeNumberString = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`);

export function loadSharedSettings(get: ConfigSource): SharedSettings {
  return {
    tls: {
      caCertificates: optional(get, "caCertificates", pemBundle),
      insecureSkipTlsVerify: optional(get, "insecureSkipTlsVerify", boolString),
    },
    maxConcurrentRequests: optional(get, "maxConcurrentRequests", wholeNumberString(64)) ?? DEFAULT_MAX_CONCURRENCY,
    requestTimeoutMs:
      (optional(get, "requestTimeoutSeconds", wholeNumberString(600)) ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000,
  };
}

/** A key's value parsed with its schema; undefined when unset; a ConfigError naming the key when invalid. */
export function optional<T>(get: ConfigSource, key: string, schema: z.ZodType<T, string>): T | undefined {
  const raw = get(key);
  if (raw === undefined || raw === "") return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`vcpp:${key} ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  return parsed.data;
}

/** A structured key (set with `pulumi config set --path`, which the engine sends as JSON text), parsed with its schema. */
export function structured<T>(get: ConfigSource, key: string, schema: z.ZodType<T>, shape: string): T | undefined {
  const raw = get(key);
  if (raw === undefined || raw === "") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(`vcpp:${key} must be ${shape}; set its fields with pulumi config set --path`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`vcpp:${key} is invalid: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

/** What each entry of a map of named connections holds, as messages name it. */
const CONNECTION_SHAPE = "{url, user, password}";
const CONNECTION_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * A structured key's named connections (`vcpp:usageMeters`, `vcpp:vcaAccounts`): each name valid,
 * none called like the connection of the plain keys (`defaults.name`), which would silently
 * shadow it, and every password registered for redaction.
 */
export function namedConnections<T extends { password: string }>(
  get: ConfigSource,
  key: string,
  entry: z.ZodType<T>,
  defaults: { name: string; what: string; keys: string[] },
): Record<string, T> {
  const map = z.record(z.string(), entry, `must be a map of name to ${CONNECTION_SHAPE}`);
  const named = structured(get, key, map, `a map of name to ${CONNECTION_SHAPE}`) ?? {};
  const badName = Object.keys(named).find((name) => !CONNECTION_NAME.test(name));
  if (badName !== undefined)
    throw new ConfigError(
      `vcpp:${key}: the name ${JSON.stringify(badName)} is invalid: names use letters, digits, '.', '_' and '-'`,
    );
  if (defaults.name in named) {
    const keys = defaults.keys.map((k) => `vcpp:${k}`);
    throw new ConfigError(
      `vcpp:${key}: the name "${defaults.name}" is the ${defaults.what} of the ${keys.slice(0, -1).join(", ")} and ${keys.at(-1)} keys: set those for it, or give it another name`,
    );
  }
  for (const connection of Object.values(named)) registerSecret(connection.password);
  return named;
}

function isPemBundle(text: string): boolean {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
