// vCloud Air: one user of the OnDemand (5.7) account of the vcpp:vca* keys, with the account's plans,
// and the compute services of a 5.6 account named in vcpp:vcaAccounts. No password is declared: the
// user gets a link to set one by mail, once, when the user is added.
import * as pulumi from "@pulumi/pulumi";
import { getVcaPlansOutput, getVcaServicesOutput, VcaUser } from "pulumi-vcpp";

const config = new pulumi.Config();
const userName = config.require("userName");

const user = new VcaUser("jane", {
  userName,
  email: userName,
  givenName: "Jane",
  familyName: "Doe",
  roles: ["Virtual Infrastructure Administrator"],
  sendPasswordReset: true,
});

export const userId = user.userId;
export const roles = user.roles;
export const plans = getVcaPlansOutput().plans.apply((all) => all.map((p) => `${p.name} (${p.region})`));
export const services = getVcaServicesOutput({ vcaAccount: config.require("servicesAccount") }).services.apply((all) =>
  all.map((s) => ({ serviceId: s.serviceId, serviceType: s.serviceType, vdcs: s.vdcs.map((v) => v.name) })),
);
