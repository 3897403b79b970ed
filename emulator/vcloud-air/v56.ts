/**
 * vCloud Air 5.6 (seed 004): XML under `/api/vchs`, `Accept: application/xml;version=5.6`.
 * `POST /sessions` (Basic) → 201 `Session` and `x-vchs-authorization`; links lead to `Services`,
 * `Compute`, `Vdc` and `POST …/vcloudsession` → `VcloudSession`; `DELETE /session` logs out.
 *
 * Choices where seed 004 is silent or contradicts itself:
 * - The token is accepted both as the header `x-vchs-authorization: <token>` (what the text says)
 *   and as `Authorization: x-vchs-authorization:<token>` (what one sample request shows).
 * - Errors are a vCloud-style `<Error majorErrorCode minorErrorCode message/>`.
 * - A request whose Accept header does not ask for version 5.6 (application/xml, application/*
 *   or *\/*) answers 406: "all requests must include" it.
 * - The `VdcLink` of a vCloud session points at this emulator's stand-in of the vCloud instance,
 *   `/vcloud/<account>/api/vdc/<vdc>`, which answers `GET` with the token it carries (and
 *   `GET /vcloud/<account>/api/versions`), so a client can prove the session works.
 * - Hrefs are absolute, built from the request's Host header, as a server behind its own name does.
 */
import { randomBytes } from "node:crypto";
import { XMLBuilder } from "fast-xml-parser";
import { EmulatorRequest, EmulatorResponse, Route } from "../core/router";
import {
  acceptsVersion,
  basicCredentials,
  header,
  openSession,
  sessionIsValid,
  VcaAccountState,
  VcaComputeService,
  VcaVdc,
} from "./account";

const NS = "http://www.vmware.com/vchs/v5.6";
const NAMESPACES = {
  "@_xmlns": NS,
  "@_xmlns:tns": NS,
  "@_xmlns:xs": "http://www.w3.org/2001/XMLSchema",
  "@_xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
};
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", suppressEmptyNode: true });
const mediaType = (cls: string) => `application/xml;class=vnd.vmware.vchs.${cls}`;

type Handler = (account: VcaAccountState, req: EmulatorRequest, base: string) => EmulatorResponse;

function xml(status: number, root: string, cls: string, content: Record<string, unknown>): EmulatorResponse {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: { ...NAMESPACES, ...content } })}`;
  return { status, body, headers: { "content-type": `${mediaType(cls)};version=5.6` } };
}

export function xmlError(status: number, minorErrorCode: string, message: string): EmulatorResponse {
  const body = builder.build({
    Error: {
      ...NAMESPACES,
      "@_majorErrorCode": String(status),
      "@_minorErrorCode": minorErrorCode,
      "@_message": message,
    },
  });
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    headers: { "content-type": "application/xml" },
  };
}

/** The session token of a request: `x-vchs-authorization: <t>`, or the seed's `Authorization: x-vchs-authorization:<t>`. */
function sessionToken(req: EmulatorRequest): string | undefined {
  const direct = header(req.headers, "x-vchs-authorization");
  if (direct) return direct.trim();
  const odd = /^x-vchs-authorization\s*:\s*(.+)$/i.exec(header(req.headers, "authorization") ?? "");
  return odd?.[1].trim();
}

export function v56Routes(accounts: Map<string, VcaAccountState>, pattern: string): Route[] {
  const route = (method: string, path: string, handler: Handler, authenticated = true): Route => ({
    service: "vcloud-air",
    method,
    pattern: new RegExp(`^/vca/(?<account>${pattern})/api/vchs${path}$`),
    handle: (req) => {
      const account = accounts.get(req.params.account) as VcaAccountState;
      if (!acceptsVersion(header(req.headers, "accept"), "5.6", "application/xml"))
        return xmlError(406, "NOT_ACCEPTABLE", "The Accept header must ask for application/xml;version=5.6");
      if (authenticated) {
        const token = sessionToken(req);
        if (token === undefined) return xmlError(403, "ACCESS_DENIED", "The x-vchs-authorization header is missing");
        if (!sessionIsValid(account, token))
          return xmlError(401, "UNAUTHORIZED", "The session token is not valid or has expired: log in again");
      }
      return handler(account, req, `https://${header(req.headers, "host")}/vca/${account.name}/api/vchs`);
    },
  });
  const compute = (account: VcaAccountState, req: EmulatorRequest) =>
    account.services.find((s) => s.computeId === req.params.compute);
  const vdcOf = (service: VcaComputeService | undefined, req: EmulatorRequest) =>
    service?.vdcs.find((v) => v.id === req.params.vdc);
  const noCompute = (req: EmulatorRequest) => xmlError(404, "RESOURCE_NOT_FOUND", `No compute ${req.params.compute}`);
  const noVdc = (req: EmulatorRequest) =>
    xmlError(404, "RESOURCE_NOT_FOUND", `No virtual data centre ${req.params.vdc} in compute ${req.params.compute}`);

  return [
    route("POST", "/sessions", login, false),
    route("DELETE", "/session", (account, req) => {
      account.sessions.delete(sessionToken(req) as string);
      account.logouts++;
      return { status: 204 };
    }),
    route("GET", "/services", (account, _req, base) =>
      xml(200, "Services", "servicelist", {
        "@_type": mediaType("servicelist"),
        "@_href": `${base}/services`,
        Service: account.services.map((s) => ({
          "@_region": s.region,
          "@_serviceId": s.serviceId,
          "@_serviceType": s.serviceType,
          "@_type": mediaType("compute"),
          "@_href": `${base}/compute/${s.computeId}`,
        })),
      }),
    ),
    route("GET", "/compute/(?<compute>[^/]+)", (account, req, base) => {
      const service = compute(account, req);
      if (!service) return noCompute(req);
      return xml(200, "Compute", "compute", {
        "@_serviceId": service.serviceId,
        "@_serviceType": service.serviceType,
        "@_type": mediaType("compute"),
        "@_href": `${base}/compute/${service.computeId}`,
        Link: { "@_rel": "up", "@_name": "services", "@_type": mediaType("servicelist"), "@_href": `${base}/services` },
        VdcRef: service.vdcs.map((vdc) => ({
          "@_status": vdc.status,
          "@_name": vdc.name,
          "@_type": mediaType("vdcref"),
          "@_href": vdcHref(base, service, vdc),
          Link: sessionLink(base, service, vdc),
        })),
      });
    }),
    route("GET", "/compute/(?<compute>[^/]+)/vdc/(?<vdc>[^/]+)", (account, req, base) => {
      const service = compute(account, req);
      const vdc = vdcOf(service, req);
      if (!service || !vdc) return service ? noVdc(req) : noCompute(req);
      return xml(200, "Vdc", "vdcref", {
        "@_name": vdc.name,
        "@_type": mediaType("vdcref"),
        "@_href": vdcHref(base, service, vdc),
        Link: sessionLink(base, service, vdc),
      });
    }),
    route("POST", "/compute/(?<compute>[^/]+)/vdc/(?<vdc>[^/]+)/vcloudsession", (account, req, base) => {
      const service = compute(account, req);
      const vdc = vdcOf(service, req);
      if (!service || !vdc) return service ? noVdc(req) : noCompute(req);
      const token = randomBytes(32).toString("base64");
      account.vcloudTokens.set(token, vdc.id);
      account.issuedCredentials.push(token);
      const host = `https://${header(req.headers, "host")}/vcloud/${account.name}`;
      return xml(201, "VcloudSession", "vcloudsession", {
        "@_name": `${service.serviceId}-session`,
        "@_type": mediaType("vcloudsession"),
        "@_href": `${vdcHref(base, service, vdc)}/vcloudsession`,
        Link: { "@_rel": "up", "@_type": mediaType("compute"), "@_href": `${base}/compute/${service.computeId}` },
        VdcLink: {
          "@_authorizationToken": token,
          "@_authorizationHeader": "x-vcloud-authorization",
          "@_rel": "vcloudvdc",
          "@_name": service.serviceId,
          "@_type": "application/vnd.vmware.vcloud.vdc+xml",
          "@_href": `${host}/api/vdc/${vdc.id}`,
        },
      });
    }),
  ];
}

const vdcHref = (base: string, service: VcaComputeService, vdc: VcaVdc) =>
  `${base}/compute/${service.computeId}/vdc/${vdc.id}`;

const sessionLink = (base: string, service: VcaComputeService, vdc: VcaVdc) => ({
  "@_rel": "down",
  "@_name": vdc.name,
  "@_type": mediaType("vcloudsession"),
  "@_href": `${vdcHref(base, service, vdc)}/vcloudsession`,
});

const login: Handler = (account, req, base) => {
  const credentials = basicCredentials(header(req.headers, "authorization"));
  if (!credentials) return xmlError(403, "ACCESS_DENIED", "HTTP Basic credentials are required");
  if (credentials.user.toLowerCase() !== account.user.toLowerCase() || credentials.password !== account.password)
    return xmlError(401, "UNAUTHORIZED", "Invalid user name or password");
  const token = openSession(account, randomBytes(20).toString("hex"));
  const answer = xml(201, "Session", "session", {
    "@_type": mediaType("session"),
    "@_href": `${base}/session`,
    Link: [
      { "@_rel": "down", "@_type": mediaType("servicelist"), "@_href": `${base}/services` },
      { "@_rel": "remove", "@_href": `${base}/session` },
    ],
  });
  return { ...answer, headers: { ...answer.headers, "x-vchs-authorization": token } };
};

/**
 * The stand-in for the vCloud instance a `VdcLink` points at: enough to prove the token works.
 * The token is accepted as `x-vcloud-authorization: <t>` or `Authorization: x-vcloud-authorization:<t>`.
 */
export function vcloudRoutes(accounts: Map<string, VcaAccountState>, pattern: string): Route[] {
  const base = `^/vcloud/(?<account>${pattern})/api`;
  return [
    {
      service: "vcloud-air",
      method: "GET",
      pattern: new RegExp(`${base}/versions$`),
      handle: (req) => {
        const login = `https://${header(req.headers, "host")}/vcloud/${req.params.account}/api/sessions`;
        const body = builder.build({
          SupportedVersions: {
            "@_xmlns": "http://www.vmware.com/vcloud/versions",
            VersionInfo: ["1.5", "5.6"].map((Version) => ({ Version, LoginUrl: login })),
          },
        });
        return { status: 200, body, headers: { "content-type": "application/vnd.vmware.vcloud.versions+xml" } };
      },
    },
    {
      service: "vcloud-air",
      method: "GET",
      pattern: new RegExp(`${base}/vdc/(?<vdc>[^/]+)$`),
      handle: (req) => {
        const account = accounts.get(req.params.account) as VcaAccountState;
        const token =
          header(req.headers, "x-vcloud-authorization") ??
          /^x-vcloud-authorization\s*:\s*(.+)$/i.exec(header(req.headers, "authorization") ?? "")?.[1];
        if (!token) return xmlError(403, "ACCESS_DENIED", "The x-vcloud-authorization header is missing");
        if (account.vcloudTokens.get(token.trim()) !== req.params.vdc)
          return xmlError(401, "UNAUTHORIZED", "The vCloud token is not valid for this virtual data centre");
        const vdc = account.services.flatMap((s) => s.vdcs).find((v) => v.id === req.params.vdc) as VcaVdc;
        const href = `https://${header(req.headers, "host")}/vcloud/${account.name}/api/vdc/${vdc.id}`;
        const body = builder.build({
          Vdc: {
            "@_xmlns": "http://www.vmware.com/vcloud/v1.5",
            "@_status": "1",
            "@_name": vdc.name,
            "@_id": `urn:vcloud:vdc:${vdc.id}`,
            "@_type": "application/vnd.vmware.vcloud.vdc+xml",
            "@_href": href,
            AllocationModel: "ReservationPool",
            IsEnabled: "true",
          },
        });
        return { status: 200, body, headers: { "content-type": "application/vnd.vmware.vcloud.vdc+xml" } };
      },
    },
  ];
}
