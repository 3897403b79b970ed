// Registration: the appliance's UUID read from the Usage Meter, the appliance registered with a
// commit contract through Usage Insight, and the references of its latest usage reports.
// The appliance and the Cloud Partner Navigator come from vcpp:* stack config (vcpp:cspApiToken a secret).
import * as pulumi from "@pulumi/pulumi";
import {
  getUsageMeterInfoOutput,
  getUsageReport,
  getUsageReports,
  UsageMeterRegistration,
  UsageReport,
} from "pulumi-vcpp";

const config = new pulumi.Config();

// GET /agent_info?um_uuid=true on the appliance: its UUID is the agent id Usage Insight knows it by.
const appliance = getUsageMeterInfoOutput();

const registration = new UsageMeterRegistration("usage-meter", {
  agentId: appliance.agentId,
  version: appliance.version,
  contractNumber: config.require("contractNumber"),
  label: config.require("label"),
  meteringMode: config.require("meteringMode") as "TEST" | "PRODUCTION",
});

/** The appliance's reports of this month, or of the month before when this one has none yet. */
async function latestReports(agentId: string): Promise<{ month: string; reports: UsageReport[] }> {
  const now = new Date();
  for (const back of [0, 1]) {
    const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    const [year, month] = [date.getUTCFullYear(), date.getUTCMonth() + 1];
    const { reports } = await getUsageReports({ year, month, agentId });
    if (reports[agentId]?.length)
      return { month: `${year}-${String(month).padStart(2, "0")}`, reports: reports[agentId] };
  }
  return { month: "none", reports: [] };
}

const latest = registration.agentId.apply(latestReports);

export const agentId = registration.agentId;
export const registrationState = registration.registrationState;
export const contractNumber = registration.contractNumber;
export const reportsMonth = latest.month;
/** What getUsageReport needs to download one: pass an entry as it is. */
export const latestReportRefs = latest.reports;

/** The first of them, downloaded (length and MD5 verified), gunzipped and parsed: its columns and row count. */
export const latestReportSummary = latest.reports.apply(async (reports) => {
  if (!reports.length) return undefined;
  const { ref, columns, rows } = await getUsageReport(reports[0]);
  return { ref, reportType: reports[0].reportType, columns, rows: rows.length };
});
