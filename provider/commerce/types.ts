/** Public shapes of the commerce client's answers, free of zod so that their declarations compile in any program. */

/** One order line as the feed reports it (one entry per line), read from Atom or JSON alike. */
export interface OrderFeedEntry {
  /** The entry's id in the feed. */
  id: string;
  title?: string;
  /** When the entry was last updated (ISO 8601), as the feed says. */
  updated?: string;
  /** `success` or `failure` (lower case; as the feed says otherwise). */
  status: string;
  orderNumber?: string;
  tokenNumber?: string;
  externalLineTransactionReference?: string;
  lineId?: string;
  externalContractId?: string;
  partId?: string;
  commitStartDate?: string;
  commitEndDate?: string;
  /** The request id of `POST /order`, when the feed carries it (the seed does not show it). */
  requestId?: string;
  /** Every key/value pair of the entry, as sent. */
  values: Record<string, string>;
}
