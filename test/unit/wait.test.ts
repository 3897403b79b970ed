import { strict as assert } from "node:assert";
import * as sinon from "sinon";
import { waitFor } from "../../provider/wait";
import { capturingLogs } from "../helpers/emulator";

describe("waitFor", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers()));
  afterEach(() => clock.restore());

  /** A poll that answers `value` from the `afterPolls`-th call on. */
  const answering = (afterPolls: number, value = "certificate") => {
    let polls = 0;
    return { poll: async () => (++polls >= afterPolls ? value : undefined), polls: () => polls };
  };

  it("returns at once, announcing nothing, when the value is already there", () =>
    capturingLogs(async (logs) => {
      const source = answering(1);
      assert.equal(
        await waitFor({ what: "the certificate", timeoutMs: 30_000, pollMs: 1_000, poll: source.poll }),
        "certificate",
      );
      assert.equal(source.polls(), 1);
      assert.deepEqual(logs, []);
    }));

  it("announces the wait and its bound, reports progress, and says when it ends", () =>
    capturingLogs(async (logs) => {
      const source = answering(13);
      const waiting = waitFor({
        what: "the certificate",
        timeoutMs: 30_000,
        pollMs: 1_000,
        progressEveryMs: 5_000,
        poll: source.poll,
      });
      await clock.tickAsync(12_000);
      assert.equal(await waiting, "certificate");
      assert.deepEqual(logs, [
        "info: Waiting up to 30 s for the certificate",
        "info: Still waiting for the certificate (5 s of 30 s)",
        "info: Still waiting for the certificate (10 s of 30 s)",
        "info: Done waiting for the certificate (12 s)",
      ]);
    }));

  it("gives up after the timeout with undefined, saying so", () =>
    capturingLogs(async (logs) => {
      const source = answering(Infinity);
      const waiting = waitFor({
        what: "the certificate",
        timeoutMs: 3_000,
        pollMs: 1_000,
        progressEveryMs: 2_000,
        poll: source.poll,
      });
      await clock.tickAsync(3_000);
      assert.equal(await waiting, undefined);
      assert.equal(source.polls(), 4, "one immediate poll, then one a second");
      assert.deepEqual(logs, [
        "info: Waiting up to 3 s for the certificate",
        "info: Still waiting for the certificate (2 s of 3 s)",
        "info: Stopped waiting for the certificate after 3 s",
      ]);
    }));

  it("with no time to wait, looks once and announces nothing", () =>
    capturingLogs(async (logs) => {
      const source = answering(Infinity);
      assert.equal(
        await waitFor({ what: "the certificate", timeoutMs: 0, pollMs: 1_000, poll: source.poll }),
        undefined,
      );
      assert.equal(source.polls(), 1);
      assert.deepEqual(logs, []);
    }));
});
