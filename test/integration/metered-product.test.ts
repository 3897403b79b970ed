import { strict as assert } from "node:assert";
import { guarded } from "../../resources/dynamic";
import { MeteredProductOutputs, MeteredProductProvider } from "../../resources/metered-product";
import { UNKNOWN } from "../../resources/validation";
import { ResourceError, ServiceError } from "../../provider/errors";
import { RunningEmulator, startEmulator } from "../../emulator";
import { ACCEPTED_STATUS } from "../../provider/usage-meter/client";
import { capturingLogs, checked, contextFor, requestsTo, withEmulator } from "../helpers/emulator";

const vcda = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" };

/** The provider as the shim runs it (credentials registered for redaction before each call). */
const providerFor = (emulator: RunningEmulator, extra: Record<string, string> = {}) =>
  guarded(new MeteredProductProvider(contextFor(emulator, extra)));
/**
 * The provider of the next pulumi command, after a change made by hand: a new process, which
 * shares no read with the last (within one process, lists are shared for a while; see SharedReads).
 */
const nextCommand = (emulator: RunningEmulator) => providerFor(emulator);

/** check, then create, as `pulumi up` does for a new resource. */
async function createProduct(provider: ReturnType<typeof providerFor>, news: Record<string, unknown>) {
  const inputs = await checked(provider, news);
  const created = await provider.create(inputs);
  return { inputs, id: created.id, outs: created.outs as MeteredProductOutputs };
}

const product = (emulator: RunningEmulator, id: string | number) => {
  const found = emulator.admin.appliance().products.find((p) => p.id === Number(id));
  assert.ok(found, `product ${id} is not on the appliance`);
  return found;
};

describe("MeteredProduct against the emulator", () => {
  describe("check", () => {
    let emulator: RunningEmulator;
    let provider: ReturnType<typeof providerFor>;
    before(async () => {
      emulator = await startEmulator({ quiet: true });
      provider = providerFor(emulator);
    });
    after(() => emulator.close());
    afterEach(() => assert.deepEqual(emulator.requests, [], "check must not reach the appliance"));

    const refusals: Array<[string, Record<string, unknown>, string, RegExp]> = [
      [
        "an unknown product type (codes are case-sensitive)",
        { ...vcda, productType: "vcav" },
        "productType",
        /must be one of .*VCAV.*case-sensitive/,
      ],
      ["a missing product type", { ...vcda, productType: undefined }, "productType", /must be one of/],
      ["NSX-V without vcId", { ...vcda, productType: "NSX-V" }, "vcId", /required when productType is NSX-V/],
      ["a port of 0", { ...vcda, port: 0 }, "port", /between 1 and 65535/],
      ["a port above 65535", { ...vcda, port: 65536 }, "port", /between 1 and 65535/],
      ["a fractional port", { ...vcda, port: 443.5 }, "port", /whole number/],
      ["a port given as text", { ...vcda, port: "443" }, "port", /must be a number/],
      ["an empty host", { ...vcda, host: "" }, "host", /must not be empty/],
      ["a blank host", { ...vcda, host: "   " }, "host", /must not be empty/],
      ["a host given as a URL", { ...vcda, host: "https://vcda.example.com/" }, "host", /without scheme, port or path/],
      ["an empty user", { ...vcda, user: "" }, "user", /must not be empty/],
      ["a missing password", { ...vcda, password: undefined }, "password", /is required/],
      [
        "a malformed fingerprint",
        { ...vcda, acceptCertificate: "AB:CD:EF" },
        "acceptCertificate",
        /SHA-256 fingerprint/,
      ],
      [
        "a fingerprint one digit short",
        { ...vcda, acceptCertificate: "a".repeat(63) },
        "acceptCertificate",
        /SHA-256 fingerprint/,
      ],
      [
        "a number as acceptCertificate",
        { ...vcda, acceptCertificate: 1 },
        "acceptCertificate",
        /must be true, false, or a SHA-256 fingerprint/,
      ],
      [
        "an appliance name not in vcpp:usageMeters",
        { ...vcda, usageMeter: "lab" },
        "usageMeter",
        /"lab" is not configured .*vcpp:usageMeters/,
      ],
    ];
    for (const [what, news, field, reason] of refusals) {
      it(`refuses ${what}, naming ${field}`, async () => {
        const result = await provider.check({}, news);
        const failure = result.failures?.find((f) => f.property === field);
        assert.ok(failure, `expected a failure on ${field}, got ${JSON.stringify(result.failures)}`);
        assert.ok(failure.reason.startsWith(`${field}: `), failure.reason);
        assert.match(failure.reason, reason);
      });
    }

    it("refuses TKGM without its four extra fields, naming each", async () => {
      const result = await provider.check({}, { ...vcda, productType: "TKGM" });
      assert.deepEqual(result.failures?.map((f) => f.property).sort(), [
        "tkgmEdition",
        "tkgmMetric",
        "tkgmToken",
        "vcId",
      ]);
      for (const failure of result.failures!) assert.match(failure.reason, /required when productType is TKGM/);
    });

    it("accepts valid inputs and fills in the defaults", async () => {
      const result = await provider.check({}, vcda);
      assert.equal(result.failures, undefined);
      assert.deepEqual(result.inputs, { ...vcda, port: 443, acceptCertificate: true });
      const pinned = await provider.check({}, { ...vcda, acceptCertificate: "ab".repeat(32), port: 8443 });
      assert.equal(pinned.failures, undefined);
    });

    it("leaves values unknown in preview unjudged, and still judges the known ones", async () => {
      const result = await provider.check({}, { ...vcda, host: UNKNOWN, port: 0 });
      assert.deepEqual(
        result.failures?.map((f) => f.property),
        ["port"],
      );
    });
  });

  describe("lifecycle", () => {
    it("registers a product, accepts its certificate, and reads back what the appliance reports", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, vcda);
        assert.equal(id, String(outs.productId));
        assert.deepEqual(
          { ...outs, status: { code: outs.status.code } },
          {
            productType: "VCAV",
            host: "vcda.example.com",
            port: 443,
            user: "root",
            password: "root-secret",
            acceptCertificate: true,
            productId: Number(id),
            active: true,
            metered: true,
            status: { code: "OK" },
            // Accepted with the documented certificateId, without listing it: its fingerprint is not known.
            fullName: "VMware Cloud Director Availability",
            version: "4.7.0",
          },
        );
        const onAppliance = product(emulator, id);
        assert.equal(onAppliance.password, "root-secret");
        assert.equal(onAppliance.metered, true);
        assert.equal(emulator.admin.appliance().pendingCertificates.size, 0);
        assert.deepEqual(
          emulator.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}${r.query} ${r.status}`),
          ["POST /login 202", "GET /product?productType=VCAV 200", "POST /product 202", "PUT /accept_certificate 202"],
          "the adoption look-up, the registration and the acceptance: nothing read back",
        );

        const read = await provider.read(id, outs);
        assert.equal(read.id, id);
        assert.deepEqual(read.props, outs);

        const diff = await provider.diff(id, read.props as MeteredProductOutputs, inputs);
        assert.deepEqual(diff, { changes: false, replaces: [], deleteBeforeReplace: false });
        const sameHostOtherCase = await provider.diff(
          id,
          outs,
          await checked(provider, { ...vcda, host: "VCDA.Example.COM" }),
        );
        assert.equal(sameHostOtherCase.changes, false);
      }));

    it("passes the extra fields NSX-V and TKGM need to the appliance", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const nsxv = await createProduct(provider, {
          productType: "NSX-V",
          host: "nsxv.example.com",
          user: "admin",
          password: "nsx-secret",
          vcId: "7",
        });
        assert.deepEqual(product(emulator, nsxv.id).extra, { vcId: "7" });
        assert.equal(nsxv.outs.vcId, "7");
        const tkgm = {
          productType: "TKGM",
          host: "tkgm.example.com",
          user: "admin",
          password: "tk-secret",
          vcId: "7",
          tkgmToken: "tok-secret",
          tkgmEdition: "Standard",
          tkgmMetric: "vCPU",
        };
        const created = await createProduct(provider, tkgm);
        assert.deepEqual(product(emulator, created.id).extra, {
          vcId: "7",
          tkgmToken: "tok-secret",
          tkgmEdition: "Standard",
          tkgmMetric: "vCPU",
        });
        assert.equal(created.outs.metered, true);

        const edition = await checked(provider, { ...tkgm, tkgmEdition: "Advanced" });
        const diff = await provider.diff(created.id, created.outs, edition);
        assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        await provider.update(created.id, created.outs, edition);
        assert.equal(product(emulator, created.id).extra.tkgmEdition, "Advanced");
      }));

    it("updates changed credentials in place, with a PUT carrying the product's id", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const { id, outs } = await createProduct(provider, vcda);
        const news = await checked(provider, { ...vcda, user: "admin", password: "rotated-secret" });

        assert.deepEqual(await provider.diff(id, outs, news), {
          changes: true,
          replaces: [],
          deleteBeforeReplace: false,
        });
        emulator.admin.clearRequests();
        const updated = await provider.update!(id, outs, news);
        const updatedOuts = updated.outs as MeteredProductOutputs;

        assert.equal(updatedOuts.productId, Number(id));
        assert.equal(updatedOuts.user, "admin");
        assert.equal(updatedOuts.password, "rotated-secret");
        assert.equal(updatedOuts.metered, true);
        assert.equal(updatedOuts.certificateFingerprint, outs.certificateFingerprint);
        assert.equal(emulator.admin.appliance().products.length, 1);
        assert.deepEqual(
          { user: product(emulator, id).user, password: product(emulator, id).password },
          { user: "admin", password: "rotated-secret" },
        );
        assert.deepEqual(
          emulator.writes().map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}`),
          ["PUT /product"],
        );
      }));

    it("replaces the product when host, port or type changes, deleting first when the host stays", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const { id, outs } = await createProduct(provider, vcda);

        const otherHost = await checked(provider, { ...vcda, host: "vcda2.example.com" });
        assert.deepEqual(await provider.diff(id, outs, otherHost), {
          changes: true,
          replaces: ["host"],
          deleteBeforeReplace: false,
        });
        const otherPort = await checked(provider, { ...vcda, port: 8443 });
        assert.deepEqual(await provider.diff(id, outs, otherPort), {
          changes: true,
          replaces: ["port"],
          deleteBeforeReplace: true,
        });
        const otherType = await checked(provider, { ...vcda, productType: "VCD" });
        assert.deepEqual(await provider.diff(id, outs, otherType), {
          changes: true,
          replaces: ["productType"],
          deleteBeforeReplace: true,
        });

        // Port change: the engine deletes the old product, then creates the new one.
        await provider.delete!(id, outs);
        const moved = await provider.create(otherPort);
        assert.notEqual(moved.id, id);
        assert.deepEqual(
          emulator.admin.products().map((p) => [p.id, p.port, p.metered]),
          [[Number(moved.id), 8443, true]],
        );

        // Host change: the engine creates the new product, then deletes the old one.
        const renamed = await provider.create(otherHost);
        await provider.delete!(moved.id, moved.outs as MeteredProductOutputs);
        assert.deepEqual(
          emulator.admin.products().map((p) => [p.id, p.host, p.metered]),
          [[Number(renamed.id), "vcda2.example.com", true]],
        );
      }));

    it("fails clearly, registering nothing, when the host is already registered under another type", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        await createProduct(provider, vcda);
        const asVcd = await checked(provider, { ...vcda, productType: "VCD" });
        await assert.rejects(provider.create(asVcd), (error: unknown) => {
          assert.ok(error instanceof ServiceError);
          assert.equal(error.status, 409);
          assert.equal(error.errCode, "ERR_PM_HOST_NAME_CONFLICT");
          assert.match(
            error.message,
            /register product failed \(POST \/um\/default\/api\/v1\/product\): 409 ERR_PM_HOST_NAME_CONFLICT/,
          );
          assert.match(error.message, /Another product is already registered with this host name/);
          return true;
        });
        assert.deepEqual(
          emulator.admin.products().map((p) => p.productType),
          ["VCAV"],
        );
      }));

    it("deletes the product, and deleting one already gone succeeds", () =>
      withEmulator(async (emulator) =>
        capturingLogs(async (logs) => {
          const provider = providerFor(emulator);
          const { id, outs } = await createProduct(provider, vcda);
          await provider.delete!(id, outs);
          assert.deepEqual(emulator.admin.products(), []);
          assert.equal(emulator.admin.appliance().pendingCertificates.size, 0);

          await provider.delete!(id, outs);
          assert.deepEqual(
            requestsTo(emulator, "DELETE", "/product").map((r) => r.status),
            [202, 502],
          );
          assert.ok(
            logs.some((m) => /VCAV vcda\.example\.com:443 \(id \d+\) was already gone/.test(m)),
            logs.join("\n"),
          );
        }),
      ));

    it("reads a product removed out of band as gone", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { id, outs } = await createProduct(provider, vcda);
        emulator.admin.removeProduct("default", Number(id));
        provider = nextCommand(emulator);
        assert.deepEqual(await provider.read(id, outs), { id: "", props: {} });
      }));
  });

  describe("out-of-band changes", () => {
    it("fails an update of a product removed out of band with advice to refresh, whether or not credentials changed", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { id, outs } = await createProduct(provider, vcda);
        emulator.admin.removeProduct("default", Number(id));
        provider = nextCommand(emulator);
        const advice = new RegExp(
          `^ResourceError: MeteredProduct VCAV vcda\\.example\\.com:443 \\(id ${id}\\) no longer exists on ${emulator.usageMeters.default.url}/api/v1: run pulumi refresh, then pulumi up to register it again$`,
        );
        const rotated = await checked(provider, { ...vcda, password: "rotated-secret" });
        await assert.rejects(
          provider.update!(id, outs, rotated),
          (error: Error) => (
            assert.match(String(error), advice),
            assert.equal((error as ResourceError).code, "GONE"),
            true
          ),
        );
        // Nothing to PUT (only the pin is new): the product is looked up instead.
        const pinned = await checked(provider, { ...vcda, acceptCertificate: outs.certificateFingerprint });
        await assert.rejects(
          provider.update!(id, outs, pinned),
          (error: Error) => (
            assert.match(String(error), advice),
            assert.equal((error as ResourceError).code, "GONE"),
            true
          ),
        );
        assert.deepEqual(
          requestsTo(emulator, "PUT", "/product").map((r) => r.status),
          [502],
          "one PUT, answered not found, never retried",
        );
        assert.deepEqual(emulator.admin.products(), [], "nothing was registered again");
      }));

    it("shows a changed account on read, reports it in diff, and puts it back on update", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, vcda);
        emulator.admin.changeProduct("default", Number(id), { user: "intruder", password: "unknown" });
        provider = nextCommand(emulator);

        const read = await provider.read(id, outs);
        const refreshed = read.props as MeteredProductOutputs;
        assert.equal(refreshed.user, "intruder");
        assert.deepEqual(await provider.diff(id, refreshed, inputs), {
          changes: true,
          replaces: [],
          deleteBeforeReplace: false,
        });

        await provider.update!(id, refreshed, inputs);
        assert.deepEqual(
          { user: product(emulator, id).user, password: product(emulator, id).password },
          { user: "root", password: "root-secret" },
        );
      }));

    it("shows a deactivated product on read, and re-activates it on update", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, vcda);
        emulator.admin.changeProduct("default", Number(id), { active: false });
        provider = nextCommand(emulator);

        const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
        assert.equal(refreshed.active, false);
        assert.equal(refreshed.status.text, "Deactivated");
        assert.deepEqual(await provider.diff(id, refreshed, inputs), {
          changes: true,
          replaces: [],
          deleteBeforeReplace: false,
        });

        const updated = (await provider.update!(id, refreshed, inputs)).outs as MeteredProductOutputs;
        assert.equal(updated.active, true);
        assert.equal(product(emulator, id).active, true);
      }));

    it("shows a host changed on the appliance, and diff asks for a replacement", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, vcda);
        emulator.admin.changeProduct("default", Number(id), { host: "elsewhere.example.com" });
        provider = nextCommand(emulator);
        const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
        assert.equal(refreshed.host, "elsewhere.example.com");
        assert.deepEqual(await provider.diff(id, refreshed, inputs), {
          changes: true,
          replaces: ["host"],
          deleteBeforeReplace: false,
        });
      }));

    it("shows a renewed certificate waiting for acceptance, and accepts it on update", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, vcda);
        const renewed = await emulator.admin.rotateCertificate("default", Number(id));
        provider = nextCommand(emulator);
        assert.notEqual(renewed, outs.certificateFingerprint);

        const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
        assert.equal(refreshed.metered, false);
        assert.equal(refreshed.pendingCertificateFingerprint, renewed);
        assert.deepEqual(await provider.diff(id, refreshed, inputs), {
          changes: true,
          replaces: [],
          deleteBeforeReplace: false,
        });

        const updated = (await provider.update!(id, refreshed, inputs)).outs as MeteredProductOutputs;
        assert.equal(updated.certificateFingerprint, renewed);
        assert.equal(updated.pendingCertificateFingerprint, undefined);
        assert.equal(updated.metered, true);
        assert.equal(product(emulator, id).metered, true);
      }));
  });

  describe("registered but not metered", () => {
    const warnings = (logs: string[]) => logs.filter((m) => m.startsWith("warn: "));

    it("adopts an unmetered product with no certificate pending at once, warning why and what to do", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          const byHand = await emulator.admin.addProduct("default", vcda);
          emulator.admin.rejectCertificate("default", Number(byHand.id));
          const { outs } = await createProduct(providerFor(emulator), vcda);

          assert.equal(outs.metered, false);
          assert.deepEqual(outs.status, { code: "Error", text: "Certificate rejected" });
          assert.ok(!logs.some((m) => /Waiting up to/.test(m)), "no wait for a certificate that will not come");
          assert.deepEqual(requestsTo(emulator, "GET", "/user_action").length, 1);
          const [warning] = warnings(logs);
          assert.match(
            warning,
            /VCAV vcda\.example\.com:443 \(id \d+\) is registered but not metered after pulumi up: its certificate was rejected \(the appliance says "Error: Certificate rejected"\)/,
          );
          assert.match(warning, /pulumi up --replace/);
        }),
      ));

    it("announces the wait for a new product's certificate, with its bound and its end", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          // The certificate arrives only on the third look, as when the appliance fetches it late:
          // the acceptance with the documented certificateId finds none at first.
          emulator.admin.injectFault({
            method: "PUT",
            pathIncludes: "/api/v1/accept_certificate",
            status: 400,
            body: { errCode: "GW_BAD_REQ_BODY", errMessage: "No certificate is waiting" },
          });
          emulator.admin.injectFault({
            method: "GET",
            pathIncludes: "/api/v1/user_action",
            times: 2,
            status: 200,
            body: [],
          });
          const { outs } = await createProduct(providerFor(emulator), vcda);
          assert.equal(requestsTo(emulator, "GET", "/user_action").length, 3);
          assert.equal(outs.metered, true);
          assert.ok(
            logs.includes(
              "info: Waiting up to 30 s for the appliance to fetch the certificate of VCAV vcda.example.com:443 (id 1)",
            ),
            logs.join("\n"),
          );
          assert.ok(
            logs.some((m) => /^info: Done waiting for the appliance to fetch the certificate of VCAV/.test(m)),
            logs.join("\n"),
          );
          assert.deepEqual(warnings(logs), []);
        }),
      ));

    it("warns when acceptCertificate false leaves the product unmetered, and plans nothing for it", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          const provider = providerFor(emulator);
          const { inputs, id, outs } = await createProduct(provider, { ...vcda, acceptCertificate: false });
          assert.match(
            warnings(logs)[0],
            /is registered but not metered after pulumi up: its certificate \(SHA-256 [0-9A-F:]+\) waits for acceptance and acceptCertificate is false; set acceptCertificate to true/,
          );
          assert.equal((await provider.diff(id, outs, inputs)).changes, false);
        }),
      ));

    it("on refresh, warns about a product whose metered flipped to false, and plans no pointless update", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          let provider = providerFor(emulator);
          const { inputs, id, outs } = await createProduct(provider, vcda);
          emulator.admin.changeProduct("default", Number(id), { metered: false });
          provider = nextCommand(emulator);
          const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
          assert.equal(refreshed.metered, false);
          assert.match(
            warnings(logs)[0],
            /is registered but not metered on the appliance: no certificate is pending and it is active .*this provider cannot repair it/,
          );
          assert.equal((await provider.diff(id, refreshed, inputs)).changes, false);
        }),
      ));

    it("plans an update, saying why, for metered false with a certificate pending, and is metered after it", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          let provider = providerFor(emulator);
          const { inputs, id, outs } = await createProduct(provider, vcda);
          const renewed = await emulator.admin.rotateCertificate("default", Number(id));
          provider = nextCommand(emulator);
          const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
          assert.match(
            warnings(logs)[0],
            new RegExp(
              `not metered on the appliance: a certificate \\(SHA-256 ${renewed}\\) waits for acceptance; pulumi up accepts it`,
            ),
          );
          assert.equal((await provider.diff(id, refreshed, inputs)).changes, true);
          assert.match(
            warnings(logs)[1],
            /update planned, a certificate .* waits for acceptance; pulumi up accepts it/,
          );

          logs.length = 0;
          const updated = (await provider.update!(id, refreshed, inputs)).outs as MeteredProductOutputs;
          assert.deepEqual([updated.metered, updated.status], [true, ACCEPTED_STATUS]);
          assert.deepEqual(warnings(logs), []);
        }),
      ));

    it("plans an update for a deactivated product, saying why, and its outputs show the appliance after re-activation", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          let provider = providerFor(emulator);
          const { inputs, id, outs } = await createProduct(provider, vcda);
          emulator.admin.changeProduct("default", Number(id), { active: false });
          provider = nextCommand(emulator);
          const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
          assert.match(
            warnings(logs)[0],
            /not metered on the appliance: it is deactivated on the appliance \(the appliance says "Warn: Deactivated"\); pulumi up re-activates it/,
          );
          assert.equal((await provider.diff(id, refreshed, inputs)).changes, true);
          assert.match(warnings(logs)[1], /update planned, it is deactivated/);

          emulator.admin.clearRequests();
          const updated = (await provider.update!(id, refreshed, inputs)).outs as MeteredProductOutputs;
          assert.equal(updated.active, true);
          assert.deepEqual(
            updated.status,
            { code: "OK", text: "Collecting" },
            'the status after re-activation, not "Deactivated"',
          );
          assert.equal(warnings(logs).length, 2, "no warning once repaired");
          assert.deepEqual(
            emulator.requests
              .filter((r) => !r.path.endsWith("/login"))
              .map((r) => `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}`),
            ["PUT /product", "GET /user_action"],
            "built from the PUT's answer, not read again",
          );
        }),
      ));
  });

  describe("requests per operation (API minimum, #18)", () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `vcda-${i + 1}.example.com`);
    /** The appliance's requests, "METHOD path?query status" → how many. */
    const tally = (emulator: RunningEmulator) => {
      const counts: Record<string, number> = {};
      for (const r of emulator.requests) {
        const key = `${r.method} ${r.path.replace(/^.*\/api\/v1/, "")}${r.query} ${r.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    };

    it("creates 12 products at once with one list of their type and a POST and a PUT each; refreshes them with one list and one pending-action read", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const created = await Promise.all(hosts.map((host) => createProduct(provider, { ...vcda, host })));
        assert.deepEqual(tally(emulator), {
          "POST /login 202": 1,
          "GET /product?productType=VCAV 200": 1,
          "POST /product 202": 12,
          "PUT /accept_certificate 202": 12,
        });

        emulator.admin.clearRequests();
        const next = nextCommand(emulator);
        const read = await Promise.all(created.map(({ id, outs }) => next.read(id, outs)));
        assert.ok(read.every((r, i) => r.id === created[i].id));
        const refresh = tally(emulator);
        delete refresh["POST /login 202"]; // the token sources keep the session for the process
        assert.deepEqual(refresh, { "GET /product?productType=VCAV 200": 1, "GET /user_action 200": 1 });
      }));

    it("slows down when the appliance throttles (429 with Retry-After): every product is registered, once", () =>
      withEmulator(async (emulator) => {
        emulator.admin.injectFault({ method: "POST", pathIncludes: "/product", retryAfterSeconds: 1, times: 3 });
        const provider = providerFor(emulator);
        const created = await Promise.all(hosts.map((host) => createProduct(provider, { ...vcda, host })));
        assert.equal(new Set(created.map((c) => c.id)).size, 12);
        const counts = tally(emulator);
        assert.equal(counts["POST /product 429"], 3);
        assert.equal(counts["POST /product 202"], 12, "each product registered exactly once");
        assert.equal(emulator.admin.products().length, 12);
        assert.ok(emulator.admin.products().every((p) => p.metered));
      }));
  });

  describe("adoption and interrupted creates", () => {
    it("adopts a product already registered with the same type, host and port instead of registering it again", () =>
      withEmulator(async (emulator) =>
        capturingLogs(async (logs) => {
          const byHand = await emulator.admin.addProduct("default", {
            productType: "VCAV",
            host: "VCDA.example.com",
            user: "admin",
            password: "old-secret",
          });
          const provider = providerFor(emulator);
          const { id, outs } = await createProduct(provider, vcda);

          assert.equal(id, String(byHand.id));
          assert.deepEqual(requestsTo(emulator, "POST", "/product"), []);
          assert.equal(requestsTo(emulator, "PUT", "/product").length, 1);
          assert.equal(emulator.admin.appliance().products.length, 1);
          assert.deepEqual(
            { user: product(emulator, id).user, password: product(emulator, id).password },
            { user: "root", password: "root-secret" },
          );
          assert.equal(outs.metered, true);
          assert.ok(
            logs.some((m) => /adopting VCAV vcda\.example\.com:443, already registered .* as id \d+/.test(m)),
            logs.join("\n"),
          );
        }),
      ));

    it("does not adopt a product of the same host on another port", () =>
      withEmulator(async (emulator) => {
        await emulator.admin.addProduct("default", {
          productType: "VCAV",
          host: "vcda.example.com",
          port: 8443,
          user: "root",
          password: "root-secret",
        });
        await assert.rejects(
          providerFor(emulator).create(await checked(providerFor(emulator), vcda)),
          /ERR_PM_HOST_NAME_CONFLICT/,
        );
        assert.deepEqual(
          emulator.admin.products().map((p) => p.port),
          [8443],
        );
      }));

    it("ends with exactly one product when the answer to the registration is lost", () =>
      withEmulator(async (emulator) =>
        capturingLogs(async (logs) => {
          emulator.admin.injectFault({ method: "POST", pathIncludes: "/api/v1/product", dropAfterApplying: true });
          const { id, outs } = await createProduct(providerFor(emulator), vcda);

          assert.deepEqual(
            requestsTo(emulator, "POST", "/product").map((r) => r.status),
            [0],
            "the POST is sent once and never repeated",
          );
          assert.deepEqual(
            emulator.admin.products().map((p) => p.id),
            [Number(id)],
          );
          assert.equal(outs.metered, true);
          assert.ok(
            logs.some((m) => /was registered \(id \d+\) although the answer was lost; adopting it/.test(m)),
            logs.join("\n"),
          );
        }),
      ));

    it("fails without retrying the POST, and registers nothing, when the appliance fails before registering", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const inputs = await checked(provider, vcda);
        emulator.admin.injectFault({
          method: "POST",
          pathIncludes: "/api/v1/product",
          status: 500,
          body: { errCode: "ERR_INTERNAL", errMessage: "database unavailable" },
        });
        await assert.rejects(
          provider.create(inputs),
          (error: unknown) =>
            error instanceof ServiceError &&
            error.status === 500 &&
            /ERR_INTERNAL: database unavailable/.test(error.message),
        );
        emulator.admin.injectFault({ method: "POST", pathIncludes: "/api/v1/product", dropBeforeApplying: true });
        await assert.rejects(
          provider.create(inputs),
          (error: unknown) =>
            error instanceof ServiceError && error.status === undefined && /no answer/.test(error.message),
        );
        assert.deepEqual(
          requestsTo(emulator, "POST", "/product").map((r) => r.status),
          [500, 0],
        );
        assert.deepEqual(emulator.admin.products(), []);

        const created = await provider.create(inputs);
        assert.deepEqual(
          emulator.admin.products().map((p) => p.id),
          [Number(created.id)],
        );
      }));
  });

  it("redacts the product's password when the appliance echoes it in an error", () =>
    withEmulator(async (emulator) => {
      const provider = providerFor(emulator);
      const inputs = await checked(provider, { ...vcda, password: "echoed-Secret-7" });
      emulator.admin.injectFault({
        method: "POST",
        pathIncludes: "/api/v1/product",
        status: 400,
        body: { errCode: "ERR_BAD_CREDENTIALS", errMessage: "login root/echoed-Secret-7 refused" },
      });
      await assert.rejects(provider.create(inputs), (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.match(error.message, /ERR_BAD_CREDENTIALS: login root\/\S+ refused/);
        assert.doesNotMatch(`${error.message} ${error.serverMessage} ${JSON.stringify(error)}`, /echoed-Secret-7/);
        return true;
      });
    }));

  describe("certificate pinning", () => {
    it("accepts the certificate when it matches the expected fingerprint, in either notation", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const colons = await emulator.admin.certificateFingerprint("vcda.example.com", 443);
        const pinned = await createProduct(provider, { ...vcda, acceptCertificate: colons });
        assert.equal(pinned.outs.certificateFingerprint, colons);
        assert.equal(pinned.outs.metered, true);

        const plain = (await emulator.admin.certificateFingerprint("vcd.example.com", 443))
          .replace(/:/g, "")
          .toLowerCase();
        const other = await createProduct(provider, {
          ...vcda,
          productType: "VCD",
          host: "vcd.example.com",
          acceptCertificate: plain,
        });
        assert.equal(other.outs.metered, true);
        assert.equal(other.outs.acceptCertificate, plain);
        assert.equal(
          (await provider.diff(other.id, other.outs, other.inputs)).changes,
          false,
          "the same fingerprint in another notation is no change",
        );
      }));

    it("refuses a certificate that does not match, leaving it unaccepted, and accepts it once the pin is corrected", () =>
      withEmulator((emulator) =>
        capturingLogs(async (logs) => {
          const provider = providerFor(emulator);
          const actual = await emulator.admin.certificateFingerprint("vcda.example.com", 443);
          const wrong = "AB".repeat(31) + "CD";
          await assert.rejects(createProduct(provider, { ...vcda, acceptCertificate: wrong }), (error: Error) => {
            assert.match(
              error.message,
              new RegExp(`has SHA-256 fingerprint ${actual}, not the expected ${"AB:".repeat(31)}CD`),
            );
            assert.match(error.message, /It was not accepted, so the product is registered \(id \d+\) but not metered/);
            assert.ok(error instanceof ResourceError && error.code === "CERTIFICATE_MISMATCH");
            return true;
          });
          const [registered] = emulator.admin.appliance().products;
          assert.equal(registered.metered, false);
          assert.ok(
            emulator.admin.appliance().pendingCertificates.has(registered.id),
            "the certificate is still waiting for acceptance",
          );
          assert.deepEqual(requestsTo(emulator, "PUT", "/accept_certificate"), []);

          const corrected = await createProduct(provider, { ...vcda, acceptCertificate: actual });
          assert.equal(corrected.id, String(registered.id));
          assert.equal(corrected.outs.metered, true);
          assert.equal(requestsTo(emulator, "POST", "/product").length, 1);
          assert.ok(
            logs.some((m) => /adopting VCAV vcda\.example\.com:443/.test(m)),
            logs.join("\n"),
          );
        }),
      ));

    it("refuses a renewed certificate that no longer matches the pin", () =>
      withEmulator(async (emulator) => {
        let provider = providerFor(emulator);
        const pin = await emulator.admin.certificateFingerprint("vcda.example.com", 443);
        const { inputs, id, outs } = await createProduct(provider, { ...vcda, acceptCertificate: pin });
        const renewed = await emulator.admin.rotateCertificate("default", Number(id));
        provider = nextCommand(emulator);
        const refreshed = (await provider.read(id, outs)).props as MeteredProductOutputs;
        assert.equal((await provider.diff(id, refreshed, inputs)).changes, true);
        await assert.rejects(
          provider.update!(id, refreshed, inputs),
          new RegExp(`fingerprint ${renewed}, not the expected ${pin}`),
        );
        assert.equal(product(emulator, id).metered, false);
        assert.ok(emulator.admin.appliance().pendingCertificates.has(Number(id)));
      }));

    it("leaves the certificate pending with acceptCertificate false, and accepts it when that changes", () =>
      withEmulator(async (emulator) => {
        const provider = providerFor(emulator);
        const { inputs, id, outs } = await createProduct(provider, { ...vcda, acceptCertificate: false });
        const fingerprint = await emulator.admin.certificateFingerprint("vcda.example.com", 443);
        assert.equal(outs.metered, false);
        assert.equal(outs.certificateFingerprint, undefined);
        assert.equal(outs.pendingCertificateFingerprint, fingerprint);
        assert.deepEqual(requestsTo(emulator, "PUT", "/accept_certificate"), []);
        assert.equal((await provider.diff(id, outs, inputs)).changes, false);

        const accept = await checked(provider, vcda);
        assert.deepEqual(await provider.diff(id, outs, accept), {
          changes: true,
          replaces: [],
          deleteBeforeReplace: false,
        });
        const updated = (await provider.update!(id, outs, accept)).outs as MeteredProductOutputs;
        assert.equal(updated.certificateFingerprint, fingerprint);
        assert.equal(updated.metered, true);
        assert.deepEqual(requestsTo(emulator, "PUT", "/product"), [], "nothing but the certificate changed");
      }));
  });
});
