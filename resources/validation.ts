import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ServiceClients } from "../provider/registry";
import { formatPath, InputError } from "../provider/errors";
import { DEFAULT_USAGE_METER } from "../provider/usage-meter/settings";
import { CONTROL_CHARACTERS, requiredString } from "../provider/settings";

/** What the engine sends for a value not known until apply (another resource's output, in preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

/**
 * A resource kind's provider as the shim runs it (resources/dynamic.ts). `secretFields` are the
 * fields of its inputs and state that hold credentials: they are registered for redaction before
 * each call, whatever the call, since a refresh or destroy runs in a process that never saw them.
 */
export interface KindProvider extends Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> {
  readonly secretFields?: readonly string[];
}

/**
 * `check` for a resource: validates the inputs with its schema and reports each failure against
 * the field it concerns, with the rule it breaks. Fields whose value is still unknown (preview)
 * are not judged; they are checked again, known, before anything is sent.
 */
export function checkInputs<S extends z.ZodType>(
  schema: S,
  news: Record<string, unknown>,
  context: ServiceClients,
): pulumi.dynamic.CheckResult {
  const unknownFields = Object.keys(news).filter((key) => isUnknown(news[key]));
  const parsed = schema.safeParse(news);
  const failures = parsed.success
    ? []
    : parsed.error.issues
        .filter((issue) => !unknownFields.includes(String(issue.path[0])))
        .map((issue) => ({
          property: issue.path.length ? formatPath(issue.path) : "(inputs)",
          reason: `${issue.path.length ? `${formatPath(issue.path)}: ` : ""}${issue.message}`,
        }));
  const name = news.usageMeter;
  const known = context.usageMeterNames();
  if (typeof name === "string" && !isUnknown(name) && !known.includes(name)) {
    failures.push({
      property: "usageMeter",
      reason: `usageMeter: "${name}" is not configured (known: ${known.join(", ")}); add it under vcpp:usageMeters`,
    });
  }
  if (failures.length) return { inputs: news, failures };
  return { inputs: parsed.success ? { ...news, ...(parsed.data as object) } : news };
}

/** The declared fields of a resource's outputs, as `read` reports them for the next diff; absent ones left out. */
export function inputsOf(schema: z.ZodObject, outs: object): Record<string, unknown> {
  const values = outs as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(schema.shape).flatMap((field) => (values[field] === undefined ? [] : [[field, values[field]]])),
  );
}

/** Parses inputs that `check` accepted; a failure here means a value only became known at apply time. */
export function parseInputs<S extends z.ZodType>(
  schema: S,
  inputs: Record<string, unknown>,
  resource: string,
): z.infer<S> {
  const parsed = schema.safeParse(inputs);
  if (!parsed.success) {
    throw InputError.fromZod(resource, parsed.error.issues);
  }
  return parsed.data;
}

export const port = z
  .number("must be a number")
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

export const hostName = requiredString()
  .trim()
  // abort: an empty host is reported once, not also as "must be a host name".
  .min(1, { message: "must not be empty", abort: true })
  .max(253, "must be at most 253 characters")
  .regex(
    /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^[0-9A-Fa-f:.]+$/,
    "must be a host name or IP address, without scheme, port or path",
  );

export const nonEmpty = requiredString()
  .min(1, "must not be empty")
  .max(1024, "must be at most 1024 characters")
  .refine((s) => !CONTROL_CHARACTERS.test(s), "must not contain control characters");

/** A named appliance from `vcpp:usageMeters`; absent means the `vcpp:usageMeter*` keys. */
export const usageMeterName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, "must be a name from vcpp:usageMeters")
  .optional();

/**
 * Whether a `usageMeter` input now names another appliance. Absent and `default` name the same one
 * (the `vcpp:usageMeter*` keys): replacing for that would create (adopt) the same object, then
 * delete it.
 */
export function usageMeterChanged(before: unknown, after: unknown): boolean {
  return isUnknown(after) || (before ?? DEFAULT_USAGE_METER) !== (after ?? DEFAULT_USAGE_METER);
}

/**
 * `true` when A and B are the same type, else `false`: `true satisfies Same<A, B>` fails to compile
 * when they differ (a public interface and the zod schema it mirrors, say).
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Pulumi state cannot hold `undefined`: absent outputs are left out. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
