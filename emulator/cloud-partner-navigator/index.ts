/**
 * The Cloud Partner Navigator side of the emulator: the CSP token exchange and the Usage Insight
 * service (registrations, the usage metering agents API, reports), sharing one set of
 * organisations and access tokens. Mounted as two hosts would be:
 * - `/console`: the console host, with the CSP gateway (`/console/csp/gateway/am/api/auth/…`)
 *   and the CSP usage metering agents API (`/console/commerce/usage-insight/api/usage-metering-agents`);
 * - `/ums`: the Usage Insight host, `/ums/usage/api/v1` (and the VCF base of the agents API,
 *   `/ums/vcf/ums/api/v1/usage-metering-agents`, since the vendor published both).
 */
import { EmulatorService, UsageError } from "../core/service";
import { cloudPartnerNavigatorAdmin, CloudPartnerNavigatorAdmin } from "./admin";
import { createCsp, CSP_TOKEN_PATH, CspOptions, cspRoutes } from "./csp";
import { reportRoutes, ReportsState } from "./reports";
import { agentRoutes, knownAgent, KnownAgentOptions, registrationRoutes, UsageInsightState } from "./registrations";

export { CspApiTokenOptions, CspOptions } from "./csp";
export { KnownAgentOptions } from "./registrations";
export { MeteredProduct } from "../core/metering-agents";
export { CloudPartnerNavigatorAdmin, NewReport, RegistrationChange, RegistrationRecord, ReportRecord } from "./admin";

const CONSOLE = "/console";
const USAGE_INSIGHT = "/ums/usage/api/v1";
const AGENTS = `${CONSOLE}/commerce/usage-insight/api/usage-metering-agents`;
const VCF_AGENTS = "/ums/vcf/ums/api/v1/usage-metering-agents";

export interface UsageInsightOptions {
  /** How long a new registration stays in progress, in ms (default 1000; 0 completes at once). */
  registrationDelayMs?: number;
  /** Agents it knows besides the emulated Usage Meter appliances (whose UUIDs it always knows). */
  agents?: KnownAgentOptions[];
  /** How many months of reports a registered agent has: the current one and those before (default 3). */
  reportMonths?: number;
}

export interface CloudPartnerNavigatorOptions {
  /** The CSP token exchange: API tokens, access token lifetime, legacy field. */
  csp?: CspOptions;
  usageInsight?: UsageInsightOptions;
}

/** What stack config points at; each URL is a base the client appends the documented paths to. */
export interface CloudPartnerNavigatorAccess {
  /** `vcpp:cspUrl`: ends with `/console`; the client appends `csp/gateway/am/api/auth/api-tokens/authorize`. */
  cspUrl: string;
  /** `vcpp:cspApiToken`: the first API token of the emulator (valid until revoked). */
  cspApiToken: string;
  /** The organisation `cspApiToken` belongs to. */
  cspOrganizationId: string;
  /** `vcpp:usageInsightUrl`: ends with `/usage/api/v1`; the client appends `agent-registrations`, `reports`. */
  usageInsightUrl: string;
  /** `vcpp:usageMeteringAgentsUrl`: ends with `/usage-metering-agents`; the client appends `{agentId}`. */
  usageMeteringAgentsUrl: string;
}

export const cloudPartnerNavigatorService: EmulatorService<
  CloudPartnerNavigatorOptions,
  CloudPartnerNavigatorAdmin,
  CloudPartnerNavigatorAccess
> = {
  name: "cloud-partner-navigator",
  start(options, { meteringAgents }) {
    const csp = createCsp(options.csp);
    const insight = options.usageInsight ?? {};
    const state: UsageInsightState = {
      appliances: meteringAgents,
      extraAgents: new Map((insight.agents ?? []).map((a) => [a.agentId, knownAgent(a)])),
      registrations: new Map(),
      registrationDelayMs: insight.registrationDelayMs ?? 1000,
    };
    const reports: ReportsState = { reports: new Map(), generated: new Set(), reportMonths: insight.reportMonths ?? 3 };
    return {
      routes: [
        ...cspRoutes(csp, CONSOLE),
        ...registrationRoutes(state, csp, USAGE_INSIGHT),
        ...reportRoutes(state, reports, csp, USAGE_INSIGHT),
        ...agentRoutes(state, csp, [AGENTS, VCF_AGENTS]),
      ],
      ...cloudPartnerNavigatorAdmin(csp, state, reports),
      access: (url) => ({
        cspUrl: `${url}${CONSOLE}`,
        cspApiToken: csp.apiTokens[0].token,
        cspOrganizationId: csp.apiTokens[0].organizationId,
        usageInsightUrl: `${url}${USAGE_INSIGHT}`,
        usageMeteringAgentsUrl: `${url}${AGENTS}`,
      }),
    };
  },
  cli: {
    options: {
      "csp-api-token": {
        type: "string",
        multiple: true,
        value: "TOKEN[:ORG]",
        help: "an API token the CSP gateway accepts, of organisation ORG (repeatable; default: one random token)",
      },
      "csp-token-lifetime": {
        type: "string",
        value: "SECONDS",
        help: "expires_in of the access tokens it issues (default 1800)",
      },
      "csp-refresh-token-only": {
        type: "boolean",
        help: "behave as an older CSP gateway: refuse the api_token field, asking for refresh_token",
      },
      "registration-delay": {
        type: "string",
        value: "MS",
        help: "how long a Usage Insight registration stays in progress (default 1000; 0: at once)",
      },
    },
    fromArgs(values) {
      const specs = (values["csp-api-token"] ?? []) as string[];
      const lifetime = values["csp-token-lifetime"] as string | undefined;
      const delay = values["registration-delay"] as string | undefined;
      return {
        csp: {
          ...(specs.length > 0 ? { apiTokens: specs.map(apiTokenFromSpec) } : {}),
          ...(lifetime !== undefined ? { accessTokenLifetimeSeconds: count("--csp-token-lifetime", lifetime) } : {}),
          ...(values["csp-refresh-token-only"] ? { refreshTokenFieldOnly: true } : {}),
        },
        usageInsight: delay !== undefined ? { registrationDelayMs: count("--registration-delay", delay) } : {},
      };
    },
    examples: ["--csp-api-token my-api-token:my-org --csp-token-lifetime 60 --registration-delay 5000"],
    describe(access, _caFile) {
      return {
        endpoints: [
          `CSP token exchange: POST ${access.cspUrl}${CSP_TOKEN_PATH}  API token ${access.cspApiToken} (organisation ${access.cspOrganizationId})`,
          `Usage Insight: ${access.usageInsightUrl}  usage metering agents: ${access.usageMeteringAgentsUrl}`,
        ],
        config: [
          `pulumi config set vcpp:cspUrl ${access.cspUrl}`,
          `pulumi config set --secret vcpp:cspApiToken '${access.cspApiToken}'`,
          `pulumi config set vcpp:usageInsightUrl ${access.usageInsightUrl}`,
          `pulumi config set vcpp:usageMeteringAgentsUrl ${access.usageMeteringAgentsUrl}`,
        ],
      };
    },
  },
};

function apiTokenFromSpec(spec: string): { token: string; organizationId: string } {
  const match = /^([A-Za-z0-9_.~-]+)(?::([A-Za-z0-9_-]+))?$/.exec(spec);
  if (!match) throw new UsageError(`--csp-api-token ${spec}: expected TOKEN or TOKEN:ORG (letters, digits, _ - . ~)`);
  return { token: match[1], organizationId: match[2] ?? "emulated-organization" };
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a whole number`);
  return n;
}
