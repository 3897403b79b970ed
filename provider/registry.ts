/**
 * What a resource provider or a function needs from its process: the settings read from the
 * stack's config, and the service clients built from them, lazily and once per connection. One
 * registry per process (the provider process, or the program's for functions); a `configure` with
 * other settings starts afresh. Logins and tokens are shared further still, by the token sources (auth/).
 */
import { createHash } from "node:crypto";
import { ConfigError } from "./errors";
import * as log from "./log";
import { TlsSettings } from "./http/client";
import { ConfigSource, loadSharedSettings, SharedSettings } from "./settings";
import { UsageMeterClient } from "./usage-meter/client";
import { loadUsageMeterSettings, UsageMeterSettings } from "./usage-meter/settings";
import { VcaClient } from "./vcloud-air/client";
import { loadVcaSettings, VcaSettings } from "./vcloud-air/settings";
import { UsageInsightClient } from "./usage-insight/client";
import { loadUsageInsightSettings, UsageInsightSettings } from "./usage-insight/settings";
import { CommerceClient } from "./commerce/client";
import { CommerceSettings, loadCommerceSettings } from "./commerce/settings";

/** The services a provider or function can reach, each by its connection. */
export interface ServiceClients {
  settings(): SharedSettings;
  /** The client of the appliance a resource names (undefined: the `vcpp:usageMeter*` keys). */
  usageMeter(name?: string): UsageMeterClient;
  /** Names that a resource's `usageMeter` input accepts. */
  usageMeterNames(): string[];
  /** The client of the vCloud Air account a resource names (undefined: the `vcpp:vca*` keys). */
  vca(name?: string): VcaClient;
  /** Names that a resource's `vcaAccount` input accepts. */
  vcaAccountNames(): string[];
  /** The Cloud Partner Navigator's Usage Insight service and agents API (`vcpp:cspApiToken`, `vcpp:usageInsightUrl`, …). */
  usageInsight(): UsageInsightClient;
  /** The VCPP commerce API client (the `vcpp:commerce*` keys). */
  commerce(): CommerceClient;
  /** The commerce settings: whether credentials are set, where the order journal lives. */
  commerceSettings(): CommerceSettings;
}

interface Configured {
  shared: SharedSettings;
  usageMeters: UsageMeterSettings;
  vcaAccounts: VcaSettings;
  usageInsight: UsageInsightSettings;
  commerce: CommerceSettings;
}

export class ClientRegistry implements ServiceClients {
  private configured?: Configured;
  /** A digest of the settings read by the last `configure` (a digest: no second copy of the secrets). */
  private configuredFrom?: string;
  private readonly clients = new Map<string, unknown>();

  /**
   * Reads and validates every `vcpp:*` key that is set; missing keys fail only when a service needs
   * them. The clients (their sessions and shared reads) are kept when the settings are the same as
   * the last configure's: the engine configures its provider once per resource kind, with the same
   * config, within one run (one process). Other settings build new clients that share nothing.
   */
  configure(get: ConfigSource): void {
    const read: Array<[string, string | undefined]> = [];
    const recording: ConfigSource = (key) => {
      const value = get(key);
      read.push([key, value]);
      return value;
    };
    const shared = loadSharedSettings(recording);
    const configured = {
      shared,
      usageMeters: loadUsageMeterSettings(recording, shared),
      vcaAccounts: loadVcaSettings(recording, shared),
      usageInsight: loadUsageInsightSettings(recording, shared),
      commerce: loadCommerceSettings(recording, shared),
    };
    const from = createHash("sha256").update(JSON.stringify(read)).digest("hex");
    if (this.configured && from === this.configuredFrom) return;
    this.configured = configured;
    this.configuredFrom = from;
    this.clients.clear();
    warnIfInsecure(this.configured);
  }

  settings(): SharedSettings {
    return this.current().shared;
  }

  usageMeter(name?: string): UsageMeterClient {
    const { shared, usageMeters } = this.current();
    const connection = usageMeters.connection(name);
    return this.client(`usage-meter:${connection.name}`, () => new UsageMeterClient(connection, limitsOf(shared)));
  }

  usageMeterNames(): string[] {
    return this.current().usageMeters.names();
  }

  vca(name?: string): VcaClient {
    const { shared, vcaAccounts } = this.current();
    const connection = vcaAccounts.connection(name);
    return this.client(`vca:${connection.name}`, () => new VcaClient(connection, limitsOf(shared)));
  }

  commerce(): CommerceClient {
    const { shared, commerce } = this.current();
    const connection = commerce.connection();
    return this.client("commerce", () => new CommerceClient(connection, limitsOf(shared)));
  }

  usageInsight(): UsageInsightClient {
    const { shared, usageInsight } = this.current();
    return this.client("usage-insight", () => new UsageInsightClient(usageInsight, limitsOf(shared)));
  }

  vcaAccountNames(): string[] {
    return this.current().vcaAccounts.names();
  }

  commerceSettings(): CommerceSettings {
    return this.current().commerce;
  }

  private client<T>(key: string, build: () => T): T {
    if (!this.clients.has(key)) this.clients.set(key, build());
    return this.clients.get(key) as T;
  }

  private current(): Configured {
    if (!this.configured)
      throw new ConfigError(
        "the provider was not configured: this needs @pulumi/pulumi 3.139 or later, which calls configure with the stack's config",
      );
    return this.configured;
  }
}

/**
 * Every configure (each run of the provider, each program using functions) says when certificates
 * go unverified, even in a preview that calls no service: a switch set for a test appliance must
 * not go unnoticed once the stack points at production.
 */
function warnIfInsecure({ shared, usageMeters, vcaAccounts }: Configured): void {
  // Named connections inherit the shared switch; without it, each may set its own.
  const ownSwitches = (key: string, settings: { names(): string[]; connection(name: string): { tls: TlsSettings } }) =>
    settings
      .names()
      .slice(1) // the default connection, which has only the shared switch
      .filter((name) => settings.connection(name).tls.insecureSkipTlsVerify === true)
      .map((name) => `vcpp:${key}.${name}.insecureSkipTlsVerify`);
  const switches =
    shared.tls.insecureSkipTlsVerify === true
      ? ["vcpp:insecureSkipTlsVerify"]
      : [...ownSwitches("usageMeters", usageMeters), ...ownSwitches("vcaAccounts", vcaAccounts)];
  if (switches.length)
    log.warn(
      `TLS certificate verification is switched off (${switches.join(", ")}): any server can pose as the service. ` +
        "Trust its CA with vcpp:caCertificates instead where you can.",
    );
}

/** What every client is built with: requests in flight per host, and the timeout of one request. */
function limitsOf(shared: SharedSettings) {
  return { maxConcurrency: shared.maxConcurrentRequests, timeoutMs: shared.requestTimeoutMs };
}
