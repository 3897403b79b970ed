/** Test helpers: an emulator on loopback, and provider contexts configured to use it. */
import { ProcessContext } from "../../provider/context";
import { clearCredentials } from "../../provider/auth";
import { EmulatorOptions, RunningEmulator, startEmulator } from "../../emulator";

/** Starts an emulator for the test, and always closes it. */
export async function withEmulator<T>(fn: (emulator: RunningEmulator) => Promise<T>, options: EmulatorOptions = {}): Promise<T> {
  const emulator = await startEmulator({ quiet: true, ...options });
  clearCredentials();
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

/** The stack config (`vcpp:` keys without the prefix) that points at the emulator's default appliance. */
export function stackConfigFor(emulator: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  const um = Object.values(emulator.usageMeters)[0];
  return { usageMeterUrl: um.url, usageMeterUser: um.user, usageMeterPassword: um.password, caCertificates: emulator.caPem, ...extra };
}

/** A provider context as `configure` would set it up from that stack config. */
export function contextFor(emulator: RunningEmulator, extra: Record<string, string> = {}): ProcessContext {
  const config = stackConfigFor(emulator, extra);
  const context = new ProcessContext();
  context.configure((key) => config[key]);
  return context;
}
