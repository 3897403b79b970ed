/**
 * The Usage Meter appliances other services may know about: the cloud side registers an
 * appliance by its UUID (the Usage Insight `agentId`) and reports what it meters. The service
 * that runs the appliances adds them; the cloud side reads them when a request arrives.
 */

/** A product an agent meters, as its usage reports name it. */
export interface MeteredProduct {
  productType: string;
  host: string;
  fullName: string;
}

export interface MeteringAgent {
  agentId: string;
  /** `major.minor`, as a registration's `version` names it. */
  version: string;
  /** What it meters now (products whose certificate was accepted and that are active). */
  meteredProducts(): MeteredProduct[];
}

/** Metering agents by `agentId`. */
export type MeteringAgents = Map<string, MeteringAgent>;
