/**
 * The appliance's product type codes, apart from the schemas: they are part of the package's
 * public types, whose declarations must not reach zod's (they fail to compile in a program
 * without `esModuleInterop`, such as the one `pulumi new typescript` writes).
 */

/** The appliance's product type codes (case-sensitive). `VCFA` exists on 9.x only. */
export const PRODUCT_TYPES = [
  "vCenter",
  "NSX-V",
  "NSX-T",
  "NSXALB",
  "VRNI",
  "VCD",
  "VCAV",
  "VROPS",
  "VRSLCM",
  "TKGM",
  "VCFA",
] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];
