/**
 * What the vCloud Air client hands to the public surface, as plain TypeScript: the package's
 * declarations compile in any program, which zod's own declarations do not (they need
 * `esModuleInterop`), so nothing public is a `z.infer` type.
 */

/** A 5.6 virtual data centre of a compute service. */
export interface VirtualDataCentre {
  name: string;
  status?: string;
}

/** A 5.6 compute service with its virtual data centres. */
export interface ComputeService {
  serviceId: string;
  /** `compute:dedicatedcloud` or `compute:vpc`. */
  serviceType?: string;
  region?: string;
  vdcs: VirtualDataCentre[];
}

/** A 5.7 plan (`GET /api/sc/plans`): the fields seed 002 shows; others the service sends are kept. */
export interface VcaPlan {
  id: string;
  name?: string;
  serviceName?: string;
  region?: string;
  description?: string;
}

/** A 5.7 service instance (`GET /api/sc/instances`). */
export interface VcaInstance {
  id: string;
  name?: string;
  planId?: string;
  serviceGroupId?: string;
  region?: string;
  description?: string;
  apiUrl?: string;
  dashboardUrl?: string;
}

/** Billed or unbilled usage (`BillableUsage`) as vCloud Air answers it: the seeds document no fields. */
export type BillableUsage = Record<string, unknown>;
