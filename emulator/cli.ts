/**
 * `npm run emulator`: serves the emulator until interrupted and prints how to point a stack at it.
 *   --port N                 port to listen on (default: a free one)
 *   --usage-meter NAME[:9]   an appliance (repeatable; `:9` for the 9.x API); default one 4.x "default"
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "./index";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "0" }, "usage-meter": { type: "string", multiple: true } },
  });
  const usageMeters = values["usage-meter"]?.length
    ? Object.fromEntries(values["usage-meter"].map((spec) => {
        const [name, version] = spec.split(":");
        return [name, { version: version === "9" ? ("9" as const) : ("4" as const) }];
      }))
    : undefined;
  const emulator = await startEmulator({ port: Number(values.port), usageMeters });
  const caFile = join(mkdtempSync(join(tmpdir(), "vcpp-emulator-")), "ca.pem");
  writeFileSync(caFile, emulator.caPem);
  const first = Object.values(emulator.usageMeters)[0];
  console.log(`pulumi-vcpp emulator listening on ${emulator.url}`);
  for (const [name, um] of Object.entries(emulator.usageMeters)) {
    console.log(`  Usage Meter "${name}" (${um.version}.x API, uuid ${um.uuid}): ${um.url}  user ${um.user}  password ${um.password}`);
  }
  console.log(`  CA certificate: ${caFile}`);
  console.log(`  admin API: ${emulator.url}/__admin/ (GET /requests, GET /usage-meters/<name>, PATCH /usage-meters/<name>/products/<id>, ...)`);
  console.log("\nPoint a stack at it:");
  console.log(`  pulumi config set vcpp:usageMeterUrl ${first.url}`);
  console.log(`  pulumi config set --secret vcpp:usageMeterPassword '${first.password}'`);
  console.log(`  pulumi config set vcpp:caCertificates -- "$(cat ${caFile})"`);
  console.log("\nCtrl-C stops it.");
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
