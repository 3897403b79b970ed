/** Test helpers: an emulator on loopback, and provider contexts configured to use it. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ClientRegistry } from "../../provider/registry";
import { clearCredentials } from "../../provider/auth/token-source";
import { EmulatorOptions, LoggedRequest, RunningEmulator, startEmulator } from "../../emulator";
import { forgetProgramClients } from "../../functions/program-clients";
import { cloudConfig, commerceConfig, plainConfig, usageMeterConfig, vcaConfig } from "../../scripts/emulator-config";

/**
 * Starts an emulator for the test and always closes it. A request no route handles fails the
 * test (`onUnhandledRequest: "error"`, unless the options say otherwise).
 */
export async function withEmulator<T>(
  fn: (emulator: RunningEmulator) => Promise<T>,
  options: EmulatorOptions = {},
): Promise<T> {
  const emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error", ...options });
  clearCredentials();
  let result: T;
  try {
    result = await fn(emulator);
  } catch (failure) {
    await closeAfterFailure(emulator, failure);
    throw failure;
  }
  await emulator.close();
  return result;
}

/** Closes the emulator of a test that already failed: its unhandled requests join that failure. */
export async function closeAfterFailure(emulator: RunningEmulator, failure: unknown): Promise<void> {
  try {
    await emulator.close();
  } catch (unhandled) {
    if (failure instanceof Error) failure.message += `\n${(unhandled as Error).message}`;
  }
}

/**
 * Every service's keys (`vcpp:` dropped, secrets plain) pointing at the emulator: its default
 * appliance and vCloud Air account, and its others by name (`usageMeters`, `vcaAccounts`).
 */
export function everyServiceConfig(emulator: RunningEmulator): Record<string, string> {
  return {
    ...plainConfig({
      ...usageMeterConfig(emulator),
      ...cloudConfig(emulator),
      ...commerceConfig(emulator),
      ...vcaConfig(emulator),
    }),
    ...namedAppliancesConfig(emulator),
    ...namedVcaAccountsConfig(emulator),
  };
}

/** Sets a program's config (`vcpp:` keys without the prefix) as `pulumi up` would, with no client kept from before. */
export function setProgramConfig(config: Record<string, string>): void {
  forgetProgramClients();
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`vcpp:${k}`, v])), []);
}

/** The stack config (`vcpp:` keys without the prefix) that points at the emulator's default appliance. */
export function stackConfigFor(emulator: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  const um = Object.values(emulator.usageMeters)[0];
  return {
    usageMeterUrl: um.url,
    usageMeterUser: um.user,
    usageMeterPassword: um.password,
    caCertificates: emulator.caPem,
    ...extra,
  };
}

/** A provider context as `configure` would set it up from that stack config. */
export function contextFor(emulator: RunningEmulator, extra: Record<string, string> = {}): ClientRegistry {
  const config = stackConfigFor(emulator, extra);
  const context = new ClientRegistry();
  context.configure((key) => config[key]);
  return context;
}

/**
 * `vcpp:usageMeters` (as the engine sends it: JSON text) naming each of the emulator's appliances
 * but "default", which is the `vcpp:usageMeter*` keys' (the name is refused in the map).
 */
export function namedAppliancesConfig(emulator: RunningEmulator): Record<string, string> {
  const { default: _theKeys, ...others } = emulator.usageMeters;
  const named = Object.fromEntries(
    Object.entries(others).map(([name, um]) => [name, { url: um.url, user: um.user, password: um.password }]),
  );
  return { usageMeters: JSON.stringify(named) };
}

/** `vcpp:vcaAccounts` (JSON text) naming each of the emulator's vCloud Air accounts but "default" (refused there). */
export function namedVcaAccountsConfig(emulator: RunningEmulator): Record<string, string> {
  const { default: _theKeys, ...others } = emulator.vcaAccounts;
  const named = Object.fromEntries(
    Object.entries(others).map(([name, a]) => [name, { url: a.vcaUrl, user: a.vcaUser, password: a.vcaPassword }]),
  );
  return { vcaAccounts: JSON.stringify(named) };
}

/** Login requests served (to one appliance, if named). */
export function loginRequests(emulator: RunningEmulator, appliance?: string): LoggedRequest[] {
  return emulator.requests.filter(
    (r) =>
      r.method === "POST" &&
      r.path.endsWith("/api/v1/login") &&
      (appliance === undefined || r.path.startsWith(`/um/${appliance}/`)),
  );
}

/** Requests served with this method whose path ends with `suffix` (e.g. `POST`, `/product`). */
export function requestsTo(emulator: RunningEmulator, method: string, suffix: string): LoggedRequest[] {
  return emulator.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
}

/** Runs `check` as the engine does and fails the test if it reports anything; returns the checked inputs. */
export async function checked(
  provider: pulumi.dynamic.ResourceProvider,
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const result = await provider.check!(olds, news);
  assert.deepEqual(result.failures ?? [], [], `check refused ${JSON.stringify(news)}`);
  return result.inputs as Record<string, unknown>;
}

/** Messages the provider logs through `pulumi.log` while `fn` runs (and not printed). */
export async function capturingLogs<T>(fn: (messages: string[]) => Promise<T>): Promise<T> {
  const messages: string[] = [];
  const log = pulumi.log as unknown as Record<"info" | "warn" | "debug", (message: string) => void>;
  const saved = { info: log.info, warn: log.warn, debug: log.debug };
  for (const level of ["info", "warn", "debug"] as const)
    log[level] = (message: string) => void messages.push(`${level}: ${message}`);
  try {
    return await fn(messages);
  } finally {
    Object.assign(log, saved);
  }
}
