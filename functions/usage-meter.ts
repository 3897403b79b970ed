/**
 * Read-only functions of the Usage Meter appliance, for use in a Pulumi program: each as a
 * Promise (`getX`) and as an Output that accepts Inputs (`getXOutput`). They run in the
 * program's process with the `vcpp:*` stack config (see program-clients.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeFingerprint } from "../provider/usage-meter/client";
import { DEFAULT_USAGE_METER } from "../provider/usage-meter/settings";
import { outputOf, parseArgs, programClients } from "./program-clients";

/** Arguments of the Usage Meter functions. */
export interface UsageMeterFunctionArgs {
  /** Name of the appliance in `vcpp:usageMeters`; omit to use the `vcpp:usageMeter*` keys. */
  usageMeter?: string;
}

/** {@link UsageMeterFunctionArgs}, each field an Input. */
export interface UsageMeterFunctionOutputArgs {
  usageMeter?: pulumi.Input<string>;
}

/** What {@link getUsageMeterInfo} reports about an appliance. */
export interface UsageMeterInfo {
  /** The appliance the answer is about (`default` for the `vcpp:usageMeter*` keys). */
  usageMeter: string;
  /** The appliance's UUID: the agent id the cloud's Usage Insight service knows it by. */
  agentId: string;
  /** `major.minor`, e.g. `4.8`: what Usage Insight's registration expects as `version`. */
  version: string;
  /** The build number, when the appliance reports it. */
  build?: string;
}

/** A product certificate the appliance waits for someone to accept. */
export interface PendingCertificate {
  productId: number;
  /** The appliance's product type code, e.g. `VCAV`. */
  productType: string;
  /** The appliance's id of the certificate, usually `host:port`. */
  certificateId: string;
  /** SHA-256 fingerprint, upper-case hex pairs joined by colons: compare it with the product's own. */
  fingerprintSha256: string;
  /** Subject distinguished name, when the appliance shows it. */
  subject?: string;
  /** Issuer distinguished name, when the appliance shows it. */
  issuer?: string;
  /** End of validity (ISO 8601), when the appliance shows it. */
  notAfter?: string;
}

/** What {@link getPendingCertificates} reports. */
export interface PendingCertificates {
  usageMeter: string;
  certificates: PendingCertificate[];
}

const argsSchema = z.strictObject(
  {
    usageMeter: z
      .string("must be a string")
      .regex(/^[A-Za-z0-9_.-]+$/, "must be a name from vcpp:usageMeters (letters, digits, '.', '_', '-')")
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown argument ${issue.keys.join(", ")}: the only one is usageMeter`
        : "must be an object",
  },
);

/** The appliance's identity and version, as its `GET /agent_info?um_uuid=true` reports them. */
export async function getUsageMeterInfo(args: UsageMeterFunctionArgs = {}): Promise<UsageMeterInfo> {
  const { usageMeter = DEFAULT_USAGE_METER } = parseArgs("getUsageMeterInfo", argsSchema, args);
  const info = await programClients().usageMeter(usageMeter).agentInfo();
  return {
    usageMeter,
    agentId: info.uuid,
    version: `${info.major_version}.${info.minor_version}`,
    build: info.build_number?.toString(),
  };
}

/** {@link getUsageMeterInfo} for Inputs; the result is secret when an argument is. */
export function getUsageMeterInfoOutput(args: UsageMeterFunctionOutputArgs = {}): pulumi.Output<UsageMeterInfo> {
  return outputOf(args, getUsageMeterInfo);
}

/** The product certificates waiting for acceptance on the appliance (its `GET /user_action`). */
export async function getPendingCertificates(args: UsageMeterFunctionArgs = {}): Promise<PendingCertificates> {
  const { usageMeter = DEFAULT_USAGE_METER } = parseArgs("getPendingCertificates", argsSchema, args);
  // As the appliance is when called: a program may call it again after its resources changed the appliance.
  const actions = await programClients().usageMeter(usageMeter).pendingCertificates(0);
  const certificates = actions.map(({ data }): PendingCertificate => {
    const { certData } = data;
    return {
      productId: data.productId,
      productType: data.productType,
      certificateId: data.certificateId,
      fingerprintSha256: normalizeFingerprint(certData.fingerprint_sha256),
      subject: certData.subjectDN,
      issuer: certData.issuerDN,
      notAfter: certData.notAfter === undefined ? undefined : new Date(certData.notAfter).toISOString(),
    };
  });
  return { usageMeter, certificates };
}

/** {@link getPendingCertificates} for Inputs; the result is secret when an argument is. */
export function getPendingCertificatesOutput(
  args: UsageMeterFunctionOutputArgs = {},
): pulumi.Output<PendingCertificates> {
  return outputOf(args, getPendingCertificates);
}
