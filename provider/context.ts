/**
 * What a resource provider needs from its process: the settings from `configure`, and clients
 * built from them. One context per provider process, shared by every resource kind.
 */
import { ConfigError } from "./errors";
import { ConfigSource, loadSettings, Settings } from "./settings";
import { UsageMeterClient } from "./usage-meter";

export interface ProviderContext {
  settings(): Settings;
  /** The client of the appliance a resource names (undefined: the `vcpp:usageMeter*` keys). */
  usageMeter(name?: string): UsageMeterClient;
}

export class ProcessContext implements ProviderContext {
  private current?: Settings;
  private readonly clients = new Map<string, UsageMeterClient>();

  configure(get: ConfigSource): void {
    this.current = loadSettings(get);
    this.clients.clear();
  }

  settings(): Settings {
    if (!this.current) throw new ConfigError("the provider was not configured: this needs @pulumi/pulumi 3.139 or later, which calls configure with the stack's config");
    return this.current;
  }

  usageMeter(name?: string): UsageMeterClient {
    const settings = this.settings();
    const connection = settings.usageMeter(name);
    let client = this.clients.get(connection.name);
    if (!client) {
      client = new UsageMeterClient(connection, { maxConcurrency: settings.maxConcurrentRequests, timeoutMs: settings.requestTimeoutMs });
      this.clients.set(connection.name, client);
    }
    return client;
  }
}
