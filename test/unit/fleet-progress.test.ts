import { strict as assert } from "node:assert";
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";
import sinon from "sinon";
import { SiteProgress } from "../../examples/fleet/progress";

const PRODUCT = "pulumi-nodejs:dynamic/vcpp:MeteredProduct";
const urn = (type: string, name: string) => `urn:pulumi:lyon::vcpp-fleet::${type}::${name}`;

/** A step as the engine reports it: planned (pre) in a preview, done (outputs) in an update. */
function step(op: OpType, name: string, inputs: { old?: object; new?: object } = {}): EngineEvent[] {
  const metadata = {
    op,
    urn: urn(PRODUCT, name),
    type: PRODUCT,
    provider: "",
    ...(inputs.old ? { old: { type: PRODUCT, urn: urn(PRODUCT, name), inputs: inputs.old } } : {}),
    ...(inputs.new ? { new: { type: PRODUCT, urn: urn(PRODUCT, name), inputs: inputs.new } } : {}),
  } as unknown as StepEventMetadata;
  return [
    { sequence: 0, timestamp: 0, resourcePreEvent: { metadata } },
    { sequence: 0, timestamp: 0, resOutputsEvent: { metadata } },
  ];
}

/** The events of one replacement, in the order CLI 3.250 sends them (seen with the Automation API). */
const replacement = (name: string, inputs: { old: object; new: object }) => [
  ...step("create-replacement", name, inputs),
  ...step("replace", name, inputs),
  ...step("delete-replaced", name, inputs),
];

describe("examples/fleet: a site's progress from engine events", () => {
  let printed: sinon.SinonStub;
  beforeEach(() => {
    printed = sinon.stub(process.stdout, "write");
  });
  afterEach(() => sinon.restore());
  const lines = () => printed.args.map(([text]) => String(text).trimEnd());

  it("counts a replacement once, as replaced, beside the other changes", () => {
    const progress = new SiteProgress("lyon", "up");
    const events = [
      ...step("same", "vcenter"),
      ...step("create", "vcda"),
      ...replacement("nsx", { old: { port: 443 }, new: { port: 8443 } }),
      ...step("update", "vrops"),
    ];
    events.forEach(progress.onEvent);
    sinon.restore();
    assert.equal(progress.changes(), "1 created, 1 replaced, 1 updated");
    assert.deepEqual(lines(), [
      "[lyon] created MeteredProduct vcda",
      "[lyon] replaced MeteredProduct nsx",
      "[lyon] updated MeteredProduct vrops",
    ]);
  });

  it("--drift: a replacement is one drift, naming the field that forces it", () => {
    const progress = new SiteProgress("lyon", "drift");
    replacement("nsx", { old: { port: 443 }, new: { port: 8443 } }).forEach(progress.onEvent);
    sinon.restore();
    assert.equal(progress.changes(), "1 to replace");
    assert.deepEqual(progress.drift, [
      { op: "replace", resource: "MeteredProduct nsx", fields: ["port: 443 on the appliance, declared 8443"] },
    ]);
  });
});
