/**
 * Commerce (VMware Cloud Provider Program API) settings: the environment, or explicit token and
 * API URLs, the OAuth client, the order feed's form and the order journal. The client secret is
 * registered with the redactor as it is read.
 */
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors";
import { TlsSettings } from "../http/client";
import { registerSecret } from "../redact";
import { ConfigSource, credential, httpsUrl, optional, SharedSettings } from "../settings";

/** The token URL and API base of each documented environment (seed 003, section 2.3). */
export const COMMERCE_ENVIRONMENTS = {
  production: {
    tokenUrl: "https://vconnect.vmware.com/v1/m0/api/token/oauth",
    apiUrl: "https://vconnect.vmware.com/v1/m3/api/vcpp",
  },
  development: {
    tokenUrl: "https://apigw-test.vmware.com/cd/v1/m0/api/token/oauth",
    apiUrl: "https://apigw-test.vmware.com/cd/v1/m3/api/vcpp",
  },
} as const;
export type CommerceEnvironment = keyof typeof COMMERCE_ENVIRONMENTS;

/** How the order feed is asked for: its documented Atom form (the default) or JSON. */
export const ORDER_FEED_FORMATS = ["atom", "json"] as const;
export type OrderFeedFormat = (typeof ORDER_FEED_FORMATS)[number];

/** Where the order journal lives by default, relative to the Pulumi project directory. */
export const DEFAULT_ORDER_JOURNAL = join(".pulumi-vcpp", "orders.jsonl");

/** A commerce API to talk to, fully resolved. */
export interface CommerceConnection {
  tokenUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  tls: TlsSettings;
  feedFormat: OrderFeedFormat;
}

export interface CommerceSettings {
  /** Whether the client id and secret are set (then `check` also asks the API about part numbers). */
  configured(): boolean;
  /** The connection; a ConfigError naming the missing key when it is not configured. */
  connection(): CommerceConnection;
  /** Absolute path of the order journal (`vcpp:commerceOrderJournal`). */
  journalPath: string;
}

export function loadCommerceSettings(
  get: ConfigSource,
  shared: SharedSettings,
  projectDir = process.cwd(),
): CommerceSettings {
  const environment = optional(
    get,
    "commerceEnvironment",
    z.enum(["production", "development"], "must be production or development"),
  );
  const tokenUrl = optional(get, "commerceTokenUrl", httpsUrl);
  const apiUrl = optional(get, "commerceUrl", httpsUrl);
  const clientId = optional(get, "commerceClientId", z.string().trim().pipe(credential));
  const clientSecret = optional(get, "commerceClientSecret", credential);
  const feedFormat =
    optional(get, "commerceOrderFeedFormat", z.enum(ORDER_FEED_FORMATS, "must be atom or json")) ?? "atom";
  const journal = optional(get, "commerceOrderJournal", z.string().trim().min(1, "must not be empty"));
  registerSecret(clientSecret);
  if ((tokenUrl === undefined) !== (apiUrl === undefined))
    throw new ConfigError(
      "vcpp:commerceTokenUrl and vcpp:commerceUrl go together: set both, or neither and vcpp:commerceEnvironment",
    );
  const journalPath = journal === undefined ? join(projectDir, DEFAULT_ORDER_JOURNAL) : absolute(journal, projectDir);

  return {
    journalPath,
    configured: () => clientId !== undefined && clientSecret !== undefined,
    connection() {
      const urls = tokenUrl && apiUrl ? { tokenUrl, apiUrl } : environment && COMMERCE_ENVIRONMENTS[environment];
      if (!urls)
        throw new ConfigError(
          "vcpp:commerceEnvironment is not set: pulumi config set vcpp:commerceEnvironment production (or development; or set vcpp:commerceTokenUrl and vcpp:commerceUrl)",
        );
      if (!clientId)
        throw new ConfigError("vcpp:commerceClientId is not set: pulumi config set vcpp:commerceClientId <client id>");
      if (!clientSecret)
        throw new ConfigError(
          "vcpp:commerceClientSecret is not set: pulumi config set --secret vcpp:commerceClientSecret <client secret>",
        );
      return { ...urls, clientId, clientSecret, tls: shared.tls, feedFormat };
    },
  };
}

function absolute(path: string, projectDir: string): string {
  return isAbsolute(path) ? path : resolve(projectDir, path);
}
