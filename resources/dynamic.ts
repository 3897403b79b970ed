/**
 * What the serialized shims load at call time (`pulumi-vcpp/dynamic`): one provider per resource
 * kind, sharing one context, hence one set of settings, sessions and tokens, per process.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ClientRegistry } from "../provider/registry";
import { ResourceError } from "../provider/errors";
import { MeteredProductProvider } from "./metered-product";
import { ProxyConfigProvider } from "./proxy-config";
import type { ProviderKind } from "./shim";

const context = new ClientRegistry();

const providers: Record<ProviderKind, pulumi.dynamic.ResourceProvider> = {
  MeteredProduct: new MeteredProductProvider(context),
  ProxyConfig: new ProxyConfigProvider(context),
};

export function provider(kind: ProviderKind): pulumi.dynamic.ResourceProvider & { configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> } {
  const implementation = providers[kind];
  if (!implementation) {
    const message = `pulumi-vcpp has no provider for ${kind}: the state was written by another version of the package`;
    throw new ResourceError({ resource: kind, code: "UNKNOWN_RESOURCE_KIND", message });
  }
  return Object.assign(Object.create(implementation), {
    /** The engine sends the whole stack config, decrypted; only `vcpp:*` keys are read. */
    async configure(req: pulumi.dynamic.ConfigureRequest) {
      context.configure((key) => req.config.get(`vcpp:${key}`));
    },
  });
}
