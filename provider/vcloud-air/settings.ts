/**
 * vCloud Air settings: the `vcpp:vca*` keys (the default account) and the named accounts of
 * `vcpp:vcaAccounts`. Passwords are registered with the redactor as they are read.
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

/** The name of the account the `vcpp:vca*` keys describe. */
export const DEFAULT_VCA_ACCOUNT = "default";

/**
 * `5.6` (vCloud Air dedicated and virtual private cloud, XML), `5.7` (OnDemand, JSON), or `auto`:
 * the 5.7 login is tried first and a server without it (404, 405, 406) is logged in to as 5.6.
 */
export const vcaApiVersion = z.enum(["auto", "5.6", "5.7"], "must be auto, 5.6 or 5.7");
export type VcaApiVersion = z.infer<typeof vcaApiVersion>;

const accountSchema = z.object({
  url: httpsUrl,
  user: credential,
  password: credential,
  apiVersion: vcaApiVersion.default("auto"),
  caCertificates: pemBundle.optional(),
  insecureSkipTlsVerify: boolFlag.optional(),
});

/** A vCloud Air account to talk to, fully resolved. */
export interface VcaConnection {
  /** `default` for the `vcpp:vca*` keys, otherwise the key in `vcpp:vcaAccounts`. */
  name: string;
  /** The server's root, e.g. `https://vca.vmware.com` (an `/api` or `/api/vchs` suffix is dropped). */
  url: string;
  user: string;
  password: string;
  apiVersion: VcaApiVersion;
  tls: TlsSettings;
}

export interface VcaSettings {
  /** The account for a resource's `vcaAccount` input (undefined: the `vcpp:vca*` keys). */
  connection(name?: string): VcaConnection;
  /** Names that `vcaAccount` accepts, for `check`. */
  names(): string[];
}

/** The server's root: users paste the API base they see in the documentation as often as the host. */
export function serverRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/api(\/vchs)?$/, "");
}

export function loadVcaSettings(get: ConfigSource, shared: SharedSettings): VcaSettings {
  const url = optional(get, "vcaUrl", httpsUrl);
  const user = optional(get, "vcaUser", credential);
  const password = optional(get, "vcaPassword", credential);
  const apiVersion = optional(get, "vcaApiVersion", vcaApiVersion) ?? "auto";
  registerSecret(password);
  const named = namedConnections(get, "vcaAccounts", accountSchema, {
    name: DEFAULT_VCA_ACCOUNT,
    what: "account",
    keys: ["vcaUrl", "vcaUser", "vcaPassword"],
  });
  const { tls } = shared;

  return {
    names: () => [DEFAULT_VCA_ACCOUNT, ...Object.keys(named)],
    connection(name) {
      if (name !== undefined && name !== DEFAULT_VCA_ACCOUNT) {
        const account = named[name];
        if (!account) {
          const known = Object.keys(named);
          throw new ConfigError(
            `vcaAccount "${name}" is not configured: ${known.length ? `vcpp:vcaAccounts has ${known.map((k) => `"${k}"`).join(", ")}` : "vcpp:vcaAccounts is not set"}. ` +
              `Add it with: pulumi config set --path --secret 'vcpp:vcaAccounts.${name}.password' <password> (and .url, .user)`,
          );
        }
        const { caCertificates, insecureSkipTlsVerify, url: accountUrl, ...rest } = account;
        return {
          name,
          url: serverRoot(accountUrl),
          ...rest,
          tls: {
            caCertificates: caCertificates ?? tls.caCertificates,
            insecureSkipTlsVerify: insecureSkipTlsVerify ?? tls.insecureSkipTlsVerify,
          },
        };
      }
      if (!url) throw new ConfigError("vcpp:vcaUrl is not set: pulumi config set vcpp:vcaUrl https://vca.vmware.com");
      if (!user) throw new ConfigError("vcpp:vcaUser is not set: pulumi config set vcpp:vcaUser <user name>");
      if (!password)
        throw new ConfigError("vcpp:vcaPassword is not set: pulumi config set --secret vcpp:vcaPassword <password>");
      return { name: DEFAULT_VCA_ACCOUNT, url: serverRoot(url), user, password, apiVersion, tls };
    },
  };
}
