/**
 * The Usage Meter API's answers, as zod schemas. Fields the reference types loosely are read
 * liberally (numbers that may come as strings, nullable strings); each choice it leaves open is
 * noted where it is made.
 */
import { z } from "zod";

/** The appliance's product type codes (case-sensitive). `VCFA` exists on 9.x only. */
export const PRODUCT_TYPES = ["vCenter", "NSX-V", "NSX-T", "NSXALB", "VRNI", "VCD", "VCAV", "VROPS", "VRSLCM", "TKGM", "VCFA"] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

export const numberish = z.union([z.number(), z.string()]);

export const productSchema = z.looseObject({
  id: z.coerce.number().int(),
  host: z.string(),
  port: z.coerce.number().int(),
  user: z.string().optional(),
  productType: z.string(),
  fullName: z.string().nullish(),
  version: z.string().nullish(),
  active: z.boolean().optional(),
  metered: z.boolean().optional(),
  lastChanged: numberish.nullish(),
  instanceUUID: z.string().nullish(),
  status: z.object({ code: z.string(), text: z.string().nullish(), lastChanged: numberish.nullish() }).nullish(),
});
export type Product = z.infer<typeof productSchema>;

export const certificateActionSchema = z.looseObject({
  code: z.literal("Cert"),
  data: z.looseObject({
    productId: z.coerce.number().int(),
    certificateId: z.string(),
    productType: z.string(),
    certData: z.looseObject({ fingerprint_sha256: z.string(), subjectDN: z.string().optional(), issuerDN: z.string().optional(), notAfter: numberish.optional() }),
  }),
});
export type CertificateAction = z.infer<typeof certificateActionSchema>;
export const userActionSchema = z.union([certificateActionSchema, z.looseObject({ code: z.string() })]);

export const proxySettingsSchema = z.looseObject({
  type: z.enum(["none", "http", "https"]),
  host: z.string().nullish(),
  port: z.coerce.number().int().nullish(),
  user: z.string().nullish(),
});
export type ProxySettings = z.infer<typeof proxySettingsSchema>;

export const proxyTestSchema = z.looseObject({ test_result: z.boolean(), message: z.string().nullish(), error_code: numberish.nullish() });
/** Asked with `um_uuid=true`, the appliance names its UUID: the agent id the cloud knows it by. */
export const agentInfoSchema = z.looseObject({ uuid: z.string().min(1), major_version: numberish, minor_version: numberish, build_number: numberish.optional() });
export const dataUsageSchema = z.looseObject({ accepted: z.boolean() });
