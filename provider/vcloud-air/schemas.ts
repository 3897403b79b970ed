/**
 * What vCloud Air answers, as zod schemas. 5.6 answers XML (read by the XML codec: attributes as
 * `@name`, namespace prefixes dropped, repeated elements named in `XML_LISTS` always arrays);
 * 5.7 answers JSON. Both are read liberally where the seeds are loose or contradict themselves
 * (api-reference section 7): a user's roles as `{roles: [...]}` or as a plain array, one user
 * as the user itself or wrapped in `{users: [...]}`, `null` as absent.
 */
import { z } from "zod";

/** Elements that are lists in the 5.6 documents, even when one (or none) came. */
export const XML_LISTS = ["Link", "Service", "VdcRef", "VdcLink"];

/** `null` (5.7 sends it for unset fields) and "" read as absent. */
const absent = (value: unknown) => (value === null || value === "" ? undefined : value);
const text = z.preprocess(absent, z.string().optional());
/** An id as JSON gives it: a string, or a number. */
const id = z.union([z.string().min(1), z.number().transform(String)]);

// ---------------------------------------------------------------------------------------------
// 5.6 (XML)

/** An empty element (`<Session/>`) is "" to the XML codec: an element without attributes or children. */
const element = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? {} : v), schema);

export const linkSchema = z.looseObject({
  "@rel": text,
  "@href": z.string().min(1),
  "@type": text,
  "@name": text,
});
export type Link = z.infer<typeof linkSchema>;

const links = { Link: z.array(linkSchema).default([]) };

/** The 5.6 login answer: links to the service list (`rel="down"`) and to itself for logout (`rel="remove"`). */
export const sessionDocument = z.object({
  Session: element(z.looseObject({ "@href": text, ...links })),
});
export type SessionDocument = z.infer<typeof sessionDocument>["Session"];

export const servicesDocument = z.object({
  Services: element(
    z.looseObject({
      Service: z
        .array(
          z.looseObject({
            "@serviceId": z.string().min(1),
            "@serviceType": text,
            "@region": text,
            "@href": z.string().min(1),
            "@type": text,
          }),
        )
        .default([]),
    }),
  ),
});
export type ServiceReference = z.infer<typeof servicesDocument>["Services"]["Service"][number];

const vdcReference = z.looseObject({
  "@name": z.string().min(1),
  "@href": z.string().min(1),
  "@status": text,
  ...links,
});
export type VdcReference = z.infer<typeof vdcReference>;

export const computeDocument = z.object({
  Compute: element(
    z.looseObject({
      "@serviceId": text,
      "@serviceType": text,
      VdcRef: z.array(vdcReference).default([]),
      ...links,
    }),
  ),
});
export type ComputeDocument = z.infer<typeof computeDocument>["Compute"];

/** `GET` of a VdcRef's href: the `Vdc`, whose down link creates a vCloud session. */
export const vdcDocument = z.object({
  Vdc: element(z.looseObject({ "@name": text, ...links })),
});

export const vcloudSessionDocument = z.object({
  VcloudSession: element(
    z.looseObject({
      "@name": text,
      VdcLink: z
        .array(
          z.looseObject({
            "@authorizationToken": z.string().min(1),
            "@authorizationHeader": z.string().min(1).default("x-vcloud-authorization"),
            "@href": z.string().min(1),
            "@name": text,
            "@rel": text,
          }),
        )
        .min(1, "has no VdcLink"),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------
// 5.7 (JSON)

export const linkList = z.preprocess(absent, z.array(z.unknown()).optional());

export const planSchema = z.looseObject({
  id: id,
  name: text,
  serviceName: text,
  region: text,
  description: text,
  link: linkList,
});
export type Plan = z.infer<typeof planSchema>;
export const plansSchema = z.looseObject({ plans: z.array(planSchema).default([]) });

export const instanceSchema = z.looseObject({
  id: id,
  name: text,
  planId: z.preprocess(absent, id.optional()),
  serviceGroupId: z.preprocess(absent, id.optional()),
  region: text,
  description: text,
  apiUrl: text,
  dashboardUrl: text,
  link: linkList,
});
export type Instance = z.infer<typeof instanceSchema>;
export const instancesSchema = z.looseObject({ instances: z.array(instanceSchema).default([]) });

export const roleSchema = z.looseObject({
  id: z.preprocess(absent, id.optional()),
  name: z.string().min(1),
  description: text,
});
export type Role = z.infer<typeof roleSchema>;

export const userSchema = z.looseObject({
  id: id,
  userName: z.string().min(1),
  email: text,
  givenName: text,
  familyName: text,
  state: text,
  // `{"roles": {"roles": [...]}}` in the seed; a plain array is read as well.
  roles: z.preprocess(
    (v) => (Array.isArray(v) ? { roles: v } : (absent(v) ?? { roles: [] })),
    z.looseObject({ roles: z.preprocess((v) => absent(v) ?? [], z.array(roleSchema)) }),
  ),
});
export type User = z.infer<typeof userSchema>;

export const usersSchema = z.looseObject({ users: z.array(userSchema).default([]) });

/** One user: the user itself, or (as seed 002's sample has it) wrapped in `{users: [user]}`. */
export const oneUserSchema = z.preprocess((v) => {
  const wrapped = (v as { users?: unknown } | undefined)?.users;
  return Array.isArray(wrapped) && wrapped.length === 1 ? wrapped[0] : v;
}, userSchema);

/**
 * Billed or unbilled usage (`BillableUsage`). Seed 002 names the type but shows no sample, so
 * only its container is checked: an object, kept whole for the program, with its entries read
 * where they are found under the usual names.
 */
export const billableUsageSchema = z.looseObject({});
