/** The commerce API's order types (seed 003, 5.1), in a module of their own: public types without zod. */
export const PO_TYPES = [
  "NEW_SERVICE_REQUEST",
  "ONDEMAND_SIGNUP",
  "ADDON_REQUEST",
  "RENEWAL_REQUEST",
  "UPGRADE_REQUEST",
] as const;
export type PoType = (typeof PO_TYPES)[number];
/** Order types that act on an existing service instance: each line names it (`SID`). */
export const INSTANCE_PO_TYPES: readonly PoType[] = ["ADDON_REQUEST", "RENEWAL_REQUEST", "UPGRADE_REQUEST"];
