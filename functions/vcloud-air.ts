/**
 * Read-only functions of the vCloud Air platform API, for use in a Pulumi program: each as a
 * Promise (`getX`) and as an Output that accepts Inputs (`getXOutput`). They run in the program's
 * process with the `vcpp:*` stack config (see program-clients.ts). 5.6 accounts answer
 * `getVcaServices` and `getVcaVcloudSession`; 5.7 (OnDemand) accounts the others.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { UsageQuery } from "../provider/vcloud-air/client";
import { BillableUsage, ComputeService, VcaInstance, VcaPlan } from "../provider/vcloud-air/types";
import { DEFAULT_VCA_ACCOUNT } from "../provider/vcloud-air/settings";
import { outputOf, parseArgs, programClients } from "./program-clients";

/** Arguments every vCloud Air function takes. */
export interface VcaFunctionArgs {
  /** Name of the account in `vcpp:vcaAccounts`; omit to use the `vcpp:vca*` keys. */
  vcaAccount?: string;
}

/** A 5.7 collection's arguments. */
export interface VcaCollectionArgs extends VcaFunctionArgs {
  /** The API's filter expression, e.g. `region==us-*`, sent as the one `filter` query parameter. */
  filter?: string;
}

/** Arguments of {@link getVcaVcloudSession}. */
export interface VcaVcloudSessionArgs extends VcaFunctionArgs {
  /** The compute service's `serviceId`, as {@link getVcaServices} lists it. */
  serviceId: string;
  /** The virtual data centre's name in that service. */
  vdcName: string;
}

/**
 * Arguments of {@link getBilledUsage} and {@link getUnbilledUsage}: one L1 (`l1Id`: a virtual
 * machine or gateway) or L2 (`l2Id`) entity of a service instance, and a window: `start` and
 * `end` (ISO 8601 date-times), or `duration` (ISO 8601, e.g. `P30D`, ending now).
 */
export interface VcaUsageArgs extends VcaFunctionArgs {
  serviceInstanceId: string;
  l1Id?: string;
  l2Id?: string;
  start?: string;
  end?: string;
  duration?: string;
}

/** Each field of `T` as an Input. */
export type VcaOutputArgs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export interface VcaServices {
  vcaAccount: string;
  services: ComputeService[];
}

export interface VcaVcloudSession {
  vcaAccount: string;
  serviceId: string;
  vdcName: string;
  /** The virtual data centre's URL on its vCloud instance. */
  endpoint: string;
  /** The header to send the token in (`x-vcloud-authorization`). */
  authorizationHeader: string;
  /** The vCloud session token: a credential. */
  token: string;
}

export interface VcaPlans {
  vcaAccount: string;
  plans: VcaPlan[];
}

export interface VcaInstances {
  vcaAccount: string;
  instances: VcaInstance[];
}

export interface VcaUsage {
  vcaAccount: string;
  /** The answer as vCloud Air gives it (`BillableUsage`): the seeds document no fields, so none is dropped. */
  usage: BillableUsage;
}

const vcaAccount = z
  .string("must be a string")
  .regex(/^[A-Za-z0-9_.-]+$/, "must be a name from vcpp:vcaAccounts (letters, digits, '.', '_', '-')")
  .optional();
const required = (what: string) => z.string(`must be ${what}`).trim().min(1, "must not be empty");
const unknownArgument = (names: string) => (issue: { code: string; keys?: string[] }) =>
  issue.code === "unrecognized_keys"
    ? `unknown argument ${issue.keys?.join(", ")}: the arguments are ${names}`
    : "must be an object";

const accountArgs = z.strictObject({ vcaAccount }, { error: unknownArgument("vcaAccount") });
const collectionArgs = z.strictObject(
  { vcaAccount, filter: required("a filter expression").max(2048, "must be at most 2048 characters").optional() },
  { error: unknownArgument("vcaAccount, filter") },
);
const sessionArgs = z.strictObject(
  { vcaAccount, serviceId: required("a service id"), vdcName: required("a virtual data centre name") },
  { error: unknownArgument("vcaAccount, serviceId, vdcName") },
);

const ISO_DATE_TIME = z.iso.datetime({
  offset: true,
  message: "must be an ISO 8601 date-time such as 2026-10-01T00:00:00Z",
});
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

const usageArgs = z
  .strictObject(
    {
      vcaAccount,
      serviceInstanceId: required("a service instance id"),
      l1Id: required("an L1 entity id").optional(),
      l2Id: required("an L2 entity id").optional(),
      start: ISO_DATE_TIME.optional(),
      end: ISO_DATE_TIME.optional(),
      duration: z.string().regex(ISO_DURATION, "must be an ISO 8601 duration such as P30D or PT12H").optional(),
    },
    { error: unknownArgument("vcaAccount, serviceInstanceId, l1Id or l2Id, start and end or duration") },
  )
  .superRefine((args, ctx) => {
    if ((args.l1Id === undefined) === (args.l2Id === undefined))
      ctx.addIssue({ code: "custom", path: ["l1Id"], message: "give exactly one of l1Id and l2Id" });
    const window = args.start !== undefined || args.end !== undefined;
    if (window === (args.duration !== undefined))
      ctx.addIssue({ code: "custom", path: ["duration"], message: "give start and end, or duration, not both" });
    else if (window && (args.start === undefined || args.end === undefined))
      ctx.addIssue({
        code: "custom",
        path: [args.start === undefined ? "start" : "end"],
        message: "is required with the other",
      });
    else if (window && Date.parse(args.end!) <= Date.parse(args.start!))
      ctx.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
  })
  .transform((args): { vcaAccount?: string; query: UsageQuery } => ({
    vcaAccount: args.vcaAccount,
    query: {
      serviceInstanceId: args.serviceInstanceId,
      entity: args.l1Id !== undefined ? { level: "l1", id: args.l1Id } : { level: "l2", id: args.l2Id! },
      window: args.duration !== undefined ? { duration: args.duration } : { start: args.start!, end: args.end! },
    },
  }));

/** 5.6: every compute service of the account and its virtual data centres, following the links from the login's Session. */
export async function getVcaServices(args: VcaFunctionArgs = {}): Promise<VcaServices> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT } = parseArgs("getVcaServices", accountArgs, args);
  return { vcaAccount, services: await programClients().vca(vcaAccount).services() };
}

/** {@link getVcaServices} for Inputs; the result is secret when an argument is. */
export function getVcaServicesOutput(args: VcaOutputArgs<VcaFunctionArgs> = {}): pulumi.Output<VcaServices> {
  return outputOf(args, getVcaServices);
}

/**
 * 5.6: opens a vCloud session for one virtual data centre. The result carries a credential
 * (`token`): the Output form is always secret; the Promise form's values are plain strings, so a
 * program that exports or logs them leaks the token: prefer {@link getVcaVcloudSessionOutput}.
 */
export async function getVcaVcloudSession(args: VcaVcloudSessionArgs): Promise<VcaVcloudSession> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT, serviceId, vdcName } = parseArgs("getVcaVcloudSession", sessionArgs, args);
  const session = await programClients().vca(vcaAccount).vcloudSession(serviceId, vdcName);
  return { vcaAccount, serviceId, vdcName, ...session };
}

/** {@link getVcaVcloudSession} for Inputs; the whole result is secret (endpoint and token). */
export function getVcaVcloudSessionOutput(args: VcaOutputArgs<VcaVcloudSessionArgs>): pulumi.Output<VcaVcloudSession> {
  return pulumi.secret(outputOf(args, getVcaVcloudSession));
}

/** 5.7: the plans of the account (`GET /api/sc/plans`). */
export async function getVcaPlans(args: VcaCollectionArgs = {}): Promise<VcaPlans> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT, filter } = parseArgs("getVcaPlans", collectionArgs, args);
  return { vcaAccount, plans: await programClients().vca(vcaAccount).plans(filter) };
}

/** {@link getVcaPlans} for Inputs; the result is secret when an argument is. */
export function getVcaPlansOutput(args: VcaOutputArgs<VcaCollectionArgs> = {}): pulumi.Output<VcaPlans> {
  return outputOf(args, getVcaPlans);
}

/** 5.7: the service instances of the account (`GET /api/sc/instances`). */
export async function getVcaInstances(args: VcaCollectionArgs = {}): Promise<VcaInstances> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT, filter } = parseArgs("getVcaInstances", collectionArgs, args);
  return { vcaAccount, instances: await programClients().vca(vcaAccount).instances(filter) };
}

/** {@link getVcaInstances} for Inputs; the result is secret when an argument is. */
export function getVcaInstancesOutput(args: VcaOutputArgs<VcaCollectionArgs> = {}): pulumi.Output<VcaInstances> {
  return outputOf(args, getVcaInstances);
}

/** 5.7: usage billed after invoicing, of one L1 or L2 entity in a window. */
export async function getBilledUsage(args: VcaUsageArgs): Promise<VcaUsage> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT, query } = parseArgs("getBilledUsage", usageArgs, args);
  return { vcaAccount, usage: await programClients().vca(vcaAccount).billedUsage(query) };
}

/** {@link getBilledUsage} for Inputs; the result is secret when an argument is. */
export function getBilledUsageOutput(args: VcaOutputArgs<VcaUsageArgs>): pulumi.Output<VcaUsage> {
  return outputOf(args, getBilledUsage);
}

/** 5.7: current usage not yet billed, of one L1 or L2 entity in a window. */
export async function getUnbilledUsage(args: VcaUsageArgs): Promise<VcaUsage> {
  const { vcaAccount = DEFAULT_VCA_ACCOUNT, query } = parseArgs("getUnbilledUsage", usageArgs, args);
  return { vcaAccount, usage: await programClients().vca(vcaAccount).unbilledUsage(query) };
}

/** {@link getUnbilledUsage} for Inputs; the result is secret when an argument is. */
export function getUnbilledUsageOutput(args: VcaOutputArgs<VcaUsageArgs>): pulumi.Output<VcaUsage> {
  return outputOf(args, getUnbilledUsage);
}
