import { redact } from "./redact";

/** Base of every error this package throws; the message is always redacted. */
export class VcppError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `HTTP_ERROR`, `BAD_RESPONSE`, `CONFIG`. */
    readonly code: string,
  ) {
    super(redact(message));
    this.name = new.target.name;
  }
}

/** A setting is missing or invalid; the message names the `vcpp:*` key and how to set it. */
export class ConfigError extends VcppError {
  constructor(message: string) {
    super(message, "CONFIG");
  }
}

/** What a failed call was: enough to find it in the service's own logs. */
export interface CallDescription {
  service: string;
  operation: string;
  method: string;
  /** Path as sent, without query values that might identify secrets. */
  path: string;
}

/** A remote service refused a call, failed, or could not be reached. */
export class ServiceError extends VcppError {
  readonly service: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly serverMessage?: string;

  constructor(
    call: CallDescription,
    detail: string,
    code: string,
    /** HTTP status, absent when no answer came (timeout, refused connection, TLS failure). */
    readonly status?: number,
    /** The service's own error code (`errCode`), when it sent one. */
    readonly errCode?: string,
    /** The service's own message (`errMessage`), when it sent one; redacted like the message. */
    serverMessage?: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(`${call.service}: ${call.operation} failed (${call.method} ${call.path}): ${detail}${hint ? `. ${hint}` : ""}`, code);
    this.service = call.service;
    this.operation = call.operation;
    this.method = call.method;
    this.path = call.path;
    this.serverMessage = serverMessage === undefined ? undefined : redact(serverMessage);
  }
}
