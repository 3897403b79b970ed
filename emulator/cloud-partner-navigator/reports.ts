/**
 * Usage Insight reports: per organisation, month and agent, listed as `{checksum, contentLength,
 * contentType, ref, reportType}` and downloaded as gzipped tab-separated values with
 * `Accept: text/tab-separated-values+gzip` (sections 3 and 6 of the API reference).
 *
 * Where the contract is silent (README, "The emulator"), the emulator:
 * - keeps two reports per agent and month, `USAGE_DETAIL` (one row per day, product and metric)
 *   and `USAGE_SUMMARY` (one row per product and metric), with the columns below;
 * - makes them for the agents of the caller's organisation whose registration is complete, has
 *   a contract and is not withdrawn, for the current month and the `reportMonths - 1` before it;
 * - makes a report the first time its month is listed, from the products the appliance meters
 *   then, with quantities derived from agent, host, metric and day: the same state gives the
 *   same bytes. A report never changes once made (what the portal keeps is immutable);
 * - answers a future month with an empty list, a month outside 1–12 or a year not of four
 *   digits with 400, a download whose `Accept` is not the report's content type (`*` included)
 *   with 406, an unknown reference with 404 and a missing one with 400;
 * - uses opaque references in standard base64 (`+`, `/`, `=`): a client must encode them.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Route } from "../core/router";
import { Caller, CspState } from "./csp";
import { agentOf, authenticated, inProgress, Registration, uiError, UsageInsightState } from "./registrations";

export const REPORT_CONTENT_TYPE = "text/tab-separated-values+gzip";

export const DETAIL_COLUMNS = [
  "agent_id",
  "organization_id",
  "product_type",
  "product_name",
  "host",
  "metric",
  "unit",
  "date",
  "quantity",
];
export const SUMMARY_COLUMNS = [
  "agent_id",
  "contract_number",
  "metering_mode",
  "product_type",
  "metric",
  "unit",
  "year_month",
  "aggregation",
  "quantity",
];

/** What each product type is billed on, and the daily range of its quantities. */
const METRICS: Record<string, Array<{ metric: string; unit: string; min: number; max: number }>> = {
  vCenter: [
    { metric: "reserved_vram", unit: "GB-hour", min: 6_000, max: 96_000 },
    { metric: "vm_count", unit: "VM", min: 20, max: 400 },
  ],
  VCD: [{ metric: "vm_count", unit: "VM", min: 20, max: 400 }],
  VCAV: [
    { metric: "protected_vms", unit: "VM", min: 5, max: 150 },
    { metric: "replicated_storage", unit: "GB", min: 500, max: 20_000 },
  ],
  "NSX-T": [{ metric: "protected_vms", unit: "VM", min: 20, max: 400 }],
  "NSX-V": [{ metric: "protected_vms", unit: "VM", min: 20, max: 400 }],
  NSXALB: [{ metric: "service_engine_cores", unit: "core", min: 4, max: 64 }],
  VRNI: [{ metric: "managed_vms", unit: "VM", min: 20, max: 400 }],
  VROPS: [{ metric: "managed_osi", unit: "OSI", min: 20, max: 400 }],
  VRSLCM: [{ metric: "managed_instances", unit: "instance", min: 1, max: 12 }],
  TKGM: [{ metric: "worker_node_cores", unit: "core", min: 16, max: 512 }],
  VCFA: [{ metric: "managed_cores", unit: "core", min: 32, max: 1024 }],
};
const OTHER = [{ metric: "usage", unit: "unit", min: 1, max: 100 }];

export interface StoredReport {
  ref: string;
  organizationId: string;
  agentId: string;
  year: number;
  month: number;
  reportType: string;
  contentType: string;
  contentLength: number;
  checksum: string;
  /** What a download answers (an operator may corrupt it; the listing keeps the original length and checksum). */
  body: Buffer;
}

export interface ReportsState {
  reports: Map<string, StoredReport>;
  /** `organisation/agent/year/month` whose generated reports exist already. */
  generated: Set<string>;
  reportMonths: number;
}

/** The listing of a report. */
export function publicReport(r: StoredReport): Record<string, unknown> {
  const { checksum, contentLength, contentType, ref, reportType } = r;
  return { checksum, contentLength, contentType, ref, reportType };
}

/** Stores a report made of this TSV text, and answers it. */
export function storeReport(
  reports: ReportsState,
  key: Omit<StoredReport, "ref" | "contentType" | "contentLength" | "checksum" | "body">,
  tsv: string,
): StoredReport {
  const body = gzipSync(Buffer.from(tsv, "utf8"));
  const identity = `${key.organizationId}|${key.agentId}|${key.year}|${key.month}|${key.reportType}|${reports.reports.size}`;
  const report: StoredReport = {
    ...key,
    ref: createHash("sha512").update(identity).digest("base64"),
    contentType: REPORT_CONTENT_TYPE,
    contentLength: body.length,
    checksum: createHash("md5").update(body).digest("hex"),
    body,
  };
  reports.reports.set(report.ref, report);
  return report;
}

export function reportRoutes(state: UsageInsightState, reports: ReportsState, csp: CspState, base: string): Route[] {
  const route = (method: string, path: string, handler: Parameters<typeof authenticated>[4]) =>
    authenticated(csp, "usage-insight", method, new RegExp(`^${base}/reports${path}$`), handler);
  const month = "/(?<year>[^/]+)/(?<month>[^/]+)";
  const list = (caller: Caller, params: Record<string, string>, agentId?: string) => {
    const y = /^\d{4}$/.test(params.year) ? Number(params.year) : NaN;
    const m = /^\d{1,2}$/.test(params.month) ? Number(params.month) : NaN;
    if (Number.isNaN(y) || Number.isNaN(m) || m < 1 || m > 12)
      return {
        error: uiError(400, `year must have four digits and month be 1 to 12, got ${params.year}/${params.month}`),
      };
    ensureGenerated(state, reports, caller, y, m);
    const mine = [...reports.reports.values()].filter(
      (r) =>
        r.organizationId === caller.organizationId &&
        r.year === y &&
        r.month === m &&
        (agentId === undefined || r.agentId === agentId),
    );
    return { mine };
  };
  return [
    route("GET", "", (caller, req) => {
      const ref = req.query.get("ref");
      if (!ref) return uiError(400, "ref is required: the reference of a report, from the list of a month");
      const report = reports.reports.get(ref);
      if (!report || report.organizationId !== caller.organizationId)
        return uiError(404, "No report has this reference");
      const accepted = String(req.headers.accept ?? "")
        .split(",")
        .map((t) => t.split(";")[0].trim().toLowerCase());
      if (!accepted.includes(report.contentType))
        return uiError(406, `This report is ${report.contentType}: send Accept: ${report.contentType}`);
      return {
        status: 200,
        body: report.body,
        headers: { "content-type": report.contentType, "content-length": String(report.body.length) },
      };
    }),
    route("GET", month, (caller, req) => {
      const { error, mine } = list(caller, req.params);
      if (error) return error;
      const byAgent: Record<string, unknown[]> = {};
      for (const r of mine) (byAgent[r.agentId] ??= []).push(publicReport(r));
      return { status: 200, body: byAgent };
    }),
    route("GET", `${month}/(?<agentId>[^/]+)`, (caller, req) => {
      const { error, mine } = list(caller, req.params, req.params.agentId);
      return error ?? { status: 200, body: mine.map(publicReport) };
    }),
  ];
}

/** Makes the month's reports of the caller's reporting agents, once. */
function ensureGenerated(
  state: UsageInsightState,
  reports: ReportsState,
  caller: Caller,
  year: number,
  month: number,
): void {
  const now = new Date();
  const age = (now.getUTCFullYear() - year) * 12 + (now.getUTCMonth() + 1 - month);
  if (age < 0 || age >= reports.reportMonths) return;
  for (const r of state.registrations.values()) {
    if (r.organizationId !== caller.organizationId || r.deleted || inProgress(r) || r.contractNumber === undefined)
      continue;
    const key = `${r.organizationId}/${r.agentId}/${year}/${month}`;
    if (reports.generated.has(key)) continue;
    reports.generated.add(key);
    const lastDay = age === 0 ? now.getUTCDate() : new Date(Date.UTC(year, month, 0)).getUTCDate();
    const rows = usageRows(state, r, year, month, lastDay);
    const base = { organizationId: r.organizationId, agentId: r.agentId, year, month };
    storeReport(reports, { ...base, reportType: "USAGE_DETAIL" }, tsv(DETAIL_COLUMNS, detailRows(r, rows)));
    storeReport(
      reports,
      { ...base, reportType: "USAGE_SUMMARY" },
      tsv(SUMMARY_COLUMNS, summaryRows(r, rows, year, month)),
    );
  }
}

interface UsageRow {
  productType: string;
  productName: string;
  host: string;
  metric: string;
  unit: string;
  date: string;
  quantity: number;
}

/** One row per day, metered product and metric, its quantity derived from those. */
function usageRows(
  state: UsageInsightState,
  r: Registration,
  year: number,
  month: number,
  lastDay: number,
): UsageRow[] {
  const products = agentOf(state, r.agentId)?.meteredProducts() ?? [];
  const rows: UsageRow[] = [];
  for (let day = 1; day <= lastDay; day++) {
    const date = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    for (const p of products)
      for (const { metric, unit, min, max } of METRICS[p.productType] ?? OTHER) {
        const seed = createHash("md5").update(`${r.agentId}|${p.host}|${metric}|${date}`).digest().readUInt32BE(0);
        const quantity = min + (seed % (max - min + 1));
        rows.push({ productType: p.productType, productName: p.fullName, host: p.host, metric, unit, date, quantity });
      }
  }
  return rows;
}

function detailRows(r: Registration, rows: UsageRow[]): string[][] {
  return rows.map((u) => [
    r.agentId,
    r.organizationId,
    u.productType,
    u.productName,
    u.host,
    u.metric,
    u.unit,
    u.date,
    String(u.quantity),
  ]);
}

/** Per product type and metric: hour-based units add up over the month, counts are billed at their peak. */
function summaryRows(r: Registration, rows: UsageRow[], year: number, month: number): string[][] {
  const totals = new Map<string, { u: UsageRow; quantity: number; aggregation: string }>();
  for (const u of rows) {
    const key = `${u.productType}|${u.metric}`;
    const aggregation = u.unit.endsWith("-hour") ? "sum" : "peak";
    const seen = totals.get(key);
    const quantity =
      seen === undefined
        ? u.quantity
        : aggregation === "sum"
          ? seen.quantity + u.quantity
          : Math.max(seen.quantity, u.quantity);
    totals.set(key, { u, quantity, aggregation });
  }
  const yearMonth = `${year}-${String(month).padStart(2, "0")}`;
  return [...totals.values()].map(({ u, quantity, aggregation }) => [
    r.agentId,
    r.contractNumber ?? "",
    r.meteringMode,
    u.productType,
    u.metric,
    u.unit,
    yearMonth,
    aggregation,
    String(quantity),
  ]);
}

export function tsv(columns: string[], rows: string[][]): string {
  return [columns, ...rows].map((cells) => `${cells.join("\t")}\n`).join("");
}
