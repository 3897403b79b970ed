import { strict as assert } from "node:assert";
import sinon from "sinon";
import {
  clearCredentials,
  Credential,
  CredentialKey,
  RENEWAL_MARGIN_MS,
  sharedAuthenticator,
} from "../../provider/auth/token-source";

/** A key of the Usage Meter at um.test for `user`. */
const key = (user: string, secret = "um-unit-pw"): CredentialKey => ({
  service: "usage-meter",
  endpoint: "https://um.test/api/v1",
  identity: user,
  secret,
});

/** A login that hands out session-1, session-2, … and can be held open until released. */
function fakeLogin() {
  let count = 0;
  let gate: Promise<void> | undefined;
  let open = () => {};
  const login = sinon.spy(async (): Promise<Credential> => {
    const n = ++count;
    if (gate) await gate;
    return { headers: { sessionId: `session-${n}` } };
  });
  return {
    login,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

describe("sharedAuthenticator", () => {
  beforeEach(() => clearCredentials());
  afterEach(() => {
    sinon.restore();
    clearCredentials();
  });

  it("logs in once for 10 callers of the same key, and gives them all the same credential", async () => {
    const { login } = fakeLogin();
    const authenticators = Array.from({ length: 10 }, () =>
      sharedAuthenticator(key("um|https://um.test|usagemeter"), login),
    );
    const headers = await Promise.all(authenticators.map((a) => a.headers()));
    assert.equal(login.callCount, 1);
    assert.ok(headers.every((h) => h.sessionId === "session-1"));
    await authenticators[3].headers();
    assert.equal(login.callCount, 1, "a later caller reuses the credential");
  });

  it("makes concurrent callers share the login in flight", async () => {
    const fake = fakeLogin();
    fake.hold();
    const auth = sharedAuthenticator(key("k"), fake.login);
    const waiting = [auth.headers(), auth.headers(), sharedAuthenticator(key("k"), fake.login).headers()];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fake.login.callCount, 1);
    fake.release();
    assert.deepEqual(await Promise.all(waiting), [
      { sessionId: "session-1" },
      { sessionId: "session-1" },
      { sessionId: "session-1" },
    ]);
    assert.equal(fake.login.callCount, 1);
  });

  it("logs in separately for different keys (another appliance or user)", async () => {
    const { login } = fakeLogin();
    await sharedAuthenticator(key("a"), login).headers();
    await sharedAuthenticator(key("b"), login).headers();
    assert.equal(login.callCount, 2);
  });

  it("invalidating the current credential forces exactly one new login", async () => {
    const { login } = fakeLogin();
    const auth = sharedAuthenticator(key("k"), login);
    const refused = await auth.headers();
    auth.invalidate(refused);
    assert.deepEqual(await auth.headers(), { sessionId: "session-2" });
    assert.deepEqual(await auth.headers(), { sessionId: "session-2" });
    assert.equal(login.callCount, 2);
  });

  it("N parallel refusals of the same credential cause one re-login, not N", async () => {
    const { login } = fakeLogin();
    const authenticators = Array.from({ length: 5 }, () => sharedAuthenticator(key("k"), login));
    const refused = await authenticators[0].headers();
    const renewed = await Promise.all(
      authenticators.map(async (a) => {
        a.invalidate(refused);
        return a.headers();
      }),
    );
    assert.equal(login.callCount, 2);
    assert.ok(renewed.every((h) => h.sessionId === "session-2"));
  });

  it("ignores a refusal of a credential that was already replaced", async () => {
    const { login } = fakeLogin();
    const auth = sharedAuthenticator(key("k"), login);
    const stale = await auth.headers();
    auth.invalidate(stale);
    await auth.headers();
    auth.invalidate(stale);
    assert.deepEqual(await auth.headers(), { sessionId: "session-2" });
    assert.equal(login.callCount, 2);
  });

  it("ignores a refusal while the new login is still in flight", async () => {
    const fake = fakeLogin();
    const auth = sharedAuthenticator(key("k"), fake.login);
    const stale = await auth.headers();
    auth.invalidate(stale);
    fake.hold();
    const pending = auth.headers();
    auth.invalidate(stale);
    const other = auth.headers();
    fake.release();
    assert.deepEqual(await Promise.all([pending, other]), [{ sessionId: "session-2" }, { sessionId: "session-2" }]);
    assert.equal(fake.login.callCount, 2);
  });

  it("does not cache a failed login: the next caller tries again", async () => {
    const login = sinon.stub<[], Promise<Credential>>();
    login.onFirstCall().rejects(new Error("appliance down"));
    login.onSecondCall().resolves({ headers: { sessionId: "ok" } });
    const auth = sharedAuthenticator(key("k"), login);
    await assert.rejects(auth.headers(), /appliance down/);
    assert.deepEqual(await auth.headers(), { sessionId: "ok" });
    assert.equal(login.callCount, 2);
  });

  it("makes every caller waiting on a failed login fail, then lets a later one log in", async () => {
    let fail: (e: Error) => void = () => {};
    const login = sinon.stub<[], Promise<Credential>>();
    login.onFirstCall().returns(new Promise((_resolve, reject) => (fail = reject)));
    login.onSecondCall().resolves({ headers: { sessionId: "second" } });
    const auth = sharedAuthenticator(key("k"), login);
    const waiting = [auth.headers(), auth.headers()];
    fail(new Error("refused"));
    for (const w of waiting) await assert.rejects(w, /refused/);
    assert.deepEqual(await auth.headers(), { sessionId: "second" });
    assert.equal(login.callCount, 2);
  });

  it("renews a token shortly before it expires, not before", async () => {
    const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ["Date"] });
    let n = 0;
    const login = sinon.spy(async (): Promise<Credential> => ({
      headers: { authorization: `Bearer t${++n}` },
      expiresAt: Date.now() + 30 * 60_000,
    }));
    const auth = sharedAuthenticator(key("k"), login);
    assert.deepEqual(await auth.headers(), { authorization: "Bearer t1" });
    clock.tick(30 * 60_000 - RENEWAL_MARGIN_MS - 1);
    assert.deepEqual(await auth.headers(), { authorization: "Bearer t1" });
    clock.tick(1);
    assert.deepEqual(await auth.headers(), { authorization: "Bearer t2" });
    assert.equal(login.callCount, 2);
  });

  it("renews a token that lives less than two margins halfway through its life, not on every call", async () => {
    const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ["Date"] });
    let n = 0;
    const login = sinon.spy(async (): Promise<Credential> => ({
      headers: { authorization: `Bearer t${++n}` },
      expiresAt: Date.now() + 40_000,
    }));
    const auth = sharedAuthenticator(key("k"), login);
    await auth.headers();
    clock.tick(19_999);
    assert.deepEqual(await auth.headers(), { authorization: "Bearer t1" });
    clock.tick(1);
    assert.deepEqual(await auth.headers(), { authorization: "Bearer t2" });
  });

  it("logs in anew when the secret changes, under the same user", async () => {
    const { login } = fakeLogin();
    await sharedAuthenticator(key("usagemeter", "old-password"), login).headers();
    await sharedAuthenticator(key("usagemeter", "new-password"), login).headers();
    await sharedAuthenticator(key("usagemeter", "new-password"), login).headers();
    assert.equal(login.callCount, 2);
  });

  it("clearCredentials forgets every cached credential", async () => {
    const { login } = fakeLogin();
    await sharedAuthenticator(key("k"), login).headers();
    clearCredentials();
    await sharedAuthenticator(key("k"), login).headers();
    assert.equal(login.callCount, 2);
  });
});
