import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError, ResourceError, ServiceError } from "../provider/errors";
import { ServiceClients } from "../provider/registry";
import * as log from "../provider/log";
import { waitFor } from "../provider/wait";
import { CommerceClient, OrderSpec } from "../provider/commerce/client";
import { INSTANCE_PO_TYPES, PO_TYPES, PoType } from "../provider/commerce/po-types";
import { OrderJournal } from "../provider/commerce/journal";
import { OrderFeedEntry } from "../provider/commerce/types";
import { shimFor } from "./shim";
import {
  checkInputs,
  dropUndefined,
  isUnknown,
  KindProvider,
  nonEmpty,
  parseInputs,
  Same,
  UNKNOWN,
} from "./validation";

/** The person an order is placed for: a user of the contract. */
export interface OrderContact {
  emailAddress: string;
  customerNumber: string;
}

/** One line of an order. */
export interface OrderLineItem {
  /** A `crossRefSKU` from getEligibleProducts (or getAddonProducts, for add-ons). */
  partNumber: string;
  /** A positive whole number. */
  quantity: number;
  /** The service instance (`SID`); required for ADDON_REQUEST, RENEWAL_REQUEST and UPGRADE_REQUEST. */
  serviceInstanceId?: string;
}

/** Inputs of a {@link VcppOrder}. Any change but `payloadFormat` and `waitForFulfillment` places a NEW order. */
export interface VcppOrderArgs {
  /** The commit contract the order is placed on (`originalOrderNumber`). */
  contractNumber: pulumi.Input<string>;
  /** NEW_SERVICE_REQUEST, ONDEMAND_SIGNUP, ADDON_REQUEST, RENEWAL_REQUEST or UPGRADE_REQUEST. */
  poType: pulumi.Input<PoType>;
  /** The order's contact; by default the contract's admin user. */
  contact?: pulumi.Input<pulumi.Unwrap<OrderContact>>;
  /** The reseller's PRMID; by default the contract's `spPRMID`. */
  resellerId?: pulumi.Input<string>;
  /** What is ordered: at least one line. */
  lineItems: pulumi.Input<pulumi.Input<pulumi.Unwrap<OrderLineItem>>[]>;
  /**
   * How the order is sent: `json`, or `xml` (the seed's appendix form). Changing it changes nothing remote.
   * @default "json"
   */
  payloadFormat?: pulumi.Input<"json" | "xml">;
  /**
   * This order's identity on this machine's order journal: the same key and content are never
   * ordered twice. Set it from `new random.RandomUuid(...).result` so that it is in the state before
   * the order is attempted. Defaults to `<project>/<stack>/<resource name>`. Changing it places a new order.
   */
  orderKey?: pulumi.Input<string>;
  /** Adopt an order placed elsewhere, by its request id, instead of placing one. Changing it replaces. */
  requestId?: pulumi.Input<string>;
  /**
   * Wait during create until the order appears in the order feed, at most this long (`90s`, `30m`, `2h`;
   * at most 48h). Orders take 2 to 48 hours to process. Changing it changes nothing remote.
   */
  waitForFulfillment?: pulumi.Input<string>;
}

/** What the stack records about an order. */
export interface VcppOrderOutputs {
  contractNumber: string;
  poType: PoType;
  /** The contact the order was placed with (resolved from the contract when not declared). */
  contact: OrderContact;
  /** The reseller PRMID the order was placed with (resolved from the contract when not declared). */
  resellerId: string;
  lineItems: OrderLineItem[];
  payloadFormat: "json" | "xml";
  orderKey: string;
  /**
   * The request id `POST /order` answered (or the adopted one). Absent while the order is
   * `unconfirmed` and the feed has not shown it with one.
   */
  requestId?: string;
  waitForFulfillment?: string;
  /**
   * `unconfirmed` (sent, answer lost: see the README), `pending` (placed, not yet in the order
   * feed), then the feed's status (`success`, `failure`).
   */
  fulfillmentStatus: string;
  /** When the order was sent (ISO 8601), from the journal. */
  submittedAt?: string;
  /** SHA-256 of the order's declared content: with `orderKey`, its entry in the order journal. */
  orderFingerprint: string;
  /** From the order feed, once the order appears there. */
  orderNumber?: string;
  lineId?: string;
  commitStartDate?: string;
  commitEndDate?: string;
}

const DURATION = /^(\d+)(s|m|h)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** The longest the seed says processing takes: a longer wait cannot help. */
const MAX_WAIT_MS = 48 * UNIT_MS.h;
/** An unconfirmed order not seen in the feed after this long was probably never placed. */
const PROCESSING_LIMIT_MS = 48 * UNIT_MS.h;
/** Feed entries may be stamped a little before the journal's time (clocks differ). */
const CLOCK_SKEW_MS = 10 * 60_000;

const identifier = z
  .string("must be a string")
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, '.', '_' or '-'");

const lineItem = z.object({
  partNumber: z
    .string("must be a string")
    .trim()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters"),
  quantity: z
    .number("must be a number")
    .int("must be a positive whole number")
    .positive("must be a positive whole number"),
  serviceInstanceId: identifier.optional(),
});

/** @internal */
export const vcppOrderInputs = z
  .object({
    contractNumber: identifier,
    poType: z.enum(PO_TYPES, `must be one of ${PO_TYPES.join(", ")}`),
    contact: z
      .object({
        emailAddress: z.string("must be a string").trim().email("must be an email address"),
        customerNumber: identifier,
      })
      .optional(),
    resellerId: identifier.optional(),
    lineItems: z.array(lineItem, "must be a list of order lines").min(1, "must have at least one line"),
    payloadFormat: z.enum(["json", "xml"], "must be json or xml").default("json"),
    orderKey: nonEmpty.optional(),
    requestId: identifier.optional(),
    waitForFulfillment: z
      .string()
      .regex(DURATION, "must be a duration such as 90s, 30m or 2h")
      .refine((d) => durationMs(d) <= MAX_WAIT_MS, "must be at most 48h (the longest processing time)")
      .optional(),
  })
  .superRefine((args, ctx) => {
    if (!INSTANCE_PO_TYPES.includes(args.poType)) return;
    args.lineItems.forEach((line, i) => {
      if (line.serviceInstanceId === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["lineItems", i, "serviceInstanceId"],
          message: `is required when poType is ${args.poType} (the service instance it acts on)`,
        });
    });
  });
/** @internal */
export type VcppOrderInputs = z.infer<typeof vcppOrderInputs>;
true satisfies Same<keyof VcppOrderArgs, keyof z.input<typeof vcppOrderInputs>>;

/** Fields whose change means another order: a replacement, i.e. a NEW order is placed. */
const REPLACING_FIELDS = [
  "contractNumber",
  "poType",
  "lineItems",
  "contact",
  "resellerId",
  "orderKey",
  "requestId",
] as const;
/** Fields that only change how this provider talks or waits. */
const IN_PLACE_FIELDS = ["payloadFormat", "waitForFulfillment"] as const;

function durationMs(duration: string): number {
  const match = DURATION.exec(duration);
  // zod runs the refinement after a failed regex too: that failure is the one reported.
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
}

/**
 * @internal
 * SHA-256 of what the order declares (not of defaults resolved later, which may change between runs).
 */
export function orderFingerprint(
  args: Pick<VcppOrderInputs, "contractNumber" | "poType" | "lineItems" | "contact" | "resellerId">,
): string {
  const content = {
    contractNumber: args.contractNumber,
    poType: args.poType,
    lineItems: args.lineItems.map((l) => [l.partNumber, l.quantity, l.serviceInstanceId ?? null]),
    contact: args.contact ? [args.contact.emailAddress.toLowerCase(), args.contact.customerNumber] : null,
    resellerId: args.resellerId ?? null,
  };
  return createHash("sha256").update(JSON.stringify(content)).digest("hex");
}

const describe = (args: Pick<VcppOrderInputs, "poType" | "contractNumber" | "orderKey">) =>
  `VcppOrder ${args.poType} on contract ${args.contractNumber} (orderKey ${args.orderKey})`;

/** @internal */
export class VcppOrderProvider implements KindProvider {
  constructor(private readonly context: ServiceClients) {}

  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const result = checkInputs(vcppOrderInputs, news, this.context);
    if (result.failures?.length) return result;
    const contentChanged = Object.keys(olds).length === 0 || REPLACING_FIELDS.some((f) => changed(f, olds[f], news[f]));
    if (!contentChanged || news.requestId !== undefined || !this.context.commerceSettings().configured()) return result;
    const args = vcppOrderInputs.safeParse(result.inputs);
    // An unknown orderKey (a RandomUuid not yet created) does not stop the check; unknown content does.
    const { contractNumber, poType, lineItems } = news;
    if (!args.success || JSON.stringify({ contractNumber, poType, lineItems }).includes(UNKNOWN)) return result;
    const failures = await this.ineligibleParts(args.data);
    return failures.length ? { inputs: news, failures } : result;
  }

  async diff(_id: string, olds: VcppOrderOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    const before = olds as unknown as Record<string, unknown>;
    const replaces = REPLACING_FIELDS.filter((f) => changed(f, before[f], news[f]));
    const updates = IN_PLACE_FIELDS.filter((f) =>
      changed(f, before[f], news[f] ?? (f === "payloadFormat" ? "json" : undefined)),
    );
    if (replaces.length)
      log.warn(
        `${describe(olds)}: ${replaces.join(", ")} changed, so pulumi up places a NEW order (an order cannot be changed or withdrawn through the API)`,
      );
    // The new order is placed before the old resource leaves the stack (delete withdraws nothing).
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const args = parseInputs(vcppOrderInputs, inputs, "VcppOrder");
    const orderKey = requiredKey(args);
    const client = this.context.commerce();
    if (args.requestId !== undefined) {
      log.info(`${describe({ ...args, orderKey })}: adopting request ${args.requestId}; no order is placed`);
      const spec = await this.resolve(client, args);
      const outs = base(args, orderKey, spec, { fulfillmentStatus: "pending", requestId: args.requestId });
      return { id: orderKey, outs: await this.follow(client, outs, { fresh: true }) };
    }
    const spec = await this.resolve(client, args);
    const journal = new OrderJournal(this.context.commerceSettings().journalPath);
    const fingerprint = orderFingerprint(args);
    const record = {
      key: orderKey,
      fingerprint,
      contractNumber: args.contractNumber,
      partNumbers: args.lineItems.map((l) => l.partNumber),
    };
    const known = journal.verdict(orderKey, fingerprint);
    if (known.state === "placed") {
      log.warn(
        `${describe({ ...args, orderKey })}: the order journal (${journal.path}) says this order was placed at ${known.at} as request ${known.requestId}; adopting it instead of ordering again`,
      );
      const outs = base(args, orderKey, spec, {
        fulfillmentStatus: "pending",
        requestId: known.requestId,
        submittedAt: known.at,
      });
      return { id: orderKey, outs: await this.follow(client, outs, { fresh: true }) };
    }
    if (known.state === "unknown") {
      log.warn(
        `${describe({ ...args, orderKey })}: the order journal (${journal.path}) says this order was sent at ${known.at} and its answer never came (a lost answer, or an interrupted pulumi). ` +
          `It is NOT sent again: it is recorded as unconfirmed, and pulumi refresh confirms it from the order feed once VMware has processed it (2 to 48 hours)`,
      );
      const outs = base(args, orderKey, spec, { fulfillmentStatus: "unconfirmed", submittedAt: known.at });
      return { id: orderKey, outs: await this.follow(client, outs, { fresh: true }) };
    }
    for (const other of journal.otherContent(orderKey, fingerprint))
      log.warn(
        `${describe({ ...args, orderKey })}: an order with other content under this key (parts ${other.partNumbers.join(", ")}, ${other.event} at ${other.at}${other.requestId ? `, request ${other.requestId}` : ""}) is not in the stack; it may have been placed. Placing this one`,
      );

    const sent = journal.append({ ...record, event: "sending" });
    const outcome = await client.placeOrder(spec, args.payloadFormat);
    if (outcome.kind === "placed") {
      journal.append({ ...record, event: "placed", requestId: outcome.requestId });
      log.info(`${describe({ ...args, orderKey })}: placed as request ${outcome.requestId}`);
      const outs = base(args, orderKey, spec, {
        fulfillmentStatus: "pending",
        requestId: outcome.requestId,
        submittedAt: sent.at,
      });
      return { id: orderKey, outs: await this.waitForFulfillment(client, outs, args.waitForFulfillment) };
    }
    if (outcome.kind === "rejected" || outcome.kind === "not-sent") {
      journal.append({ ...record, event: outcome.kind });
      throw outcome.error;
    }
    journal.append({ ...record, event: "unknown" });
    log.warn(
      `${describe({ ...args, orderKey })}: the order was sent but its outcome is unknown (${outcome.error.message}). ` +
        `It is NOT sent again, neither now nor by the next pulumi up: it is recorded as unconfirmed, and pulumi refresh confirms it from the order feed once VMware has processed it (2 to 48 hours). ` +
        `If it never appears, it was not placed: then order it again with a new orderKey`,
    );
    const outs = base(args, orderKey, spec, { fulfillmentStatus: "unconfirmed", submittedAt: sent.at });
    return { id: orderKey, outs };
  }

  async read(id: string, props: VcppOrderOutputs): Promise<pulumi.dynamic.ReadResult> {
    const outs = await this.follow(this.context.commerce(), props, { fresh: false });
    return { id, props: outs };
  }

  async update(
    _id: string,
    olds: VcppOrderOutputs,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const args = parseInputs(vcppOrderInputs, news, "VcppOrder");
    return {
      outs: dropUndefined({ ...olds, payloadFormat: args.payloadFormat, waitForFulfillment: args.waitForFulfillment }),
    };
  }

  async delete(_id: string, props: VcppOrderOutputs): Promise<void> {
    log.warn(
      `${describe(props)}${props.requestId ? ` (request ${props.requestId})` : ""} is removed from the stack only: an order cannot be withdrawn through the VCPP API. To cancel it, contact VMware`,
    );
    if (props.requestId === undefined && props.fulfillmentStatus !== "unconfirmed") return;
    const journal = new OrderJournal(this.context.commerceSettings().journalPath);
    journal.append({
      key: props.orderKey,
      fingerprint: props.orderFingerprint,
      event: "released",
      contractNumber: props.contractNumber,
      partNumbers: props.lineItems.map((l) => l.partNumber),
      requestId: props.requestId,
    });
  }

  /** The order as sent: declared values, else the contract's admin user and `spPRMID`. */
  private async resolve(client: CommerceClient, args: VcppOrderInputs): Promise<OrderSpec> {
    const { contractNumber, poType, lineItems } = args;
    let { contact, resellerId } = args;
    if (resellerId === undefined) {
      resellerId = (await client.requireCommitContract(contractNumber)).spPRMID;
      if (!resellerId)
        throw new ResourceError({
          resource: "VcppOrder",
          code: "INVALID_INPUTS",
          message: `VcppOrder: contract ${contractNumber} reports no spPRMID: set resellerId`,
        });
    }
    if (contact === undefined) {
      const admin = (await client.contractUsers(contractNumber)).find((u) => u.isAdmin && u.email && u.customerNumber);
      if (!admin)
        throw new ResourceError({
          resource: "VcppOrder",
          code: "INVALID_INPUTS",
          message: `VcppOrder: contract ${contractNumber} has no admin user with an email and customer number: set contact`,
        });
      contact = { emailAddress: admin.email as string, customerNumber: admin.customerNumber as string };
    }
    return { contractNumber, poType, resellerId, contact, lineItems };
  }

  /** Part numbers the contract (or, for add-ons, the service instance) cannot order, as check failures. */
  private async ineligibleParts(args: VcppOrderInputs): Promise<pulumi.dynamic.CheckFailure[]> {
    let client: CommerceClient;
    try {
      client = this.context.commerce();
    } catch (error) {
      if (error instanceof ConfigError) return [];
      throw error;
    }
    try {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      for (const [i, line] of args.lineItems.entries()) {
        const { eligible, of } = await eligibleFor(client, args, line.serviceInstanceId);
        if (!eligible.includes(line.partNumber)) {
          const listed = eligible.length
            ? eligible.slice(0, 30).join(", ") + (eligible.length > 30 ? ", …" : "")
            : "none";
          failures.push({
            property: `lineItems[${i}].partNumber`,
            reason: `lineItems[${i}].partNumber: ${line.partNumber} is not eligible for ${of}; eligible: ${listed}`,
          });
        }
      }
      return failures;
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      // The service is unreachable or refuses: the order itself will say so; a preview is not blocked by it.
      log.warn(`VcppOrder: could not check part numbers against the commerce API: ${error.message}`);
      return [];
    }
  }

  /** Follows the order through the feed: `read`'s shared feed, or a fresh read right after create. */
  private async follow(
    client: CommerceClient,
    outs: VcppOrderOutputs,
    { fresh }: { fresh: boolean },
  ): Promise<VcppOrderOutputs> {
    const feed = fresh ? await client.orderFeed() : await client.sharedOrderFeed();
    let lines = matchOrder(feed, outs, outs.requestId === undefined ? this.claimedElsewhere(outs.orderKey) : undefined);
    if (lines.length === 0 && outs.requestId !== undefined && feed.length > 0 && !feed.some((e) => e.requestId)) {
      // This feed does not carry request ids: ask for the request's own entries. (An empty feed has nothing to find.)
      const own = fresh
        ? await client.orderFeed({ requestId: outs.requestId })
        : await client.sharedOrderFeed({ requestId: outs.requestId });
      lines = own.filter((e) => e.requestId === undefined || e.requestId === outs.requestId);
    }
    if (lines.length === 0) {
      warnIfOverdue(outs);
      return outs;
    }
    return withFeed(outs, lines);
  }

  /** Request ids the journal records as placed under other keys: an unconfirmed order is none of them. */
  private claimedElsewhere(orderKey: string): Set<string> {
    const records = new OrderJournal(this.context.commerceSettings().journalPath).records();
    return new Set(records.filter((r) => r.key !== orderKey && r.requestId).map((r) => r.requestId as string));
  }

  private async waitForFulfillment(
    client: CommerceClient,
    outs: VcppOrderOutputs,
    duration: string | undefined,
  ): Promise<VcppOrderOutputs> {
    if (duration === undefined || outs.requestId === undefined) return outs;
    const timeoutMs = durationMs(duration);
    const pollMs = Math.min(60_000, Math.max(1_000, timeoutMs / 20));
    const fulfilled = await waitFor({
      what: `request ${outs.requestId} (${outs.poType} on contract ${outs.contractNumber}) to appear in the order feed`,
      timeoutMs,
      pollMs,
      progressEveryMs: Math.max(5_000, pollMs),
      poll: async () => {
        const next = await this.follow(client, outs, { fresh: true });
        return next.fulfillmentStatus === "pending" ? undefined : next;
      },
    });
    if (!fulfilled)
      log.warn(
        `VcppOrder request ${outs.requestId} is not fulfilled after ${duration}; pulumi refresh shows when it is`,
      );
    return fulfilled ?? outs;
  }
}

/** Eligible part numbers for one line: the instance's add-ons for an add-on; the contract's products otherwise. */
async function eligibleFor(
  client: CommerceClient,
  args: VcppOrderInputs,
  serviceInstanceId: string | undefined,
): Promise<{ eligible: string[]; of: string }> {
  const contractParts = async () =>
    (await client.eligibleProducts(args.contractNumber)).flatMap((p) => p.coreVariations.map((v) => v.crossRefSKU));
  const addonParts = async (sid: string) =>
    (await client.addonProducts(sid)).flatMap((p) => p.addOnProductVariations.map((v) => v.crossRefSKU));
  if (args.poType === "ADDON_REQUEST" && serviceInstanceId)
    return { eligible: await addonParts(serviceInstanceId), of: `service instance ${serviceInstanceId}` };
  // Renewals and upgrades may name a base product or one of the instance's add-ons.
  if (serviceInstanceId && INSTANCE_PO_TYPES.includes(args.poType))
    return {
      eligible: [...new Set([...(await contractParts()), ...(await addonParts(serviceInstanceId))])],
      of: `contract ${args.contractNumber} or service instance ${serviceInstanceId}`,
    };
  return { eligible: await contractParts(), of: `contract ${args.contractNumber}` };
}

/**
 * @internal
 * The feed's lines of this order. By request id when the feed carries it; an order without one
 * (unconfirmed) by contract, part numbers and time: a line of one of its parts on its contract,
 * stamped after it was sent. Then the order number the first match gave keeps finding it.
 */
export function matchOrder(
  feed: OrderFeedEntry[],
  order: VcppOrderOutputs,
  claimed: Set<string> = new Set(),
): OrderFeedEntry[] {
  if (order.orderNumber) return feed.filter((e) => e.orderNumber === order.orderNumber);
  if (order.requestId) return feed.filter((e) => e.requestId === order.requestId);
  if (order.submittedAt === undefined) return [];
  const since = Date.parse(order.submittedAt) - CLOCK_SKEW_MS;
  const parts = new Set(order.lineItems.map((l) => l.partNumber));
  const candidates = feed.filter(
    (e) =>
      e.partId !== undefined &&
      parts.has(e.partId) &&
      (e.requestId === undefined || !claimed.has(e.requestId)) &&
      (e.externalContractId === undefined || e.externalContractId === order.contractNumber) &&
      (e.updated === undefined || Date.parse(e.updated) >= since),
  );
  const first = candidates[0];
  if (!first) return [];
  return first.orderNumber ? candidates.filter((e) => e.orderNumber === first.orderNumber) : [first];
}

/** The order's outputs with what the feed says; a failed line fails the order. */
function withFeed(outs: VcppOrderOutputs, lines: OrderFeedEntry[]): VcppOrderOutputs {
  const [first] = lines;
  const failed = lines.find((l) => l.status !== "success");
  if (outs.fulfillmentStatus === "unconfirmed")
    log.info(
      `VcppOrder ${outs.orderKey}: confirmed from the order feed as order ${first.orderNumber ?? "(no number)"}${first.requestId ? `, request ${first.requestId}` : ""}`,
    );
  return dropUndefined({
    ...outs,
    fulfillmentStatus: (failed ?? first).status,
    requestId: outs.requestId ?? first.requestId,
    orderNumber: first.orderNumber ?? outs.orderNumber,
    lineId: first.lineId ?? outs.lineId,
    commitStartDate: first.commitStartDate ?? outs.commitStartDate,
    commitEndDate: first.commitEndDate ?? outs.commitEndDate,
  });
}

function warnIfOverdue(outs: VcppOrderOutputs): void {
  if (outs.fulfillmentStatus !== "unconfirmed" || outs.submittedAt === undefined) return;
  if (Date.now() - Date.parse(outs.submittedAt) < PROCESSING_LIMIT_MS) return;
  log.warn(
    `VcppOrder ${outs.orderKey}: sent at ${outs.submittedAt} with an unknown outcome and still not in the order feed after 48 hours: it was probably never placed. Check with VMware; to order it again, give it a new orderKey`,
  );
}

/** Whether a declared field differs from what the stack holds; absent contact/reseller/requestId mean "as resolved". */
function changed(field: string, before: unknown, after: unknown): boolean {
  if (isUnknown(after)) return true;
  if ((field === "contact" || field === "resellerId" || field === "requestId") && after === undefined) return false;
  if (field === "lineItems") return JSON.stringify(normalizeLines(before)) !== JSON.stringify(normalizeLines(after));
  if (field === "contact") return JSON.stringify(normalizeContact(before)) !== JSON.stringify(normalizeContact(after));
  return JSON.stringify(before) !== JSON.stringify(after);
}

function normalizeLines(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((l: Partial<OrderLineItem>) => [
    String(l?.partNumber ?? "").trim(),
    l?.quantity,
    l?.serviceInstanceId ?? null,
  ]);
}

function normalizeContact(value: unknown): unknown {
  const c = value as Partial<OrderContact> | undefined;
  return (
    c && [
      String(c.emailAddress ?? "")
        .trim()
        .toLowerCase(),
      c.customerNumber,
    ]
  );
}

function requiredKey(args: VcppOrderInputs): string {
  if (args.orderKey === undefined)
    throw new ResourceError({
      resource: "VcppOrder",
      code: "INVALID_INPUTS",
      message: "VcppOrder: orderKey is missing",
    });
  return args.orderKey;
}

function base(
  args: VcppOrderInputs,
  orderKey: string,
  spec: OrderSpec,
  more: Pick<VcppOrderOutputs, "fulfillmentStatus" | "requestId" | "submittedAt">,
): VcppOrderOutputs {
  return dropUndefined({
    contractNumber: args.contractNumber,
    poType: args.poType,
    contact: spec.contact,
    resellerId: spec.resellerId,
    lineItems: args.lineItems.map((l) => dropUndefined({ ...l })),
    payloadFormat: args.payloadFormat,
    orderKey,
    orderFingerprint: orderFingerprint(args),
    waitForFulfillment: args.waitForFulfillment,
    ...more,
  });
}

/**
 * An order placed with the VMware Cloud Provider Program commerce API (`POST /order`). It costs
 * money: it is placed once, never twice (see the README's "Never twice"), any change of its
 * content places a NEW order (protect it: `{ protect: true }`), and deleting it only removes it
 * from the stack: an order cannot be withdrawn through the API.
 */
export class VcppOrder extends pulumi.dynamic.Resource {
  declare readonly contractNumber: pulumi.Output<string>;
  declare readonly poType: pulumi.Output<PoType>;
  /** The contact the order was placed with (the contract's admin user unless declared). */
  declare readonly contact: pulumi.Output<OrderContact>;
  /** The reseller PRMID the order was placed with (the contract's `spPRMID` unless declared). */
  declare readonly resellerId: pulumi.Output<string>;
  declare readonly lineItems: pulumi.Output<OrderLineItem[]>;
  declare readonly payloadFormat: pulumi.Output<"json" | "xml">;
  /** The order's key in the order journal (also the resource's id). */
  declare readonly orderKey: pulumi.Output<string>;
  /** The request id of the order; undefined while it is unconfirmed. */
  declare readonly requestId: pulumi.Output<string | undefined>;
  declare readonly waitForFulfillment: pulumi.Output<string | undefined>;
  /** `unconfirmed`, `pending`, then the order feed's status (`success`, `failure`). */
  declare readonly fulfillmentStatus: pulumi.Output<string>;
  /** When the order was sent (ISO 8601). */
  declare readonly submittedAt: pulumi.Output<string | undefined>;
  /** SHA-256 of the order's declared content (its entry in the order journal, with orderKey). */
  declare readonly orderFingerprint: pulumi.Output<string>;
  declare readonly orderNumber: pulumi.Output<string | undefined>;
  declare readonly lineId: pulumi.Output<string | undefined>;
  declare readonly commitStartDate: pulumi.Output<string | undefined>;
  declare readonly commitEndDate: pulumi.Output<string | undefined>;

  constructor(name: string, args: VcppOrderArgs, opts?: pulumi.CustomResourceOptions) {
    const outputsUnknownAtCreate = {
      fulfillmentStatus: undefined,
      submittedAt: undefined,
      orderFingerprint: undefined,
      orderNumber: undefined,
      lineId: undefined,
      commitStartDate: undefined,
      commitEndDate: undefined,
    };
    super(
      shimFor("VcppOrder"),
      name,
      {
        ...outputsUnknownAtCreate,
        contact: undefined,
        resellerId: undefined,
        requestId: undefined,
        ...args,
        // In the state before the order is attempted, and the same on every run: the journal's key.
        orderKey: args.orderKey ?? `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      opts,
      "vcpp",
      "VcppOrder",
    );
  }
}
