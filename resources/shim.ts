import * as pulumi from "@pulumi/pulumi";

/** The resource kinds whose providers `pulumi-vcpp/dynamic` serves. */
export type ProviderKind = "ProxyConfig" | "MeteredProduct" | "UsageMeterRegistration" | "VcaUser" | "VcppOrder";

/**
 * The provider that Pulumi serializes into state: a few lines that load the installed package's
 * implementation at call time. It captures nothing but the kind's name, so state holds no
 * credential and no inlined code, does not change when the package is upgraded (refresh and
 * destroy run the installed code, not a stale copy), and every resource in the provider process
 * shares the same module, hence the same sessions and tokens. The package is resolved from the
 * Pulumi project directory, where the plugin runs: from its node_modules, or by the package's
 * own name when the project is this package.
 */
export function shimFor(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  const implementation = (): pulumi.dynamic.ResourceProvider & {
    configure(req: pulumi.dynamic.ConfigureRequest): Promise<void>;
  } => {
    const { createRequire } = require("node:module");
    const { join } = require("node:path");
    return createRequire(join(process.cwd(), "index.js"))("pulumi-vcpp/dynamic").provider(kind);
  };
  return {
    configure: (req) => implementation().configure(req),
    check: (olds, news) => implementation().check!(olds, news),
    diff: (id, olds, news) => implementation().diff!(id, olds, news),
    create: (inputs) => implementation().create(inputs),
    read: (id, props) => implementation().read!(id, props),
    update: (id, olds, news) => implementation().update!(id, olds, news),
    delete: (id, props) => implementation().delete!(id, props),
  };
}
