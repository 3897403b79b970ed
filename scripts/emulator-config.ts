/**
 * Stack config that points a program at a running emulator, one helper per service: keys as the
 * engine takes them (`vcpp:*`), credentials as secrets. Shared by the demo, the benchmark and the
 * tests, so that a new key is added once.
 */
import { RunningEmulator } from "../emulator";

export type StackConfig = Record<string, string | { secret: string }>;

/** The same keys as `configure` reads them: without the `vcpp:` prefix, secrets as plain values. */
export function plainConfig(config: StackConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key.replace(/^vcpp:/, ""),
      typeof value === "string" ? value : value.secret,
    ]),
  );
}

/** An appliance's keys (the default one unless named) and the emulator's CA. */
export function usageMeterConfig(emulator: RunningEmulator, appliance = "default"): StackConfig {
  const { url, user, password } = emulator.usageMeters[appliance];
  return {
    "vcpp:usageMeterUrl": url,
    "vcpp:usageMeterUser": user,
    "vcpp:usageMeterPassword": { secret: password },
    "vcpp:caCertificates": emulator.caPem,
  };
}

/** The Cloud Partner Navigator keys (CSP token exchange, Usage Insight, agents API). */
export function cloudConfig(emulator: RunningEmulator): StackConfig {
  return {
    "vcpp:cspUrl": emulator.cspUrl,
    "vcpp:cspApiToken": { secret: emulator.cspApiToken },
    "vcpp:usageInsightUrl": emulator.usageInsightUrl,
    "vcpp:usageMeteringAgentsUrl": emulator.usageMeteringAgentsUrl,
  };
}

/** The commerce keys, the order journal at `journal` (functions need none). */
export function commerceConfig(emulator: RunningEmulator, journal?: string): StackConfig {
  return {
    "vcpp:commerceTokenUrl": emulator.commerceTokenUrl,
    "vcpp:commerceUrl": emulator.commerceUrl,
    "vcpp:commerceClientId": emulator.commerceClientId,
    "vcpp:commerceClientSecret": { secret: emulator.commerceClientSecret },
    ...(journal === undefined ? {} : { "vcpp:commerceOrderJournal": journal }),
  };
}

/** The `vcpp:vca*` keys of a vCloud Air account (the default one unless named). */
export function vcaConfig(emulator: RunningEmulator, account = "default"): StackConfig {
  const { vcaUrl, vcaUser, vcaPassword } = emulator.vcaAccounts[account];
  return { "vcpp:vcaUrl": vcaUrl, "vcpp:vcaUser": vcaUser, "vcpp:vcaPassword": { secret: vcaPassword } };
}
