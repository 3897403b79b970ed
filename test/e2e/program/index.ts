// The end-to-end suite's program: each test declares the resources it needs in stack config,
// so one program serves every scenario and each `pulumi up` step is a config change.
import * as pulumi from "@pulumi/pulumi";
import { getVcaPlansOutput, getVcaServicesOutput, VcaUser, VcaUserArgs } from "pulumi-vcpp";
import { getVcaVcloudSessionOutput } from "pulumi-vcpp";
import { UsageMeterRegistration, UsageMeterRegistrationArgs } from "pulumi-vcpp";
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
  products?: Record<
    string,
    Omit<MeteredProductArgs, "password" | "tkgmToken"> & { password: string; tkgmToken?: string }
  >;
  vcaUsers?: Record<string, VcaUserArgs>;
  /** Existing users read with `VcaUser.get`, by id. */
  vcaUserLookups?: Record<string, { id: string; vcaAccount?: string }>;
  /** Run the functions: plans of the default (5.7) account, services of the named (5.6) account. */
  vcaFunctions?: { servicesAccount: string };
  registrations?: Record<string, UsageMeterRegistrationArgs>;
  orders?: Record<string, VcppOrderArgs>;
  /** 5.6: open a vCloud session for one VDC and export it (a secret output: its token is a credential). */
  vcloudSession?: { vcaAccount: string; serviceId: string; vdcName: string };
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
    new MeteredProduct(
      name,
      {
        ...args,
        password: secretNamed(args.password),
        tkgmToken: args.tkgmToken === undefined ? undefined : secretNamed(args.tkgmToken),
      },
      { dependsOn: proxies },
    ),
  ]),
);

export const productIds = Object.fromEntries(Object.entries(products).map(([name, p]) => [name, p.productId]));
export const metered = Object.fromEntries(Object.entries(products).map(([name, p]) => [name, p.metered]));

const vcaUsers = Object.fromEntries(
  Object.entries(declared.vcaUsers ?? {}).map(([name, args]) => [name, new VcaUser(name, args)]),
);
export const vcaUserIds = Object.fromEntries(Object.entries(vcaUsers).map(([name, u]) => [name, u.userId]));
export const vcaLookedUp = Object.fromEntries(
  Object.entries(declared.vcaUserLookups ?? {}).map(([name, { id, vcaAccount }]) => [
    name,
    VcaUser.get(name, id, { vcaAccount }).email,
  ]),
);
const functions = declared.vcaFunctions;
export const vcaPlanNames = functions && getVcaPlansOutput().plans.apply((plans) => plans.map((p) => p.name));
export const vcaServiceIds =
  functions &&
  getVcaServicesOutput({ vcaAccount: functions.servicesAccount }).services.apply((s) => s.map((x) => x.serviceId));
const registrations = Object.fromEntries(
  Object.entries(declared.registrations ?? {}).map(([name, args]) => [name, new UsageMeterRegistration(name, args)]),
);
export const registrationStates = Object.fromEntries(
  Object.entries(registrations).map(([name, r]) => [name, r.registrationState]),
);
export const registrationLabels = Object.fromEntries(Object.entries(registrations).map(([name, r]) => [name, r.label]));
const orders = Object.fromEntries(
  Object.entries(declared.orders ?? {}).map(([name, args]) => [name, new VcppOrder(name, args)]),
);
export const fulfillmentStatuses = Object.fromEntries(
  Object.entries(orders).map(([name, o]) => [name, o.fulfillmentStatus]),
);
export const requestIds = Object.fromEntries(Object.entries(orders).map(([name, o]) => [name, o.requestId]));
export const vcloudSession = declared.vcloudSession && getVcaVcloudSessionOutput(declared.vcloudSession);
