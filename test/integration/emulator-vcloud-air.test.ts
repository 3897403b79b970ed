/**
 * The vCloud Air emulator against the contract of seeds 002 (5.7) and 004 (5.6), with plain HTTPS
 * requests: what a client sees, not what a production client makes of it.
 */
import { strict as assert } from "node:assert";
import { request } from "node:https";
import { XMLParser } from "fast-xml-parser";
import { RunningEmulator, VcaAccountAccess } from "../../emulator";
import { withEmulator } from "../helpers/emulator";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const XML = { accept: "application/xml;version=5.6" };
const JSON_57 = { accept: "application/json;version=5.7" };
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (name) => ["Service", "VdcRef", "Link"].includes(name),
});

function call(
  emulator: RunningEmulator,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const target = url.startsWith("https://") ? url : `${emulator.url}${url}`;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        ca: emulator.caPem,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const xml = (answer: Answer): any => xmlParser.parse(answer.text);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (answer: Answer): any => JSON.parse(answer.text);

describe("vCloud Air emulator", () => {
  describe("5.6 (XML)", () => {
    async function login56(emulator: RunningEmulator, account: VcaAccountAccess = emulator.vcaAccounts.dedicated) {
      const answer = await call(emulator, "POST", `${account.vcaUrl}/api/vchs/sessions`, {
        ...XML,
        authorization: basic(account.vcaUser, account.vcaPassword),
      });
      assert.equal(answer.status, 201, answer.text);
      return { answer, token: answer.headers["x-vchs-authorization"] as string };
    }

    it("logs in with Basic, answers 201 with x-vchs-authorization and a Session linking to the services", () =>
      withEmulator(async (emulator) => {
        const { answer, token } = await login56(emulator);
        assert.match(token, /^[0-9a-f]{40}$/);
        assert.match(String(answer.headers["content-type"]), /class=vnd\.vmware\.vchs\.session/);
        const session = xml(answer).Session;
        assert.equal(session.xmlns, "http://www.vmware.com/vchs/v5.6");
        const rels = session.Link.map((l: { rel: string; type?: string }) => `${l.rel} ${l.type ?? ""}`.trim());
        assert.deepEqual(rels, ["down application/xml;class=vnd.vmware.vchs.servicelist", "remove"]);
        assert.equal(session.Link[0].href, `${emulator.vcaAccounts.dedicated.vcaUrl}/api/vchs/services`);
      }));

    it("follows links from the Session to a vCloud session whose token opens the virtual data centre", () =>
      withEmulator(async (emulator) => {
        const { answer, token } = await login56(emulator);
        const auth = { ...XML, "x-vchs-authorization": token };
        const services = xml(await call(emulator, "GET", xml(answer).Session.Link[0].href, auth)).Services.Service;
        assert.deepEqual(
          services.map((s: Record<string, string>) => [s.serviceId, s.serviceType, s.region]),
          [
            ["example-1101-130711-1", "compute:dedicatedcloud", "US - Las Vegas"],
            ["example-1101-130711-2", "compute:vpc", "US - Santa Clara"],
          ],
        );
        const compute = xml(await call(emulator, "GET", services[0].href, auth)).Compute;
        assert.equal(compute.serviceId, "example-1101-130711-1");
        assert.equal(compute.Link[0].rel, "up");
        assert.deepEqual(
          compute.VdcRef.map((v: { name: string }) => v.name),
          ["0001-example-vdc-1-public-api", "0001-example-vdc-2"],
        );
        const vdc = xml(await call(emulator, "GET", compute.VdcRef[0].href, auth)).Vdc;
        assert.equal(vdc.name, "0001-example-vdc-1-public-api");
        const created = await call(emulator, "POST", vdc.Link[0].href, auth);
        assert.equal(created.status, 201);
        const link = xml(created).VcloudSession.VdcLink;
        assert.equal(link.authorizationHeader, "x-vcloud-authorization");
        assert.equal(link.rel, "vcloudvdc");
        assert.ok(link.authorizationToken);
        const opened = await call(emulator, "GET", link.href, { "x-vcloud-authorization": link.authorizationToken });
        assert.equal(opened.status, 200);
        assert.equal(xml(opened).Vdc.name, "0001-example-vdc-1-public-api");
        const unknown = await call(emulator, "GET", services[0].href.replace("vchs-2", "vchs-99"), auth);
        assert.equal(unknown.status, 404);
        assert.match(xml(unknown).Error.message, /No compute vchs-99/);
        const refused = await call(emulator, "GET", link.href, { "x-vcloud-authorization": "not-it" });
        assert.equal(refused.status, 401);
        // A session opening is no change: the request log's writes leave it out.
        assert.deepEqual(emulator.writes(), []);
      }));

    it("accepts the seed's Authorization: x-vchs-authorization:<token> form too", () =>
      withEmulator(async (emulator) => {
        const { token } = await login56(emulator);
        const url = `${emulator.vcaAccounts.dedicated.vcaUrl}/api/vchs/services`;
        const answer = await call(emulator, "GET", url, { ...XML, authorization: `x-vchs-authorization:${token}` });
        assert.equal(answer.status, 200);
      }));

    it("answers 403 without the auth header, 401 for bad credentials, an unknown or an expired token", () =>
      withEmulator(async (emulator) => {
        const account = emulator.vcaAccounts.dedicated;
        const services = `${account.vcaUrl}/api/vchs/services`;
        const missing = await call(emulator, "GET", services, XML);
        assert.equal(missing.status, 403);
        assert.equal(xml(missing).Error.majorErrorCode, "403");
        const noBasic = await call(emulator, "POST", `${account.vcaUrl}/api/vchs/sessions`, XML);
        assert.equal(noBasic.status, 403);
        const badPassword = await call(emulator, "POST", `${account.vcaUrl}/api/vchs/sessions`, {
          ...XML,
          authorization: basic(account.vcaUser, "wrong"),
        });
        assert.equal(badPassword.status, 401);
        assert.equal((await call(emulator, "GET", services, { ...XML, "x-vchs-authorization": "nope" })).status, 401);
        const { token } = await login56(emulator);
        emulator.admin.vcaExpireSessions("dedicated");
        assert.equal((await call(emulator, "GET", services, { ...XML, "x-vchs-authorization": token })).status, 401);
      }));

    it("expires tokens after the account's session lifetime", () =>
      withEmulator(
        async (emulator) => {
          const { token } = await login56(emulator, emulator.vcaAccounts.short);
          await new Promise((resolve) => setTimeout(resolve, 80));
          const url = `${emulator.vcaAccounts.short.vcaUrl}/api/vchs/services`;
          assert.equal((await call(emulator, "GET", url, { ...XML, "x-vchs-authorization": token })).status, 401);
        },
        { vcaAccounts: { short: { version: "5.6", sessionTtlMs: 50 } } },
      ));

    it("answers 406 when the Accept header does not ask for version 5.6", () =>
      withEmulator(async (emulator) => {
        const account = emulator.vcaAccounts.dedicated;
        const answer = await call(emulator, "POST", `${account.vcaUrl}/api/vchs/sessions`, {
          accept: "application/xml",
          authorization: basic(account.vcaUser, account.vcaPassword),
        });
        assert.equal(answer.status, 406);
        const wildcard = await call(emulator, "POST", `${account.vcaUrl}/api/vchs/sessions`, {
          accept: "*/*;version=5.6",
          authorization: basic(account.vcaUser, account.vcaPassword),
        });
        assert.equal(wildcard.status, 201);
      }));

    it("logs out with DELETE on the session: 204, then the token is refused; logins and logouts are counted", () =>
      withEmulator(async (emulator) => {
        const { answer, token } = await login56(emulator);
        const remove = xml(answer).Session.Link.find((l: { rel: string }) => l.rel === "remove").href;
        assert.equal((await call(emulator, "DELETE", remove, { ...XML, "x-vchs-authorization": token })).status, 204);
        const after = await call(emulator, "GET", xml(answer).Session.Link[0].href, {
          ...XML,
          "x-vchs-authorization": token,
        });
        assert.equal(after.status, 401);
        assert.deepEqual(emulator.admin.vcaCounts("dedicated"), { logins: 1, logouts: 1, passwordResets: [] });
        assert.deepEqual(emulator.writes(), [], "logging in and out is no change");
      }));

    it("answers 404 (handled) to a 5.7 login, so a client can tell the version", () =>
      withEmulator(async (emulator) => {
        const account = emulator.vcaAccounts.dedicated;
        const answer = await call(emulator, "POST", `${account.vcaUrl}/api/iam/login`, {
          ...JSON_57,
          authorization: basic(account.vcaUser, account.vcaPassword),
        });
        assert.equal(answer.status, 404);
        assert.match(json(answer).message, /5\.6/);
      }));
  });

  describe("5.7 (JSON)", () => {
    async function login57(emulator: RunningEmulator, account: VcaAccountAccess = emulator.vcaAccounts.default) {
      const answer = await call(emulator, "POST", `${account.vcaUrl}/api/iam/login`, {
        ...JSON_57,
        authorization: basic(account.vcaUser, account.vcaPassword),
      });
      assert.equal(answer.status, 201, answer.text);
      return { ...JSON_57, authorization: `Bearer ${String(answer.headers["vchs-authorization"])}` };
    }
    const api = (emulator: RunningEmulator, path: string) => `${emulator.vcaAccounts.default.vcaUrl}/api${path}`;

    it("logs in with Basic: 201, vchs-authorization and the service groups", () =>
      withEmulator(async (emulator) => {
        const account = emulator.vcaAccounts.default;
        const answer = await call(emulator, "POST", `${account.vcaUrl}/api/iam/login`, {
          ...JSON_57,
          authorization: basic(account.vcaUser, account.vcaPassword),
        });
        assert.equal(answer.status, 201);
        assert.match(String(answer.headers["content-type"]), /^application\/json;version=5\.7/);
        assert.ok(answer.headers["vchs-authorization"]);
        assert.deepEqual(json(answer), { serviceGroupIds: ["89a6da00-0d15-48e9-8fed-6c87dfca5c0e"] });
        assert.ok(emulator.admin.vcaAccount().issuedCredentials.includes(String(answer.headers["vchs-authorization"])));
      }));

    it("answers 401 to bad credentials, 403 without a bearer token, 401 to a bad or expired one", () =>
      withEmulator(async (emulator) => {
        const account = emulator.vcaAccounts.default;
        const bad = await call(emulator, "POST", `${account.vcaUrl}/api/iam/login`, {
          ...JSON_57,
          authorization: basic(account.vcaUser, "wrong"),
        });
        assert.equal(bad.status, 401);
        assert.equal(json(bad).code, "UNAUTHORIZED");
        assert.equal((await call(emulator, "GET", api(emulator, "/sc/plans"), JSON_57)).status, 403);
        const garbage = await call(emulator, "GET", api(emulator, "/sc/plans"), {
          ...JSON_57,
          authorization: "Bearer nope",
        });
        assert.equal(garbage.status, 401);
        const auth = await login57(emulator);
        assert.equal((await call(emulator, "GET", api(emulator, "/sc/plans"), auth)).status, 200);
        await call(emulator, "POST", `${emulator.url}/__admin/vca-accounts/default/expire-sessions`);
        assert.equal((await call(emulator, "GET", api(emulator, "/sc/plans"), auth)).status, 401);
      }));

    it("answers 412 until the terms of service are accepted", () =>
      withEmulator(
        async (emulator) => {
          const account = emulator.vcaAccounts.fresh;
          const login = () =>
            call(emulator, "POST", `${account.vcaUrl}/api/iam/login`, {
              ...JSON_57,
              authorization: basic(account.vcaUser, account.vcaPassword),
            });
          const refused = await login();
          assert.equal(refused.status, 412);
          assert.match(json(refused).message, /terms of service/);
          const accepted = await call(
            emulator,
            "PUT",
            `${emulator.url}/__admin/vca-accounts/fresh/terms`,
            {},
            {
              accepted: true,
            },
          );
          assert.equal(accepted.status, 200);
          assert.equal((await login()).status, 201);
          emulator.admin.vcaSetTermsAccepted("fresh", false);
          assert.equal((await login()).status, 412);
          assert.equal(emulator.admin.vcaCounts("fresh").logins, 1);
        },
        { vcaAccounts: { fresh: { version: "5.7", user: "new@example.com", termsAccepted: false } } },
      ));

    it("creates, reads, lists, updates and deletes users, at /api/iam/Users and /api/IAM/Users", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const created = await call(emulator, "POST", api(emulator, "/iam/Users"), auth, {
          schemas: ["urn:scim:schemas:core:1.0"],
          userName: "test12345@sample.com",
          email: "test12345@sample.com",
          givenName: "Jill",
          familyName: "test12345",
          roles: { roles: [{ name: "Virtual Infrastructure Administrator" }] },
        });
        assert.equal(created.status, 201, created.text);
        const user = json(created);
        assert.equal(user.state, "Active");
        assert.deepEqual(user.roles.roles, [
          {
            id: "6",
            name: "Virtual Infrastructure Administrator",
            description: "Allows creation and management of VMs.",
          },
        ]);
        assert.equal(user.tosAccepted, false);

        const one = await call(emulator, "GET", api(emulator, `/iam/Users/${user.id}`), auth);
        assert.equal(json(one).userName, "test12345@sample.com");
        const listed = json(await call(emulator, "GET", api(emulator, "/IAM/Users"), auth)).users;
        assert.deepEqual(
          listed.map((u: { userName: string }) => u.userName),
          ["HelloUser@example.com", "1925test@sample.com", "test994@sample.com", "test12345@sample.com"],
        );

        const updated = await call(emulator, "PUT", api(emulator, `/iam/Users/${user.id}`), auth, {
          email: "jill@sample.com",
          roles: ["End User", "3"],
        });
        assert.equal(updated.status, 200);
        assert.equal(json(updated).email, "jill@sample.com");
        assert.equal(json(updated).givenName, "Jill");
        assert.deepEqual(
          json(updated).roles.roles.map((r: { name: string }) => r.name),
          ["End User", "Read-Only Administrator"],
        );
        const renamed = await call(emulator, "PUT", api(emulator, `/iam/Users/${user.id}`), auth, {
          userName: "other@sample.com",
        });
        assert.equal(renamed.status, 400);

        assert.equal((await call(emulator, "DELETE", api(emulator, `/iam/Users/${user.id}`), auth)).status, 204);
        assert.equal((await call(emulator, "GET", api(emulator, `/iam/Users/${user.id}`), auth)).status, 404);
        assert.equal((await call(emulator, "DELETE", api(emulator, `/iam/Users/${user.id}`), auth)).status, 404);
      }));

    it("refuses a duplicate userName (409), a bad e-mail, an unknown role or a missing field (400, naming it)", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const create = (body: Record<string, unknown>) =>
          call(emulator, "POST", api(emulator, "/iam/Users"), auth, {
            userName: "a@sample.com",
            email: "a@sample.com",
            roles: [{ name: "End User" }],
            ...body,
          });
        const duplicate = await create({ userName: "TEST994@sample.com" });
        assert.equal(duplicate.status, 409);
        assert.equal(json(duplicate).code, "USER_ALREADY_EXISTS");
        const email = await create({ email: "not-an-address" });
        assert.equal(email.status, 400);
        assert.match(json(email).message, /^email: /);
        const role = await create({ roles: [{ name: "Janitor" }] });
        assert.equal(role.status, 400);
        assert.match(json(role).message, /^roles: unknown role .*Janitor.*known: Account Administrator \(1\)/);
        const text = await call(
          emulator,
          "POST",
          api(emulator, "/iam/Users"),
          { ...auth, "content-type": "text/plain" },
          "userName=a",
        );
        assert.equal(text.status, 400);
        assert.match(json(text).message, /expected JSON/);
        const noRoles = await create({ roles: undefined });
        assert.equal(noRoles.status, 400);
        assert.match(json(noRoles).message, /roles is required/);
        assert.equal(emulator.admin.vcaUsers().length, 3, "nothing was created");
      }));

    it("resolves the seed's Account Administrator by name, whichever id (1 or 6) comes with it", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const created = await call(emulator, "POST", api(emulator, "/iam/Users"), auth, {
          userName: "b@sample.com",
          email: "b@sample.com",
          roles: { roles: [{ name: "Account Administrator", id: "6" }] },
        });
        assert.deepEqual(
          json(created).roles.roles.map((r: { id: string }) => r.id),
          ["1"],
        );
      }));

    it("answers one user as the bare object, or wrapped in users as the seed's sample when the account says so", () =>
      withEmulator(
        async (emulator) => {
          const path = "/api/iam/Users/790ee208-6c7d-4177-b6c6-212bdbe1a66b";
          const bare = json(
            await call(emulator, "GET", `${emulator.vcaAccounts.default.vcaUrl}${path}`, await login57(emulator)),
          );
          assert.equal(bare.userName, "test994@sample.com");
          const seedForm = emulator.vcaAccounts.seed;
          const wrapped = json(
            await call(emulator, "GET", `${seedForm.vcaUrl}${path}`, await login57(emulator, seedForm)),
          );
          assert.deepEqual(Object.keys(wrapped), ["users"]);
          assert.equal(wrapped.users[0].userName, "test994@sample.com");
        },
        { vcaAccounts: { default: {}, seed: { singleUserForm: "users" } } },
      ));

    it("sends a password reset by userName and counts it", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const sent = await call(emulator, "PUT", api(emulator, "/iam/Users/test994@sample.com/password/forgot"), auth);
        assert.equal(sent.status, 204);
        const encoded = await call(
          emulator,
          "PUT",
          api(emulator, "/iam/Users/test994%40sample.com/password/forgot"),
          auth,
        );
        assert.equal(encoded.status, 204, "a percent-encoded userName is decoded");
        const unknown = await call(
          emulator,
          "PUT",
          api(emulator, "/iam/Users/nobody@sample.com/password/forgot"),
          auth,
        );
        assert.equal(unknown.status, 404);
        assert.deepEqual(emulator.admin.vcaCounts().passwordResets, ["test994@sample.com", "test994@sample.com"]);
        const summary = json(await call(emulator, "GET", `${emulator.url}/__admin/vca-accounts/default`));
        assert.deepEqual(summary.passwordResets, ["test994@sample.com", "test994@sample.com"]);
        assert.equal(summary.logins, 1);
      }));

    it("shows out-of-band changes: a user changed, created and deleted by hand", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const admin = `${emulator.url}/__admin/vca-accounts/default/users`;
        const changed = await call(
          emulator,
          "PATCH",
          `${admin}/test994@sample.com`,
          {},
          {
            email: "jane@elsewhere.com",
            roles: ["Read-Only Administrator"],
          },
        );
        assert.equal(changed.status, 200, changed.text);
        const jane = json(
          await call(emulator, "GET", api(emulator, "/iam/Users/790ee208-6c7d-4177-b6c6-212bdbe1a66b"), auth),
        );
        assert.equal(jane.email, "jane@elsewhere.com");
        assert.deepEqual(
          jane.roles.roles.map((r: { name: string }) => r.name),
          ["Read-Only Administrator"],
        );
        const invalid = await call(emulator, "PATCH", `${admin}/test994@sample.com`, {}, { email: "nope" });
        assert.equal(invalid.status, 400);
        emulator.admin.vcaAddUser("default", { userName: "adopt@sample.com", email: "adopt@sample.com", roles: ["4"] });
        assert.throws(
          () =>
            emulator.admin.vcaAddUser("default", { userName: "adopt@sample.com", email: "x@sample.com", roles: ["4"] }),
          /already exists/,
        );
        assert.equal((await call(emulator, "DELETE", `${admin}/1925test@sample.com`)).status, 200);
        const names = json(await call(emulator, "GET", api(emulator, "/iam/Users"), auth)).users.map(
          (u: { userName: string }) => u.userName,
        );
        assert.deepEqual(names, ["HelloUser@example.com", "test994@sample.com", "adopt@sample.com"]);
      }));

    it("filters collections with the filter expression (==, wildcards, !=, ;, ',', parentheses, comparisons)", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const users = async (filter: string) => {
          const answer = await call(
            emulator,
            "GET",
            api(emulator, `/iam/Users?filter=${encodeURIComponent(filter)}`),
            auth,
          );
          assert.equal(answer.status, 200, answer.text);
          return json(answer).users.map((u: { userName: string }) => u.userName);
        };
        assert.deepEqual(await users("userName==test994@sample.com"), ["test994@sample.com"]);
        assert.deepEqual(await users("userName==TEST994@sample.com"), [], "== without wildcard is case-sensitive");
        assert.deepEqual(await users("email==*SAMPLE.com"), ["1925test@sample.com", "test994@sample.com"]);
        assert.deepEqual(await users("roles.name==Account Administrator;tosAccepted==true"), ["HelloUser@example.com"]);
        assert.deepEqual(await users("givenName==Jane,givenName==John"), ["1925test@sample.com", "test994@sample.com"]);
        assert.deepEqual(await users("(givenName==Jane,givenName==John);familyName!=newName"), ["1925test@sample.com"]);
        assert.deepEqual(await users("tosAcceptDate=ge=2000-01-01T00:00:00Z"), ["HelloUser@example.com"]);
        assert.deepEqual(await users("meta.created=lt=2000-01-01"), []);
        assert.equal((await users(`meta.modified=le=${Date.now()}`)).length, 3);
        const plans = json(
          await call(emulator, "GET", api(emulator, `/sc/plans?filter=${encodeURIComponent("id=gt=71")}`), auth),
        ).plans;
        assert.deepEqual(
          plans.map((p: { region: string }) => p.region),
          ["SCL"],
        );
        const instances = json(
          await call(emulator, "GET", api(emulator, `/sc/instances?filter=${encodeURIComponent("region==LVG")}`), auth),
        ).instances;
        assert.equal(instances.length, 1);
        assert.equal(instances[0].planId, "71");
      }));

    it("answers 400 to a malformed filter, an unknown attribute or two filter parameters", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        for (const [query, reason] of [
          [`filter=${encodeURIComponent("userName=test")}`, /expected attribute/],
          [`filter=${encodeURIComponent("(userName==a")}`, /missing "\)"/],
          [`filter=${encodeURIComponent("shoeSize==42")}`, /unknown attribute shoeSize; known: id, userName/],
          [`filter=${encodeURIComponent("userName!=a*")}`, /wildcards are not allowed/],
          [`filter=${encodeURIComponent("userName=gt=abc")}`, /expected a number or a date-time/],
          ["filter=id==1&filter=id==2", /Only one filter/],
        ] as const) {
          const answer = await call(emulator, "GET", api(emulator, `/iam/Users?${query}`), auth);
          assert.equal(answer.status, 400, query);
          assert.equal(json(answer).code, "BAD_FILTER");
          assert.match(json(answer).message, reason);
        }
      }));

    it("lists plans and instances", () =>
      withEmulator(async (emulator) => {
        const auth = await login57(emulator);
        const plans = json(await call(emulator, "GET", api(emulator, "/sc/plans"), auth)).plans;
        assert.deepEqual(plans[0], {
          id: "71",
          name: "Virtual Private Cloud OnDemand",
          serviceName: "com.vmware.vchs.compute",
          region: "LVG",
          description: "Pay-as-you-go compute, storage and networking",
          link: [],
        });
        const [instance] = json(await call(emulator, "GET", api(emulator, "/sc/instances"), auth)).instances;
        assert.equal(instance.serviceGroupId, "89a6da00-0d15-48e9-8fed-6c87dfca5c0e");
        assert.equal(JSON.parse(instance.instanceAttributes).orgName, instance.id);
      }));

    describe("metering", () => {
      const instance = "b7a6d0f2-5c3e-4f1a-9d8b-2e4c6a8f0b13";
      const l2 = "3c1d9e7a-0b2f-4e6d-8a5c-7f9e1b3d5a20";
      const [web, db] = ["5e2f8a1c-6d4b-4c3e-9f7a-1b0d2c4e6f31", "9a4c2e6f-1b3d-4f5a-8c7e-0d2f4a6c8e42"];
      const usage = (level: string, id: string, kind: string, query: string) =>
        `/billing/serviceinstance/${instance}/${level}/${id}/${kind}-usage?${query}`;

      it("answers billed usage of an L1 and of an L2 (the sum of its L1s) for start and end", () =>
        withEmulator(async (emulator) => {
          const auth = await login57(emulator);
          const now = Date.now();
          const query = `start=${new Date(now - 200 * 86_400_000).toISOString()}&end=${now}`;
          const get = async (level: string, id: string) => {
            const answer = await call(emulator, "GET", api(emulator, usage(level, id, "billed", query)), auth);
            assert.equal(answer.status, 200, answer.text);
            return json(answer);
          };
          const [vdc, webUsage, dbUsage] = [await get("l2", l2), await get("l1", web), await get("l1", db)];
          assert.equal(vdc.entityType, "L2");
          assert.equal(vdc.billingStatus, "BILLED");
          assert.equal(webUsage.entityName, "web-01");
          const cpu = (u: { billableUsage: Array<{ name: string; quantity: number }> }) =>
            u.billableUsage.find((m) => m.name === "CPU")!.quantity;
          assert.ok(cpu(webUsage) > 0);
          assert.ok(Math.abs(cpu(vdc) - cpu(webUsage) - cpu(dbUsage)) < 0.01);
        }));

      it("answers unbilled usage for a duration: only this month's", () =>
        withEmulator(async (emulator) => {
          const auth = await login57(emulator);
          const answer = await call(
            emulator,
            "GET",
            api(emulator, usage("l1", web, "unbilled", "duration=P400D")),
            auth,
          );
          assert.equal(answer.status, 200, answer.text);
          const body = json(answer);
          assert.equal(body.billingStatus, "UNBILLED");
          const now = new Date();
          const hoursThisMonth = (now.getTime() - Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) / 3_600_000;
          const cpu = body.billableUsage.find((m: { name: string }) => m.name === "CPU").quantity;
          assert.ok(Math.abs(cpu - 2.6 * hoursThisMonth) < 0.1, `${cpu} GHz-hours this month`);
        }));

      it("answers 400 unless the query is start and end, or duration; 404 for an unknown entity", () =>
        withEmulator(async (emulator) => {
          const auth = await login57(emulator);
          for (const [query, reason] of [
            ["", /give start and end, or duration/],
            ["start=2015-01-01", /give start and end, or duration/],
            ["start=2015-01-01&end=2015-02-01&duration=P1D", /not both/],
            ["duration=thirty-days", /ISO 8601 duration/],
            ["start=yesterday&end=2015-02-01", /start yesterday is not a date-time/],
            ["start=2015-02-01&end=2015-01-01", /end must be after start/],
          ] as const) {
            const answer = await call(emulator, "GET", api(emulator, usage("l2", l2, "billed", query)), auth);
            assert.equal(answer.status, 400, query);
            assert.match(json(answer).message, reason);
          }
          const unknown = await call(
            emulator,
            "GET",
            api(emulator, usage("l1", "no-such-vm", "billed", "duration=P1D")),
            auth,
          );
          assert.equal(unknown.status, 404);
        }));
    });
  });

  it("serves several accounts by name, each with its own credentials", () =>
    withEmulator(
      async (emulator) => {
        const [a, b] = [emulator.vcaAccounts.a, emulator.vcaAccounts.b];
        assert.equal(a.vcaUrl, `${emulator.url}/vca/a`);
        assert.ok(!a.vcaUrl.endsWith("/api"));
        const crossed = await call(emulator, "POST", `${b.vcaUrl}/api/iam/login`, {
          ...JSON_57,
          authorization: basic(a.vcaUser, a.vcaPassword),
        });
        assert.equal(crossed.status, 401);
        const own = await call(emulator, "POST", `${b.vcaUrl}/api/iam/login`, {
          ...JSON_57,
          authorization: basic(b.vcaUser, "b-secret"),
        });
        assert.equal(own.status, 201);
      },
      {
        vcaAccounts: {
          a: { version: "5.7", user: "alice@example.com" },
          b: { version: "5.7", user: "bob@example.com", password: "b-secret" },
        },
      },
    ));
});
