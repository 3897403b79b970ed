/**
 * The registration modes Usage Insight knows, without zod: the resource's public declarations
 * import these, and a program that uses the package must not have to type-check zod.
 */
export const METERING_MODES = ["TEST", "PRODUCTION"] as const;
/** `TEST`: reports are not billed; `PRODUCTION`: billed. */
export type MeteringMode = (typeof METERING_MODES)[number];
export const CONNECTIVITY_MODES = ["ONLINE", "OFFLINE"] as const;
/** `ONLINE`: the appliance reports itself; `OFFLINE`: its data is uploaded. */
export type ConnectivityMode = (typeof CONNECTIVITY_MODES)[number];
