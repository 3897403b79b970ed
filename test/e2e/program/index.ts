// The end-to-end suite's program: each test declares the resources it needs in stack config,
// so one program serves every scenario and each `pulumi up` step is a config change.
import * as pulumi from "@pulumi/pulumi";
import {
  MeteredProduct,
  MeteredProductArgs,
  ProxyConfig,
  ProxyConfigArgs,
  VcppOrder,
  VcppOrderArgs,
} from "pulumi-vcpp";

/** The declared resources; passwords are looked up by name in the secret `passwords` map. */
interface Declared {
  proxies?: Record<string, Omit<ProxyConfigArgs, "password"> & { password?: string }>;
  products?: Record<string, Omit<MeteredProductArgs, "password"> & { password: string }>;
  orders?: Record<string, VcppOrderArgs>;
}

const config = new pulumi.Config();
const declared = config.requireObject<Declared>("resources");
const passwords =
  config.getSecretObject<Record<string, string>>("passwords") ?? pulumi.secret({} as Record<string, string>);
const secretNamed = (name: string) =>
  passwords.apply((all) => {
    if (all[name] === undefined) throw new Error(`no password named ${name} in the passwords config`);
    return all[name];
  });

const proxies = Object.entries(declared.proxies ?? {}).map(
  ([name, args]) =>
    new ProxyConfig(name, { ...args, password: args.password === undefined ? undefined : secretNamed(args.password) }),
);
const products = Object.fromEntries(
  Object.entries(declared.products ?? {}).map(([name, args]) => [
    name,
    new MeteredProduct(name, { ...args, password: secretNamed(args.password) }, { dependsOn: proxies }),
  ]),
);

export const productIds = Object.fromEntries(Object.entries(products).map(([name, p]) => [name, p.productId]));
export const metered = Object.fromEntries(Object.entries(products).map(([name, p]) => [name, p.metered]));

const orders = Object.fromEntries(
  Object.entries(declared.orders ?? {}).map(([name, args]) => [name, new VcppOrder(name, args)]),
);
export const fulfillmentStatuses = Object.fromEntries(
  Object.entries(orders).map(([name, o]) => [name, o.fulfillmentStatus]),
);
export const requestIds = Object.fromEntries(Object.entries(orders).map(([name, o]) => [name, o.requestId]));
