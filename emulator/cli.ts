#!/usr/bin/env node
/**
 * `npx pulumi-vcpp-emulator` (the package's `bin`; `npm run emulator` in the repository): serves
 * the emulator until interrupted and prints how to point a stack at it. The options and the usage
 * text come from one table: the general options here, and each service's own.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ADMIN_PREFIX } from "./core/admin";
import { PRESENTED_CERTIFICATES, PresentedCertificate } from "./core/certificates";
import { Fault, faultSchema } from "./core/faults";
import { parseRateLimit } from "./core/rate-limit";
import { CliOption, CliValues, UsageError } from "./core/service";
import { EmulatorOptions, RateLimit, RunningEmulator, SERVICES, startEmulator } from "./index";

const MODES = ["error", "warn", "bypass"];
const GENERAL_OPTIONS: Record<string, CliOption> = {
  port: { type: "string", value: "N", help: "port to listen on (default: a free one)" },
  "rate-limit": {
    type: "string",
    multiple: true,
    value: "SERVICE=RATE[:BURST]",
    help: "answer 429 with Retry-After above RATE requests per second to SERVICE, as the request log names it (repeatable)",
  },
  "latency-ms": {
    type: "string",
    value: "MS",
    help: "every request waits MS milliseconds before it is handled, as a far-away service would (default 0; PUT /__admin/latency changes it)",
  },
  "on-unhandled-request": {
    type: "string",
    value: "MODE",
    help: "a request no route handles is answered 404 and: warn (default) prints it; error also exits 1 on Ctrl-C; bypass ignores it",
  },
  fault: {
    type: "string",
    multiple: true,
    value: "JSON",
    help: "inject a fault from the start (repeatable), as POST /__admin/faults takes it",
  },
  certificate: {
    type: "string",
    value: "KIND",
    help: `the TLS certificate every service presents: ${PRESENTED_CERTIFICATES.join(", ")} (default trusted)`,
  },
};
const HELP: Record<string, CliOption & { short: string }> = {
  help: { type: "boolean", short: "h", help: "print this help and exit" },
};
const OPTIONS: Record<string, CliOption & { short?: string }> = Object.assign(
  {},
  GENERAL_OPTIONS,
  ...SERVICES.map((s) => s.cli.options),
  HELP,
);

function usage(): string {
  const flags = Object.entries(OPTIONS).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`,
    o.help,
  ]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  const examples = [
    "",
    "--port 8443",
    "--latency-ms 100",
    `--fault '{"method":"GET","pathIncludes":"/product","status":503,"times":2}'`,
    "--certificate untrusted",
    ...SERVICES.flatMap((s) => s.cli.examples),
  ];
  return [
    "Usage: npx pulumi-vcpp-emulator [options]   (in a clone of the repository: npm run emulator -- [options])",
    "",
    "Serves the emulated services over HTTPS on 127.0.0.1 with its own CA, until Ctrl-C.",
    "",
    "Options:",
    ...flags.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    "",
    "Examples:",
    ...examples.map((e) => `  npm run emulator${e ? ` -- ${e}` : ""}`),
    "",
    `Once running, GET <url>${ADMIN_PREFIX}/ lists the admin routes (change things by hand, inject faults, read the request log).`,
  ].join("\n");
}

/** `--rate-limit usage-meter=20:5`: the service's requests per second, and optionally its burst. */
function rateLimitsFrom(values: CliValues): Record<string, RateLimit> {
  const specs = (values["rate-limit"] ?? []) as string[];
  return Object.fromEntries(
    specs.map((spec) => {
      const limit = parseRateLimit(spec);
      if (!limit) throw new UsageError(`--rate-limit ${spec}: expected SERVICE=RATE[:BURST], e.g. usage-meter=20:5`);
      return limit;
    }),
  );
}

function optionsFrom(values: CliValues): EmulatorOptions {
  const port = Number(values.port ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${String(values.port)}: expected a port number (0 to 65535)`);
  const mode = (values["on-unhandled-request"] ?? "warn") as string;
  if (!MODES.includes(mode))
    throw new UsageError(`--on-unhandled-request ${mode}: expected one of ${MODES.join(", ")}`);
  const latencyMs = Number(values["latency-ms"] ?? "0");
  if (!Number.isInteger(latencyMs) || latencyMs < 0)
    throw new UsageError(
      `--latency-ms ${String(values["latency-ms"])}: expected a whole number of milliseconds, 0 or more`,
    );
  const certificate = (values.certificate ?? "trusted") as string;
  if (!(PRESENTED_CERTIFICATES as readonly string[]).includes(certificate))
    throw new UsageError(`--certificate ${certificate}: expected one of ${PRESENTED_CERTIFICATES.join(", ")}`);
  const general = {
    port,
    latencyMs,
    onUnhandledRequest: mode as EmulatorOptions["onUnhandledRequest"],
    faults: ((values.fault ?? []) as string[]).map(faultFromArg),
    certificate: certificate as PresentedCertificate,
  };
  return Object.assign(general, ...SERVICES.map((s) => s.cli.fromArgs(values)));
}

function faultFromArg(text: string): Fault {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--fault ${text}: expected a JSON object such as {"method":"GET","pathIncludes":"/product","status":503}`,
    );
  }
  const parsed = faultSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `--fault ${text}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(fault)"}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

function printSummary(emulator: RunningEmulator, caFile: string): void {
  const described = SERVICES.map((s) => s.cli.describe(emulator, caFile));
  console.log(`pulumi-vcpp emulator listening on ${emulator.url}`);
  for (const line of described.flatMap((d) => d.endpoints)) console.log(`  ${line}`);
  console.log(`  CA certificate: ${caFile}`);
  console.log(
    `  admin API: ${emulator.url}${ADMIN_PREFIX}/ lists every admin route (method, path, what it does, body)`,
  );
  console.log("\nPoint a stack at it:");
  // The CLI refuses a plain value that merely looks like a secret (the commerce token URL ends in
  // /oauth) unless told --plaintext; said of every other value, so no line can fail on a port number.
  const plaintext = (line: string) =>
    line.includes(" --secret ") ? line : line.replace(/^pulumi config set /, "pulumi config set --plaintext ");
  for (const line of described.flatMap((d) => d.config)) console.log(`  ${plaintext(line)}`);
  console.log("\nCtrl-C stops it.");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return console.log(usage());
  const emulator = await startEmulator({ ...optionsFrom(values), rateLimits: rateLimitsFrom(values) });
  const caFile = join(mkdtempSync(join(tmpdir(), "vcpp-emulator-")), "ca.pem");
  writeFileSync(caFile, emulator.caPem);
  printSummary(emulator, caFile);
  const stop = () =>
    void emulator.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(error.message);
        process.exit(1);
      },
    );
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** A bad command line, from parseArgs or from checking a value. */
function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || String((error as { code?: unknown })?.code).startsWith("ERR_PARSE_ARGS");
}

main().catch((error: unknown) => {
  if (isUsageError(error)) {
    console.error(`emulator: ${error.message}\n\n${usage()}`);
    process.exit(2);
  }
  console.error(`emulator: ${(error as Error).message}`);
  process.exit(1);
});
