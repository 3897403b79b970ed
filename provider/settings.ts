/**
 * Connection settings, read from the stack's `vcpp:*` config: inside the provider process in
 * `configure` (never captured into the serialized provider), in a program through
 * `pulumi.Config("vcpp")`. Keys that are present are validated at once; a key that is missing
 * is reported only when something needs it, so a stack that manages only one service does not
 * have to configure the others.
 */
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "./errors";
import { describeZodIssues, TlsSettings } from "./http";
import { registerSecret } from "./redact";

/** Reads one config key of the `vcpp` namespace (`usageMeterUrl` for `vcpp:usageMeterUrl`). */
export type ConfigSource = (key: string) => string | undefined;

export const DEFAULT_USAGE_METER_USER = "usagemeter";

export const httpsUrl = z
  .string()
  .trim()
  .url("must be a URL such as https://um.example.com:8443")
  // zod runs this even when the URL check failed: only judge a URL that parses (new URL would throw).
  .refine((u) => !URL.canParse(u) || new URL(u).protocol === "https:", "must be an https:// URL");

export const pemBundle = z.string().refine(isPemBundle, "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)");

/** Usage Meter API generation: 4.x (session id) or 9.x (bearer token); `auto` reads it from the login answer. */
export const usageMeterApiVersion = z.enum(["auto", "4", "9"], "must be auto, 4 or 9");

const applianceSchema = z.object({
  url: httpsUrl,
  user: z.string().min(1).default(DEFAULT_USAGE_METER_USER),
  password: z.string().min(1, "must not be empty"),
  apiVersion: usageMeterApiVersion.default("auto"),
  caCertificates: pemBundle.optional(),
  insecureSkipTlsVerify: z.boolean().optional(),
});

const APPLIANCE_NAME = /^[A-Za-z0-9_.-]+$/;

const boolString = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");
const wholeNumberString = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`);
const positiveIntString = wholeNumberString(64);

/** A Usage Meter appliance to talk to, fully resolved. */
export interface UsageMeterConnection {
  /** `default` for the `vcpp:usageMeter*` keys, otherwise the key in `vcpp:usageMeters`. */
  name: string;
  url: string;
  user: string;
  password: string;
  apiVersion: "auto" | "4" | "9";
  tls: TlsSettings;
}

export interface Settings {
  /** The appliance for a resource's `usageMeter` input (undefined: the `vcpp:usageMeter*` keys). */
  usageMeter(name?: string): UsageMeterConnection;
  /** Names that `usageMeter` accepts, for `check`. */
  usageMeterNames(): string[];
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
}

export const DEFAULT_USAGE_METER = "default";

export function loadSettings(get: ConfigSource): Settings {
  const tls: TlsSettings = {
    caCertificates: optional(get, "caCertificates", pemBundle),
    insecureSkipTlsVerify: optional(get, "insecureSkipTlsVerify", boolString),
  };
  const maxConcurrentRequests = optional(get, "maxConcurrentRequests", positiveIntString) ?? 4;
  const requestTimeoutMs = (optional(get, "requestTimeoutSeconds", wholeNumberString(600)) ?? 30) * 1000;

  const url = optional(get, "usageMeterUrl", httpsUrl);
  const user = optional(get, "usageMeterUser", z.string().min(1)) ?? DEFAULT_USAGE_METER_USER;
  const password = optional(get, "usageMeterPassword", z.string().min(1, "must not be empty"));
  const apiVersion = optional(get, "usageMeterApiVersion", usageMeterApiVersion) ?? "auto";
  registerSecret(password);

  const named = parseNamedAppliances(get("usageMeters"));

  return {
    maxConcurrentRequests,
    requestTimeoutMs,
    usageMeterNames: () => [DEFAULT_USAGE_METER, ...Object.keys(named)],
    usageMeter(name) {
      if (name !== undefined && name !== DEFAULT_USAGE_METER) {
        const appliance = named[name];
        if (!appliance) {
          const known = Object.keys(named);
          throw new ConfigError(
            `usageMeter "${name}" is not configured: ${known.length ? `vcpp:usageMeters has ${known.map((k) => `"${k}"`).join(", ")}` : "vcpp:usageMeters is not set"}. ` +
              `Add it with: pulumi config set --path --secret 'vcpp:usageMeters.${name}.password' <password> (and .url, .user)`,
          );
        }
        const { caCertificates, insecureSkipTlsVerify, ...rest } = appliance;
        return { name, ...rest, tls: { caCertificates: caCertificates ?? tls.caCertificates, insecureSkipTlsVerify: insecureSkipTlsVerify ?? tls.insecureSkipTlsVerify } };
      }
      if (!url) throw new ConfigError("vcpp:usageMeterUrl is not set: pulumi config set vcpp:usageMeterUrl https://<usage-meter>:8443");
      if (!password) throw new ConfigError("vcpp:usageMeterPassword is not set: pulumi config set --secret vcpp:usageMeterPassword <password>");
      return { name: DEFAULT_USAGE_METER, url, user, password, apiVersion, tls };
    },
  };
}

function parseNamedAppliances(raw: string | undefined): Record<string, z.infer<typeof applianceSchema>> {
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError("vcpp:usageMeters must be a map of name to {url, user, password}; set its fields with pulumi config set --path");
  }
  const parsed = z.record(z.string(), applianceSchema).safeParse(json);
  if (!parsed.success) throw new ConfigError(`vcpp:usageMeters is invalid: ${describeZodIssues(parsed.error)}`);
  const badName = Object.keys(parsed.data).find((name) => !APPLIANCE_NAME.test(name));
  if (badName !== undefined) throw new ConfigError(`vcpp:usageMeters: the name ${JSON.stringify(badName)} is invalid: names use letters, digits, '.', '_' and '-'`);
  for (const appliance of Object.values(parsed.data)) registerSecret(appliance.password);
  return parsed.data;
}

function optional<T>(get: ConfigSource, key: string, schema: z.ZodType<T, string>): T | undefined {
  const raw = get(key);
  if (raw === undefined || raw === "") return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`vcpp:${key} ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  return parsed.data;
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
