/**
 * Read-only functions of the Cloud Partner Navigator's Usage Insight service: the usage reports
 * of a month, one report's rows, and an agent's registration. They run in the program's process
 * with the `vcpp:*` stack config (see program-clients.ts) and share its one CSP token exchange.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { Report } from "../provider/usage-insight/schemas";
import { dropUndefined } from "../resources/validation";
import { outputOf, parseArgs, programClients } from "./program-clients";

/** One usage report, as listed; pass it to {@link getUsageReport} to read it. */
export interface UsageReport {
  /** The report's reference, what the download asks for. */
  ref: string;
  /** Its content type, sent as `Accept`, e.g. `text/tab-separated-values+gzip`. */
  contentType: string;
  /** Its size in bytes, as downloaded (compressed). */
  contentLength: number;
  /** Hex MD5 of the download. */
  checksum: string;
  /** The kind of report, when the service says. */
  reportType?: string;
}

/** Arguments of {@link getUsageReports}. */
export interface GetUsageReportsArgs {
  /** Four digits, not in the future. */
  year: number;
  /** 1–12. */
  month: number;
  /** One appliance's reports only. */
  agentId?: string;
}

/** What {@link getUsageReports} answers. */
export interface UsageReports {
  year: number;
  month: number;
  /** Reports by agent id: every appliance of the organisation, or the one asked for. */
  reports: Record<string, UsageReport[]>;
}

/** Arguments of {@link getUsageReport}: a report as {@link getUsageReports} lists it. */
export interface GetUsageReportArgs {
  ref: string;
  contentType: string;
  /** The announced size, which the download must have. */
  contentLength: number;
  /** The announced hex MD5, which the download must have. */
  checksum: string;
  /** Ignored (so that a listed report can be passed as it is). */
  reportType?: string;
}

/** A value of a report: a number where the whole column is numeric, else the text; `null` when empty. */
export type UsageReportValue = string | number | null;

/** A report's content. */
export interface UsageReportContent {
  ref: string;
  /** The header row's names, in order. */
  columns: string[];
  /** One object per line, keyed by column. */
  rows: Record<string, UsageReportValue>[];
}

/** Arguments of {@link getAgentRegistration}. */
export interface GetAgentRegistrationArgs {
  /** The Usage Meter appliance's UUID. */
  agentId: string;
}

/** An appliance's registration, as Usage Insight (and the agents API, when configured) report it. */
export interface AgentRegistration {
  agentId: string;
  /** `not-registered` when Usage Insight does not know it. */
  registrationState: "registered" | "in-progress" | "no-contract" | "not-registered";
  contractNumber?: string;
  siteName?: string;
  /** The service's progress while in progress. */
  progress?: string;
  /** From the agents API (`vcpp:usageMeteringAgentsUrl`), when set. */
  label?: string;
  meteringMode?: string;
  connectivityMode?: string;
  version?: string;
  agentSequence?: number;
}

/** Each field an Input. */
export type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

const year = z
  .number("must be a number")
  .int("must be four digits, e.g. 2024")
  .min(1000, "must be four digits, e.g. 2024")
  .max(9999, "must be four digits, e.g. 2024")
  .refine((y) => y <= new Date().getUTCFullYear(), "must not be in the future");
const month = z
  .number("must be a number")
  .int("must be between 1 and 12")
  .min(1, "must be between 1 and 12")
  .max(12, "must be between 1 and 12");
const agentId = z.string("must be a string").trim().min(1, "must not be empty");

const reportsArgs = z
  .strictObject({ year, month, agentId: agentId.optional() })
  // Judged only for a month that is one (zod still runs this after the month's own rule failed).
  .refine((a) => !month.safeParse(a.month).success || a.year * 12 + a.month <= thisMonthIndex(), {
    path: ["month"],
    message: "must not be in the future",
  });
/** Months since year 0 of the current UTC month, comparable with `year * 12 + month`. */
function thisMonthIndex(): number {
  const now = new Date();
  return now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
}

const reportArgs = z.strictObject({
  ref: z.string("must be a string: pass a report that getUsageReports listed").min(1, "must not be empty"),
  contentType: z.string("must be a string: the report's contentType").min(1, "must not be empty"),
  contentLength: z
    .number("must be a number: pass a report that getUsageReports listed, whose size the download is verified against")
    .int("must be a whole number")
    .nonnegative("must not be negative"),
  checksum: z
    .string("must be the report's hex MD5: pass a report that getUsageReports listed")
    .regex(/^[0-9A-Fa-f]{32}$/, "must be a hex MD5 (32 hex digits)"),
  reportType: z.string().optional(),
});
const registrationArgs = z.strictObject({ agentId });

/** The usage reports of a month: of every appliance of the organisation, or of one (`agentId`). */
export async function getUsageReports(args: GetUsageReportsArgs): Promise<UsageReports> {
  const parsed = parseArgs("getUsageReports", reportsArgs, args);
  const client = programClients().usageInsight();
  const reports =
    parsed.agentId === undefined
      ? await client.monthReports(parsed.year, parsed.month)
      : { [parsed.agentId]: await client.agentReports(parsed.year, parsed.month, parsed.agentId) };
  return {
    year: parsed.year,
    month: parsed.month,
    reports: Object.fromEntries(Object.entries(reports).map(([agent, list]) => [agent, list.map(usageReport)])),
  };
}

/** {@link getUsageReports} for Inputs. */
export function getUsageReportsOutput(args: Inputs<GetUsageReportsArgs>): pulumi.Output<UsageReports> {
  return outputOf(args, getUsageReports);
}

/**
 * Downloads one report (`Accept`: its content type), verifies its length and MD5 against the
 * listing (an `INTEGRITY` ServiceError on a mismatch), gunzips it and parses its tab-separated rows.
 */
export async function getUsageReport(args: GetUsageReportArgs): Promise<UsageReportContent> {
  const report = parseArgs("getUsageReport", reportArgs, args);
  const lines = await programClients().usageInsight().downloadReport(report);
  return { ref: report.ref, ...typedRows(lines) };
}

/** {@link getUsageReport} for Inputs. */
export function getUsageReportOutput(args: Inputs<GetUsageReportArgs>): pulumi.Output<UsageReportContent> {
  return outputOf(args, getUsageReport);
}

/** An appliance's registration: contract, site, progress, and (with the agents API) label and modes. */
export async function getAgentRegistration(args: GetAgentRegistrationArgs): Promise<AgentRegistration> {
  const { agentId } = parseArgs("getAgentRegistration", registrationArgs, args);
  const client = programClients().usageInsight();
  const status = await client.registration(agentId);
  const agent = client.hasAgentsApi && status.state !== "not-registered" ? await client.agent(agentId) : undefined;
  return dropUndefined({
    agentId,
    registrationState: status.state,
    contractNumber: status.state === "registered" ? status.contractNumber : undefined,
    siteName: "siteName" in status ? status.siteName : undefined,
    progress: status.state === "in-progress" ? status.progress : undefined,
    label: agent?.label,
    meteringMode: agent?.meteringMode,
    connectivityMode: agent?.connectivityMode,
    version: agent?.version,
    agentSequence: agent?.agentSequence,
  });
}

/** {@link getAgentRegistration} for Inputs. */
export function getAgentRegistrationOutput(args: Inputs<GetAgentRegistrationArgs>): pulumi.Output<AgentRegistration> {
  return outputOf(args, getAgentRegistration);
}

function usageReport(report: Report): UsageReport {
  return dropUndefined({
    ref: report.ref,
    contentType: report.contentType,
    contentLength: report.contentLength,
    checksum: report.checksum.toLowerCase(),
    reportType: report.reportType,
  });
}

/** Decimal numbers without a leading zero (so that ids such as `0123` stay text). */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Rows whose columns are numbers when every non-empty value of the column is one; empty values are null. */
export function typedRows(lines: Record<string, string>[]): Pick<UsageReportContent, "columns" | "rows"> {
  const columns = lines.length ? Object.keys(lines[0]) : [];
  const numeric = new Set(
    columns.filter((c) => lines.some((l) => l[c] !== "") && lines.every((l) => l[c] === "" || NUMBER.test(l[c]))),
  );
  const rows = lines.map((line) =>
    Object.fromEntries(
      columns.map((c) => [
        c,
        line[c] === "" || line[c] === undefined ? null : numeric.has(c) ? Number(line[c]) : line[c],
      ]),
    ),
  );
  return { columns, rows };
}
