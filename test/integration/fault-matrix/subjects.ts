/**
 * The resources of the fault matrix, each as the matrix needs it: a provider configured as
 * `configure` would set it up against an emulator, inputs to create and to update in place,
 * which request each operation's faults hit, and how to count what exists on the service.
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { EmulatorOptions, RunningEmulator } from "../../../emulator";
import { ClientRegistry } from "../../../provider/registry";
import { MeteredProductProvider } from "../../../resources/metered-product";
import { ProxyConfigProvider } from "../../../resources/proxy-config";
import { UsageMeterRegistrationProvider } from "../../../resources/usage-meter-registration";
import { VcaUserProvider } from "../../../resources/vca-user";
import { VcppOrderProvider } from "../../../resources/vcpp-order";
import {
  cloudConfig,
  commerceConfig,
  plainConfig,
  usageMeterConfig,
  vcaConfig,
} from "../../../scripts/emulator-config";

export const OPERATIONS = ["create", "read", "update", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The request of an operation that a fault hits. */
export interface Target {
  method: string;
  pathIncludes: string;
}

/** An operation whose faults cannot happen: why. */
export interface NotApplicable {
  notApplicable: string;
}

/** One provider process: its provider, and a call that logs in to each service it uses. */
export interface Run {
  provider: pulumi.dynamic.ResourceProvider;
  login(): Promise<unknown>;
}

export interface Subject {
  resource: string;
  /** The services its operations call, as errors name them (`ServiceError.service`). */
  services: string[];
  options?: EmulatorOptions;
  /** A new provider process (nothing cached), configured as `configure` would for this emulator. */
  open(emulator: RunningEmulator, dir: string): Run;
  inputs: Record<string, unknown>;
  /** Inputs that differ from `inputs` only in fields updated in place. */
  changed: Record<string, unknown>;
  targets: Record<Operation, Target | NotApplicable>;
  /** How many of what the resource creates exist on the service (a duplicate makes it 2). */
  count(emulator: RunningEmulator): number;
  /**
   * Whether a create that succeeded left the thing unconfirmed: sent, outcome unknown, never sent
   * again (VcppOrder's documented answer to a lost, failed or late order answer).
   */
  unconfirmed?(outs: Record<string, unknown>): boolean;
  /** Every session or token this resource's services issued expires now. */
  expireSessions(emulator: RunningEmulator): void;
}

/** Every cell's provider: requests time out after 2 s (a hang costs little), the rest as configured. */
const SHARED = { requestTimeoutSeconds: "2" };

function registry(config: Record<string, string>): ClientRegistry {
  const context = new ClientRegistry();
  const all: Record<string, string> = { ...SHARED, ...config };
  context.configure((key) => all[key]);
  return context;
}

const usageMeterRun = (provider: (r: ClientRegistry) => pulumi.dynamic.ResourceProvider) => (e: RunningEmulator) => {
  const context = registry(plainConfig(usageMeterConfig(e)));
  return { provider: provider(context), login: () => context.usageMeter().agentInfo() };
};

export const SUBJECTS: Subject[] = [
  {
    resource: "MeteredProduct",
    services: ["Usage Meter"],
    open: usageMeterRun((r) => new MeteredProductProvider(r)),
    inputs: { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" },
    changed: { productType: "VCAV", host: "vcda.example.com", user: "svc-meter", password: "new-secret" },
    targets: {
      create: { method: "POST", pathIncludes: "/api/v1/product" },
      read: { method: "GET", pathIncludes: "/api/v1/product" },
      update: { method: "PUT", pathIncludes: "/api/v1/product" },
      delete: { method: "DELETE", pathIncludes: "/api/v1/product" },
    },
    count: (e) => e.admin.products().length,
    expireSessions: (e) => e.admin.expireSessions(),
  },
  {
    resource: "ProxyConfig",
    services: ["Usage Meter"],
    open: usageMeterRun((r) => new ProxyConfigProvider(r)),
    inputs: { type: "http", host: "proxy.example.com", port: 3128 },
    changed: { type: "http", host: "proxy2.example.com", port: 8080 },
    targets: {
      create: { method: "PUT", pathIncludes: "/api/v1/test_proxy" },
      read: { method: "GET", pathIncludes: "/api/v1/http_proxy" },
      update: { method: "PUT", pathIncludes: "/api/v1/test_proxy" },
      delete: { method: "PUT", pathIncludes: "/api/v1/test_proxy" },
    },
    // One proxy setting per appliance: there is nothing to duplicate.
    count: (e) => (e.admin.appliance().proxy.type === "none" ? 0 : 1),
    expireSessions: (e) => e.admin.expireSessions(),
  },
  {
    resource: "UsageMeterRegistration",
    services: ["Usage Insight", "Usage metering agents", "Cloud Partner Navigator", "Usage Meter"],
    options: { usageInsight: { registrationDelayMs: 100 } },
    open: (e) => {
      const context = registry(plainConfig({ ...usageMeterConfig(e), ...cloudConfig(e) }));
      return {
        provider: new UsageMeterRegistrationProvider(context),
        login: () =>
          Promise.all([context.usageMeter().agentInfo(), context.usageInsight().agent(e.usageMeters.default.uuid)]),
      };
    },
    inputs: {
      usageMeter: "default",
      contractNumber: "12345678",
      label: "um-lyon",
      meteringMode: "TEST",
      withdrawOnDelete: true,
    },
    changed: {
      usageMeter: "default",
      contractNumber: "12345678",
      label: "um-paris",
      meteringMode: "TEST",
      withdrawOnDelete: true,
    },
    targets: {
      create: { method: "POST", pathIncludes: "/agent-registrations" },
      read: { method: "GET", pathIncludes: "/agent-registrations/" },
      update: { method: "PATCH", pathIncludes: "/usage-metering-agents/" },
      delete: { method: "DELETE", pathIncludes: "/usage-metering-agents/" },
    },
    count: (e) => e.admin.registrations().filter((r) => !r.deleted).length,
    expireSessions: (e) => {
      e.admin.expireAccessTokens();
      e.admin.expireSessions();
    },
  },
  {
    resource: "VcppOrder",
    services: ["VCPP commerce", "VCPP commerce token"],
    options: { commerce: { fulfilmentDelayMs: 60_000 } },
    open: (e, dir) => {
      const context = registry({
        ...plainConfig(commerceConfig(e, join(dir, "orders.jsonl"))),
        caCertificates: e.caPem,
      });
      return { provider: new VcppOrderProvider(context), login: () => context.commerce().commitContracts() };
    },
    inputs: {
      contractNumber: "12611521",
      poType: "NEW_SERVICE_REQUEST",
      lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
      orderKey: "matrix",
    },
    changed: {
      contractNumber: "12611521",
      poType: "NEW_SERVICE_REQUEST",
      lineItems: [{ partNumber: "HCX-ALLCR-03PT0-C1S", quantity: 1 }],
      orderKey: "matrix",
      payloadFormat: "xml",
    },
    targets: {
      create: { method: "POST", pathIncludes: "/api/vcpp/order" },
      read: { method: "GET", pathIncludes: "/orderfeed" },
      update: {
        notApplicable:
          "every change of an order's content replaces it; an in-place update only changes local settings (payloadFormat, waitForFulfillment) and sends nothing",
      },
      delete: {
        notApplicable:
          "an order cannot be withdrawn through the API: delete only releases it from the stack and sends nothing",
      },
    },
    count: (e) => e.admin.commerceOrderCount(),
    unconfirmed: (outs) => outs.fulfillmentStatus === "unconfirmed",
    expireSessions: (e) => e.admin.expireCommerceTokens(),
  },
  {
    resource: "VcaUser",
    services: ["vCloud Air"],
    open: (e) => {
      const context = registry({ ...plainConfig(vcaConfig(e)), caCertificates: e.caPem });
      return { provider: new VcaUserProvider(context), login: () => context.vca().users() };
    },
    inputs: {
      userName: "jane.doe@example.com",
      email: "jane.doe@example.com",
      givenName: "Jane",
      familyName: "Doe",
      roles: ["Virtual Infrastructure Administrator"],
    },
    changed: {
      userName: "jane.doe@example.com",
      email: "jane@elsewhere.example",
      givenName: "Jane",
      familyName: "Doe",
      roles: ["End User"],
    },
    targets: {
      create: { method: "POST", pathIncludes: "/api/iam/Users" },
      read: { method: "GET", pathIncludes: "/api/iam/Users" },
      update: { method: "PUT", pathIncludes: "/api/iam/Users" },
      delete: { method: "DELETE", pathIncludes: "/api/iam/Users" },
    },
    count: (e) => e.admin.vcaUsers().filter((u) => u.userName === "jane.doe@example.com").length,
    expireSessions: (e) => e.admin.vcaExpireSessions(),
  },
];
