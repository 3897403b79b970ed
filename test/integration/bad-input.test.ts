/**
 * Bad input, table-driven: every row is one invalid value for a resource (judged by `check`, as
 * the engine calls it in preview), a function (judged at call time) or a config key (judged in
 * `configure`). Each must be refused with a message naming the field and the rule, and none may
 * reach the network: a live emulator, configured for every service, must see no request.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import * as pulumi from "@pulumi/pulumi";
import { RunningEmulator, startEmulator } from "../../emulator";
import * as commerceFunctions from "../../functions/commerce";
import * as usageInsightFunctions from "../../functions/usage-insight";
import * as usageMeterFunctions from "../../functions/usage-meter";
import * as vcaFunctions from "../../functions/vcloud-air";
import { forgetProgramClients } from "../../functions/program-clients";
import { ConfigError, VcppError } from "../../provider/errors";
import { ClientRegistry } from "../../provider/registry";
import { MeteredProductProvider } from "../../resources/metered-product";
import { ProxyConfigProvider } from "../../resources/proxy-config";
import { UsageMeterRegistrationProvider } from "../../resources/usage-meter-registration";
import { VcaUserProvider } from "../../resources/vca-user";
import { VcppOrderProvider } from "../../resources/vcpp-order";
import { closeAfterFailure } from "../helpers/emulator";

/** Leaves the field out of the inputs (a missing required field). */
const ABSENT = Symbol("absent");
type Override = Record<string, unknown>;

/** One invalid input: what to change in a valid declaration, the field the message must name, the rule it must state. */
type Row = [override: Override, field: string, rule: RegExp];

const long = (n: number) => "x".repeat(n);
const FINGERPRINT = "AB:".repeat(31) + "AB";
const AGENT_ID = "27ecc293-1baf-44a9-be8d-ccac86584212";
const CORRUPT_PEM = rootCertificates[0].replace(/^(-----BEGIN CERTIFICATE-----\n)(.{20})/, "$1" + "A".repeat(20));

const VALID = {
  MeteredProduct: { productType: "VCAV", host: "vcda.example.com", user: "root", password: "vcda-secret" },
  ProxyConfig: { type: "https", host: "proxy.corp.example", port: 3128 },
  UsageMeterRegistration: { agentId: AGENT_ID, contractNumber: "12345678", label: "Lab", meteringMode: "TEST" },
  VcaUser: { userName: "jane", email: "jane@example.com", givenName: "Jane", familyName: "Doe", roles: ["End User"] },
  VcppOrder: {
    contractNumber: "12611521",
    poType: "ADDON_REQUEST",
    lineItems: [{ partNumber: "ADD-AACLS-12AT0-C1S", quantity: 25, serviceInstanceId: "M495240519" }],
    orderKey: "bad-input-order",
  },
};
const line = (change: Override) => ({ lineItems: [{ ...VALID.VcppOrder.lineItems[0], ...change }] });
const tkgm = {
  productType: "TKGM",
  vcId: "12",
  tkgmToken: "tkgm-token-1",
  tkgmEdition: "STANDARD",
  tkgmMetric: "CORE",
};

const RESOURCES: Record<keyof typeof VALID, Row[]> = {
  MeteredProduct: [
    [{ productType: "vcav" }, "productType", /must be one of .*VCAV.* \(case-sensitive\)/],
    [{ productType: "VCD" + "X" }, "productType", /must be one of/],
    [{ productType: 42 }, "productType", /must be one of/],
    [{ productType: ABSENT }, "productType", /must be one of/],
    [{ host: "https://vcda.example.com" }, "host", /without scheme, port or path/],
    [{ host: "vcda.example.com:443" }, "host", /without scheme, port or path/],
    [{ host: "vcda.example.com/api" }, "host", /without scheme, port or path/],
    [{ host: "vcda example.com" }, "host", /must be a host name or IP address/],
    [{ host: "" }, "host", /must not be empty/],
    [{ host: `${long(250)}.com` }, "host", /at most 253 characters/],
    [{ host: 42 }, "host", /must be a string/],
    [{ host: ABSENT }, "host", /is required/],
    [{ port: 0 }, "port", /between 1 and 65535/],
    [{ port: 65536 }, "port", /between 1 and 65535/],
    [{ port: 443.5 }, "port", /whole number/],
    [{ port: "443" }, "port", /must be a number/],
    [{ user: "" }, "user", /must not be empty/],
    [{ user: "root\n" }, "user", /control characters/],
    [{ user: long(1025) }, "user", /at most 1024 characters/],
    [{ user: ABSENT }, "user", /is required/],
    [{ password: ABSENT }, "password", /is required/],
    [{ password: 12345 }, "password", /must be a string/],
    [{ password: "pa\u0000ss" }, "password", /control characters/],
    [{ acceptCertificate: "AB:CD:EF" }, "acceptCertificate", /SHA-256 fingerprint \(64 hex digits/],
    [{ acceptCertificate: "a".repeat(63) }, "acceptCertificate", /64 hex digits/],
    [{ acceptCertificate: "g".repeat(64) }, "acceptCertificate", /64 hex digits/],
    [{ acceptCertificate: `${FINGERPRINT}:CD` }, "acceptCertificate", /64 hex digits/],
    [{ acceptCertificate: "yes" }, "acceptCertificate", /must be true, false, or a SHA-256/],
    [{ acceptCertificate: 1 }, "acceptCertificate", /must be true, false, or a SHA-256/],
    [{ productType: "NSX-V" }, "vcId", /is required when productType is NSX-V/],
    [{ ...tkgm, vcId: ABSENT }, "vcId", /is required when productType is TKGM/],
    [{ ...tkgm, tkgmToken: ABSENT }, "tkgmToken", /is required when productType is TKGM/],
    [{ ...tkgm, tkgmEdition: ABSENT }, "tkgmEdition", /is required when productType is TKGM/],
    [{ ...tkgm, tkgmMetric: ABSENT }, "tkgmMetric", /is required when productType is TKGM/],
    [{ ...tkgm, tkgmToken: "" }, "tkgmToken", /must not be empty/],
    [{ ...tkgm, tkgmToken: "tok\r\nen" }, "tkgmToken", /control characters/],
    [{ ...tkgm, tkgmEdition: "STANDARD\t" }, "tkgmEdition", /control characters/],
    [{ vcId: "" }, "vcId", /must not be empty/],
    [{ usageMeter: "lab" }, "usageMeter", /"lab" is not configured.*vcpp:usageMeters/],
    [{ usageMeter: "the lab" }, "usageMeter", /must be a name from vcpp:usageMeters/],
  ],
  ProxyConfig: [
    [{ type: "socks" }, "type", /must be none, http or https/],
    [{ type: "HTTPS" }, "type", /must be none, http or https/],
    [{ type: ABSENT }, "type", /must be none, http or https/],
    [{ type: "none", port: ABSENT }, "host", /must not be set when type is none/],
    [{ type: "none", host: ABSENT }, "port", /must not be set when type is none/],
    [{ type: "none", host: ABSENT, port: ABSENT, user: "u" }, "user", /must not be set when type is none/],
    [{ type: "none", host: ABSENT, port: ABSENT, password: "p-secret" }, "password", /must not be set/],
    [{ host: ABSENT }, "host", /is required when type is https/],
    [{ type: "http", port: ABSENT }, "port", /is required when type is http/],
    [{ password: "proxy-secret" }, "user", /is required when password is set/],
    [{ host: "http://proxy.corp.example" }, "host", /without scheme, port or path/],
    [{ host: `${long(254)}` }, "host", /at most 253 characters/],
    [{ port: -1 }, "port", /between 1 and 65535/],
    [{ port: "3128" }, "port", /must be a number/],
    [{ acceptDataUsage: "yes" }, "acceptDataUsage", /must be true or false/],
    [{ user: "" }, "user", /must not be empty/],
    [{ user: "metering", password: "pw\u001b[2J" }, "password", /control characters/],
    [{ usageMeter: "elsewhere" }, "usageMeter", /is not configured/],
  ],
  UsageMeterRegistration: [
    [{ agentId: "not-a-uuid" }, "agentId", /must be the appliance's UUID/],
    [{ agentId: AGENT_ID.slice(1) }, "agentId", /must be the appliance's UUID/],
    [{ agentId: 42 }, "agentId", /must be a string/],
    [{ agentId: ABSENT }, "agentId", /is required: give exactly one of agentId and usageMeter/],
    [{ usageMeter: "default" }, "usageMeter", /must not be given with agentId/],
    [{ contractNumber: "1234 5678" }, "contractNumber", /must be a contract number/],
    [{ contractNumber: long(65) }, "contractNumber", /must be a contract number/],
    [{ contractNumber: 12345678 }, "contractNumber", /must be a string/],
    [{ label: "" }, "label", /must not be empty/],
    [{ label: ABSENT }, "label", /is required/],
    [{ label: long(513) }, "label", /at most 512 characters/],
    [{ label: "Lab\u0007" }, "label", /control characters/],
    [{ siteName: "" }, "siteName", /must not be empty/],
    [{ meteringMode: "test" }, "meteringMode", /must be TEST \(not billed\) or PRODUCTION \(billed\)/],
    [{ meteringMode: ABSENT }, "meteringMode", /must be TEST/],
    [{ connectivityMode: "DIRECT" }, "connectivityMode", /must be ONLINE or OFFLINE/],
    [{ version: "4.x" }, "version", /concrete major.minor.*refuses a wildcard/],
    [{ version: "*" }, "version", /refuses a wildcard/],
    [{ version: "4" }, "version", /concrete major.minor/],
    [{ version: "4.8.1" }, "version", /concrete major.minor/],
    [{ withdrawOnDelete: "true" }, "withdrawOnDelete", /must be true or false/],
    [{ registrationTimeoutSeconds: -1 }, "registrationTimeoutSeconds", /between 0 and 3600/],
    [{ registrationTimeoutSeconds: 3601 }, "registrationTimeoutSeconds", /between 0 and 3600/],
    [{ registrationTimeoutSeconds: 1.5 }, "registrationTimeoutSeconds", /whole number/],
    [{ registrationTimeoutSeconds: "600" }, "registrationTimeoutSeconds", /must be a number/],
  ],
  VcaUser: [
    [{ userName: "jane doe" }, "userName", /must not contain spaces/],
    [{ userName: "" }, "userName", /must not be empty/],
    [{ userName: "jane\n" }, "userName", /control characters/],
    [{ userName: ABSENT }, "userName", /is required/],
    [{ email: "jane" }, "email", /must be an e-mail address/],
    [{ email: "jane@" }, "email", /must be an e-mail address/],
    [{ email: ABSENT }, "email", /must be an e-mail address/],
    [{ givenName: "" }, "givenName", /must not be empty/],
    [{ familyName: long(1025) }, "familyName", /at most 1024 characters/],
    [{ roles: [] }, "roles", /must name at least one role/],
    [{ roles: ["Admin"] }, "roles[0]", /must be one of "Account Administrator".*\(case-sensitive\)/],
    [{ roles: ["end user"] }, "roles[0]", /\(case-sensitive\)/],
    [{ roles: "End User" }, "roles", /must be a list of role names/],
    [{ roles: ["End User", "End User"] }, "roles", /must not name a role twice/],
    [{ sendPasswordReset: "yes" }, "sendPasswordReset", /must be true or false/],
    [{ vcaAccount: "the other" }, "vcaAccount", /must be a name from vcpp:vcaAccounts/],
    [{ vcaAccount: "elsewhere" }, "vcaAccount", /"elsewhere" is not configured/],
  ],
  VcppOrder: [
    [{ contractNumber: "" }, "contractNumber", /must not be empty/],
    [{ contractNumber: "1261 1521" }, "contractNumber", /letters, digits, '.', '_' or '-'/],
    [{ contractNumber: long(65) }, "contractNumber", /at most 64 characters/],
    [{ contractNumber: 12611521 }, "contractNumber", /must be a string/],
    [{ poType: "ADDON" }, "poType", /must be one of .*ADDON_REQUEST/],
    [{ lineItems: [] }, "lineItems", /must have at least one line/],
    [{ lineItems: "ADD-AACLS-12AT0-C1S" }, "lineItems", /must be a list of order lines/],
    [line({ quantity: 0 }), "lineItems[0].quantity", /positive whole number/],
    [line({ quantity: 2.5 }), "lineItems[0].quantity", /positive whole number/],
    [line({ quantity: "25" }), "lineItems[0].quantity", /must be a number/],
    [line({ partNumber: "" }), "lineItems[0].partNumber", /must not be empty/],
    [line({ partNumber: long(129) }), "lineItems[0].partNumber", /at most 128 characters/],
    [line({ serviceInstanceId: undefined }), "lineItems[0].serviceInstanceId", /required when poType is ADDON_REQUEST/],
    [line({ serviceInstanceId: "M49 5" }), "lineItems[0].serviceInstanceId", /letters, digits/],
    [{ contact: { emailAddress: "nope", customerNumber: "C1" } }, "contact.emailAddress", /must be an email address/],
    [{ contact: { emailAddress: "a@b.example", customerNumber: "" } }, "contact.customerNumber", /must not be empty/],
    [{ resellerId: "a/b" }, "resellerId", /letters, digits/],
    [{ payloadFormat: "yaml" }, "payloadFormat", /must be json or xml/],
    [{ orderKey: "" }, "orderKey", /must not be empty/],
    [{ orderKey: "key\u0000" }, "orderKey", /control characters/],
    [{ requestId: "r q" }, "requestId", /letters, digits/],
    [{ waitForFulfillment: "30 minutes" }, "waitForFulfillment", /must be a duration such as 90s, 30m or 2h/],
    [{ waitForFulfillment: "49h" }, "waitForFulfillment", /at most 48h/],
    [{ waitForFulfillment: "-1h" }, "waitForFulfillment", /must be a duration/],
  ],
};

/** [function, arguments, field, rule]: each refused at call time. */
type FunctionRow = [fn: string, args: unknown, field: string, rule: RegExp];
const NEXT_YEAR = new Date().getUTCFullYear() + 1;
const REPORT = { ref: "r-1", contentType: "text/tab-separated-values", contentLength: 10, checksum: "a".repeat(32) };
const USAGE = { serviceInstanceId: "si-1", l1Id: "l1", duration: "P30D" };
const FUNCTIONS: FunctionRow[] = [
  ["getUsageReports", { year: 2024, month: 13 }, "month", /must be between 1 and 12/],
  ["getUsageReports", { year: 2024, month: 0 }, "month", /must be between 1 and 12/],
  ["getUsageReports", { year: 2024, month: 6.5 }, "month", /must be between 1 and 12/],
  ["getUsageReports", { year: 2024, month: "6" }, "month", /must be a number/],
  ["getUsageReports", { year: 24, month: 6 }, "year", /must be four digits/],
  ["getUsageReports", { year: "2024", month: 6 }, "year", /must be a number/],
  ["getUsageReports", { year: NEXT_YEAR, month: 1 }, "year", /must not be in the future/],
  ["getUsageReports", { year: 2024, month: 6, agentId: "" }, "agentId", /must not be empty/],
  ["getUsageReports", { year: 2024, month: 6, agent: AGENT_ID }, "(arguments)", /agent/],
  ["getUsageReport", { ...REPORT, checksum: "a".repeat(31) }, "checksum", /hex MD5 \(32 hex digits\)/],
  ["getUsageReport", { ...REPORT, checksum: "z".repeat(32) }, "checksum", /hex MD5/],
  ["getUsageReport", { ...REPORT, contentLength: -1 }, "contentLength", /must not be negative/],
  ["getUsageReport", { ...REPORT, ref: "" }, "ref", /must not be empty/],
  ["getUsageReport", { ...REPORT, contentType: undefined }, "contentType", /must be a string/],
  ["getAgentRegistration", { agentId: "" }, "agentId", /must not be empty/],
  ["getAgentRegistration", {}, "agentId", /must be a string/],
  ["getUsageMeterInfo", { usageMeter: "the lab" }, "usageMeter", /must be a name from vcpp:usageMeters/],
  ["getUsageMeterInfo", { appliance: "lab" }, "(arguments)", /unknown argument appliance/],
  ["getUsageMeterInfo", "default", "(arguments)", /must be an object/],
  ["getPendingCertificates", { usageMeter: 7 }, "usageMeter", /must be a string/],
  ["getPendingCertificates", { usageMeter: "lab" }, "usageMeter", /"lab" is not configured/],
  ["getVcaServices", { vcaAccount: "a b" }, "vcaAccount", /must be a name from vcpp:vcaAccounts/],
  ["getVcaServices", { vcaAccount: "elsewhere" }, "vcaAccount", /"elsewhere" is not configured/],
  ["getVcaPlans", { filter: long(2049) }, "filter", /at most 2048 characters/],
  ["getVcaInstances", { filter: "" }, "filter", /must not be empty/],
  ["getVcaInstances", { query: "x" }, "(arguments)", /unknown argument query/],
  ["getVcaVcloudSession", { serviceId: "", vdcName: "VDC1" }, "serviceId", /must not be empty/],
  ["getVcaVcloudSession", { serviceId: "svc" }, "vdcName", /must be a virtual data centre name/],
  ["getBilledUsage", { ...USAGE, l2Id: "l2" }, "l1Id", /give exactly one of l1Id and l2Id/],
  ["getBilledUsage", { ...USAGE, l1Id: undefined }, "l1Id", /give exactly one of l1Id and l2Id/],
  ["getBilledUsage", { ...USAGE, duration: "30 days" }, "duration", /ISO 8601 duration/],
  ["getBilledUsage", { ...USAGE, start: "2026-01-01T00:00:00Z" }, "duration", /start and end, or duration/],
  [
    "getUnbilledUsage",
    { ...USAGE, duration: undefined, start: "yesterday", end: "2026-01-01T00:00:00Z" },
    "start",
    /ISO 8601 date-time/,
  ],
  [
    "getUnbilledUsage",
    { ...USAGE, duration: undefined, start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" },
    "end",
    /must be after start/,
  ],
  [
    "getUnbilledUsage",
    { ...USAGE, duration: undefined, start: "2026-01-01T00:00:00Z" },
    "end",
    /is required with the other/,
  ],
  ["getUnbilledUsage", { ...USAGE, serviceInstanceId: " " }, "serviceInstanceId", /must not be empty/],
  ["getCommitContract", { contractNumber: "" }, "contractNumber", /must not be empty/],
  ["getCommitContract", { contractNumber: "1261/1521" }, "contractNumber", /letters, digits/],
  ["getContractUsers", { contractNumber: 12611521 }, "contractNumber", /must be a string \(the contract number\)/],
  ["getEligibleProducts", { contract: "12611521" }, "(arguments)", /unknown argument contract/],
  ["getServiceInstances", {}, "contractNumber", /must be a string/],
  ["getServiceInstance", { serviceInstanceId: "M49 5" }, "serviceInstanceId", /letters, digits/],
  ["getAddonProducts", { serviceInstanceId: "" }, "serviceInstanceId", /must not be empty/],
  ["getOrderFeed", "since yesterday", "(arguments)", /must be an object/],
  ["getOrderFeed", { since: "last week" }, "since", /must be a date/],
  ["getOrderFeed", { format: "xml" }, "format", /must be atom or json/],
  ["getOrderFeed", { requestId: "r q" }, "requestId", /letters, digits/],
];

/** [config key (without `vcpp:`), value, rule]: each refused by configure, naming `vcpp:<key>`. */
type ConfigRow = [key: string, value: string, rule: RegExp];
const appliances = (entry: Override) =>
  JSON.stringify({ lab: { url: "https://um.lab:8443", password: "p-1", ...entry } });
const accounts = (entry: Override) =>
  JSON.stringify({ dedicated: { url: "https://vca.lab", user: "ops", password: "p-2", ...entry } });
const CONFIG: ConfigRow[] = [
  ["caCertificates", "not a certificate", /must be one or more PEM certificates/],
  ["caCertificates", CORRUPT_PEM, /must be one or more PEM certificates/],
  ["insecureSkipTlsVerify", "yes", /must be true or false/],
  ["maxConcurrentRequests", "0", /must be between 1 and 64/],
  ["maxConcurrentRequests", "65", /must be between 1 and 64/],
  ["maxConcurrentRequests", "four", /must be a whole number/],
  ["requestTimeoutSeconds", "601", /must be between 1 and 600/],
  ["requestTimeoutSeconds", "-5", /must be a whole number/],
  ["usageMeterUrl", "http://um.example.com:8443", /must be an https:\/\/ URL/],
  ["usageMeterUrl", "um.example.com:8443", /must be an https:\/\/ URL/],
  ["usageMeterUrl", "https://", /must be a URL such as https:\/\//],
  ["usageMeterUrl", "ftp://um.example.com", /must be an https:\/\/ URL/],
  ["usageMeterUser", "admin\n", /must not contain control characters/],
  ["usageMeterPassword", "pass\u0000word", /must not contain control characters/],
  ["usageMeterApiVersion", "5", /must be auto, 4 or 9/],
  ["usageMeterApiVersion", "9.0", /must be auto, 4 or 9/],
  ["usageMeters", "{lab: https://um}", /must be a map of name to \{url, user, password\}/],
  ["usageMeters", "[]", /must be a map of name to/],
  ["usageMeters", appliances({ url: "http://um.lab" }), /lab\.url: must be an https:\/\/ URL/],
  ["usageMeters", appliances({ password: undefined }), /lab\.password: is required/],
  ["usageMeters", appliances({ apiVersion: "10" }), /lab\.apiVersion: must be auto, 4 or 9/],
  ["usageMeters", appliances({ caCertificates: "nope" }), /lab\.caCertificates: must be one or more PEM/],
  ["usageMeters", appliances({ insecureSkipTlsVerify: "yes" }), /lab\.insecureSkipTlsVerify: must be true or false/],
  ["usageMeters", appliances({ user: "" }), /lab\.user: must not be empty/],
  ["usageMeters", JSON.stringify({ "the lab": { url: "https://um.lab", password: "p-1" } }), /"the lab" is invalid/],
  ["vcaUrl", "http://vca.example.com", /must be an https:\/\/ URL/],
  ["vcaUser", "ops\r", /must not contain control characters/],
  ["vcaApiVersion", "5.5", /must be auto, 5\.6 or 5\.7/],
  ["vcaAccounts", accounts({ url: "vca.lab" }), /dedicated\.url: must be a URL/],
  ["vcaAccounts", accounts({ apiVersion: "6" }), /dedicated\.apiVersion: must be auto, 5\.6 or 5\.7/],
  ["vcaAccounts", accounts({ user: undefined }), /dedicated\.user: is required/],
  [
    "vcaAccounts",
    JSON.stringify({ "a/b": { url: "https://vca.lab", user: "u", password: "p-2" } }),
    /"a\/b" is invalid/,
  ],
  ["cspApiToken", "   ", /must not be empty/],
  ["cspApiToken", "token\nsecond-line", /must not contain control characters/],
  ["cspUrl", "http://console.cloud.vmware.com", /must be an https:\/\/ URL/],
  ["usageInsightUrl", "not a url", /must be a URL/],
  ["usageMeteringAgentsUrl", "http://agents.example.com", /must be an https:\/\/ URL/],
  ["commerceEnvironment", "prod", /must be production or development/],
  ["commerceUrl", "http://vconnect.example.com", /must be an https:\/\/ URL/],
  ["commerceClientId", "  ", /must not be empty/],
  ["commerceClientSecret", "secret\u0000", /must not contain control characters/],
  ["commerceOrderFeedFormat", "xml", /must be atom or json/],
  ["commerceOrderJournal", "   ", /must not be empty/],
];
/** Keys that only make sense together, refused in configure. */
const DEPENDENT_CONFIG: [Override, RegExp][] = [
  [{ commerceTokenUrl: "https://token.example.com/oauth", commerceUrl: undefined }, /go together: set both/],
  [{ commerceUrl: "https://api.example.com/vcpp", commerceTokenUrl: undefined }, /go together: set both/],
];

/**
 * The kinds of bad input the issue names, told apart by the rule each row's message must state
 * (first match wins, the narrow kinds first); the test output prints how many rows each has.
 */
const CATEGORIES: [kind: string, rule: RegExp][] = [
  ["months outside 1–12", /between 1 and 12/],
  ["wildcard versions", /wildcard|concrete major/],
  ["fingerprints of the wrong length", /\d\d hex digits/],
  ["PEM that does not parse", /PEM/],
  ["URLs without https", /https|must be a URL/],
  ["control characters", /control characters/],
  ["oversized strings", /at most \d+ characters/],
  ["missing or dependent fields", /is required|must not be set|exactly one|go together|must not be given/],
  ["enums", /must be one of|must be [\w.]+(, [\w.]+)* or \w+|case-sensitive|must be TEST/],
  ["types", /must be a (string|number|list)|must be an object|must be a map|must be true/],
  ["ranges", /between|at most|negative|positive|whole number|future|four digits|must be after/],
];
const OTHER = "formats: empty values, malformed names, ids, e-mail addresses, dates";
const kindOf = (rule: RegExp) => CATEGORIES.find(([, pattern]) => pattern.test(rule.source))?.[0] ?? OTHER;

describe("Bad input: refused before any network call, naming the field and the rule", function () {
  let emulator: RunningEmulator;
  let journalDir: string;
  let config: Record<string, string>;
  const context = new ClientRegistry();
  const providers = {
    MeteredProduct: new MeteredProductProvider(context),
    ProxyConfig: new ProxyConfigProvider(context),
    UsageMeterRegistration: new UsageMeterRegistrationProvider(context),
    VcaUser: new VcaUserProvider(context),
    VcppOrder: new VcppOrderProvider(context),
  };
  const functions = { ...commerceFunctions, ...usageInsightFunctions, ...usageMeterFunctions, ...vcaFunctions };
  let count = 0;
  /** Rows refused without a request, by kind. */
  const refused = new Map<string, number>();

  before(async () => {
    emulator = await startEmulator({ quiet: true, onUnhandledRequest: "error" });
    journalDir = mkdtempSync(join(tmpdir(), "bad-input-"));
    const um = emulator.usageMeters.default;
    const vca = emulator.vcaAccounts.default;
    // Every service configured: a check that wanted to ask one of them could.
    config = {
      caCertificates: emulator.caPem,
      usageMeterUrl: um.url,
      usageMeterUser: um.user,
      usageMeterPassword: um.password,
      vcaUrl: vca.vcaUrl,
      vcaUser: vca.vcaUser,
      vcaPassword: vca.vcaPassword,
      cspUrl: emulator.cspUrl,
      cspApiToken: emulator.cspApiToken,
      usageInsightUrl: emulator.usageInsightUrl,
      usageMeteringAgentsUrl: emulator.usageMeteringAgentsUrl,
      commerceTokenUrl: emulator.commerceTokenUrl,
      commerceUrl: emulator.commerceUrl,
      commerceClientId: emulator.commerceClientId,
      commerceClientSecret: emulator.commerceClientSecret,
      commerceOrderJournal: join(journalDir, "orders.jsonl"),
    };
    context.configure((key) => config[key]);
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([key, value]) => [`vcpp:${key}`, value])),
      ["vcpp:usageMeterPassword", "vcpp:vcaPassword", "vcpp:cspApiToken", "vcpp:commerceClientSecret"],
    );
  });
  after(async () => {
    forgetProgramClients();
    pulumi.runtime.setAllConfig({}, []);
    rmSync(journalDir, { recursive: true, force: true });
    if (!emulator) return;
    try {
      const table = [...CATEGORIES.map(([kind]) => kind), OTHER]
        .map((kind) => `      ${String(refused.get(kind) ?? 0).padStart(4)}  ${kind}`)
        .join("\n");
      console.log(`\n    ${count} invalid inputs refused before any request (request log empty), by kind:\n${table}\n`);
      assert.ok(count >= 120, `${count} invalid inputs were refused without a request: at least 120 are wanted`);
      const missing = CATEGORIES.map(([kind]) => kind).filter((kind) => !refused.has(kind));
      assert.deepEqual(missing, [], "every kind of bad input the issue names has rows");
    } catch (failure) {
      await closeAfterFailure(emulator, failure);
      throw failure;
    }
    await emulator.close();
  });

  /** Runs one row, then checks that the emulator saw nothing; counts it (by the kind of its rule) once both hold. */
  async function noRequests(rule: RegExp, fn: () => Promise<void>): Promise<void> {
    const before = emulator.requests.length;
    await fn();
    assert.deepEqual(
      emulator.requests.slice(before).map((r) => `${r.method} ${r.path}`),
      [],
      "no request reached the emulator",
    );
    count++;
    refused.set(kindOf(rule), (refused.get(kindOf(rule)) ?? 0) + 1);
  }

  for (const [target, rows] of Object.entries(RESOURCES) as [keyof typeof VALID, Row[]][]) {
    describe(`${target}: check`, () => {
      for (const [override, field, rule] of rows) {
        it(`${field} = ${show(override)} → ${rule.source}`, () =>
          noRequests(rule, async () => {
            const news = withChanges(VALID[target], override);
            const result = await providers[target].check({}, news);
            const named = (result.failures ?? []).filter((f) => f.property === field);
            assert.ok(named.length > 0, `no failure names ${field}: ${JSON.stringify(result.failures)}`);
            assert.ok(
              named.some((f) => f.reason.startsWith(`${field}: `) && rule.test(f.reason)),
              `the failure for ${field} does not state the rule ${rule}: ${JSON.stringify(named)}`,
            );
          }));
      }
    });
  }

  describe("the valid declarations the rows start from pass check (so each row fails for its change alone)", () => {
    for (const [target, inputs] of Object.entries(VALID) as [keyof typeof VALID, Override][]) {
      it(target, async () => {
        // VcppOrder's check asks the commerce API about part numbers once the inputs are valid.
        const result = await providers[target].check({}, inputs);
        assert.deepEqual(result.failures ?? [], []);
      });
    }
  });

  describe("functions: at call time", () => {
    for (const [fn, args, field, rule] of FUNCTIONS) {
      it(`${fn}(${show(args)}) → ${field}: ${rule.source}`, () =>
        noRequests(rule, async () => {
          const call = (functions as unknown as Record<string, (args: unknown) => Promise<unknown>>)[fn];
          const error = await call(args).then(
            () => assert.fail(`${fn} accepted ${show(args)}`),
            (e: unknown) => e,
          );
          assert.ok(error instanceof VcppError, `a VcppError, not ${String(error)}`);
          assert.match(error.message, new RegExp(`^${fn}|${field}`));
          assert.ok(error.message.includes(field), `${error.message} names ${field}`);
          assert.match(error.message, rule);
        }));
    }
  });

  describe("config: in configure", () => {
    for (const [key, value, rule] of CONFIG) {
      it(`vcpp:${key} = ${JSON.stringify(value).slice(0, 60)} → ${rule.source}`, () =>
        noRequests(rule, async () => {
          const error = configureError({ ...config, [key]: value });
          assert.ok(error.message.startsWith(`vcpp:${key}`), `${error.message} starts with vcpp:${key}`);
          assert.match(error.message, rule);
        }));
    }
    for (const [changes, rule] of DEPENDENT_CONFIG) {
      it(`${show(changes)} → ${rule.source}`, () =>
        noRequests(rule, async () => {
          const error = configureError(withChanges(config, changes) as Record<string, string>);
          assert.match(error.message, /vcpp:commerceTokenUrl and vcpp:commerceUrl/);
          assert.match(error.message, rule);
        }));
    }
  });
});

/** The valid inputs with a row's changes: `ABSENT` (or `undefined`) leaves the field out. */
function withChanges(valid: Override, override: Override): Override {
  const inputs: Override = { ...valid, ...override };
  for (const [key, value] of Object.entries(inputs)) if (value === ABSENT || value === undefined) delete inputs[key];
  return inputs;
}

function configureError(config: Record<string, string | undefined>): ConfigError {
  try {
    new ClientRegistry().configure((key) => config[key]);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return error;
  }
  return assert.fail("configure accepted it");
}

function show(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v === ABSENT ? "(absent)" : v)) ?? String(value);
  return text.length > 70 ? `${text.slice(0, 67)}…` : text;
}
