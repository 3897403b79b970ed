import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import * as sinon from "sinon";
import { ConfigError } from "../../provider/errors";
import { provider } from "../../resources/dynamic";

/** What reaches stderr while `fn` runs. */
function stderrOf(fn: () => void): string {
  const write = sinon.stub(process.stderr, "write").returns(true);
  try {
    fn();
    return write.args.map(([chunk]) => String(chunk)).join("");
  } finally {
    write.restore();
  }
}

/** What Pulumi's dynamic-provider server prints for a failed check, diff, read or delete. */
const printAsTheServerDoes = (error: Error) => console.error(`${error}: ${error.stack}`);

const configured = (config: Record<string, string>) =>
  ({ config: { get: (key: string) => config[key] } }) as unknown as pulumi.dynamic.ConfigureRequest;

describe("the providers' failure reports", () => {
  it("an expected failure is left to the engine's one report: the server prints nothing for it", async () => {
    const failure = await provider("MeteredProduct")
      .configure(configured({ "vcpp:usageMeterUrl": "http://um.example.com" }))
      .then(
        () => assert.fail("configure accepted an http URL"),
        (error: Error) => error,
      );
    assert.ok(failure instanceof ConfigError);
    assert.match(failure.message, /vcpp:usageMeterUrl/);
    assert.equal(
      stderrOf(() => printAsTheServerDoes(failure)),
      "",
    );
  });

  it("a bug keeps its stack trace", async () => {
    const bug = await provider("MeteredProduct")
      .read("1", undefined)
      .then(
        () => assert.fail("read of nothing succeeded"),
        (error: Error) => error,
      );
    assert.ok(bug instanceof TypeError);
    const printed = stderrOf(() => printAsTheServerDoes(bug));
    assert.match(printed, /^TypeError: /);
    assert.match(printed, /\n {4}at /);
  });

  it("everything else printed to stderr goes through", () => {
    assert.equal(
      stderrOf(() => console.error("the server's own line")),
      "the server's own line\n",
    );
  });
});
