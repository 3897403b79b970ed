/**
 * Read-only functions of the VMware Cloud Provider Program commerce API, for use in a Pulumi
 * program: each as a Promise (`getX`) and as an Output that accepts Inputs (`getXOutput`). They
 * run in the program's process with the `vcpp:commerce*` stack config (see program-clients.ts).
 * Answers are validated; the API's doubled list wrappers (`userList.userList`) are unwrapped.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ORDER_FEED_FORMATS } from "../provider/commerce/settings";
import { OrderFeedEntry } from "../provider/commerce/types";
import { outputOf, parseArgs, programClients } from "./program-clients";

/** A commit contract (`GET /commit-contracts`); every value as the API sends it, as text. */
export interface CommitContract {
  contractNumber: string;
  accountName?: string;
  accountNumber?: string;
  commitID?: string;
  contractName?: string;
  aggregatorName?: string;
  currencyCode?: string;
  contractTerm?: string;
  startDate?: string;
  endDate?: string;
  thresholdLimit?: string;
  commitLevel?: string;
  /** The service provider's PRMID: a VcppOrder's default `resellerId`. */
  spPRMID?: string;
  spName?: string;
  spFname?: string;
  spLname?: string;
  emailId?: string;
  commitSKU?: string;
  currentConsumption?: string;
  contractBalance?: string;
  aggregatorPRMID?: string;
  /** Fields this package does not name are kept. */
  [field: string]: unknown;
}

/** A user of a contract; the admin user is a VcppOrder's default contact. */
export interface ContractUser {
  isAdmin: boolean;
  customerNumber?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  [field: string]: unknown;
}

/** One orderable variation of a product: its `crossRefSKU` is an order line's `partNumber`. */
export interface ProductVariation {
  crossRefSKU: string;
  crossRefSKUDesc?: string;
  price?: string;
  currencyCode?: string;
  [field: string]: unknown;
}

/** A core or coreless product the contract may order, with its variations (`coreVariations.coreVariation`, unwrapped). */
export interface EligibleProduct {
  productFamilyCode?: string;
  productFamilyDesc?: string;
  baseSKU?: string;
  baseSKUDesc?: string;
  coreVariations: ProductVariation[];
  [field: string]: unknown;
}

/** An add-on the service instance may order (`addOnProductVariations.addOnProductVariation`, unwrapped). */
export interface AddonProduct {
  baseSKU?: string;
  baseSKUDesc?: string;
  addOnProductVariations: ProductVariation[];
  [field: string]: unknown;
}

/** A service instance of a contract, as the contract's list shows it. */
export interface ServiceInstanceSummary {
  serviceInstanceID: string;
  status?: string;
  productFamilyCode?: string;
  endDate?: string;
  [field: string]: unknown;
}

/** A service instance in detail (`GET /service-instances/{id}`), its components unwrapped. */
export interface ServiceInstance {
  headerDetailsVO?: { serviceInstanceID?: string; status?: string; [field: string]: unknown };
  componentList: {
    crossRefSKU?: string;
    quantity?: string;
    status?: string;
    orderNumber?: string;
    [field: string]: unknown;
  }[];
  commitDetailsVO?: { contractNumber?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ContractArgs {
  contractNumber: string;
}
export interface ContractOutputArgs {
  contractNumber: pulumi.Input<string>;
}
export interface ServiceInstanceArgs {
  serviceInstanceId: string;
}
export interface ServiceInstanceOutputArgs {
  serviceInstanceId: pulumi.Input<string>;
}
export interface OrderFeedArgs {
  /** Entries modified since then (an ISO 8601 date); the service's default window is the last 7 days. */
  since?: string;
  /** Only the entries of this order request. */
  requestId?: string;
  /** Ask for the documented Atom form or for JSON; default `vcpp:commerceOrderFeedFormat` (atom). */
  format?: "atom" | "json";
}
export interface OrderFeedOutputArgs {
  since?: pulumi.Input<string>;
  requestId?: pulumi.Input<string>;
  format?: pulumi.Input<"atom" | "json">;
}

const identifier = (name: string) =>
  z
    .string(`must be a string (the ${name})`)
    .trim()
    .min(1, "must not be empty")
    .regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, '.', '_' or '-'");
const strict = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown argument ${issue.keys.join(", ")}: expected ${Object.keys(shape).join(", ") || "none"}`
        : "must be an object",
  });
const noArgs = strict({});
const contractArgs = strict({ contractNumber: identifier("contract number") });
const instanceArgs = strict({ serviceInstanceId: identifier("service instance id") });
const feedArgs = strict({
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), "must be a date, e.g. 2026-11-01T00:00:00Z")
    .optional(),
  requestId: identifier("request id").optional(),
  format: z.enum(ORDER_FEED_FORMATS, "must be atom or json").optional(),
});

const commerce = () => programClients().commerce();

/** Every commit contract of the client's partner (`GET /commit-contracts`). */
export async function getCommitContracts(): Promise<CommitContract[]> {
  parseArgs("getCommitContracts", noArgs, {});
  return commerce().commitContracts();
}

/** {@link getCommitContracts} as an Output. */
export function getCommitContractsOutput(): pulumi.Output<CommitContract[]> {
  return outputOf({}, getCommitContracts);
}

/** One commit contract; fails (HTTP_ERROR 404) when the service does not know it. */
export async function getCommitContract(args: ContractArgs): Promise<CommitContract> {
  const { contractNumber } = parseArgs("getCommitContract", contractArgs, args);
  return commerce().requireCommitContract(contractNumber);
}

/** {@link getCommitContract} for Inputs. */
export function getCommitContractOutput(args: ContractOutputArgs): pulumi.Output<CommitContract> {
  return outputOf(args, getCommitContract);
}

/** The users of a contract (`userList.userList`, unwrapped). */
export async function getContractUsers(args: ContractArgs): Promise<ContractUser[]> {
  const { contractNumber } = parseArgs("getContractUsers", contractArgs, args);
  return commerce().contractUsers(contractNumber);
}

/** {@link getContractUsers} for Inputs. */
export function getContractUsersOutput(args: ContractOutputArgs): pulumi.Output<ContractUser[]> {
  return outputOf(args, getContractUsers);
}

/** The core and coreless products the contract may order (`…/subscription-products/core-coreless`). */
export async function getEligibleProducts(args: ContractArgs): Promise<EligibleProduct[]> {
  const { contractNumber } = parseArgs("getEligibleProducts", contractArgs, args);
  return commerce().eligibleProducts(contractNumber);
}

/** {@link getEligibleProducts} for Inputs. */
export function getEligibleProductsOutput(args: ContractOutputArgs): pulumi.Output<EligibleProduct[]> {
  return outputOf(args, getEligibleProducts);
}

/** The service instances of a contract (`serviceList.commitServicesVOList`, unwrapped). */
export async function getServiceInstances(args: ContractArgs): Promise<ServiceInstanceSummary[]> {
  const { contractNumber } = parseArgs("getServiceInstances", contractArgs, args);
  return commerce().serviceInstances(contractNumber);
}

/** {@link getServiceInstances} for Inputs. */
export function getServiceInstancesOutput(args: ContractOutputArgs): pulumi.Output<ServiceInstanceSummary[]> {
  return outputOf(args, getServiceInstances);
}

/** One service instance in detail (`componentList.componentList`, unwrapped). */
export async function getServiceInstance(args: ServiceInstanceArgs): Promise<ServiceInstance> {
  const { serviceInstanceId } = parseArgs("getServiceInstance", instanceArgs, args);
  return commerce().serviceInstance(serviceInstanceId);
}

/** {@link getServiceInstance} for Inputs. */
export function getServiceInstanceOutput(args: ServiceInstanceOutputArgs): pulumi.Output<ServiceInstance> {
  return outputOf(args, getServiceInstance);
}

/** The add-ons a service instance may order (`/subscription-products/addon`). */
export async function getAddonProducts(args: ServiceInstanceArgs): Promise<AddonProduct[]> {
  const { serviceInstanceId } = parseArgs("getAddonProducts", instanceArgs, args);
  return commerce().addonProducts(serviceInstanceId);
}

/** {@link getAddonProducts} for Inputs. */
export function getAddonProductsOutput(args: ServiceInstanceOutputArgs): pulumi.Output<AddonProduct[]> {
  return outputOf(args, getAddonProducts);
}

/** The order feed: processed order lines (orders appear 2 to 48 hours after they were placed). */
export async function getOrderFeed(args: OrderFeedArgs = {}): Promise<OrderFeedEntry[]> {
  const { since, requestId, format } = parseArgs("getOrderFeed", feedArgs, args);
  return commerce().orderFeed({ since: since === undefined ? undefined : new Date(since), requestId, format });
}

/** {@link getOrderFeed} for Inputs. */
export function getOrderFeedOutput(args: OrderFeedOutputArgs = {}): pulumi.Output<OrderFeedEntry[]> {
  return outputOf(args, getOrderFeed);
}
