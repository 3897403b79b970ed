/**
 * `npm run demo`: the quickstart program (the root Pulumi.yaml) through the real Pulumi engine,
 * against the emulator: deploy, a change made by hand, drift shown by `pulumi preview --refresh`,
 * the repair; then the registration example (the appliance registered with a contract through
 * Usage Insight, its latest usage reports); and the clean-up. Leaves nothing behind, even when a
 * step fails or on Ctrl-C.
 */
import { startEmulator, RunningEmulator } from "../emulator";
import { join } from "node:path";
import { changedInputs, installEngine, LocalStack, PreviewStep, REPO_ROOT, stopAllCommands } from "./local-stack";
import { cloudConfig, usageMeterConfig } from "./emulator-config";

const VCDA_HOST = "vcda.example.com";
const VCENTER_HOST = "vcenter.example.com";
const DEMO_CONTRACT = "12345678";

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
const red = (text: string) => (color ? `\x1b[31m${text}\x1b[0m` : text);

let stepNumber = 0;
const step = (title: string) => console.log(`\n${bold(`${++stepNumber}. ${title}`)}`);
const say = (text: string) => console.log(`   ${text}`);
const indent = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `   │ ${line}`)
    .join("\n");

class DemoFailure extends Error {}
const expect = (condition: boolean, failure: string) => {
  if (!condition) throw new DemoFailure(failure);
};

async function main(cleanups: Array<() => Promise<void>>): Promise<void> {
  step("Getting the Pulumi engine (the first run on a machine builds it from source: about 8 minutes on 2 cores)");
  const engineBin = await installEngine((line) => say(line));

  step("Starting the emulator: a local stand-in for the Usage Meter appliance and the Cloud Partner Navigator");
  const emulator = await startEmulator({ quiet: true });
  cleanups.push(() => emulator.close());
  const appliance = emulator.usageMeters.default;
  say(`Usage Meter appliance at ${appliance.url} (user ${appliance.user}, its own CA certificate)`);

  step("Creating a throw-away stack for the quickstart program, configured with vcpp:* keys");
  const stack = await LocalStack.create({ engineBin, projectDir: REPO_ROOT, stackName: "demo" });
  cleanups.push(() => stack.dispose());
  await stack.setAllConfig({
    ...usageMeterConfig(emulator),
    vcdaHost: VCDA_HOST,
    vcenterHost: VCENTER_HOST,
    vcdaPassword: { secret: "demo-vcda-root-password" },
    vcenterPassword: { secret: "demo-vcenter-password" },
  });
  say(`local state in ${stack.workDir}; passwords stored as Pulumi secrets`);

  step("pulumi up: the appliance's network connection and two metered products");
  const up = await stack.up();
  console.log(indent(up.stdout));
  describeAppliance(emulator);
  const vcda = emulator.admin.products().find((p) => p.host === VCDA_HOST);
  expect(
    emulator.admin.products().length === 2 && vcda?.metered === true,
    "pulumi up should have registered two metered products",
  );

  step("Someone changes the appliance by hand: Cloud Director Availability now connects as 'admin'");
  emulator.admin.changeProduct("default", vcda!.id as number, { user: "admin" });
  emulator.admin.clearRequests();
  say("the program still declares user 'root'.");

  step("pulumi preview --refresh: Pulumi reads the appliance and compares it with the program");
  const preview = await stack.preview({ refresh: true });
  for (const change of preview.changes) say(describeStep(change));
  const onlyVcda = preview.changes.length === 1 && preview.changes[0].urn.endsWith("::cloud-director-availability");
  expect(
    onlyVcda && preview.changes[0].op === "update" && changedInputs(preview.changes[0]).join() === "user",
    `preview --refresh should show exactly one update, got: ${preview.changes.map((c) => `${c.op} ${c.urn}`).join(", ") || "none"}`,
  );
  expect(emulator.writes().length === 0, "a preview must not change the appliance");
  say("a preview changed nothing on the appliance (its request log has no write).");

  step("pulumi up --refresh: puts the appliance back to what the program declares");
  const repair = await stack.up({ refresh: true });
  console.log(indent(repair.stdout));
  const repaired = emulator.admin.products().find((p) => p.host === VCDA_HOST);
  expect(repaired?.user === "root", "pulumi up --refresh should have set the user back to root");
  say(
    `Cloud Director Availability connects as '${String(repaired?.user)}' again, still product id ${String(repaired?.id)}: updated in place, not re-registered.`,
  );

  await registerAppliance(engineBin, emulator, cleanups);

  step("pulumi destroy: unregisters the products and restores a direct connection");
  const destroy = await stack.destroy();
  console.log(indent(destroy.stdout));
  expect(emulator.admin.products().length === 0, "pulumi destroy should have removed both products");
  describeAppliance(emulator);
}

/** The registration example: the appliance registered with a contract, and its latest usage reports. */
async function registerAppliance(
  engineBin: string,
  emulator: RunningEmulator,
  cleanups: Array<() => Promise<void>>,
): Promise<void> {
  step("Registering the appliance with a commit contract through Usage Insight (examples/registration)");
  const stack = await LocalStack.create({
    engineBin,
    projectDir: join(REPO_ROOT, "examples", "registration"),
    stackName: "demo-registration",
  });
  cleanups.push(() => stack.dispose());
  const appliance = emulator.usageMeters.default;
  await stack.setAllConfig({
    ...usageMeterConfig(emulator),
    ...cloudConfig(emulator),
    contractNumber: DEMO_CONTRACT,
  });
  say(
    `Cloud Partner Navigator at ${emulator.cspUrl}, Usage Insight at ${emulator.usageInsightUrl}; the API token stored as a Pulumi secret`,
  );
  const up = await stack.up();
  console.log(indent(up.stdout));
  const outputs = await stack.outputs();
  const record = emulator.admin.registration(appliance.uuid);
  expect(
    outputs.registrationState === "registered" && record.contractNumber === DEMO_CONTRACT,
    `the appliance should be registered with contract ${DEMO_CONTRACT}, got ${String(outputs.registrationState)}`,
  );
  say(
    `agent ${String(outputs.agentId)} (the appliance's UUID) is registered with contract ${record.contractNumber}, label '${record.label}', ${record.meteringMode} mode`,
  );
  const refs = (outputs.latestReportRefs ?? []) as Array<{ ref: string; reportType?: string; contentLength: number }>;
  say(`its usage reports of ${String(outputs.reportsMonth)}:`);
  for (const r of refs) say(`  • ${r.reportType ?? "report"} ${r.ref} (${r.contentLength} bytes, gzipped)`);
  const summary = outputs.latestReportSummary as { reportType?: string; columns: string[]; rows: number } | undefined;
  if (summary)
    say(
      `the first, downloaded, verified (length, MD5), gunzipped and parsed: ${summary.rows} rows of ${summary.columns.join(", ")}`,
    );

  step("pulumi destroy of the registration stack: the registration stays in the portal (withdrawOnDelete is not set)");
  const destroy = await stack.destroy();
  console.log(indent(destroy.stdout));
  expect(!emulator.admin.registration(appliance.uuid).deleted, "the registration should have stayed in the portal");
  say("billing reports continue: withdrawing a registration is an explicit choice (withdrawOnDelete: true).");
}

function describeAppliance(emulator: RunningEmulator): void {
  const { proxy, dataUsageAccepted, logins } = emulator.admin.appliance();
  say(
    `the appliance now reports: connection ${proxy.type === "none" ? "direct" : `${proxy.type} proxy ${proxy.host}:${proxy.port}`}, data usage ${dataUsageAccepted ? "accepted" : "not accepted"}, ${logins} login(s) so far`,
  );
  for (const p of emulator.admin.products()) {
    const status = p.status as { code: string; text: string };
    say(
      `  • ${String(p.productType)} ${String(p.host)}:${String(p.port)} as ${String(p.user)}: id ${String(p.id)}, ${p.metered ? "metered" : "not metered"} (${status.code} ${status.text})`,
    );
  }
  if (emulator.admin.products().length === 0) say("  • no products registered");
}

/** One preview step in words: what differs between the appliance (after refresh) and the program. */
function describeStep(change: PreviewStep): string {
  const name = change.urn.split("::").pop();
  const details = changedInputs(change).map(
    (field) =>
      `${field} is ${JSON.stringify(change.oldState?.inputs?.[field])} on the appliance, ${JSON.stringify(change.newState?.inputs?.[field])} in the program`,
  );
  return `${change.op} ${name}: ${details.join("; ") || "(no declared field differs)"}`;
}

const cleanups: Array<() => Promise<void>> = [];
async function cleanUp(): Promise<void> {
  stopAllCommands();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups.length = 0;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error("\nInterrupted: stopping Pulumi, removing the stack and stopping the emulator.");
    void cleanUp().then(() => process.exit(130));
  });
}

main(cleanups)
  .then(cleanUp)
  .then(() => console.log(`\n${bold("Demo complete.")} The stack, its state and the emulator are gone.`))
  .catch(async (error: unknown) => {
    if (interrupted) return; // the signal handler cleans up and exits
    console.error(`\n${red("Demo failed:")} ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    process.exit(1);
  });
