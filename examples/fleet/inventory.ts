/**
 * The fleet's inventory: one YAML (or JSON: YAML reads it too) file naming every site, validated
 * with zod before any stack is touched. Credentials are never in it: each site names the
 * environment variables, or a secrets file, that hold them, and they are read only when that site
 * runs, so one site's missing secret fails that site alone.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { load } from "js-yaml";
import { PRODUCT_TYPES } from "pulumi-vcpp";
import { z } from "zod";

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit, then letters, digits, _ . or -");
const httpsUrl = z
  .string()
  .url("must be a URL")
  .refine((url) => url.startsWith("https://"), "must be an https:// URL");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

/** Where one secret comes from: an environment variable's name, or a key of the site's secrets file. */
const secretNames = z
  .object({
    usageMeterPassword: z.string().min(1),
    cspApiToken: z.string().min(1).optional(),
    proxyPassword: z.string().min(1).optional(),
    /** Product name → its password's name. */
    products: z.record(z.string(), z.string().min(1)).default({}),
  })
  .strict();

const credentials = z.union(
  [
    z.object({ env: secretNames.extend({ usageMeterPassword: envName }) }).strict(),
    z
      .object({
        /** A YAML or JSON file (relative to the inventory) holding the secrets by name. */
        file: z.string().min(1),
        /** Which key of the file holds which secret; by default the secret's own name. */
        keys: secretNames.partial().optional(),
      })
      .strict(),
  ],
  "must be {env: {...}} (environment variable names) or {file: PATH} (a secrets file): never the secrets themselves",
);

const proxy = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }).strict(),
  z
    .object({
      type: z.enum(["http", "https"]),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      user: z.string().min(1).optional(),
    })
    .strict(),
]);

const product = z
  .object({
    /** The product's name in the site's stack (its resource name), unique within the site. */
    name,
    productType: z.enum(PRODUCT_TYPES),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1),
    acceptCertificate: z.union([z.boolean(), z.string()]).optional(),
  })
  .strict();

const registration = z
  .object({
    contractNumber: z.string().min(1),
    label: z.string().min(1).max(512),
    meteringMode: z.enum(["TEST", "PRODUCTION"]),
    siteName: z.string().min(1).optional(),
  })
  .strict();

const site = z
  .object({
    /** The site's stack name. */
    name,
    usageMeter: z.object({ url: httpsUrl, user: z.string().min(1).default("usagemeteradmin") }).strict(),
    credentials,
    proxy,
    products: z.array(product).default([]),
    registration: registration.optional(),
    /** PEM file (relative to the inventory) of the CAs the appliance's certificate chains to. */
    caCertificatesFile: z.string().min(1).optional(),
  })
  .strict();

const inventorySchema = z
  .object({
    /** Cloud Partner Navigator endpoints, for sites with a registration (defaults: the vendor's). */
    cloudPartnerNavigator: z
      .object({ cspUrl: httpsUrl.optional(), usageInsightUrl: httpsUrl.optional(), usageMeteringAgentsUrl: httpsUrl })
      .strict()
      .optional(),
    /** The default for sites without their own. */
    caCertificatesFile: z.string().min(1).optional(),
    sites: z.array(site).min(1, "must name at least one site"),
  })
  .strict()
  .superRefine((inventory, ctx) => {
    const seen = new Set<string>();
    inventory.sites.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["sites", i, "name"], message: `${s.name} twice` });
      seen.add(s.name);
      const products = new Set<string>();
      s.products.forEach((p, j) => {
        if (products.has(p.name))
          ctx.addIssue({ code: "custom", path: ["sites", i, "products", j, "name"], message: `${p.name} twice` });
        products.add(p.name);
      });
      if (s.registration && !inventory.cloudPartnerNavigator)
        ctx.addIssue({
          code: "custom",
          path: ["sites", i, "registration"],
          message: "needs cloudPartnerNavigator (at least usageMeteringAgentsUrl) in the inventory",
        });
      if ("env" in s.credentials) {
        const env = s.credentials.env;
        const missing = [
          ...s.products.filter((p) => !env.products[p.name]).map((p) => `products.${p.name}`),
          ...(s.registration && !env.cspApiToken ? ["cspApiToken"] : []),
          ...(s.proxy.type !== "none" && s.proxy.user && !env.proxyPassword ? ["proxyPassword"] : []),
        ];
        for (const key of missing)
          ctx.addIssue({
            code: "custom",
            path: ["sites", i, "credentials", "env", ...key.split(".")],
            message: "needs the name of the environment variable that holds it",
          });
      }
    });
  });

export type Inventory = z.infer<typeof inventorySchema>;
export type Site = z.infer<typeof site>;

/** The inventory file, parsed and validated; paths in it made absolute. Fails naming each bad field. */
export async function loadInventory(path: string): Promise<Inventory> {
  const text = await readFile(path, "utf8");
  let parsed: unknown;
  try {
    parsed = load(text, { filename: path });
  } catch (error) {
    throw new InventoryError(`${path}: not YAML or JSON: ${(error as Error).message}`);
  }
  const result = inventorySchema.safeParse(parsed);
  if (!result.success)
    throw new InventoryError(
      `${path} is not a valid inventory:\n${result.error.issues
        .map((issue) => `  ${issue.path.join(".") || "(top)"}: ${issue.message}`)
        .join("\n")}`,
    );
  const base = dirname(resolve(path));
  const absolute = (file: string | undefined) => file && resolve(base, file);
  const inventory = result.data;
  return {
    ...inventory,
    caCertificatesFile: absolute(inventory.caCertificatesFile),
    sites: inventory.sites.map((s) => ({
      ...s,
      caCertificatesFile: absolute(s.caCertificatesFile),
      credentials: "file" in s.credentials ? { ...s.credentials, file: absolute(s.credentials.file)! } : s.credentials,
    })),
  };
}

/** A site's secrets, read from where the inventory says they are. */
export interface SiteSecrets {
  usageMeterPassword: string;
  cspApiToken?: string;
  proxyPassword?: string;
  /** Product name → password. */
  productPasswords: Record<string, string>;
}

/** Reads the site's secrets now, failing (for this site only) naming whatever is missing, never a value. */
export async function readSecrets(s: Site): Promise<SiteSecrets> {
  const { lookup, describe } = await secretSource(s);
  // Env names are all checked by the schema; a file's keys default to the secrets' own names.
  const given = "env" in s.credentials ? s.credentials.env : (s.credentials.keys ?? {});
  const missing: string[] = [];
  const read = (secret: string, ref: string | undefined): string => {
    const value = lookup(ref ?? secret);
    if (!value) missing.push(`${secret} (${describe(ref ?? secret)})`);
    return value ?? "";
  };
  const secrets: SiteSecrets = {
    usageMeterPassword: read("usageMeterPassword", given.usageMeterPassword),
    cspApiToken: s.registration ? read("cspApiToken", given.cspApiToken) : undefined,
    proxyPassword: s.proxy.type !== "none" && s.proxy.user ? read("proxyPassword", given.proxyPassword) : undefined,
    productPasswords: Object.fromEntries(
      s.products.map((p) => [p.name, read(`products.${p.name}`, given.products?.[p.name])]),
    ),
  };
  if (missing.length) throw new InventoryError(`site ${s.name}: no value for ${missing.join(", ")}`);
  return secrets;
}

async function secretSource(
  s: Site,
): Promise<{ lookup: (ref: string) => string | undefined; describe: (ref: string) => string }> {
  if ("env" in s.credentials) return { lookup: (ref) => process.env[ref], describe: (ref) => `$${ref}` };
  const file = s.credentials.file;
  let values: unknown;
  try {
    values = load(await readFile(file, "utf8"), { filename: file });
  } catch (error) {
    // The parser's message can quote the file's text: name the file and the kind of failure only.
    const code = (error as NodeJS.ErrnoException).code;
    throw new InventoryError(`site ${s.name}: cannot read the secrets file ${file}${code ? ` (${code})` : ""}`);
  }
  // Dotted names reach into the file's maps: `products.vcenter` is `products: {vcenter: …}`.
  const lookup = (ref: string) => {
    const value = ref.split(".").reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), values);
    return typeof value === "string" ? value : undefined;
  };
  return { lookup, describe: (ref) => `${ref} in ${file}` };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A bad inventory or a missing secret: printed as it is, without a stack trace. */
export class InventoryError extends Error {
  override name = "InventoryError";
}

/** What the site's program (index.ts) reads from its stack config under `vcpp-fleet:`. */
export interface SiteDeclaration {
  proxy: Site["proxy"];
  products: Site["products"];
  registration?: Site["registration"];
}
