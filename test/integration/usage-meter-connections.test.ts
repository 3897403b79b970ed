import { strict as assert } from "node:assert";
import { MeteredProductOutputs, MeteredProductProvider } from "../../resources/metered-product";
import { ProxyConfigOutputs, ProxyConfigProvider } from "../../resources/proxy-config";
import { ConfigError } from "../../provider/errors";
import {
  checked,
  contextFor,
  loginRequests,
  namedAppliancesConfig,
  requestsTo,
  withEmulator,
} from "../helpers/emulator";

const vcda = { productType: "VCAV", host: "vcda.example.com", user: "root", password: "root-secret" };
const hosts = (n: number) => Array.from({ length: n }, (_, i) => `vcda${i}.example.com`);

describe("Usage Meter appliances, versions and sessions", () => {
  it("manages products and the proxy on a 9.x appliance (HTTP Basic login, bearer token, no :8443)", () =>
    withEmulator(
      async (emulator) => {
        const context = contextFor(emulator);
        const products = new MeteredProductProvider(context);
        const proxy = new ProxyConfigProvider(context);

        const created = await products.create(await checked(products, vcda));
        const outs = created.outs as MeteredProductOutputs;
        assert.equal(outs.metered, true);
        assert.equal(emulator.admin.appliance().pendingCertificates.size, 0, "its certificate was accepted");
        assert.deepEqual((await products.read(created.id, outs)).props, outs);

        const proxied = await proxy.create(
          await checked(proxy, { type: "http", host: "proxy.example.com", port: 3128 }),
        );
        assert.equal((proxied.outs as ProxyConfigOutputs).type, "http");
        assert.equal(emulator.admin.appliance().proxy.host, "proxy.example.com");

        await products.delete!(created.id, outs);
        assert.deepEqual(emulator.admin.products(), []);
        // 9.x answers a login with 200 and a token; no request was refused, so every call carried the bearer token.
        assert.deepEqual(
          loginRequests(emulator).map((r) => r.status),
          [200],
        );
        assert.deepEqual(
          emulator.requests.filter((r) => r.status === 401),
          [],
        );
        assert.equal(emulator.admin.appliance().logins, 1);
      },
      { usageMeters: { default: { version: "9" } } },
    ));

  describe("named appliances (vcpp:usageMeters)", () => {
    it("puts each product on the appliance it names, and moving it is create-then-delete", () =>
      withEmulator(
        async (emulator) => {
          const provider = new MeteredProductProvider(contextFor(emulator, namedAppliancesConfig(emulator)));
          const onWest = await checked(provider, { ...vcda, usageMeter: "west" });
          const created = await provider.create(onWest);
          const outs = created.outs as MeteredProductOutputs;
          assert.equal(outs.usageMeter, "west");
          assert.deepEqual(emulator.admin.products("east"), []);
          assert.deepEqual(
            emulator.admin.products("west").map((p) => [p.id, p.host, p.metered]),
            [[Number(created.id), "vcda.example.com", true]],
          );
          assert.deepEqual((await provider.read(created.id, outs)).props, outs);
          assert.equal((await provider.diff(created.id, outs, onWest)).changes, false);

          const onEast = await checked(provider, { ...vcda, usageMeter: "east" });
          assert.deepEqual(await provider.diff(created.id, outs, onEast), {
            changes: true,
            replaces: ["usageMeter"],
            deleteBeforeReplace: false,
          });
          const moved = await provider.create(onEast);
          await provider.delete!(created.id, outs);
          assert.deepEqual(emulator.admin.products("west"), []);
          assert.deepEqual(
            emulator.admin.products("east").map((p) => p.id),
            [Number(moved.id)],
          );
          assert.deepEqual(
            loginRequests(emulator, "west").map((r) => r.status),
            [200],
          );
          assert.deepEqual(
            loginRequests(emulator, "east").map((r) => r.status),
            [202],
          );
        },
        { usageMeters: { east: {}, west: { version: "9" } } },
      ));

    it('takes usageMeter "default" and no usageMeter for the same appliance: no replacement, which would adopt then delete', () =>
      withEmulator(async (emulator) => {
        const context = contextFor(emulator);
        const products = new MeteredProductProvider(context);
        const proxy = new ProxyConfigProvider(context);
        const product = await products.create(await checked(products, vcda));
        const proxied = await proxy.create(
          await checked(proxy, { type: "http", host: "proxy.example.com", port: 3128 }),
        );

        for (const [before, after] of [
          [undefined, "default"],
          ["default", undefined],
        ]) {
          const productOuts = { ...(product.outs as MeteredProductOutputs), usageMeter: before };
          const productNews = await checked(products, { ...vcda, usageMeter: after });
          assert.deepEqual(await products.diff(product.id, productOuts, productNews), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
          });
          const proxyOuts = { ...(proxied.outs as ProxyConfigOutputs), usageMeter: before };
          const proxyNews = await checked(proxy, {
            type: "http",
            host: "proxy.example.com",
            port: 3128,
            usageMeter: after,
          });
          assert.deepEqual(await proxy.diff(proxied.id, proxyOuts, proxyNews), { changes: false, replaces: [] });
        }
        assert.equal(emulator.admin.products().length, 1);
        assert.equal(emulator.admin.appliance().proxy.type, "http");
      }));

    it("refuses, in check and before any request, a name that is not configured, listing the known ones", () =>
      withEmulator(
        async (emulator) => {
          const context = contextFor(emulator, namedAppliancesConfig(emulator));
          for (const provider of [new MeteredProductProvider(context), new ProxyConfigProvider(context)]) {
            const inputs =
              provider instanceof MeteredProductProvider
                ? { ...vcda, usageMeter: "north" }
                : { type: "none", usageMeter: "north" };
            const result = await provider.check({}, inputs);
            assert.deepEqual(result.failures, [
              {
                property: "usageMeter",
                reason:
                  'usageMeter: "north" is not configured (known: default, east, west); add it under vcpp:usageMeters',
              },
            ]);
          }
          assert.deepEqual(emulator.requests, []);
        },
        { usageMeters: { east: {}, west: {} } },
      ));

    it("fails clearly, without a request, when a resource uses the default appliance and only named ones are configured", () =>
      withEmulator(async (emulator) => {
        const context = contextFor(emulator, {
          ...namedAppliancesConfig(emulator),
          usageMeterUrl: "",
          usageMeterPassword: "",
        });
        const provider = new MeteredProductProvider(context);
        await assert.rejects(
          provider.create(await checked(provider, vcda)),
          (error: unknown) => error instanceof ConfigError && /vcpp:usageMeterUrl is not set/.test(error.message),
        );
        assert.deepEqual(emulator.requests, []);
      }));
  });

  describe("sessions", () => {
    for (const version of ["4", "9"] as const) {
      it(`logs in again once when the ${version}.x session expires mid-run, and carries on`, () =>
        withEmulator(
          async (emulator) => {
            const provider = new MeteredProductProvider(contextFor(emulator));
            const created = await Promise.all(
              hosts(3).map(async (host) => provider.create(await checked(provider, { ...vcda, host }))),
            );
            assert.equal(loginRequests(emulator).length, 1);

            emulator.admin.expireSessions();
            emulator.admin.clearRequests();
            const reads = await Promise.all(created.map((c) => provider.read(c.id, c.outs as MeteredProductOutputs)));
            assert.deepEqual(
              reads.map((r) => r.id),
              created.map((c) => c.id),
            );
            assert.equal(loginRequests(emulator).length, 1, "one re-login");
            assert.deepEqual(
              emulator.requests.filter((r) => r.status === 401).map((r) => r.path.replace(/^.*\/api\/v1/, "")),
              ["/user_action"],
              "the three reads share one list of pending actions, refused once",
            );
            assert.equal(emulator.admin.appliance().logins, 2);

            // A refused write is repeated once with the new session, and applied once.
            emulator.admin.expireSessions();
            emulator.admin.clearRequests();
            const first = created[0];
            const news = await checked(provider, { ...vcda, host: "vcda0.example.com", password: "rotated-secret" });
            await provider.update!(first.id, first.outs as MeteredProductOutputs, news);
            assert.deepEqual(
              requestsTo(emulator, "PUT", "/product").map((r) => r.status),
              [401, 202],
            );
            assert.equal(
              emulator.admin.appliance().products.find((p) => p.id === Number(first.id))?.password,
              "rotated-secret",
            );
            assert.equal(emulator.admin.appliance().logins, 3);
          },
          { usageMeters: { default: { version } } },
        ));
    }

    it("costs one login for many resources of both kinds on one appliance, across provider instances", () =>
      withEmulator(async (emulator) => {
        // Two contexts: what two provider texts configured in one provider process amount to.
        const [first, second] = [contextFor(emulator), contextFor(emulator)];
        const products = [new MeteredProductProvider(first), new MeteredProductProvider(second)];
        const proxy = new ProxyConfigProvider(second);
        await Promise.all([
          ...hosts(6).map(async (host, i) => products[i % 2].create(await checked(products[i % 2], { ...vcda, host }))),
          proxy.create(await checked(proxy, { type: "none" })),
        ]);
        assert.equal(emulator.admin.products().length, 6);
        assert.ok(emulator.admin.products().every((p) => p.metered));
        assert.equal(loginRequests(emulator).length, 1);
        assert.equal(emulator.admin.appliance().logins, 1);
      }));

    it("logs in anew when the appliance's password changes in the stack config", () =>
      withEmulator(async (emulator) => {
        const provider = new MeteredProductProvider(contextFor(emulator));
        await provider.create(await checked(provider, vcda));
        const wrong = new MeteredProductProvider(contextFor(emulator, { usageMeterPassword: "not-the-password" }));
        await assert.rejects(
          wrong.create(await checked(wrong, { ...vcda, host: "other.example.com" })),
          (error: Error) => {
            assert.match(error.message, /log in failed \(POST \/um\/default\/api\/v1\/login\): 401 GW_LOGIN_FAILED/);
            assert.match(error.message, /check vcpp:usageMeterUser and vcpp:usageMeterPassword/);
            assert.doesNotMatch(error.message, /not-the-password/);
            return true;
          },
        );
        assert.deepEqual(
          loginRequests(emulator).map((r) => r.status),
          [202, 401],
        );
        assert.equal(emulator.admin.products().length, 1);
      }));
  });
});
