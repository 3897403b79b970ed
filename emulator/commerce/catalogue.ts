/**
 * What the commerce emulator starts with, from seed 003's examples: the partner "VMW Test Service
 * Provider" (spPRMID 1349347), its commit contracts, their users, the products each may order
 * (core-coreless list) and the add-ons of each product family, and the service instances the
 * seed's order samples name (M495240519, M495240516, M761739363).
 *
 * Contract 12611521 is the seed's own: every order sample but one orders HCX (core) or
 * Workspace ONE / AirWatch (coreless) against it, so it offers both. 12722872 is the contract of
 * the seed's on-demand sample (Horizon Cloud, core only). 12833914 is added so that eligibility
 * means something: coreless AirWatch only, with a different admin user.
 */

/** A commit contract as `GET /commit-contracts` lists it (every value a string, as in the seed). */
export type Contract = Record<string, string>;

export interface ContractUser {
  isAdmin: boolean;
  customerNumber: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** One orderable SKU (`crossRefSKU`) with the fields the seed's product lists show. */
export interface Sku {
  crossRefSKU: string;
  crossRefSKUDesc: string;
  /** Months a new order, an add-on or a renewal commits to (the seed's `commitmentTermDuration`). */
  termMonths: number;
  price: string;
}

/** A product family's base SKU and its variations (one `coreProduct` or `addOnProduct`). */
export interface Product {
  productFamilyCode: string;
  productFamilyDesc: string;
  baseSKU: string;
  baseSKUDesc: string;
  baseSKULongDesc: string;
  regionCode: string;
  regionDesc: string;
  tenantTypeCode: string;
  tenantTypeDesc: string;
  serviceTypeCode: string;
  serviceTypeDesc: string;
  skus: Sku[];
}

export interface Component {
  skuDesc: string;
  quantity: string;
  /** PRIMARY for the SKU the instance was created with, ADDON for an add-on. */
  skuType: string;
  orderNumber: string;
  status: string;
  /** A day, `YYYY-MM-DD`. */
  startDate: string;
  crossRefSKU: string;
}

export interface EmulatedServiceInstance {
  serviceInstanceID: string;
  contractNumber: string;
  status: string;
  productFamilyCode: string;
  /** The product the instance runs (its family, region, tenant and service type). */
  product: Product;
  /** Days, `YYYY-MM-DD`. */
  startDate: string;
  endDate: string;
  endUserName: string | null;
  country: string;
  postalCode: string;
  components: Component[];
}

export const PARTNER = {
  spPRMID: "1349347",
  spName: "VMW Test Service Provider",
  accountName: "VMW Test Service Provider",
  accountNumber: "113370180",
  aggregatorName: "VMW Test Aggregator",
  aggregatorPRMID: "1110923",
};

const JOHN: ContractUser = {
  isAdmin: true,
  customerNumber: "9125255974",
  email: "jdoe@vmware.com",
  firstName: "John",
  lastName: "Doe",
};
const JANE: ContractUser = {
  isAdmin: false,
  customerNumber: "9125255981",
  email: "jroe@vmware.com",
  firstName: "Jane",
  lastName: "Roe",
};

function contract({
  contractNumber,
  commitID,
  ...fields
}: Partial<Contract> & { contractNumber: string; commitID: string }): Contract {
  return {
    accountName: PARTNER.accountName,
    accountNumber: PARTNER.accountNumber,
    contractNumber,
    commitID,
    contractName: `AIR_${contractNumber}`,
    aggregatorName: PARTNER.aggregatorName,
    currencyCode: "USD",
    contractTerm: "12",
    startDate: "2017-11-15T00:00:00-08:00",
    endDate: "2018-11-14T00:00:00-08:00",
    thresholdLimit: "500000",
    commitLevel: "500000",
    spPRMID: PARTNER.spPRMID,
    spName: PARTNER.spName,
    spFname: "John",
    spLname: "Doe",
    emailId: "jdoe@vmware.com",
    commitSKU: "VCAN-AIR-LV5-C",
    currentConsumption: "7640",
    contractBalance: "500000.0",
    aggregatorPRMID: PARTNER.aggregatorPRMID,
    ...fields,
  };
}

const AIRWATCH = {
  productFamilyCode: "AIRWATCH CLOUD",
  productFamilyDesc: "AirWatch Cloud",
  regionCode: "ALL",
  regionDesc: "All",
  tenantTypeCode: "AWDEDICATED",
  tenantTypeDesc: "AirWatch Dedicated",
};
const HCX = {
  productFamilyCode: "HCX",
  productFamilyDesc: "VMware Hybrid Cloud Extension",
  regionCode: "ALL",
  regionDesc: "All",
  tenantTypeCode: "HCXCLOUD",
  tenantTypeDesc: "HCX Cloud",
};
const HORIZON = {
  productFamilyCode: "HORIZON CLOUD",
  productFamilyDesc: "VMware Horizon Cloud Service",
  regionCode: "ALL",
  regionDesc: "All",
  tenantTypeCode: "HOVHOSTED",
  tenantTypeDesc: "Horizon Cloud Hosted",
};

/** The seed's coreless sample (4.4), verbatim. */
const CONTENT_LOCKER: Product = {
  ...AIRWATCH,
  baseSKU: "ADD-AACLS-C",
  baseSKUDesc:
    "AirWatch by VMware Content Locker Storage - Dedicated Cloud - Per Device - Data Center location selected post purchase - Add-on Subscription",
  baseSKULongDesc:
    "Data Center location selected post purchase - Additional Storage of 25GB per Company for AirWatch Mobile Content.",
  serviceTypeCode: "BLUE",
  serviceTypeDesc: "AirWatch by VMware Blue Management Suite",
  skus: [
    {
      crossRefSKU: "ADD-AACLS-12AT0-C1S",
      crossRefSKUDesc:
        "AirWatch by VMware Content Locker Storage - Dedicated Cloud - Per Device - Data Center location selected post purchase - Add-on Subscription - 12 Month Annual Payments",
      termMonths: 12,
      price: "500",
    },
  ],
};
/** The product of service instance M495240519 (seed 4.6) and of the seed's coreless new, add-on and renewal samples. */
const ORANGE_SUITE: Product = {
  ...AIRWATCH,
  baseSKU: "ADD-AOMSO-C",
  baseSKUDesc:
    "AirWatch by VMware Orange Management Suite - Dedicated Cloud - Per Device - Data Center location selected post purchase - Subscription",
  baseSKULongDesc: "Orange Management Suite for devices managed by the Service Provider.",
  serviceTypeCode: "ORANGE",
  serviceTypeDesc: "AirWatch by VMware Orange Management Suite",
  skus: [
    {
      crossRefSKU: "ADD-AOMSO-12MT0-C1S",
      crossRefSKUDesc:
        "AirWatch by VMware Orange Management Suite - Dedicated Cloud - Per Device - Data Center location selected post purchase - Subscription - 12 Monthly Payments",
      termMonths: 12,
      price: "4",
    },
  ],
};
/** The seed's coreless upgrade sample (7.3) orders this SKU. */
const UPGRADE_SUITE: Product = {
  ...AIRWATCH,
  baseSKU: "ASD-AUPOY-C",
  baseSKUDesc:
    "Workspace ONE Upgrade - Orange to Yellow Management Suite - Dedicated Cloud - Per Device - Subscription",
  baseSKULongDesc: "Upgrades devices of an Orange Management Suite service to the Yellow Management Suite.",
  serviceTypeCode: "YELLOW",
  serviceTypeDesc: "AirWatch by VMware Yellow Management Suite",
  skus: [
    {
      crossRefSKU: "ASD-AUPOY-12MTH0-C1S",
      crossRefSKUDesc:
        "Workspace ONE Upgrade - Orange to Yellow Management Suite - Dedicated Cloud - Per Device - Subscription - 12 Monthly Payments",
      termMonths: 12,
      price: "2",
    },
  ],
};
/** The seed's core new, add-on and renewal samples (6.1, 6.3, 6.4). */
const HCX_ADVANCED: Product = {
  ...HCX,
  baseSKU: "HCX-ALLCR-C",
  baseSKUDesc: "VMware Hybrid Cloud Extension Advanced - Cloud - Per Site - Subscription",
  baseSKULongDesc: "Hybrid Cloud Extension for workload mobility between sites.",
  serviceTypeCode: "ADVANCED",
  serviceTypeDesc: "Hybrid Cloud Extension Advanced",
  skus: [
    {
      crossRefSKU: "HCX-ALLCR-03PT0-C1S",
      crossRefSKUDesc:
        "VMware Hybrid Cloud Extension Advanced - Cloud - Per Site - Subscription - 3 Month Prepaid Term",
      termMonths: 3,
      price: "1500",
    },
  ],
};
/** The seed's core on-demand sample (6.2). */
const HORIZON_HOSTED: Product = {
  ...HORIZON,
  baseSKU: "HOV-AXXCR-C",
  baseSKUDesc: "VMware Horizon Cloud Service - Hosted - Per Named User - On Demand",
  baseSKULongDesc: "Horizon Cloud hosted desktops, billed monthly by named user.",
  serviceTypeCode: "ONDEMAND",
  serviceTypeDesc: "Horizon Cloud On Demand",
  skus: [
    {
      crossRefSKU: "HOV-AXXCR-1HUT0-C1S",
      crossRefSKUDesc: "VMware Horizon Cloud Service - Hosted - Per Named User - On Demand - 1 Month Term",
      termMonths: 1,
      price: "30",
    },
  ],
};

/** Add-ons by product family (what `/subscription-products/addon` offers for an instance of it). */
export const ADDONS: Record<string, Product[]> = {
  // The seed's add-on sample (4.7) and its coreless add-on order (7.2, more devices of the suite).
  "AIRWATCH CLOUD": [CONTENT_LOCKER, ORANGE_SUITE],
  // The seed's core add-on sample (6.3) orders the core SKU itself against an HCX instance.
  HCX: [HCX_ADVANCED],
  "HORIZON CLOUD": [],
};

export interface ContractSeed {
  contract: Contract;
  users: ContractUser[];
  /** The core-coreless list: what a new, renewal or upgrade order may name. */
  products: Product[];
}

export function seedContracts(): ContractSeed[] {
  return [
    {
      contract: contract({ contractNumber: "12611521", commitID: "1131023" }),
      users: [JOHN, JANE],
      products: [HCX_ADVANCED, CONTENT_LOCKER, ORANGE_SUITE, UPGRADE_SUITE],
    },
    {
      contract: contract({
        contractNumber: "12722872",
        commitID: "1131877",
        startDate: "2018-01-01T00:00:00-08:00",
        endDate: "2018-12-31T00:00:00-08:00",
        currentConsumption: "0",
      }),
      users: [JOHN],
      products: [HORIZON_HOSTED],
    },
    {
      contract: contract({
        contractNumber: "12833914",
        commitID: "1132466",
        spFname: "Jane",
        spLname: "Roe",
        emailId: "jroe@vmware.com",
        commitLevel: "250000",
        thresholdLimit: "250000",
        contractBalance: "250000.0",
        currentConsumption: "1200",
      }),
      users: [{ ...JANE, isAdmin: true }],
      products: [CONTENT_LOCKER, ORANGE_SUITE],
    },
  ];
}

export function seedServiceInstances(): EmulatedServiceInstance[] {
  return [
    {
      // Seed 4.5 and 4.6, verbatim where they show a value.
      serviceInstanceID: "M495240519",
      contractNumber: "12611521",
      status: "Active",
      productFamilyCode: "AIRWATCH CLOUD",
      product: ORANGE_SUITE,
      startDate: "2017-12-24",
      endDate: "2018-12-23",
      endUserName: null,
      country: "US",
      postalCode: "63017-5827",
      components: [primary(ORANGE_SUITE.skus[0], "82", "12612136", "2017-12-24")],
    },
    {
      // The HCX instance of the seed's core add-on and renewal samples (6.3, 6.4).
      serviceInstanceID: "M495240516",
      contractNumber: "12611521",
      status: "Active",
      productFamilyCode: "HCX",
      product: HCX_ADVANCED,
      startDate: "2017-12-20",
      endDate: "2018-03-19",
      endUserName: null,
      country: "US",
      postalCode: "94304",
      components: [primary(HCX_ADVANCED.skus[0], "1", "12612101", "2017-12-20")],
    },
    {
      // The instance of the seed's coreless upgrade sample (7.3).
      serviceInstanceID: "M761739363",
      contractNumber: "12611521",
      status: "Active",
      productFamilyCode: "AIRWATCH CLOUD",
      product: ORANGE_SUITE,
      startDate: "2018-02-01",
      endDate: "2019-01-31",
      endUserName: "Acme Corp",
      country: "US",
      postalCode: "10001",
      components: [primary(ORANGE_SUITE.skus[0], "25", "12613377", "2018-02-01")],
    },
  ];
}

export function primary(sku: Sku, quantity: string, orderNumber: string, startDate: string): Component {
  return {
    skuDesc: sku.crossRefSKUDesc,
    quantity,
    skuType: "PRIMARY",
    orderNumber,
    status: "Active",
    startDate,
    crossRefSKU: sku.crossRefSKU,
  };
}

/** Every product of the catalogue (what an order line's SKU is looked up in). */
export function allProducts(): Product[] {
  return [...new Set([...seedContracts().flatMap((c) => c.products), ...Object.values(ADDONS).flat()])];
}
