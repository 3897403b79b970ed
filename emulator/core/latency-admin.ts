/** The admin side of the added latency (see `latency.ts`): in process, and over HTTP under `/__admin/latency`. */
import { adminOperation, AdminModule } from "./admin";
import { Latency, latencySchema } from "./latency";

export interface LatencyAdmin {
  /** Milliseconds each request now waits before it is handled. */
  latencyMs(): number;
  /** Changes the added latency from the next request on. */
  setLatency(latencyMs: number): void;
}

export function latencyAdmin(latency: Latency): AdminModule<LatencyAdmin> {
  const admin: LatencyAdmin = {
    latencyMs: () => latency.latencyMs,
    setLatency: (ms) => latency.set(ms),
  };
  const operations = [
    adminOperation({
      method: "GET",
      path: "/latency",
      summary: "the latency added to every request: { latencyMs }",
      run: () => ({ latencyMs: admin.latencyMs() }),
    }),
    adminOperation({
      method: "PUT",
      path: "/latency",
      summary: "change the latency added to every request, from the next request on",
      body: latencySchema,
      run: (_, body) => admin.setLatency(body.latencyMs),
    }),
  ];
  return { admin, operations };
}
