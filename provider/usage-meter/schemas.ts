/**
 * The Usage Meter API's answers, as zod schemas. The references give field names, rarely types,
 * so fields are read liberally: what an appliance could plausibly send for the value is
 * accepted, turned into one type, and anything else is a BAD_RESPONSE naming the field. Each
 * choice the references leave open is noted where it is made.
 */
import { z } from "zod";
import { absentAsUndefined, booleanish, integerish, numberish, timestamp } from "../readers";

export { PRODUCT_TYPES, ProductType } from "./product-types";

/** A text the appliance may send as `null`. */
const optionalText = z.string().nullish().transform(absentAsUndefined);

export const productSchema = z.looseObject({
  id: integerish,
  host: z.string(),
  port: integerish,
  user: optionalText,
  productType: z.string(),
  fullName: optionalText,
  version: optionalText,
  active: booleanish.nullish().transform(absentAsUndefined),
  metered: booleanish.nullish().transform(absentAsUndefined),
  lastChanged: timestamp.nullish().transform(absentAsUndefined),
  instanceUUID: optionalText,
  status: z
    .looseObject({
      code: z.string(),
      text: optionalText,
      lastChanged: timestamp.nullish().transform(absentAsUndefined),
    })
    .nullish()
    .transform(absentAsUndefined),
});
export type Product = z.infer<typeof productSchema>;

export const certificateActionSchema = z.looseObject({
  code: z.literal("Cert"),
  data: z.looseObject({
    productId: integerish,
    certificateId: z.string(),
    productType: z.string(),
    certData: z.looseObject({
      fingerprint_sha256: z.string(),
      subjectDN: optionalText,
      issuerDN: optionalText,
      notAfter: timestamp.nullish().transform(absentAsUndefined),
    }),
  }),
});
export type CertificateAction = z.infer<typeof certificateActionSchema>;
export const userActionSchema = z.union([certificateActionSchema, z.looseObject({ code: z.string() })]);

/**
 * `GET /http_proxy`: no reference documents it (api-reference §7); read only as an extra. The
 * type is read in any case (`"HTTP"`), since the documented `PUT /test_proxy` uses lower case.
 */
export const proxySettingsSchema = z.looseObject({
  type: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["none", "http", "https"])),
  host: optionalText,
  port: integerish.nullish().transform(absentAsUndefined),
  user: optionalText,
});
export type ProxySettings = z.infer<typeof proxySettingsSchema>;

/** Values of `test_result` that mean the appliance reached the cloud, or did not (upper-cased). */
const PASSED = ["TRUE", "SUCCESS", "SUCCEEDED", "SUCCESSFUL", "OK", "PASS", "PASSED"];
const FAILED = ["FALSE", "FAILURE", "FAIL", "FAILED", "ERROR", "KO", "UNREACHABLE"];

/** What `test_result` says: passed, failed, or a value this client does not know (kept for the warning). */
export type ProxyTestOutcome = { outcome: "passed" | "failed" } | { outcome: "unrecognised"; value: unknown };

/** Reads `test_result` liberally: a boolean, or the usual words in any case; anything else is unrecognised. */
export function proxyTestOutcome(value: unknown): ProxyTestOutcome {
  if (value === true) return { outcome: "passed" };
  if (value === false) return { outcome: "failed" };
  const word = typeof value === "string" ? value.trim().toUpperCase() : undefined;
  if (word !== undefined && PASSED.includes(word)) return { outcome: "passed" };
  if (word !== undefined && FAILED.includes(word)) return { outcome: "failed" };
  return { outcome: "unrecognised", value };
}

/**
 * `PUT /test_proxy`: seed 000 shows no answer body, the 4.x reference `{test_result, message,
 * error_code}` with no types: an empty body is a pass (the 2xx says it); `error_code` may be a
 * number, a text or null and is kept as text.
 */
export const proxyTestSchema = z
  .looseObject({
    test_result: z.unknown().transform(proxyTestOutcome),
    message: optionalText,
    error_code: z
      .union([z.number(), z.string()])
      .nullish()
      .transform((code) => (code === null || code === undefined || code === "" ? undefined : String(code))),
  })
  .optional();

/** Asked with `um_uuid=true`, the appliance names its UUID: the agent id the cloud knows it by. */
export const agentInfoSchema = z.looseObject({
  uuid: z.string().min(1),
  major_version: numberish,
  minor_version: numberish,
  build_number: numberish.nullish().transform(absentAsUndefined),
});

/** `GET /data_usage_acceptance`: undocumented (api-reference §7), read only as an extra. */
export const dataUsageSchema = z.looseObject({ accepted: booleanish });

/**
 * The login answer's flags: 4.x sends `http_proxy` and `data_usage_acceptance` (seed 000, the only
 * documented way to learn either); 9.x sends neither. A flag that is absent or not boolean-like
 * is not known, never a failed login.
 */
export const loginFlagsSchema = z
  .looseObject({
    http_proxy: booleanish.optional().catch(undefined),
    data_usage_acceptance: booleanish.optional().catch(undefined),
  })
  .transform((answer): ApplianceFlags => ({
    proxyInUse: answer.http_proxy,
    dataUsageAccepted: answer.data_usage_acceptance,
  }));

/** What the appliance says of its settings; undefined: it did not say. */
export interface ApplianceFlags {
  proxyInUse?: boolean;
  dataUsageAccepted?: boolean;
}
