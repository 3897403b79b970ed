/**
 * Out-of-band changes to Usage Meter appliances, as an operator would make them by hand: in
 * process (`emulator.admin`) and over HTTP under `/__admin/usage-meters/{name}`.
 */
import { z } from "zod";
import { Same } from "../core/same";
import { AdminModule, adminOperation, numberParam } from "../core/admin";
import { CertificateStore } from "../core/certificates";
import { EmulatorRequest } from "../core/router";
import { addProduct, ApplianceState, EmulatedProduct, publicProduct, rejectCertificate } from "./appliance";

const newProductSchema = z.looseObject({
  productType: z.string(),
  host: z.string(),
  port: z.number().int().optional().describe("default 443"),
  user: z.string(),
  password: z.string(),
});
const productChangeSchema = z
  .object({
    user: z.string(),
    password: z.string(),
    active: z.boolean(),
    metered: z.boolean(),
    host: z.string(),
    port: z.number().int(),
  })
  .partial()
  .strict();
const proxySchema = z
  .object({
    type: z.enum(["none", "http", "https"]),
    host: z.string().optional(),
    port: z.number().int().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
  })
  .strict();
const dataUsageSchema = z.object({ accepted: z.boolean() }).strict();

/** A product registered by hand: these fields, and any other the appliance takes. */
interface NewProduct {
  productType: string;
  host: string;
  /** Default 443. */
  port?: number;
  user: string;
  password: string;
  [field: string]: unknown;
}
true satisfies Same<NewProduct, z.infer<typeof newProductSchema>>;
type ProductChange = Partial<Pick<EmulatedProduct, "user" | "password" | "active" | "metered" | "host" | "port">>;

export interface UsageMeterAdmin {
  /** The appliance's live state (default: the appliance named `default`). */
  appliance(name?: string): ApplianceState;
  products(name?: string): Record<string, unknown>[];
  /** Registers a product by hand (its certificate stays pending). */
  addProduct(name: string, product: NewProduct): Promise<Record<string, unknown>>;
  changeProduct(name: string, id: number, change: ProductChange): Record<string, unknown>;
  removeProduct(name: string, id: number): void;
  /** The product starts presenting a new certificate, waiting for acceptance; answers its fingerprint. */
  rotateCertificate(name: string, id: number): Promise<string>;
  /** An operator rejects the product's pending certificate: it stays registered, not metered. */
  rejectCertificate(name: string, id: number): void;
  setProxy(name: string, proxy: ApplianceState["proxy"]): void;
  setDataUsageAccepted(name: string, accepted: boolean): void;
  /** Every session (or token) of the appliance, or of all of them, expires now. */
  expireSessions(name?: string): void;
  /** The SHA-256 fingerprint of the certificate a product endpoint presents. */
  certificateFingerprint(host: string, port: number): Promise<string>;
}

export function usageMeterAdmin(
  appliances: Map<string, ApplianceState>,
  certificates: CertificateStore,
): AdminModule<UsageMeterAdmin> {
  const admin = inProcessAdmin(appliances, certificates);
  const um = "/usage-meters/{name}";
  const operations = [
    adminOperation({
      method: "GET",
      path: um,
      summary: "the appliance: uuid, version, logins, data usage acceptance, proxy (without its password), products",
      run: ({ name }) => {
        const { proxy, dataUsageAccepted, uuid, version, logins } = admin.appliance(name);
        return {
          uuid,
          version,
          logins,
          dataUsageAccepted,
          proxy: { ...proxy, password: undefined },
          products: admin.products(name),
        };
      },
    }),
    adminOperation({
      method: "POST",
      path: `${um}/products`,
      summary: "register a product by hand (its certificate stays pending)",
      body: newProductSchema,
      run: ({ name }, body) => admin.addProduct(name, body),
    }),
    adminOperation({
      method: "PATCH",
      path: `${um}/products/{id}`,
      summary: "change a product by hand (active: false deactivates it)",
      body: productChangeSchema,
      run: (params, change) => admin.changeProduct(params.name, numberParam(params, "id"), change),
    }),
    adminOperation({
      method: "DELETE",
      path: `${um}/products/{id}`,
      summary: "remove a product by hand",
      run: (params) => admin.removeProduct(params.name, numberParam(params, "id")),
    }),
    adminOperation({
      method: "POST",
      path: `${um}/products/{id}/rotate-certificate`,
      summary: "the product presents a new certificate, waiting for acceptance; answers { fingerprint }",
      run: async (params) => ({ fingerprint: await admin.rotateCertificate(params.name, numberParam(params, "id")) }),
    }),
    adminOperation({
      method: "POST",
      path: `${um}/products/{id}/reject-certificate`,
      summary: "reject the product's pending certificate by hand: it stays registered, not metered",
      run: (params) => admin.rejectCertificate(params.name, numberParam(params, "id")),
    }),
    adminOperation({
      method: "PUT",
      path: `${um}/proxy`,
      summary: "set the appliance's proxy",
      body: proxySchema,
      run: ({ name }, proxy) => admin.setProxy(name, proxy),
    }),
    adminOperation({
      method: "PUT",
      path: `${um}/data-usage`,
      summary: "accept (or withdraw) the data usage terms",
      body: dataUsageSchema,
      run: ({ name }, body) => admin.setDataUsageAccepted(name, body.accepted),
    }),
    adminOperation({
      method: "POST",
      path: `${um}/expire-sessions`,
      summary: "every session or token of the appliance expires now",
      run: ({ name }) => admin.expireSessions(name),
    }),
  ];
  return { admin, operations };
}

function inProcessAdmin(appliances: Map<string, ApplianceState>, certificates: CertificateStore): UsageMeterAdmin {
  const appliance = (name = "default") => {
    const found = appliances.get(name);
    if (!found) throw new Error(`no appliance named ${name} (have ${[...appliances.keys()].join(", ")})`);
    return found;
  };
  const product = (name: string, id: number) => {
    const found = appliance(name).products.find((p) => p.id === id);
    if (!found) throw new Error(`appliance ${name} has no product ${id}`);
    return found;
  };
  return {
    appliance,
    products: (name) => appliance(name).products.map(publicProduct),
    async addProduct(name, body) {
      const request = { body: { port: 443, ...body }, query: new URLSearchParams() } as EmulatorRequest;
      const answer = await addProduct(appliance(name), request, certificates);
      if (answer.status !== 202) throw new Error(`could not add product: ${JSON.stringify(answer.body)}`);
      return answer.body as Record<string, unknown>;
    },
    changeProduct(name, id, change) {
      const p = product(name, id);
      Object.assign(p, change, { lastChanged: Date.now() });
      if (change.active === false) p.status = { code: "Warn", text: "Deactivated", lastChanged: Date.now() };
      return publicProduct(p);
    },
    removeProduct(name, id) {
      const um = appliance(name);
      product(name, id);
      um.products = um.products.filter((p) => p.id !== id);
      um.pendingCertificates.delete(id);
    },
    rejectCertificate(name, id) {
      rejectCertificate(appliance(name), product(name, id));
    },
    async rotateCertificate(name, id) {
      const p = product(name, id);
      const pem = await certificates.rotate(p.host, p.port);
      appliance(name).pendingCertificates.set(id, pem);
      Object.assign(p, {
        metered: false,
        status: { code: "Warn", text: "Please accept certificate", lastChanged: Date.now() },
      });
      return certificates.describe(pem).fingerprint_sha256 as string;
    },
    setProxy: (name, proxy) => void (appliance(name).proxy = proxy),
    setDataUsageAccepted: (name, accepted) => void (appliance(name).dataUsageAccepted = accepted),
    expireSessions(name) {
      for (const um of name ? [appliance(name)] : appliances.values()) um.sessions.clear();
    },
    certificateFingerprint: async (host, port) =>
      certificates.describe(await certificates.pem(host, port)).fingerprint_sha256 as string,
  };
}
