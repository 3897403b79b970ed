/**
 * The commerce API's answers (seed 003), as zod schemas. The seed's samples send every value
 * as text (`"quantity": "82"`, `"isAdmin": true`), some as `null`; fields are read liberally
 * (a number or its text, a boolean or "true"/"false", null as absent) and unknown fields are kept.
 * The API wraps lists twice (`userList.userList`, `serviceList.commitServicesVOList`,
 * `componentList.componentList`, `coreVariations.coreVariation`); the schemas unwrap them, and an
 * absent or `null` list is an empty one.
 */
import { z } from "zod";
import { absentAsUndefined, booleanish } from "../readers";
import { OrderFeedEntry } from "./types";

/** Absent and `null` are the same to this client: nothing reported. */

/** A value sent as text or as a number (ids, amounts, dates): kept as text; null or "" is absent. */
export const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));

/** Required text (ids the client relies on). */
const requiredText = z.union([z.string().min(1), z.number()]).transform(String);

/** One value or a list of them as a list; null or absent as an empty one. */
const asList = (value: unknown): unknown =>
  value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A list the API sends wrapped once more (`{userList: [...]}`); a bare list, one object, null or absent also do. */
function wrappedList<T extends z.ZodType>(key: string, item: T) {
  const unwrap = (value: unknown): unknown =>
    value !== null && typeof value === "object" && !Array.isArray(value) && key in value
      ? asList((value as Record<string, unknown>)[key])
      : asList(value);
  return z.preprocess(unwrap, z.array(item));
}

/** A top-level list (`{contractList: [...]}`): array or single object; null or absent is empty. */
const list = <T extends z.ZodType>(item: T) => z.preprocess(asList, z.array(item));

export const commitContractSchema = z.looseObject({
  contractNumber: requiredText,
  accountName: text,
  accountNumber: text,
  commitID: text,
  contractName: text,
  aggregatorName: text,
  currencyCode: text,
  contractTerm: text,
  startDate: text,
  endDate: text,
  thresholdLimit: text,
  commitLevel: text,
  spPRMID: text,
  spName: text,
  spFname: text,
  spLname: text,
  emailId: text,
  commitSKU: text,
  currentConsumption: text,
  contractBalance: text,
  aggregatorPRMID: text,
});
export type CommitContract = z.infer<typeof commitContractSchema>;

export const contractListSchema = z.looseObject({ contractList: list(commitContractSchema) });

export const contractUserSchema = z.looseObject({
  isAdmin: booleanish.nullish().transform((v) => v ?? false),
  customerNumber: text,
  email: text,
  firstName: text,
  lastName: text,
});
export type ContractUser = z.infer<typeof contractUserSchema>;

export const contractUsersSchema = z.looseObject({
  contractNumber: text,
  userList: wrappedList("userList", contractUserSchema),
});

export const coreVariationSchema = z.looseObject({
  crossRefSKU: requiredText,
  crossRefSKUDesc: text,
  regionCode: text,
  tenantTypeCode: text,
  serviceTypeCode: text,
  pricingTermDuration: text,
  pricingTermUnit: text,
  paymentTypeCode: text,
  effectiveDate: text,
  commitmentTermDuration: text,
  commitmentTermUnit: text,
  price: text,
  priceType: text,
  currencyCode: text,
});
export type CoreVariation = z.infer<typeof coreVariationSchema>;

export const coreProductSchema = z.looseObject({
  productFamilyDesc: text,
  productFamilyCode: text,
  baseSKU: text,
  baseSKUDesc: text,
  baseSKULongDesc: text,
  coreVariations: wrappedList("coreVariation", coreVariationSchema),
});
export type CoreProduct = z.infer<typeof coreProductSchema>;

export const eligibleProductsSchema = z.looseObject({ coreProduct: list(coreProductSchema) });

export const serviceInstanceSummarySchema = z.looseObject({
  serviceInstanceID: requiredText,
  status: text,
  productFamilyCode: text,
  endDate: text,
  endUserName: text,
  country: text,
  postalCode: text,
  serviceInstanceURL: text,
});
export type ServiceInstanceSummary = z.infer<typeof serviceInstanceSummarySchema>;

export const serviceInstancesSchema = z.looseObject({
  contractNumber: text,
  serviceList: wrappedList("commitServicesVOList", serviceInstanceSummarySchema),
});

export const componentSchema = z.looseObject({
  skuDesc: text,
  quantity: text,
  skuType: text,
  orderNumber: text,
  status: text,
  startDate: text,
  crossRefSKU: text,
});
export type Component = z.infer<typeof componentSchema>;

export const serviceInstanceSchema = z.looseObject({
  headerDetailsVO: z
    .looseObject({
      serviceInstanceID: text,
      serviceInstanceName: text,
      status: text,
      productFamilyCode: text,
      productFamilyDesc: text,
      termStartDate: text,
      termEndDate: text,
      resellerPRMID: text,
    })
    .nullish()
    .transform(absentAsUndefined),
  componentList: wrappedList("componentList", componentSchema),
  commitDetailsVO: z
    .looseObject({ contractNumber: text, contractName: text, aggregatorName: text, aggregatorPRMID: text })
    .nullish()
    .transform(absentAsUndefined),
});
export type ServiceInstanceDetail = z.infer<typeof serviceInstanceSchema>;

export const addOnVariationSchema = z.looseObject({
  crossRefSKU: requiredText,
  crossRefSKUDesc: text,
  priceType: text,
  currencyCode: text,
  fromUnit: text,
  toUnit: text,
  price: text,
  commitmentTermDuration: text,
  commitmentTermUnit: text,
  skuType: text,
  paymentTypeCode: text,
});
export type AddOnVariation = z.infer<typeof addOnVariationSchema>;

export const addOnProductSchema = z.looseObject({
  baseSKU: text,
  baseSKUDesc: text,
  tenantTypeCode: text,
  serviceTypeCode: text,
  regionCode: text,
  addOnProductVariations: wrappedList("addOnProductVariation", addOnVariationSchema),
});
export type AddOnProduct = z.infer<typeof addOnProductSchema>;

export const addOnProductsSchema = z.looseObject({ addOnProduct: list(addOnProductSchema) });

/**
 * The answer to `POST /order`: JSON `{status, requestId, error}`, or the XML `<OrderResponse>`
 * as the codec reads it. `status` is compared case-insensitively.
 */
export const orderAnswerSchema = z
  .union([z.looseObject({ OrderResponse: z.looseObject({}) }), z.looseObject({})])
  .transform((v) => ("OrderResponse" in v ? (v.OrderResponse as Record<string, unknown>) : v))
  .pipe(
    z.looseObject({
      status: text,
      requestId: text,
      error: z.unknown().optional(),
    }),
  );
export type OrderAnswer = z.infer<typeof orderAnswerSchema>;

/** The feed's keys (seed 003, 4.8), matched without regard to case. */
const FEED_KEYS: Record<string, keyof OrderFeedEntry> = {
  ordernumber: "orderNumber",
  tokennumber: "tokenNumber",
  externallinetransactionreference: "externalLineTransactionReference",
  lineid: "lineId",
  externalcontractid: "externalContractId",
  partid: "partId",
  commitstartdate: "commitStartDate",
  commitenddate: "commitEndDate",
  requestid: "requestId",
};

/** Turns one entry's parts (from either form) into the typed entry. */
export function feedEntry(parts: {
  id: string;
  title?: string;
  updated?: string;
  status?: string;
  values: Record<string, string>;
}): OrderFeedEntry {
  const entry: OrderFeedEntry = {
    id: parts.id,
    title: parts.title,
    updated: parts.updated,
    status: (parts.status ?? parts.values.status ?? "unknown").trim().toLowerCase(),
    values: parts.values,
  };
  for (const [key, value] of Object.entries(parts.values)) {
    const field = FEED_KEYS[key.toLowerCase()];
    if (field && value !== "") (entry as unknown as Record<string, string>)[field] = value;
  }
  return entry;
}

const keyValue = z.looseObject({ key: requiredText, value: text });
/** An entry's content: `[{key, value}]`, `{entry: [{key, value}]}`, or a plain map. */
const feedContent = z
  .union([
    z.array(keyValue),
    z.looseObject({ entry: z.union([z.array(keyValue), keyValue]) }),
    z.record(z.string(), text),
  ])
  .nullish()
  .transform((content): Record<string, string> => {
    if (!content) return {};
    const pairs = Array.isArray(content)
      ? content
      : "entry" in content && typeof content.entry === "object" && content.entry !== null
        ? ([] as z.infer<typeof keyValue>[]).concat(content.entry as z.infer<typeof keyValue>)
        : undefined;
    if (pairs) return Object.fromEntries(pairs.map((p) => [p.key, p.value ?? ""]));
    return Object.fromEntries(
      Object.entries(content as Record<string, string | undefined>).map(([k, v]) => [k, v ?? ""]),
    );
  });

const jsonFeedEntry = z.looseObject({
  id: requiredText,
  title: text,
  updated: text,
  status: text,
  content: feedContent,
});

/**
 * The feed's JSON form. The seed documents only the Atom form; its JSON form is read as the same
 * feed: `{feed: {entry: [...]}}`, `{entry: [...]}`, `{entries: [...]}` or a bare array, each entry
 * `{id, title?, updated?, status, content}` with the content as key/value pairs or a map.
 */
export const jsonOrderFeedSchema = z
  .union([
    z.array(jsonFeedEntry),
    z.looseObject({ feed: z.looseObject({ entry: list(jsonFeedEntry) }) }),
    z.looseObject({ entry: list(jsonFeedEntry) }),
    z.looseObject({ entries: list(jsonFeedEntry) }),
  ])
  .transform((v): OrderFeedEntry[] => {
    const entries = Array.isArray(v)
      ? v
      : "feed" in v
        ? (v.feed as { entry: z.infer<typeof jsonFeedEntry>[] }).entry
        : "entry" in v
          ? (v.entry as z.infer<typeof jsonFeedEntry>[])
          : (v.entries as z.infer<typeof jsonFeedEntry>[]);
    return entries.map((e) =>
      feedEntry({ id: e.id, title: e.title, updated: e.updated, status: e.status, values: e.content }),
    );
  });

/** The Atom form, as codecs.atom() decodes it: `<order:status>` is an extension element. */
export const atomOrderFeedSchema = z
  .looseObject({
    entries: z.array(
      z.looseObject({
        id: z.string(),
        title: z.string().optional(),
        updated: z.string().optional(),
        content: z.record(z.string(), z.string()),
        extensions: z.looseObject({ status: text.optional() }),
      }),
    ),
  })
  .transform((feed): OrderFeedEntry[] =>
    feed.entries.map((e) =>
      feedEntry({ id: e.id, title: e.title, updated: e.updated, status: e.extensions.status, values: e.content }),
    ),
  );
