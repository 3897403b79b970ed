/**
 * The Usage Meter service of the emulator: appliances by name under `/um/<name>/api/v1`, their
 * admin operations, and their command-line option.
 */
import { EmulatorService, UsageError } from "../core/service";
import { usageMeterAdmin, UsageMeterAdmin } from "./admin";
import { ApplianceOptions, createAppliance, meteringAgent, usageMeterRoutes } from "./appliance";

export { ApplianceOptions, ApplianceState, EmulatedProduct } from "./appliance";
export { UsageMeterAdmin } from "./admin";

export interface UsageMeterOptions {
  /** Usage Meter appliances by name (default: one 4.x appliance named `default`). */
  usageMeters?: Record<string, ApplianceOptions>;
}

export interface ApplianceAccess {
  /** What `vcpp:usageMeterUrl` (or a `vcpp:usageMeters` entry's `url`) is set to. */
  url: string;
  user: string;
  password: string;
  version: "4" | "9";
  uuid: string;
}

export interface UsageMeterAccess {
  usageMeters: Record<string, ApplianceAccess>;
}

export const usageMeterService: EmulatorService<UsageMeterOptions, UsageMeterAdmin, UsageMeterAccess> = {
  name: "usage-meter",
  start(options, { certificates, meteringAgents }) {
    const appliances = new Map(
      Object.entries(options.usageMeters ?? { default: {} }).map(([name, o]) => [name, createAppliance(name, o)]),
    );
    for (const um of appliances.values()) meteringAgents.set(um.uuid, meteringAgent(um));
    return {
      routes: usageMeterRoutes(appliances, certificates),
      ...usageMeterAdmin(appliances, certificates),
      access: (url) => ({
        usageMeters: Object.fromEntries(
          [...appliances.values()].map((um) => [
            um.name,
            { url: `${url}/um/${um.name}`, user: um.user, password: um.password, version: um.version, uuid: um.uuid },
          ]),
        ),
      }),
    };
  },
  cli: {
    options: {
      "usage-meter": {
        type: "string",
        multiple: true,
        value: "NAME[:9]",
        help: 'a Usage Meter appliance (repeatable); ":9" for the 9.x API (default: one 4.x appliance "default")',
      },
    },
    fromArgs(values) {
      const specs = (values["usage-meter"] ?? []) as string[];
      if (specs.length === 0) return {};
      return { usageMeters: Object.fromEntries(specs.map(applianceFromSpec)) };
    },
    examples: ["--usage-meter default --usage-meter nine:9"],
    describe({ usageMeters }, caFile) {
      const endpoints = Object.entries(usageMeters).map(
        ([name, um]) =>
          `Usage Meter "${name}" (${um.version}.x API, uuid ${um.uuid}): ${um.url}  user ${um.user}  password ${um.password}`,
      );
      const [first, ...others] = Object.entries(usageMeters);
      const config = [
        `pulumi config set vcpp:usageMeterUrl ${first[1].url}`,
        `pulumi config set --secret vcpp:usageMeterPassword '${first[1].password}'`,
        `pulumi config set vcpp:caCertificates -- "$(cat ${caFile})"`,
        // The other appliances, for resources that name them (usageMeter: "<name>").
        ...others.flatMap(([name, um]) => [
          `pulumi config set --path vcpp:usageMeters.${name}.url ${um.url}`,
          `pulumi config set --path vcpp:usageMeters.${name}.user ${um.user}`,
          `pulumi config set --path --secret vcpp:usageMeters.${name}.password '${um.password}'`,
        ]),
      ];
      return { endpoints, config };
    },
  },
};

function applianceFromSpec(spec: string): [string, ApplianceOptions] {
  const match = /^([A-Za-z0-9_-]+)(?::(4|9))?$/.exec(spec);
  if (!match) throw new UsageError(`--usage-meter ${spec}: expected NAME or NAME:9 (letters, digits, _ and -)`);
  return [match[1], { version: match[2] === "9" ? "9" : "4" }];
}
