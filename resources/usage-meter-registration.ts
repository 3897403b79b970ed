import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ResourceError } from "../provider/errors";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { waitFor } from "../provider/wait";
import {
  AgentChanges,
  isAnswerLost,
  RegistrationSpec,
  RegistrationStatus,
  UsageInsightClient,
} from "../provider/usage-insight/client";
import { Agent } from "../provider/usage-insight/schemas";
import { CONNECTIVITY_MODES, ConnectivityMode, METERING_MODES, MeteringMode } from "../provider/usage-insight/modes";
import { shimFor } from "./shim";
import {
  checkInputs,
  dropUndefined,
  inputsOf,
  isUnknown,
  KindProvider,
  nonEmpty,
  parseInputs,
  Same,
  usageMeterChanged,
  usageMeterName,
} from "./validation";

/** What `registrationState` says. */
export type RegistrationState = "registered" | "in-progress" | "no-contract";

/** Inputs of a {@link UsageMeterRegistration}. Give exactly one of `agentId` and `usageMeter`. */
export interface UsageMeterRegistrationArgs {
  /** The Usage Meter appliance's UUID (its agent id). Changing it replaces the registration. */
  agentId?: pulumi.Input<string>;
  /**
   * An appliance of the stack config (`default` for the `vcpp:usageMeter*` keys, or a name in
   * `vcpp:usageMeters`) whose UUID and version are read with `GET /agent_info?um_uuid=true`.
   */
  usageMeter?: pulumi.Input<string>;
  /** The commit contract the appliance's usage is billed against. Changing it replaces the registration. */
  contractNumber?: pulumi.Input<string>;
  /** The name the appliance has in the Cloud Partner Navigator (1–512 characters). Updated in place. */
  label: pulumi.Input<string>;
  /** The site the appliance meters. Changing it replaces the registration. */
  siteName?: pulumi.Input<string>;
  /** `TEST` (reports are not billed) or `PRODUCTION` (billed). Updated in place. */
  meteringMode: pulumi.Input<MeteringMode>;
  /**
   * How the appliance reports: `ONLINE` or `OFFLINE` (uploads). Changing it replaces the registration.
   * @default "ONLINE"
   */
  connectivityMode?: pulumi.Input<ConnectivityMode>;
  /**
   * The appliance's `major.minor` version, e.g. `4.8` (never a wildcard such as `4.x`). Defaults
   * to the appliance's own when `usageMeter` is given. The service takes it at first registration
   * only, so a later change (an appliance upgrade) changes nothing.
   */
  version?: pulumi.Input<string>;
  /**
   * Withdraw the registration when the resource is deleted. By default it stays in the portal,
   * because withdrawing stops the appliance's billing reports.
   * @default false
   */
  withdrawOnDelete?: pulumi.Input<boolean>;
  /**
   * How long `pulumi up` waits for a registration the service has started to complete; after
   * that, the resource is created with `registrationState` `in-progress`. 0: do not wait.
   * @default 600
   */
  registrationTimeoutSeconds?: pulumi.Input<number>;
}

/** A registration as Usage Insight and the agents API report it. */
export interface UsageMeterRegistrationOutputs {
  /** The appliance's UUID (also the resource's id). */
  agentId: string;
  /** The appliance it was read from, when `usageMeter` was given. */
  usageMeter?: string;
  /** The linked commit contract, as the service reports it (as declared while in progress). */
  contractNumber?: string;
  /** The appliance's name in the portal, as the agents API reports it. */
  label: string;
  /** The site, as the service reports it. */
  siteName?: string;
  /** `TEST` or `PRODUCTION`, as the agents API reports it. */
  meteringMode: MeteringMode;
  /** `ONLINE` or `OFFLINE`, as the agents API reports it. */
  connectivityMode: ConnectivityMode;
  /** The version registered, as the agents API reports it (else as declared or read from the appliance). */
  version?: string;
  /** As declared. */
  withdrawOnDelete: boolean;
  /** As declared. */
  registrationTimeoutSeconds: number;
  /** `registered`, `in-progress`, or `no-contract` (registered, but no contract linked). */
  registrationState: RegistrationState;
  /** The service's `Agent-Registration-Progress` while in progress. */
  progress?: string;
  /** The agents API's optimistic lock (absent without `vcpp:usageMeteringAgentsUrl`). */
  agentSequence?: number;
}

const VERSION = /^\d+\.\d+$/;
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const ONE_OF = "give exactly one of agentId and usageMeter";

/** @internal */
export const usageMeterRegistrationInputs = z
  .object({
    agentId: z
      .string("must be a string")
      .regex(UUID, "must be the appliance's UUID, e.g. 27ecc293-1baf-44a9-be8d-ccac86584212")
      .optional(),
    usageMeter: usageMeterName,
    contractNumber: z
      .string("must be a string")
      .regex(/^[A-Za-z0-9-]{1,64}$/, "must be a contract number such as 12345678")
      .optional(),
    label: nonEmpty.max(512, "must be at most 512 characters"),
    siteName: nonEmpty.optional(),
    meteringMode: z.enum(METERING_MODES, "must be TEST (not billed) or PRODUCTION (billed)"),
    connectivityMode: z.enum(CONNECTIVITY_MODES, "must be ONLINE or OFFLINE").default("ONLINE"),
    version: z
      .string("must be a string")
      .regex(VERSION, "must be a concrete major.minor such as 4.8: Usage Insight refuses a wildcard such as 4.x")
      .optional(),
    withdrawOnDelete: z.boolean("must be true or false").default(false),
    registrationTimeoutSeconds: z
      .number("must be a number")
      .int("must be a whole number")
      .min(0, "must be between 0 and 3600")
      .max(3600, "must be between 0 and 3600")
      .default(600),
  })
  .superRefine((args, ctx) => {
    if (args.agentId === undefined && args.usageMeter === undefined)
      ctx.addIssue({ code: "custom", path: ["agentId"], message: `is required: ${ONE_OF}` });
    if (args.agentId !== undefined && args.usageMeter !== undefined)
      ctx.addIssue({ code: "custom", path: ["usageMeter"], message: `must not be given with agentId: ${ONE_OF}` });
  });
/** @internal */
export type UsageMeterRegistrationInputs = z.infer<typeof usageMeterRegistrationInputs>;
true satisfies Same<keyof UsageMeterRegistrationArgs, keyof z.input<typeof usageMeterRegistrationInputs>>;
true satisfies Same<
  Pick<UsageMeterRegistrationOutputs, Exclude<keyof UsageMeterRegistrationInputs, "agentId">>,
  Omit<UsageMeterRegistrationInputs, "agentId">
>;

const RESOURCE = "UsageMeterRegistration";
/** Fields whose change means another registration (the agents API changes only label and meteringMode). */
const REPLACING_FIELDS = ["contractNumber", "siteName", "connectivityMode"] as const;
/** Fields the agents API changes in place. */
const AGENT_FIELDS = ["label", "meteringMode"] as const;
/** Fields only this package reads: an update records them, nothing is sent. */
const RECORDED_FIELDS = ["usageMeter", "withdrawOnDelete", "registrationTimeoutSeconds"] as const;
const DEFAULTS: Record<string, unknown> = {
  connectivityMode: "ONLINE",
  withdrawOnDelete: false,
  registrationTimeoutSeconds: 600,
};
const REGISTRATION_POLL_MS = 1_000;

let warnedNoAgentsApi = false;

/** @internal */
export class UsageMeterRegistrationProvider implements KindProvider {
  constructor(private readonly context: ServiceClients) {}

  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(usageMeterRegistrationInputs, news, this.context);
  }

  async diff(
    id: string,
    olds: UsageMeterRegistrationOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.DiffResult> {
    const before = olds as unknown as Record<string, unknown>;
    const differs = (field: string) => {
      // A site left undeclared is whatever the portal says: only a declared one is compared.
      if (field === "siteName" && news.siteName === undefined) return false;
      return isUnknown(news[field]) || (before[field] ?? DEFAULTS[field]) !== (news[field] ?? DEFAULTS[field]);
    };
    const agentChanged = await this.agentChanged(id, olds, news);
    const replaces = [...(agentChanged ? ["agentId"] : []), ...REPLACING_FIELDS.filter(differs)];
    const changes = replaces.length > 0 || [...AGENT_FIELDS, ...RECORDED_FIELDS].some(differs);
    // The same appliance under another contract, site or mode: the old registration must go
    // first, or the new one would find it (and refuse another contract) rather than register.
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && !agentChanged };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(usageMeterRegistrationInputs, inputs, RESOURCE);
    const { agentId, version } = await this.identify(args);
    const client = this.context.usageInsight();
    const spec: RegistrationSpec = dropUndefined({
      agentId,
      label: args.label,
      contractNumber: args.contractNumber,
      siteName: args.siteName,
      meteringMode: args.meteringMode,
      connectivityMode: args.connectivityMode,
      version,
    });
    const { status, registeredNow } = await this.registerOrAdopt(client, spec, args.registrationTimeoutSeconds);
    let agent = await readAgent(client, agentId);
    if (!registeredNow && agent) agent = await applyAgentFields(client, agentId, args, agent);
    const outs = outputs({ ...args, agentId, version }, status, agent);
    warnAbout(outs, args.contractNumber);
    return { id: agentId, outs };
  }

  async read(id: string, props: UsageMeterRegistrationOutputs): Promise<pulumi.dynamic.ReadResult> {
    const client = this.context.usageInsight();
    const status = await client.registration(id);
    if (status.state === "not-registered") return { id: "", props: {} };
    const agent = await readAgent(client, id);
    const outs = outputs(props, status, agent);
    warnAbout(outs, props.contractNumber);
    const inputs = inputsOf(usageMeterRegistrationInputs, outs);
    // Not what the program declares when read from the appliance; version is never compared (see diff).
    if (outs.usageMeter !== undefined) delete inputs.agentId;
    delete inputs.version;
    return { id, props: outs, inputs };
  }

  async update(
    id: string,
    olds: UsageMeterRegistrationOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(usageMeterRegistrationInputs, news, RESOURCE);
    const client = this.context.usageInsight();
    const changes: AgentChanges = {};
    if (args.label !== olds.label) changes.label = args.label;
    if (args.meteringMode !== olds.meteringMode) changes.meteringMode = args.meteringMode;
    const agent = Object.keys(changes).length
      ? await client.updateAgent(id, changes, olds.agentSequence)
      : await readAgent(client, id);
    const status = statusOf(olds);
    return { outs: outputs({ ...olds, ...args, agentId: id, version: olds.version }, status, agent) };
  }

  async delete(id: string, props: UsageMeterRegistrationOutputs): Promise<void> {
    const what = `${RESOURCE} of agent ${id} (${props.label})`;
    if (!props.withdrawOnDelete) {
      log.warn(
        `${what}: left registered in the Cloud Partner Navigator, so Usage Insight keeps its usage and its billing reports continue. ` +
          "To withdraw a registration on delete, set withdrawOnDelete: true (and run pulumi up) before deleting, or withdraw it in the portal",
      );
      return;
    }
    const withdrawn = await this.context.usageInsight().withdrawAgent(id);
    log.info(withdrawn ? `${what}: withdrawn; its billing reports stop` : `${what}: was already withdrawn`);
  }

  /** The agent id, and the version to register (declared, else the appliance's). */
  private async identify(args: UsageMeterRegistrationInputs): Promise<{ agentId: string; version?: string }> {
    if (args.agentId !== undefined) return { agentId: args.agentId, version: args.version };
    const info = await this.context.usageMeter(args.usageMeter).agentInfo();
    return { agentId: info.uuid, version: args.version ?? `${info.major_version}.${info.minor_version}` };
  }

  /** Whether the inputs name another appliance than the state: replacement. */
  private async agentChanged(
    id: string,
    olds: UsageMeterRegistrationOutputs,
    news: Record<string, unknown>,
  ): Promise<boolean> {
    if (news.agentId !== undefined) return isUnknown(news.agentId) || news.agentId !== id;
    if (typeof news.usageMeter !== "string" || isUnknown(news.usageMeter)) return true;
    if (olds.usageMeter !== undefined && !usageMeterChanged(olds.usageMeter, news.usageMeter)) return false;
    // Another name may be the same appliance: only its UUID says.
    return (await this.context.usageMeter(news.usageMeter).agentInfo()).uuid !== id;
  }

  /**
   * Registers the agent, unless it is registered already: adopted when it matches, refused when
   * it is registered for another contract (never re-registered silently). The POST is sent once;
   * after a lost answer the registration is looked up before anything else.
   */
  private async registerOrAdopt(
    client: UsageInsightClient,
    spec: RegistrationSpec,
    timeoutSeconds: number,
  ): Promise<{ status: RegistrationStatus; registeredNow: boolean }> {
    let status = await client.registration(spec.agentId);
    if (status.state === "in-progress") {
      log.info(`${RESOURCE}: a registration of agent ${spec.agentId} is already in progress; following it`);
      status = await this.follow(client, spec.agentId, timeoutSeconds);
      // Still under way: someone's registration is not answered with a second one.
      if (status.state === "in-progress") return { status, registeredNow: false };
    }
    refuseOtherContract(spec, status);
    if (matches(spec, status)) {
      log.info(`${RESOURCE}: agent ${spec.agentId} is already registered as declared; adopting it`);
      return { status, registeredNow: false };
    }
    let answer: { status: number };
    try {
      answer = await client.register(spec);
    } catch (error) {
      if (!isAnswerLost(error)) throw error;
      // Sent, maybe received: look before anything else. Not there: the POST failed, say so.
      const found = await client.registration(spec.agentId);
      if (found.state === "not-registered") throw error;
      log.info(`${RESOURCE}: the registration of agent ${spec.agentId} was received although its answer was lost`);
      return { status: await this.settled(client, spec, found, timeoutSeconds), registeredNow: true };
    }
    log.info(
      `${RESOURCE}: agent ${spec.agentId} ${answer.status === 201 ? "was already registered as specified" : "registration started"} (${answer.status})`,
    );
    return { status: await this.settled(client, spec, undefined, timeoutSeconds), registeredNow: true };
  }

  /** The registration after a POST: followed while in progress, then checked for the contract. */
  private async settled(
    client: UsageInsightClient,
    spec: RegistrationSpec,
    known: RegistrationStatus | undefined,
    timeoutSeconds: number,
  ): Promise<RegistrationStatus> {
    let status = known ?? (await client.registration(spec.agentId));
    if (status.state === "in-progress") status = await this.follow(client, spec.agentId, timeoutSeconds);
    refuseOtherContract(spec, status);
    return status;
  }

  /** Polls an in-progress registration until it completes or the timeout passes (then still in progress). */
  private async follow(client: UsageInsightClient, agentId: string, timeoutSeconds: number) {
    let last: RegistrationStatus = { state: "in-progress" };
    const done = await waitFor({
      what: `Usage Insight to complete the registration of agent ${agentId}`,
      timeoutMs: timeoutSeconds * 1000,
      pollMs: REGISTRATION_POLL_MS,
      poll: async () => {
        const status = await client.registration(agentId, REGISTRATION_POLL_MS);
        if (status.state !== "in-progress") return status;
        if (status.progress !== undefined && (last.state !== "in-progress" || status.progress !== last.progress))
          log.info(`Registration of agent ${agentId} in progress (Agent-Registration-Progress: ${status.progress})`);
        last = status;
        return undefined;
      },
    });
    return done ?? last;
  }
}

/** A registration that this run found, already as declared: nothing to send. */
function matches(spec: RegistrationSpec, status: RegistrationStatus): boolean {
  if (status.state === "registered")
    return (
      status.contractNumber === spec.contractNumber &&
      (spec.siteName === undefined || status.siteName === undefined || status.siteName === spec.siteName)
    );
  return status.state === "no-contract" && spec.contractNumber === undefined;
}

/**
 * A registration under another contract (or with a contract where none is declared, or none where
 * one is) is someone else's decision: reported, never overridden, and nothing is sent.
 */
function refuseOtherContract(spec: RegistrationSpec, status: RegistrationStatus): void {
  if (status.state !== "registered" && status.state !== "no-contract") return;
  const current = status.state === "registered" ? status.contractNumber : undefined;
  if (current === spec.contractNumber) return;
  const registered = current === undefined ? "without a contract" : `with contract ${current}`;
  const declared = spec.contractNumber === undefined ? "none is declared" : `not ${spec.contractNumber}`;
  throw new ResourceError({
    resource: RESOURCE,
    code: "CONFLICT",
    message:
      `${RESOURCE}: agent ${spec.agentId} is already registered ${registered}, ${declared}. ` +
      "It was not registered again: withdraw the existing registration in the Cloud Partner Navigator (or through a resource with withdrawOnDelete: true) first, or declare " +
      (current === undefined ? "no contractNumber" : `contractNumber ${current}`),
  });
}

/** The agent from the agents API, or undefined without `vcpp:usageMeteringAgentsUrl` (said once). */
async function readAgent(client: UsageInsightClient, agentId: string): Promise<Agent | undefined> {
  if (client.hasAgentsApi) return client.agent(agentId);
  if (!warnedNoAgentsApi) {
    warnedNoAgentsApi = true;
    log.warn(
      `${RESOURCE}: vcpp:usageMeteringAgentsUrl is not set, so a label or metering mode changed in the portal is not seen, and neither can be changed in place`,
    );
  }
  return undefined;
}

/** An adopted registration with another label or metering mode gets the declared ones. */
async function applyAgentFields(
  client: UsageInsightClient,
  agentId: string,
  args: UsageMeterRegistrationInputs,
  agent: Agent,
): Promise<Agent> {
  const changes: AgentChanges = {};
  if (agent.label !== args.label) changes.label = args.label;
  if (agent.meteringMode !== args.meteringMode) changes.meteringMode = args.meteringMode;
  if (!Object.keys(changes).length) return agent;
  return client.updateAgent(agentId, changes, agent.agentSequence);
}

/** The registration state kept in outputs, for an update that does not read it again. */
function statusOf(olds: UsageMeterRegistrationOutputs): RegistrationStatus {
  if (olds.registrationState === "in-progress") return { state: "in-progress", progress: olds.progress };
  if (olds.registrationState === "no-contract") return { state: "no-contract", siteName: olds.siteName };
  return { state: "registered", contractNumber: olds.contractNumber ?? "", siteName: olds.siteName };
}

type Declared = Omit<UsageMeterRegistrationOutputs, "registrationState" | "progress" | "agentSequence">;

/** Outputs: what the services report, the declared value where they say nothing. */
function outputs(
  declared: Declared,
  status: RegistrationStatus,
  agent: Agent | undefined,
): UsageMeterRegistrationOutputs {
  // Not there right after a POST the service accepted: taken as still starting (the next refresh tells).
  const registrationState: RegistrationState = status.state === "not-registered" ? "in-progress" : status.state;
  return dropUndefined({
    agentId: declared.agentId,
    usageMeter: declared.usageMeter,
    // A contract unlinked in the portal (no-contract) keeps the declared one: registrationState says it.
    contractNumber: status.state === "registered" ? status.contractNumber : declared.contractNumber,
    label: agent?.label ?? declared.label,
    siteName: ("siteName" in status ? status.siteName : undefined) ?? declared.siteName,
    meteringMode: (agent?.meteringMode ?? declared.meteringMode) as MeteringMode,
    connectivityMode: (agent?.connectivityMode ?? declared.connectivityMode) as ConnectivityMode,
    version: agent?.version ?? declared.version,
    withdrawOnDelete: declared.withdrawOnDelete,
    registrationTimeoutSeconds: declared.registrationTimeoutSeconds,
    registrationState,
    progress: status.state === "in-progress" ? status.progress : undefined,
    agentSequence: agent?.agentSequence,
  });
}

function warnAbout(outs: UsageMeterRegistrationOutputs, declaredContract: string | undefined): void {
  const what = `${RESOURCE} of agent ${outs.agentId}`;
  if (outs.registrationState === "in-progress")
    log.warn(
      `${what}: the registration is still in progress${outs.progress ? ` (${outs.progress})` : ""}; pulumi refresh shows when it completes`,
    );
  if (outs.registrationState === "no-contract" && declaredContract !== undefined)
    log.warn(
      `${what}: registered, but Usage Insight links no contract to it (declared ${declaredContract}), so its usage is billed against none: check the contract in the Cloud Partner Navigator`,
    );
}

/**
 * A Usage Meter appliance registered with a commit contract through the Cloud Partner
 * Navigator's Usage Insight service: what seed 000 does by hand with curl, as one declaration.
 * Creating adopts a registration that already matches, and refuses one for another contract.
 */
export class UsageMeterRegistration extends pulumi.dynamic.Resource {
  /** The appliance's UUID (also the resource's id). */
  declare readonly agentId: pulumi.Output<string>;
  /** The appliance it was read from, when `usageMeter` was given. */
  declare readonly usageMeter: pulumi.Output<string | undefined>;
  /** The linked contract, as the service reports it. */
  declare readonly contractNumber: pulumi.Output<string | undefined>;
  /** The appliance's name in the portal, as reported (drift shows here). */
  declare readonly label: pulumi.Output<string>;
  /** The site, as reported. */
  declare readonly siteName: pulumi.Output<string | undefined>;
  /** `TEST` or `PRODUCTION`, as reported (drift shows here). */
  declare readonly meteringMode: pulumi.Output<MeteringMode>;
  /** `ONLINE` or `OFFLINE`, as reported. */
  declare readonly connectivityMode: pulumi.Output<ConnectivityMode>;
  /** The version registered. */
  declare readonly version: pulumi.Output<string | undefined>;
  /** Whether deleting withdraws the registration. */
  declare readonly withdrawOnDelete: pulumi.Output<boolean>;
  /** How long a create waits for the registration to complete. */
  declare readonly registrationTimeoutSeconds: pulumi.Output<number>;
  /** `registered`, `in-progress`, or `no-contract`. */
  declare readonly registrationState: pulumi.Output<RegistrationState>;
  /** The service's progress while in progress. */
  declare readonly progress: pulumi.Output<string | undefined>;
  /** The agents API's optimistic lock. */
  declare readonly agentSequence: pulumi.Output<number | undefined>;

  constructor(name: string, args: UsageMeterRegistrationArgs, opts?: pulumi.CustomResourceOptions) {
    const outputsUnknownAtCreate = {
      agentId: undefined,
      registrationState: undefined,
      progress: undefined,
      agentSequence: undefined,
    };
    super(shimFor(RESOURCE), name, { ...outputsUnknownAtCreate, ...args }, opts, "vcpp", RESOURCE);
  }
}
