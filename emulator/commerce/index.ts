/**
 * The VMware Cloud Provider Program commerce service of the emulator: OAuth client credentials,
 * commit contracts, users, products, service instances, orders and the order feed (seed 003),
 * under `/vcpp-commerce`, with its admin operations and command-line options.
 */
import { EmulatorService, UsageError } from "../core/service";
import { commerceAdmin, CommerceAdmin } from "./admin";
import { API_BASE, commerceRoutes, TOKEN_PATH } from "./api";
import { CommerceOptions, createCommerceState } from "./state";

export { CommerceAdmin, CommerceOrder, FulfilmentSettings } from "./admin";
export { CommerceOptions, FulfilledLine, OrderLine, PoType } from "./state";

export interface CommerceServiceOptions {
  /** The commerce service's client credentials, token lifetime and order processing. */
  commerce?: CommerceOptions;
}

/** What the `vcpp:commerce*` stack config keys are set to. */
export interface CommerceAccess {
  /** `vcpp:commerceTokenUrl`: the OAuth token endpoint (production: …/v1/m0/api/token/oauth). */
  commerceTokenUrl: string;
  /** `vcpp:commerceUrl`: the API base (production: …/v1/m3/api/vcpp). */
  commerceUrl: string;
  /** `vcpp:commerceClientId`. */
  commerceClientId: string;
  /** `vcpp:commerceClientSecret` (secret). */
  commerceClientSecret: string;
}

export const commerceService: EmulatorService<CommerceServiceOptions, CommerceAdmin, CommerceAccess> = {
  name: "commerce",
  start(options) {
    const state = createCommerceState(options.commerce);
    return {
      routes: commerceRoutes(state),
      ...commerceAdmin(state),
      access: (url) => ({
        commerceTokenUrl: `${url}${TOKEN_PATH}`,
        commerceUrl: `${url}${API_BASE}`,
        commerceClientId: state.clientId,
        commerceClientSecret: state.clientSecret,
      }),
    };
  },
  cli: {
    options: {
      "commerce-fulfilment-delay": {
        type: "string",
        value: "MS",
        help: "VCPP commerce: how long after acceptance an order appears in the order feed (default 1000; 0 at once)",
      },
      "commerce-failing-part": {
        type: "string",
        multiple: true,
        value: "SKU",
        help: "VCPP commerce: order lines with this part number are fulfilled as failure (repeatable)",
      },
    },
    fromArgs(values) {
      const commerce: CommerceOptions = {};
      const delay = values["commerce-fulfilment-delay"];
      if (delay !== undefined) {
        const ms = Number(delay);
        if (!Number.isInteger(ms) || ms < 0)
          throw new UsageError(`--commerce-fulfilment-delay ${String(delay)}: expected milliseconds (0 or more)`);
        commerce.fulfilmentDelayMs = ms;
      }
      const failing = (values["commerce-failing-part"] ?? []) as string[];
      if (failing.length > 0) commerce.failingPartNumbers = failing;
      return Object.keys(commerce).length > 0 ? { commerce } : {};
    },
    examples: ["--commerce-fulfilment-delay 60000 --commerce-failing-part ADD-AACLS-12AT0-C1S"],
    describe(access) {
      return {
        endpoints: [
          `VCPP commerce: token ${access.commerceTokenUrl}  API ${access.commerceUrl}  client id ${access.commerceClientId}  secret ${access.commerceClientSecret}  (contracts 12611521, 12722872, 12833914)`,
        ],
        config: [
          `pulumi config set vcpp:commerceTokenUrl ${access.commerceTokenUrl}`,
          `pulumi config set vcpp:commerceUrl ${access.commerceUrl}`,
          `pulumi config set vcpp:commerceClientId ${access.commerceClientId}`,
          `pulumi config set --secret vcpp:commerceClientSecret '${access.commerceClientSecret}'`,
        ],
      };
    },
  },
};
