import { strict as assert } from "node:assert";
import { SharedReads } from "../../provider/shared-reads";
import sinon from "sinon";
import { startEmulator } from "../../emulator";
import { ClientRegistry } from "../../provider/registry";
import { stubLogs } from "./support";

/** A load whose answer the test decides, counting how often it was sent. */
function controlled<T>() {
  let sent = 0;
  const pending: { resolve(value: T): void; reject(error: Error): void }[] = [];
  const load = () => {
    sent++;
    return new Promise<T>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { load, sent: () => sent, pending };
}

describe("SharedReads", () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => (clock = 1_000));

  it("concurrent callers of one list share one request and its answer", async () => {
    const reads = new SharedReads(5_000, now);
    const list = controlled<string[]>();
    const callers = [1, 2, 3].map(() => reads.read("product:VCAV", list.load));
    list.pending[0].resolve(["vcda"]);
    assert.deepEqual(await Promise.all(callers), [["vcda"], ["vcda"], ["vcda"]]);
    assert.equal(list.sent(), 1);
  });

  it("different lists are different requests", async () => {
    const reads = new SharedReads(5_000, now);
    let sent = 0;
    const load = async () => ++sent;
    assert.deepEqual(await Promise.all([reads.read("product:VCAV", load), reads.read("product:VCD", load)]), [1, 2]);
  });

  it("reuses a settled answer within its time to live, and asks again after it", async () => {
    const reads = new SharedReads(5_000, now);
    let sent = 0;
    const load = async () => ++sent;
    assert.equal(await reads.read("k", load), 1);
    clock += 4_999;
    assert.equal(await reads.read("k", load), 1);
    clock += 1;
    assert.equal(await reads.read("k", load), 2);
  });

  it("a write that is dropped (writing) makes the next read ask again, even while the old one is in flight", async () => {
    const reads = new SharedReads(5_000, now);
    const list = controlled<string[]>();
    const before = reads.read("product:VCAV", list.load);
    await reads.writing(["product:VCAV"], async () => "posted");
    const after = reads.read("product:VCAV", list.load);
    assert.equal(list.sent(), 2, "a read after the write does not join the request sent before it");
    list.pending[0].resolve(["old"]);
    list.pending[1].resolve(["old", "new"]);
    assert.deepEqual([await before, await after], [["old"], ["old", "new"]]);
  });

  it("a failed write drops the answers it touches too (it may have been applied)", async () => {
    const reads = new SharedReads(5_000, now);
    let sent = 0;
    const load = async () => ++sent;
    await reads.read("k", load);
    await assert.rejects(
      reads.writing(["k"], async () => {
        throw new Error("answer lost");
      }),
      /answer lost/,
    );
    assert.equal(await reads.read("k", load), 2);
  });

  it("an update patches the shared answer for later readers, in flight or settled, without a request", async () => {
    const reads = new SharedReads(5_000, now);
    const list = controlled<string[]>();
    const early = reads.read("k", list.load);
    reads.update<string[]>("k", (l) => [...l.filter((x) => x !== "b"), "b"]);
    const late = reads.read("k", list.load);
    list.pending[0].resolve(["a"]);
    assert.deepEqual([await early, await late], [["a"], ["a", "b"]]);
    reads.update<string[]>("k", (l) => l.filter((x) => x !== "a"));
    assert.deepEqual(await reads.read("k", list.load), ["b"]);
    assert.equal(list.sent(), 1);
  });

  it("an error reaches every waiting caller, and is not kept", async () => {
    const reads = new SharedReads(5_000, now);
    const list = controlled<string[]>();
    const callers = [1, 2, 3].map(() => reads.read("k", list.load));
    list.pending[0].reject(new Error("502 Bad Gateway"));
    const outcomes = await Promise.allSettled(callers);
    assert.deepEqual(
      outcomes.map((o) => o.status === "rejected" && (o.reason as Error).message),
      ["502 Bad Gateway", "502 Bad Gateway", "502 Bad Gateway"],
    );
    const retry = reads.read("k", list.load);
    list.pending[1].resolve(["vcda"]);
    assert.deepEqual(await retry, ["vcda"]);
    assert.equal(list.sent(), 2);
  });

  it("nothing stays cached across configure calls with other settings; the same settings (another resource kind of the run) share", async () => {
    stubLogs();
    const emulator = await startEmulator({ quiet: true });
    try {
      const um = emulator.usageMeters.default;
      const config: Record<string, string> = {
        usageMeterUrl: um.url,
        usageMeterPassword: um.password,
        caCertificates: emulator.caPem,
      };
      const registry = new ClientRegistry();
      const lists = () => emulator.admin.requests().filter((r) => r.method === "GET" && r.path.endsWith("/product"));
      registry.configure((key) => config[key]);
      await registry.usageMeter().products("VCAV");
      await registry.usageMeter().products("VCAV");
      assert.equal(lists().length, 1, "one list within one configure");
      registry.configure((key) => config[key]);
      await registry.usageMeter().products("VCAV");
      assert.equal(lists().length, 1, "the engine configures once per resource kind, with the same config");
      registry.configure((key) => ({ ...config, requestTimeoutSeconds: "45" })[key]);
      await registry.usageMeter().products("VCAV");
      assert.equal(lists().length, 2, "a configure with other settings shares nothing with the last");
      const other = new ClientRegistry();
      other.configure((key) => config[key]);
      await other.usageMeter().products("VCAV");
      assert.equal(lists().length, 3, "another process (another run) shares nothing");
    } finally {
      sinon.restore();
      await emulator.close();
    }
  });
});
