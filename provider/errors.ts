import { RunError } from "@pulumi/pulumi";
import { redact } from "./redact";

/**
 * What went wrong, as one stable word a program can branch on (the README lists them).
 * The low-level cause (a socket error's code, a parser's error) is kept beside it, never as it.
 */
export type ErrorCode =
  /** A `vcpp:*` setting is missing or invalid. */
  | "CONFIG"
  /** A resource's inputs break a rule (seen at apply time, when a value became known), or a function's arguments. */
  | "INVALID_INPUTS"
  /** The service answered with a failure status. */
  | "HTTP_ERROR"
  /** The answer could not be decoded, or does not have the documented shape. */
  | "BAD_RESPONSE"
  /** A download's length or checksum is not the one the service announced. */
  | "INTEGRITY"
  /** No answer: the connection was refused, reset, or the name did not resolve. */
  | "NETWORK"
  /** No answer within the timeout. */
  | "TIMEOUT"
  /** The TLS handshake failed, usually an untrusted certificate. */
  | "TLS"
  /** The Usage Meter could not reach the cloud through the proxy it was given. */
  | "PROXY_TEST_FAILED"
  /** A product presents a certificate other than the pinned one. */
  | "CERTIFICATE_MISMATCH"
  /** The object exists on the service with settings this package will not override (an agent registered for another contract). */
  | "CONFLICT"
  /** An object the stack manages no longer exists on the service. */
  | "GONE"
  /** The state names a resource kind this version of the package does not know. */
  | "UNKNOWN_RESOURCE_KIND";

export interface ErrorOptions {
  /** The lower-level error this one explains; set as `Error.cause`. */
  cause?: unknown;
}

/**
 * Base of every error this package throws; the message is always redacted. A Pulumi `RunError`:
 * when a function's failure ends a program, the language host prints its message once, without
 * the stack trace and the dump of its fields it prints for a bug.
 */
export class VcppError extends RunError {
  constructor(
    message: string,
    readonly code: ErrorCode,
    options: ErrorOptions = {},
  ) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A setting is missing or invalid; the message names the `vcpp:*` key and how to set it. */
export class ConfigError extends VcppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CONFIG", options);
  }
}

/** Something about one resource of the stack, as opposed to a call that failed. */
export class ResourceError extends VcppError {
  /** The resource type, e.g. `MeteredProduct`. */
  readonly resource: string;

  constructor(options: { resource: string; message: string; code: ErrorCode } & ErrorOptions) {
    super(options.message, options.code, options);
    this.resource = options.resource;
  }
}

/** One broken rule of a resource's inputs. */
export interface InputIssue {
  /** The field's path, e.g. `proxy.port`. */
  field: string;
  rule: string;
}

/** A resource's inputs break rules: `MeteredProduct: invalid inputs: port: must be a number`. */
export class InputError extends ResourceError {
  readonly issues: readonly InputIssue[];

  constructor(options: { resource: string; issues: InputIssue[] } & ErrorOptions) {
    const list = options.issues.map((i) => `${i.field}: ${i.rule}`).join("; ");
    super({ ...options, message: `${options.resource}: invalid inputs: ${list}`, code: "INVALID_INPUTS" });
    this.issues = options.issues;
  }

  /** The fields named, in order. */
  get fields(): string[] {
    return this.issues.map((i) => i.field);
  }

  /** The failures zod found in `resource`'s inputs (or a function's arguments), each naming its field. */
  static fromZod(resource: string, issues: readonly ZodIssueLike[], wholeValue = "(inputs)"): InputError {
    const list = issues.map((i) => ({ field: i.path.length ? formatPath(i.path) : wholeValue, rule: i.message }));
    return new InputError({ resource, issues: list });
  }
}

/** What this module reads of a zod issue (without depending on zod's types). */
interface ZodIssueLike {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

/** `items[0].port`: a path into a value, as messages show it. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** What a failed call was: enough to find it in the service's own logs. */
export interface CallDescription {
  service: string;
  operation: string;
  method: string;
  /** Path as sent, without query values that might identify secrets. */
  path: string;
}

export interface ServiceErrorOptions extends ErrorOptions {
  call: CallDescription;
  /** What happened, after "failed (METHOD path): ". */
  detail: string;
  code: ErrorCode;
  /** HTTP status, absent when no answer came (timeout, refused connection, TLS failure). */
  status?: number;
  /** The service's own error code (`errCode`), when it sent one. */
  errCode?: string;
  /** The service's own message (`errMessage`), when it sent one; redacted like the message. */
  serverMessage?: string;
  /** What the user can do about it. */
  hint?: string;
  /** The socket's or TLS layer's code when no answer came, e.g. `ECONNREFUSED`. */
  networkCode?: string;
}

/** A remote service refused a call, failed, could not be reached, or answered nonsense. */
export class ServiceError extends VcppError {
  readonly service: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly errCode?: string;
  readonly serverMessage?: string;
  readonly hint?: string;
  readonly networkCode?: string;

  constructor(options: ServiceErrorOptions) {
    const { call, detail, hint } = options;
    super(
      `${call.service}: ${call.operation} failed (${call.method} ${call.path}): ${detail}${hint ? `. ${hint}` : ""}`,
      options.code,
      options,
    );
    this.service = call.service;
    this.operation = call.operation;
    this.method = call.method;
    this.path = call.path;
    this.status = options.status;
    this.errCode = options.errCode;
    this.serverMessage = options.serverMessage === undefined ? undefined : redact(options.serverMessage);
    this.hint = hint;
    this.networkCode = options.networkCode;
  }
}
