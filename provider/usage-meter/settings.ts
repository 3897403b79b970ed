/**
 * Usage Meter settings: the `vcpp:usageMeter*` keys (the default appliance) and the named
 * appliances of `vcpp:usageMeters`. Passwords are registered with the redactor as they are read.
 */
import { z } from "zod";
import { ConfigError } from "../errors";
import { TlsSettings } from "../http/client";
import { registerSecret } from "../redact";
import {
  boolFlag,
  ConfigSource,
  credential,
  httpsUrl,
  namedConnections,
  optional,
  pemBundle,
  SharedSettings,
} from "../settings";

export const DEFAULT_USAGE_METER_USER = "usagemeter";
/** The name of the appliance the `vcpp:usageMeter*` keys describe. */
export const DEFAULT_USAGE_METER = "default";

/** Usage Meter API generation: 4.x (session id) or 9.x (bearer token); `auto` reads it from the login answer. */
export const usageMeterApiVersion = z.enum(["auto", "4", "9"], "must be auto, 4 or 9");

const applianceSchema = z.object({
  url: httpsUrl,
  user: credential.default(DEFAULT_USAGE_METER_USER),
  password: credential,
  apiVersion: usageMeterApiVersion.default("auto"),
  caCertificates: pemBundle.optional(),
  insecureSkipTlsVerify: boolFlag.optional(),
});

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

export interface UsageMeterSettings {
  /** The appliance for a resource's `usageMeter` input (undefined: the `vcpp:usageMeter*` keys). */
  connection(name?: string): UsageMeterConnection;
  /** Names that `usageMeter` accepts, for `check`. */
  names(): string[];
}

export function loadUsageMeterSettings(get: ConfigSource, shared: SharedSettings): UsageMeterSettings {
  const url = optional(get, "usageMeterUrl", httpsUrl);
  const user = optional(get, "usageMeterUser", credential) ?? DEFAULT_USAGE_METER_USER;
  const password = optional(get, "usageMeterPassword", credential);
  const apiVersion = optional(get, "usageMeterApiVersion", usageMeterApiVersion) ?? "auto";
  registerSecret(password);
  const named = namedConnections(get, "usageMeters", applianceSchema, {
    name: DEFAULT_USAGE_METER,
    what: "appliance",
    keys: ["usageMeterUrl", "usageMeterUser", "usageMeterPassword"],
  });
  const { tls } = shared;

  return {
    names: () => [DEFAULT_USAGE_METER, ...Object.keys(named)],
    connection(name) {
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
        return {
          name,
          ...rest,
          tls: {
            caCertificates: caCertificates ?? tls.caCertificates,
            insecureSkipTlsVerify: insecureSkipTlsVerify ?? tls.insecureSkipTlsVerify,
          },
        };
      }
      if (!url)
        throw new ConfigError(
          "vcpp:usageMeterUrl is not set: pulumi config set vcpp:usageMeterUrl https://<usage-meter>:8443",
        );
      if (!password)
        throw new ConfigError(
          "vcpp:usageMeterPassword is not set: pulumi config set --secret vcpp:usageMeterPassword <password>",
        );
      return { name: DEFAULT_USAGE_METER, url, user, password, apiVersion, tls };
    },
  };
}
