/**
 * The vCloud Air roles a user can be given, by name. The seeds document these and no call that
 * lists them (seed 002: "Account Administrator"; seed 004: the three roles that reach the
 * platform API), so `check` validates against this list, without a call on the critical path.
 */
export const VCA_ROLES = [
  "Account Administrator",
  "Virtual Infrastructure Administrator",
  "Read-Only Administrator",
  "End User",
] as const;
export type VcaRole = (typeof VCA_ROLES)[number];
