/**
 * Usage Insight's and the usage metering agents API's answers, as zod schemas, read liberally
 * (api-reference §6 and §7): numbers may come as text, optional texts as `null`.
 */
import { z } from "zod";
import { absentAsUndefined, booleanish, integerish } from "../readers";

const optionalText = z.string().nullish().transform(absentAsUndefined);
/** A text or a number, kept as text (contract numbers and report references). */
const textish = z.union([z.string().min(1), z.number().transform(String)]);

export { CONNECTIVITY_MODES, ConnectivityMode, METERING_MODES, MeteringMode } from "./modes";

/** `GET /agent-registrations/{agentId}` 200: the linked contract. */
export const registrationSchema = z
  .looseObject({
    contractNumber: textish.nullish().transform(absentAsUndefined),
    siteName: optionalText,
  })
  .optional();

/** One agent of the usage metering agents API (api-reference §7). */
export const agentSchema = z.looseObject({
  agentId: z.string().min(1),
  label: optionalText,
  meteringMode: optionalText,
  connectivityMode: optionalText,
  version: optionalText,
  /** The optimistic lock a PATCH must send. */
  agentSequence: integerish,
  deleted: booleanish.nullish().transform(absentAsUndefined),
  modifiedAt: z.unknown().optional(),
  changedBy: optionalText,
});
export type Agent = z.infer<typeof agentSchema>;

/** One report of a month, as listed. */
export const reportSchema = z.looseObject({
  ref: textish,
  contentType: z.string().min(1),
  contentLength: integerish.pipe(z.number().nonnegative()),
  /** Hex MD5 of the download. */
  checksum: z.string().regex(/^[0-9A-Fa-f]{32}$/, "expected a hex MD5"),
  reportType: optionalText,
});
export type Report = z.infer<typeof reportSchema>;

/** `GET /reports/{year}/{month}`: every agent of the organisation with its reports. */
export const monthReportsSchema = z
  .record(z.string(), z.array(reportSchema))
  .optional()
  .transform((reports) => reports ?? {});
/** `GET /reports/{year}/{month}/{agentId}`; an empty body is no reports. */
export const agentReportsSchema = z
  .array(reportSchema)
  .optional()
  .transform((reports) => reports ?? []);
