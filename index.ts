export { MeteredProduct, MeteredProductArgs, MeteredProductOutputs } from "./resources/metered-product";
export { ConfirmedOutput, ProxyConfig, ProxyConfigArgs, ProxyConfigOutputs } from "./resources/proxy-config";
export { PRODUCT_TYPES, ProductType } from "./provider/usage-meter/product-types";
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
  OrderFeedEntry,
  OrderFeedOutputArgs,
  ProductVariation,
  ServiceInstance,
  ServiceInstanceArgs,
  ServiceInstanceOutputArgs,
  ServiceInstanceSummary,
} from "./functions/commerce";
export { PO_TYPES, PoType } from "./provider/commerce/po-types";
