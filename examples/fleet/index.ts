// One site of the fleet: its Usage Meter's network connection, the products it meters and its
// registration with a contract. fleet.ts runs one stack of this program per site of the inventory
// and writes its config: the appliance under vcpp:*, the site's declaration under vcpp-fleet:site,
// and its passwords under vcpp-fleet:passwords (a secret).
import * as pulumi from "@pulumi/pulumi";
import { MeteredProduct, ProxyConfig, UsageMeterRegistration } from "pulumi-vcpp";
import type { SiteDeclaration } from "./inventory";

const config = new pulumi.Config();
const site = config.requireObject<SiteDeclaration>("site");
const passwords = config.requireSecretObject<{ proxy?: string; products: Record<string, string> }>("passwords");

const network = new ProxyConfig("network", {
  ...site.proxy,
  password: site.proxy.type !== "none" && site.proxy.user ? passwords.apply((p) => p.proxy ?? "") : undefined,
});

const products = site.products.map(
  ({ name, ...product }) =>
    new MeteredProduct(
      name,
      { ...product, password: passwords.apply((p) => p.products[name]) },
      { dependsOn: network },
    ),
);

const registration =
  site.registration && new UsageMeterRegistration("registration", { usageMeter: "default", ...site.registration });

export const proxyInUse = network.proxyInUse;
export const productIds = Object.fromEntries(site.products.map((p, i) => [p.name, products[i].productId]));
export const agentId = registration?.agentId;
export const registrationState = registration?.registrationState;
