/**
 * Cloud Partner Navigator settings: the CSP that exchanges the API token (`vcpp:cspUrl`,
 * `vcpp:cspApiToken`), the Usage Insight service (`vcpp:usageInsightUrl`) and the usage metering
 * agents API (`vcpp:usageMeteringAgentsUrl`). The API token is registered with the redactor as it
 * is read. A missing key fails only when something uses the service, naming the command that sets it.
 */
import { z } from "zod";
import { ConfigError } from "../errors";
import { TlsSettings } from "../http/client";
import { registerSecret } from "../redact";
import { ConfigSource, credential, httpsUrl, optional, SharedSettings } from "../settings";

/** The CSP gateway of seeds 000 and 001; the token path is relative to it. */
export const DEFAULT_CSP_URL = "https://console.cloud.vmware.com";
/** The seeds' Usage Insight host (issue #15: the default). */
export const DEFAULT_USAGE_INSIGHT_URL = "https://ums.cloud.vmware.com/usage/api/v1";
/** The vendor's current published host (api-reference §6), for `vcpp:usageInsightUrl`. */
export const VENDOR_USAGE_INSIGHT_URL = "https://console.navigator.vmware.com/usage/api/v1";

export interface UsageInsightSettings {
  cspUrl: string;
  usageInsightUrl: string;
  /** Undefined when `vcpp:usageMeteringAgentsUrl` is not set. */
  usageMeteringAgentsUrl?: string;
  tls: TlsSettings;
  /** The API token; a ConfigError saying how to set it when it is not set. */
  apiToken(): string;
}

// Trimmed first: a token pasted with a trailing space or line break is still the token.
const apiToken = z.string().trim().pipe(credential);

export function loadUsageInsightSettings(get: ConfigSource, shared: SharedSettings): UsageInsightSettings {
  const token = optional(get, "cspApiToken", apiToken);
  registerSecret(token);
  return {
    cspUrl: optional(get, "cspUrl", httpsUrl) ?? DEFAULT_CSP_URL,
    usageInsightUrl: optional(get, "usageInsightUrl", httpsUrl) ?? DEFAULT_USAGE_INSIGHT_URL,
    // Published under several bases over time (api-reference §7): any https base is accepted.
    usageMeteringAgentsUrl: optional(get, "usageMeteringAgentsUrl", httpsUrl),
    tls: shared.tls,
    apiToken() {
      if (token === undefined)
        throw new ConfigError(
          "vcpp:cspApiToken is not set: generate an API token in the Cloud Partner Navigator, then pulumi config set --secret vcpp:cspApiToken <API token>",
        );
      return token;
    },
  };
}

/** The ConfigError for an operation that needs the usage metering agents API. */
export function agentsUrlMissing(what: string): ConfigError {
  return new ConfigError(
    `vcpp:usageMeteringAgentsUrl is not set, and ${what} goes through the usage metering agents API: ` +
      "pulumi config set vcpp:usageMeteringAgentsUrl https://<host>/…/usage-metering-agents",
  );
}
