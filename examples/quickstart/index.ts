// The quickstart: the appliance's network connection and two metered products.
// The appliance connection comes from vcpp:* stack config; the products' passwords from secrets.
import * as pulumi from "@pulumi/pulumi";
import { MeteredProduct, ProxyConfig } from "pulumi-vcpp";

const config = new pulumi.Config();

// A direct connection to the cloud, and the data usage terms accepted: the appliance reports nothing before.
const network = new ProxyConfig("network", { type: "none", acceptDataUsage: true });

// Cloud Director Availability registers with its root account; its certificate is accepted.
const vcda = new MeteredProduct(
  "cloud-director-availability",
  {
    productType: "VCAV",
    host: config.require("vcdaHost"),
    user: "root",
    password: config.requireSecret("vcdaPassword"),
  },
  { dependsOn: network },
);

const vcenter = new MeteredProduct(
  "vcenter",
  {
    productType: "vCenter",
    host: config.require("vcenterHost"),
    user: "administrator@vsphere.local",
    password: config.requireSecret("vcenterPassword"),
  },
  { dependsOn: network },
);

export const connection = network.type;
export const products = [vcda, vcenter].map((p) => ({
  productType: p.productType,
  host: p.host,
  productId: p.productId,
  metered: p.metered,
  status: p.status,
}));
