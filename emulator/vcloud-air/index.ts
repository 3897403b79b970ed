/**
 * The vCloud Air service of the emulator: accounts by name, each a server of one API version at
 * `/vca/<name>` (5.6 XML under `/api/vchs`, 5.7 JSON under `/api/iam`, `/api/sc`, `/api/billing`),
 * the vCloud instance a 5.6 `VdcLink` points at under `/vcloud/<name>/api`, their admin
 * operations and their command-line option.
 */
import { EmulatorResponse, Route } from "../core/router";
import { EmulatorService, UsageError } from "../core/service";
import { createAccount, VcaAccountOptions, VcaAccountState, VcaApiVersion } from "./account";
import { vcaAdmin, VcaAdmin } from "./admin";
import { v56Routes, vcloudRoutes, xmlError } from "./v56";
import { jsonError, v57Routes } from "./v57";

export {
  VcaAccountOptions,
  VcaAccountState,
  VcaApiVersion,
  VcaComputeService,
  VcaInstance,
  VcaL1,
  VcaL2,
  VcaPlan,
  VcaRole,
  VcaUserRecord,
  VcaVdc,
  VCA_ROLES,
} from "./account";
export { VcaAdmin, VcaCounts, VcaNewUser, VcaUserChange } from "./admin";

export interface VcaOptions {
  /**
   * vCloud Air accounts by name (default: `default`, a 5.7 OnDemand account, and `dedicated`, a
   * 5.6 one).
   */
  vcaAccounts?: Record<string, VcaAccountOptions>;
}

/** What a stack's `vcpp:vca…` keys (or a `vcpp:vcaAccounts` entry) are set to. */
export interface VcaAccountAccess {
  /** The server's root, without `/api`: the client adds `api/vchs/…` or `api/iam/…`. */
  vcaUrl: string;
  vcaUser: string;
  vcaPassword: string;
  vcaApiVersion: VcaApiVersion;
}

export interface VcaAccess {
  vcaAccounts: Record<string, VcaAccountAccess>;
}

const DEFAULT_ACCOUNTS: Record<string, VcaAccountOptions> = {
  default: { version: "5.7" },
  dedicated: { version: "5.6" },
};

export const vcloudAirService: EmulatorService<VcaOptions, VcaAdmin, VcaAccess> = {
  name: "vcloud-air",
  start(options) {
    const accounts = new Map(
      Object.entries(options.vcaAccounts ?? DEFAULT_ACCOUNTS).map(([name, o]) => [name, createAccount(name, o)]),
    );
    return {
      routes: vcaRoutes(accounts),
      ...vcaAdmin(accounts),
      access: (url) => ({
        vcaAccounts: Object.fromEntries(
          [...accounts.values()].map((a) => [
            a.name,
            { vcaUrl: `${url}/vca/${a.name}`, vcaUser: a.user, vcaPassword: a.password, vcaApiVersion: a.version },
          ]),
        ),
      }),
    };
  },
  cli: {
    options: {
      vca: {
        type: "string",
        multiple: true,
        value: "NAME[:5.6|:5.7]",
        help: 'a vCloud Air account (repeatable), 5.7 OnDemand by default (default: "default" 5.7 and "dedicated" 5.6)',
      },
    },
    fromArgs(values) {
      const specs = (values.vca ?? []) as string[];
      if (specs.length === 0) return {};
      return { vcaAccounts: Object.fromEntries(specs.map(accountFromSpec)) };
    },
    examples: ["--vca default --vca classic:5.6"],
    describe({ vcaAccounts }) {
      const endpoints = Object.entries(vcaAccounts).map(
        ([name, a]) =>
          `vCloud Air "${name}" (${a.vcaApiVersion} API): ${a.vcaUrl}  user ${a.vcaUser}  password ${a.vcaPassword}`,
      );
      const [[, first], ...others] = Object.entries(vcaAccounts);
      const config = [
        `pulumi config set vcpp:vcaUrl ${first.vcaUrl}`,
        `pulumi config set vcpp:vcaUser ${first.vcaUser}`,
        `pulumi config set --secret vcpp:vcaPassword '${first.vcaPassword}'`,
        `pulumi config set vcpp:vcaApiVersion ${first.vcaApiVersion}`,
        // The other accounts, for resources and functions that name them (vcaAccount: "<name>").
        ...others.flatMap(([name, a]) => [
          `pulumi config set --path vcpp:vcaAccounts.${name}.url ${a.vcaUrl}`,
          `pulumi config set --path vcpp:vcaAccounts.${name}.user ${a.vcaUser}`,
          `pulumi config set --path --secret vcpp:vcaAccounts.${name}.password '${a.vcaPassword}'`,
          `pulumi config set --path vcpp:vcaAccounts.${name}.apiVersion ${a.vcaApiVersion}`,
        ]),
      ];
      return { endpoints, config };
    },
  },
};

function vcaRoutes(accounts: Map<string, VcaAccountState>): Route[] {
  const pattern = (version: VcaApiVersion) =>
    [...accounts.values()]
      .filter((a) => a.version === version)
      .map((a) => a.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("|");
  const routes: Route[] = [];
  const v56 = pattern("5.6");
  const v57 = pattern("5.7");
  if (v56) routes.push(...v56Routes(accounts, v56), ...vcloudRoutes(accounts, v56));
  if (v57) routes.push(...v57Routes(accounts, v57));
  // The other version's login answers 404 (handled): a client probing for the version (`auto`) learns from it.
  if (v56)
    routes.push(
      otherLogin(
        "POST",
        `^/vca/(?:${v56})/api/iam/login$`,
        jsonError(404, "NOT_FOUND", "This server speaks vCloud Air 5.6: log in at /api/vchs/sessions"),
      ),
    );
  if (v57)
    routes.push(
      otherLogin(
        "POST",
        `^/vca/(?:${v57})/api/vchs/sessions$`,
        xmlError(404, "RESOURCE_NOT_FOUND", "This server speaks vCloud Air 5.7: log in at /api/iam/login"),
      ),
    );
  return routes;
}

const otherLogin = (method: string, pattern: string, answer: EmulatorResponse): Route => ({
  service: "vcloud-air",
  method,
  pattern: new RegExp(pattern),
  handle: () => answer,
});

function accountFromSpec(spec: string): [string, VcaAccountOptions] {
  const match = /^([A-Za-z0-9_-]+)(?::(5\.6|5\.7))?$/.exec(spec);
  if (!match) throw new UsageError(`--vca ${spec}: expected NAME, NAME:5.6 or NAME:5.7 (letters, digits, _ and -)`);
  return [match[1], { version: (match[2] ?? "5.7") as VcaApiVersion }];
}
