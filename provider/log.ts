/**
 * Logging through Pulumi's log (the engine's diagnostics in a program; stdout/stderr of the
 * provider process, which the engine shows, inside a dynamic provider), always redacted.
 */
import * as pulumi from "@pulumi/pulumi";
import { redact } from "./redact";

export const info = (message: string): void => void pulumi.log.info(redact(message));
export const warn = (message: string): void => void pulumi.log.warn(redact(message));
export const debug = (message: string): void => void pulumi.log.debug(redact(message));
