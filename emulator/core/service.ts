/**
 * What a service module gives the emulator: its routes, its admin operations, what a program is
 * pointed at, and its command-line options. `emulator/index.ts` composes a list of them.
 */
import { AdminModule } from "./admin";
import { CertificateStore } from "./certificates";
import { MeteringAgents } from "./metering-agents";
import { Route } from "./router";

/** Shared by every service of one emulator. */
export interface ServiceContext {
  /** The certificate each emulated endpoint (a product an appliance meters, say) presents. */
  certificates: CertificateStore;
  /** The Usage Meter appliances, by UUID: the agents the cloud side can register. */
  meteringAgents: MeteringAgents;
}

export interface CliOption {
  type: "string" | "boolean";
  multiple?: boolean;
  /** How the usage text shows the value: `--usage-meter NAME[:9]`. */
  value?: string;
  help: string;
}

export type CliValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/**
 * One emulated service. `Options` is its part of `startEmulator`'s options, `Admin` its part of
 * `emulator.admin`, `Access` its part of the running emulator.
 */
export interface EmulatorService<Options, Admin, Access> {
  /** Names it in the admin index. */
  name: string;
  start(options: Options, context: ServiceContext): ServiceInstance<Admin, Access>;
  cli: {
    options: Record<string, CliOption>;
    /** Its options from the parsed command line; throws a `UsageError` on a bad value. */
    fromArgs(values: CliValues): Options;
    examples: string[];
    /** What the CLI prints once listening: its endpoints, and stack config pointing at them. */
    describe(access: Access, caFile: string): { endpoints: string[]; config: string[] };
  };
}

export interface ServiceInstance<Admin, Access> extends AdminModule<Admin> {
  routes: Route[];
  /** What a program is pointed at, given the emulator's base URL. */
  access(url: string): Access;
}

/** A bad command line: the CLI prints the message and the usage, without a stack trace. */
export class UsageError extends Error {}
