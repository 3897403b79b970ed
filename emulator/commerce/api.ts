/**
 * The VMware Cloud Provider Program commerce API (seed 003, api-reference section 4), under
 * `/vcpp-commerce`, at paths that mirror production's: the token endpoint at
 * `/vcpp-commerce/v1/m0/api/token/oauth` and the API at `/vcpp-commerce/v1/m3/api/vcpp`.
 */
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";
import { Contract, EmulatedServiceInstance } from "./catalogue";
import { orderFeed } from "./feed";
import { answer, dates, failure, orderAccepted } from "./formats";
import { OrderRejection, parseOrderBody, validateOrder } from "./order";
import {
  addonsOf,
  CommerceState,
  findContract,
  findServiceInstance,
  fulfilDue,
  issueToken,
  recordOrder,
  tokenIsLive,
} from "./state";

export const COMMERCE_PREFIX = "/vcpp-commerce";
export const TOKEN_PATH = `${COMMERCE_PREFIX}/v1/m0/api/token/oauth`;
export const API_BASE = `${COMMERCE_PREFIX}/v1/m3/api/vcpp`;

type Handler = (request: EmulatorRequest) => EmulatorResponse;

export function commerceRoutes(state: CommerceState): Route[] {
  const api = (method: string, path: string, handle: Handler, rawBody = false): Route => ({
    service: "commerce",
    method,
    pattern: new RegExp(`^${API_BASE}${path}/?$`),
    rawBody,
    handle: (request) => {
      const refused = unauthorized(state, request);
      if (refused) return refused;
      fulfilDue(state);
      return handle(request);
    },
  });
  return [
    {
      service: "commerce",
      method: "POST",
      pattern: new RegExp(`^${TOKEN_PATH}/?$`),
      handle: (request) => token(state, request),
    },
    api("GET", "/commit-contracts", (r) => answer(r, "CommitContracts", { contractList: contracts(state) })),
    api("GET", "/commit-contracts/(?<contract>[^/]+)", (r) =>
      withContract(state, r, ({ contract }) => answer(r, "CommitContracts", { contractList: [contract] })),
    ),
    api("GET", "/commit-contracts/(?<contract>[^/]+)/users", (r) =>
      withContract(state, r, ({ contract, users }) =>
        answer(r, "CommitContractUsers", { contractNumber: contract.contractNumber, userList: { userList: users } }),
      ),
    ),
    api("GET", "/commit-contracts/(?<contract>[^/]+)/subscription-products/core-coreless", (r) =>
      withContract(state, r, ({ products }) =>
        answer(r, "SubscriptionProducts", {
          coreProduct: products.map((p) => ({
            productFamilyDesc: p.productFamilyDesc,
            productFamilyCode: p.productFamilyCode,
            baseSKU: p.baseSKU,
            baseSKUDesc: p.baseSKUDesc,
            baseSKULongDesc: p.baseSKULongDesc,
            coreVariations: {
              coreVariation: p.skus.map((sku) => ({
                regionDesc: p.regionDesc,
                regionCode: p.regionCode,
                tenantTypeDesc: p.tenantTypeDesc,
                tenantTypeCode: p.tenantTypeCode,
                serviceTypeDesc: p.serviceTypeDesc,
                serviceTypeCode: p.serviceTypeCode,
                crossRefSKU: sku.crossRefSKU,
                crossRefSKUDesc: sku.crossRefSKUDesc,
                pricingTermDuration: String(sku.termMonths),
                pricingTermUnit: "MTH",
                paymentTypeCode: "Monthly",
                effectiveDate: "2015-07-21T00:00:00-07:00",
                commitmentTermDuration: String(sku.termMonths),
                commitmentTermUnit: "MTH",
                price: sku.price,
                priceType: "MSRP",
                currencyCode: "USD",
              })),
            },
          })),
        }),
      ),
    ),
    api("GET", "/commit-contracts/(?<contract>[^/]+)/service-instances", (r) =>
      withContract(state, r, ({ contract }) =>
        answer(r, "CommitServices", {
          contractNumber: contract.contractNumber,
          serviceList: {
            commitServicesVOList: state.serviceInstances
              .filter((s) => s.contractNumber === contract.contractNumber)
              .map((s) => ({
                serviceInstanceID: s.serviceInstanceID,
                status: s.status,
                productFamilyCode: s.productFamilyCode,
                endDate: dates.list(s.endDate),
                endUserName: s.endUserName,
                country: s.country,
                postalCode: s.postalCode,
                serviceInstanceURL: `https://${r.headers.host}${API_BASE}/service-instances/${s.serviceInstanceID}`,
              })),
          },
        }),
      ),
    ),
    api("GET", "/service-instances/(?<instance>[^/]+)", (r) => {
      const instance = findServiceInstance(state, r.params.instance);
      if (!instance) return failure(r, 404, `service instance ${r.params.instance} not found`);
      return answer(r, "ServiceInstanceDetails", serviceInstanceDetails(state, instance));
    }),
    api("GET", "/subscription-products/addon", (r) => {
      const id = r.query.get("serviceInstanceId");
      if (!id) return failure(r, 400, "the query parameter serviceInstanceId is required");
      const instance = findServiceInstance(state, id);
      if (!instance) return failure(r, 404, `service instance ${id} not found`);
      return answer(r, "AddOnProducts", {
        addOnProduct: addonsOf(instance.productFamilyCode).map((p) => ({
          baseSKU: p.baseSKU,
          baseSKUDesc: p.baseSKUDesc,
          baseSKULongDesc: p.baseSKULongDesc,
          tenantTypeCode: p.tenantTypeCode,
          tenantTypeDesc: p.tenantTypeDesc,
          serviceTypeCode: p.serviceTypeCode,
          serviceTypeDesc: p.serviceTypeDesc,
          regionCode: p.regionCode,
          regionDesc: p.regionDesc,
          serviceIdentifier: null,
          addOnProductVariations: {
            addOnProductVariation: p.skus.map((sku) => ({
              crossRefSKU: sku.crossRefSKU,
              crossRefSKUDesc: sku.crossRefSKUDesc,
              priceType: "MSRP",
              currencyCode: "A-USD",
              fromUnit: "1",
              toUnit: "999999999999999",
              price: sku.price,
              commitmentTermDuration: String(sku.termMonths),
              commitmentTermUnit: "MTH",
              prepaid: "No",
              pricingTermDuration: String(sku.termMonths),
              pricingTermUnit: "MTH",
              effectiveDate: "2015-07-21T00:00:00-07:00",
              expirationDate: null,
              skuType: "ONETIME",
              paymentTypeCode: "Monthly",
              provisionRequired: "SEPARATE",
              subTenantType: null,
            })),
          },
        })),
      });
    }),
    api("GET", "/orderfeed", (r) => orderFeed(state, r)),
    api("POST", "/order", (r) => placeOrder(state, r), true),
  ];
}

/** `POST <token URL>` with HTTP Basic client credentials (seed 3). */
function token(state: CommerceState, request: EmulatorRequest): EmulatorResponse {
  state.tokenRequests++;
  const match = /^basic\s+(\S+)$/i.exec(String(request.headers.authorization ?? ""));
  const decoded = match ? Buffer.from(match[1], "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const [id, secret] = colon < 0 ? ["", ""] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  // The seed sends no body; a client following RFC 6749 (4.4.2) sends grant_type=client_credentials.
  const grantType = (request.body as Record<string, unknown> | undefined)?.grant_type;
  if (grantType !== undefined && grantType !== "client_credentials")
    return {
      status: 400,
      body: { error: "unsupported_grant_type", error_description: `grant_type ${String(grantType)} is not supported` },
    };
  if (!match || id !== state.clientId || secret !== state.clientSecret)
    return {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="vcpp"' },
      body: {
        error: "invalid_client",
        error_description: match
          ? "client authentication failed: unknown client id or wrong client secret"
          : "client authentication failed: send authorization: Basic base64(clientId:clientSecret)",
      },
    };
  return {
    status: 200,
    body: { access_token: issueToken(state), token_type: "bearer", expires_in: Math.round(state.tokenTtlMs / 1000) },
  };
}

/** A 401 unless the request carries a live bearer token (seed 2.4). */
function unauthorized(state: CommerceState, request: EmulatorRequest): EmulatorResponse | undefined {
  const match = /^bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ""));
  if (!match) return failure(request, 401, "authorization: bearer <access_token> is required", isOrder(request));
  if (!tokenIsLive(state, match[1]))
    return failure(request, 401, "the bearer token is unknown or has expired", isOrder(request));
  return undefined;
}

const isOrder = (request: EmulatorRequest) => request.method === "POST";

function placeOrder(state: CommerceState, request: EmulatorRequest): EmulatorResponse {
  const format = String(request.headers["content-type"] ?? "").includes("xml") ? "xml" : "json";
  try {
    const valid = validateOrder(state, parseOrderBody(String(request.body ?? ""), format));
    return orderAccepted(request, recordOrder(state, valid, format).requestId);
  } catch (error) {
    if (error instanceof OrderRejection) return failure(request, 400, error.message, true);
    throw error;
  }
}

function contracts(state: CommerceState): Contract[] {
  return state.contracts.map((c) => c.contract);
}

function withContract(
  state: CommerceState,
  request: EmulatorRequest,
  handle: (found: NonNullable<ReturnType<typeof findContract>>) => EmulatorResponse,
): EmulatorResponse {
  const found = findContract(state, request.params.contract);
  return found ? handle(found) : failure(request, 404, `commit contract ${request.params.contract} not found`);
}

/** `GET /service-instances/{id}` (seed 4.6): its header, components, usage and contract. */
function serviceInstanceDetails(state: CommerceState, s: EmulatedServiceInstance): Record<string, unknown> {
  const product = s.product;
  const contract = findContract(state, s.contractNumber)!.contract;
  const remainingDays = Math.round((Date.parse(`${s.endDate}T00:00:00Z`) - Date.now()) / 86_400_000);
  return {
    headerDetailsVO: {
      serviceInstanceID: s.serviceInstanceID,
      serviceInstanceName: s.serviceInstanceID,
      status: s.status,
      accountNumber: contract.accountNumber,
      accountName: contract.accountName,
      productFamilyCode: s.productFamilyCode,
      productFamilyDesc: product.productFamilyDesc,
      regionCode: product.regionCode,
      regionDesc: product.regionDesc,
      serviceTypeCode: product.serviceTypeCode,
      tenantTypeDesc: product.tenantTypeDesc,
      tenantTypeCode: product.tenantTypeCode,
      serviceStartDate: dates.header(s.startDate),
      termStartDate: dates.header(s.startDate),
      termEndDate: dates.header(s.endDate),
      remainingTerm: String(remainingDays),
      resellerName: contract.spName,
      resellerPRMID: contract.spPRMID,
      renewalType: "",
      supportLevelCode: "",
      supportLevelDesc: "",
      serviceOwnerName: " ",
      serviceOwnerCN: "",
      serviceOwnerEmail: "",
      thresholdLimit1: "",
      thresholdLimit2: "",
      businessModel: "TERM COMMITMENT",
      instanceModel: "Term Commitment",
      anniversaryBillingDate: Date.parse(`${s.startDate}T08:00:00Z`),
      commit_Id: contract.commitID,
      pricing_term: "1",
      commitment_Term: contract.contractTerm,
      prepaidFlag: "No",
      paymentMethod: "VSPP",
      serviceTypeDesc: product.serviceTypeDesc,
      monthlyCost: "Pending Invoice",
    },
    componentList: {
      componentList: s.components.map((c) => ({ ...c, startDate: dates.iso(c.startDate) })),
    },
    usageDataVO: { abdStartDate: null, abdEndDate: null, usageItemList: null },
    commitDetailsVO: {
      aggregatorName: contract.aggregatorName,
      aggregatorPRMID: contract.aggregatorPRMID,
      contractNumber: contract.contractNumber,
      contractName: contract.contractName,
    },
  };
}
