export { MeteredProduct, MeteredProductArgs, MeteredProductOutputs } from "./resources/metered-product";
export { ConfirmedOutput, ProxyConfig, ProxyConfigArgs, ProxyConfigOutputs } from "./resources/proxy-config";
export { PRODUCT_TYPES, ProductType } from "./provider/usage-meter/product-types";
export { VcaUser, VcaUserArgs, VcaUserOutputs } from "./resources/vca-user";
export { VCA_ROLES, VcaRole } from "./provider/vcloud-air/roles";
export {
  ConfigError,
  ErrorCode,
  InputError,
  InputIssue,
  ResourceError,
  ServiceError,
  VcppError,
} from "./provider/errors";
export {
  getPendingCertificates,
  getPendingCertificatesOutput,
  getUsageMeterInfo,
  getUsageMeterInfoOutput,
  PendingCertificate,
  PendingCertificates,
  UsageMeterFunctionArgs,
  UsageMeterFunctionOutputArgs,
  UsageMeterInfo,
} from "./functions/usage-meter";
export {
  getBilledUsage,
  getBilledUsageOutput,
  getUnbilledUsage,
  getUnbilledUsageOutput,
  getVcaInstances,
  getVcaInstancesOutput,
  getVcaPlans,
  getVcaPlansOutput,
  getVcaServices,
  getVcaServicesOutput,
  getVcaVcloudSession,
  getVcaVcloudSessionOutput,
  VcaCollectionArgs,
  VcaFunctionArgs,
  VcaInstances,
  VcaOutputArgs,
  VcaPlans,
  VcaServices,
  VcaUsage,
  VcaUsageArgs,
  VcaVcloudSession,
  VcaVcloudSessionArgs,
} from "./functions/vcloud-air";
export { BillableUsage, ComputeService, VcaInstance, VcaPlan, VirtualDataCentre } from "./provider/vcloud-air/types";
export {
  RegistrationState,
  UsageMeterRegistration,
  UsageMeterRegistrationArgs,
  UsageMeterRegistrationOutputs,
} from "./resources/usage-meter-registration";
export {
  AgentRegistration,
  GetAgentRegistrationArgs,
  GetUsageReportArgs,
  GetUsageReportsArgs,
  getAgentRegistration,
  getAgentRegistrationOutput,
  getUsageReport,
  getUsageReportOutput,
  getUsageReports,
  getUsageReportsOutput,
  UsageReport,
  UsageReportContent,
  UsageReports,
  UsageReportValue,
} from "./functions/usage-insight";
export { OrderContact, OrderLineItem, VcppOrder, VcppOrderArgs, VcppOrderOutputs } from "./resources/vcpp-order";
export {
  AddonProduct,
  CommitContract,
  ContractArgs,
  ContractOutputArgs,
  ContractUser,
  EligibleProduct,
  getAddonProducts,
  getAddonProductsOutput,
  getCommitContract,
  getCommitContractOutput,
  getCommitContracts,
  getCommitContractsOutput,
  getContractUsers,
  getContractUsersOutput,
  getEligibleProducts,
  getEligibleProductsOutput,
  getOrderFeed,
  getOrderFeedOutput,
  getServiceInstance,
  getServiceInstanceOutput,
  getServiceInstances,
  getServiceInstancesOutput,
  OrderFeedArgs,
  OrderFeedOutputArgs,
  ProductVariation,
  ServiceInstance,
  ServiceInstanceArgs,
  ServiceInstanceOutputArgs,
  ServiceInstanceSummary,
} from "./functions/commerce";
export { PO_TYPES, PoType } from "./provider/commerce/po-types";
export { OrderFeedEntry } from "./provider/commerce/types";
