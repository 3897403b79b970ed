/**
 * Liberal readers for answers whose references give field names but rarely types: what a service
 * could plausibly send for a value is accepted and turned into one type; anything else fails the
 * schema, naming the field. Shared by every service's schemas.
 */
import { z } from "zod";

/** Absent and `null` are the same to this client: nothing reported. */
export const absentAsUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * A whole number sent as a number or as its decimal text (`7` or `"7"`): ids and ports. Not
 * `z.coerce`, which would turn `null`, `""` or `true` into a number.
 */
export const integerish = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "expected a whole number")
    .transform(Number),
]);

/** A number or a string, kept as sent (version parts, which may be `"0"` or `"0-beta"`). */
export const numberish = z.union([z.number(), z.string()]);

/** A flag sent as a boolean or as `"true"`/`"false"` (any case); nothing else is guessed at. */
export const booleanish = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["true", "false"]))
    .transform((s) => s === "true"),
]);

/**
 * A point in time as epoch milliseconds: a number, digits, or an ISO-8601 text. The references
 * give no unit; a number below 10^11 is read as seconds (it would be 1973 in milliseconds).
 * Text that is not a date is undefined: a timestamp is never a reason to refuse an answer.
 */
export const timestamp = z.union([z.number(), z.string()]).transform((value) => {
  const number =
    typeof value === "number" ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(number)) return undefined;
  return number < 1e11 ? number * 1000 : number;
});
