/**
 * The seeds' by-hand flow (seed 000, api-reference.md section 1), the yardstick of `npm run bench`:
 * one login, then for each product its `POST /product`, the pending-action read
 * (`GET /user_action`) and the certificate acceptance, one request after another. Raw HTTPS,
 * independent of the provider's client, over one kept-alive connection (as a script with curl's
 * connection reuse would): what a careful operator does by hand, not a straw man.
 */
import { Agent, request } from "node:https";

export interface SeedsProduct {
  productType: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface SeedsAppliance {
  /** The appliance's API base, `https://um:8443/api/v1` (the emulator's `…/um/<name>/api/v1`). */
  baseUrl: string;
  user: string;
  password: string;
  caPem: string;
}

/** Registers and accepts every product in sequence; resolves with the wall time in milliseconds. */
export async function seedsFlow(appliance: SeedsAppliance, products: SeedsProduct[]): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: appliance.caPem });
  const started = performance.now();
  try {
    const call = (method: string, path: string, body?: unknown, sessionId?: string) =>
      send(agent, method, `${appliance.baseUrl}${path}`, body, sessionId);
    const login = (await call("POST", "/login", { user: appliance.user, password: appliance.password })) as {
      sessionid?: string;
    };
    if (!login.sessionid) throw new Error("seeds' flow: the login answered no sessionid");
    for (const product of products) {
      const created = (await call("POST", "/product", product, login.sessionid)) as { id?: number };
      const actions = (await call("GET", "/user_action", undefined, login.sessionid)) as Array<{
        code?: string;
        data?: { productId?: number; certificateId?: string; productType?: string };
      }>;
      const pending = actions.find((a) => a.code === "Cert" && a.data?.productId === created.id);
      if (!pending?.data?.certificateId)
        throw new Error(`seeds' flow: no pending certificate for ${product.host} (product ${created.id})`);
      await call(
        "PUT",
        "/accept_certificate",
        {
          certificateId: pending.data.certificateId,
          accepted: true,
          productType: product.productType,
          productId: created.id,
        },
        login.sessionid,
      );
    }
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}

/** One request; a throttled one (429, under `--rate-limit`) is sent again after its Retry-After, as curl --retry does. */
async function send(agent: Agent, method: string, url: string, body: unknown, sessionId?: string): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const answer = await sendOnce(agent, method, url, body, sessionId);
    if (!("retryAfterMs" in answer)) return answer.body;
    if (attempt === THROTTLED_RETRIES) throw new Error(`seeds' flow: ${method} ${url} still throttled (429)`);
    await new Promise((resolve) => setTimeout(resolve, answer.retryAfterMs));
  }
}

const THROTTLED_RETRIES = 10;

function sendOnce(
  agent: Agent,
  method: string,
  url: string,
  body: unknown,
  sessionId?: string,
): Promise<{ body: unknown } | { retryAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { "content-type": "application/json", ...(sessionId ? { sessionId } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status === 429) return resolve({ retryAfterMs: 1000 * (Number(res.headers["retry-after"]) || 1) });
          if (status < 200 || status > 299)
            return reject(new Error(`seeds' flow: ${method} ${url} answered ${status}: ${text.slice(0, 300)}`));
          try {
            resolve({ body: text ? JSON.parse(text) : undefined });
          } catch {
            reject(new Error(`seeds' flow: ${method} ${url} answered no JSON: ${text.slice(0, 300)}`));
          }
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
