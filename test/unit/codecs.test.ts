import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import zlib, { gzipSync } from "node:zlib";
import sinon from "sinon";
import { z } from "zod";
import * as codecs from "../../provider/http/codecs";
import { Codec, DecodeError, parseErrorBody } from "../../provider/http/codecs";
import { HttpClient } from "../../provider/http/client";
import { ServiceError } from "../../provider/errors";
import { FAST_RETRY, rejectionOf, startServer, stubLogs, TestServer } from "./support";

const bytes = (text: string) => Buffer.from(text, "utf8");
const md5 = (body: Buffer) => createHash("md5").update(body).digest("hex");

/** The DecodeError a codec throws for a body, failing the test if it decodes. */
function decodeFailure(codec: Codec, body: Buffer): DecodeError {
  try {
    codec.decode(body);
  } catch (error) {
    assert.ok(error instanceof DecodeError, String(error));
    return error;
  }
  throw new Error("expected the body to be refused, but it decoded");
}

/** The commerce API's order feed sample (seed 003), trimmed to two entries. */
const ORDER_FEED = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:order="http://www.vmware.com/orderfeed">
  <title>Order Feed</title>
  <link rel="Self" href="" />
  <id>e4540029-3927-4cc4-aad1-36310e080bcd</id>
  <updated>2014-12-18T07:09:07Z</updated>
  <entry>
    <title>Order ID:11990536</title>
    <link href="" />
    <id>a217037b-74e4-4ff3-9813-e08df958ea00</id>
    <updated>2014-12-18T01:50:02Z</updated>
    <order:status>success</order:status>
    <order:content>
      <order:entry><order:key>OrderNumber</order:key><order:value>011990536</order:value></order:entry>
      <order:entry><order:key>PartID</order:key><order:value>VSPP3-AIR-MBO-10000-C</order:value></order:entry>
    </order:content>
  </entry>
  <entry>
    <title type="text">Order ID:11990537</title>
    <id>b217037b-74e4-4ff3-9813-e08df958ea01</id>
    <updated>2014-12-19T01:50:02Z</updated>
    <order:status>pending</order:status>
    <order:content>
      <order:entry><order:key>OrderNumber</order:key><order:value>11990537</order:value></order:entry>
    </order:content>
  </entry>
</feed>`;

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Services><Service name="&lol4;"/></Services>`;

const REPORT_TSV = 'agentId\tproductType\tmonth\tusage\nagent-1\tVCAV\t2026-10\t"12"\nagent-2\tNSXT\t2026-10\t7\n';

describe("codecs", () => {
  describe("JSON", () => {
    it("decodes UTF-8 JSON, an empty body as undefined", () => {
      assert.deepEqual(codecs.json().decode(bytes('{"name":"Zürich","n":1}')), { name: "Zürich", n: 1 });
      assert.equal(codecs.json().decode(bytes("  \n")), undefined);
      assert.equal(codecs.json().accept, "application/json");
    });

    it("refuses a body that is not JSON as BAD_RESPONSE", () => {
      const error = decodeFailure(codecs.json(), bytes("<html>hello</html>"));
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /not JSON/);
    });
  });

  describe("XML", () => {
    const vdc = `<?xml version="1.0" encoding="UTF-8"?>
<Compute xmlns="http://www.vmware.com/vchs/v5.6" xmlns:vmext="http://www.vmware.com/vcloud/extension/v1.5" serviceId="M123">
  <VdcRef name="VDC1" href="https://example/vdc/1" status="Active"><vmext:Tag>007</vmext:Tag></VdcRef>
  <Link rel="up" href="https://example/compute"/>
  <Link rel="self" href="https://example/compute/M123"/>
  <Label>Tom &amp; Jerry &lt;3 &#233;t&#xE9;</Label>
</Compute>`;

    it("keeps attributes as @name, drops namespace prefixes, keeps values as strings", () => {
      const doc = codecs.xml().decode(bytes(vdc)) as { Compute: Record<string, unknown> };
      assert.equal(doc.Compute["@serviceId"], "M123");
      assert.deepEqual(doc.Compute.VdcRef, {
        "@name": "VDC1",
        "@href": "https://example/vdc/1",
        "@status": "Active",
        Tag: "007",
      });
      assert.equal(doc.Compute.Label, "Tom & Jerry <3 été");
    });

    it("makes the listed elements arrays even when one came, by name or by path", () => {
      const byName = codecs.xml({ isArray: ["VdcRef"] }).decode(bytes(vdc)) as {
        Compute: { VdcRef: unknown[]; Link: unknown[] };
      };
      assert.equal(byName.Compute.VdcRef.length, 1);
      const byPath = codecs.xml({ isArray: ["Compute.VdcRef"] }).decode(bytes(vdc)) as {
        Compute: { VdcRef: unknown[] };
      };
      assert.ok(Array.isArray(byPath.Compute.VdcRef));
      assert.equal(byName.Compute.Link.length, 2, "a repeated element is an array anyway");
    });

    it("sends the Accept it is given", () => {
      assert.equal(codecs.xml().accept, "application/xml");
      assert.equal(codecs.xml({ accept: "application/xml;version=5.6" }).accept, "application/xml;version=5.6");
    });

    it("refuses an entity-expansion (billion laughs) body as BAD_RESPONSE, without expanding it", () => {
      const error = decodeFailure(codecs.xml(), bytes(BILLION_LAUGHS));
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /declares a document type or entities/);
    });

    it("refuses an external entity (XXE) the same way", () => {
      const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
      assert.equal(decodeFailure(codecs.xml(), bytes(xxe)).code, "BAD_RESPONSE");
    });

    it("refuses a body that is not well-formed XML, or not XML", () => {
      assert.match(decodeFailure(codecs.xml(), bytes("<Compute><VdcRef></Compute>")).message, /not well-formed XML/);
      assert.match(decodeFailure(codecs.xml(), bytes('{"json":true}')).message, /not XML|not well-formed/);
    });
  });

  describe("Atom", () => {
    it("yields the feed's entries with id, title, updated, key/value content and the other elements", () => {
      const feed = codecs.atom().decode(bytes(ORDER_FEED));
      assert.equal(feed.id, "e4540029-3927-4cc4-aad1-36310e080bcd");
      assert.equal(feed.entries.length, 2);
      const [first, second] = feed.entries;
      assert.deepEqual(
        [first.id, first.title, first.updated, first.content, first.extensions.status],
        [
          "a217037b-74e4-4ff3-9813-e08df958ea00",
          "Order ID:11990536",
          "2014-12-18T01:50:02Z",
          { OrderNumber: "011990536", PartID: "VSPP3-AIR-MBO-10000-C" },
          "success",
        ],
      );
      assert.equal(second.title, "Order ID:11990537", "a title with attributes is still its text");
      assert.deepEqual(second.content, { OrderNumber: "11990537" }, "one pair is still a map");
    });

    it("gives a shape a zod schema can check", () => {
      const schema = z.object({
        entries: z.array(
          z.object({
            id: z.string(),
            content: z.object({ OrderNumber: z.coerce.number() }),
            extensions: z.object({ status: z.string() }),
          }),
        ),
      });
      const parsed = schema.parse(codecs.atom().decode(bytes(ORDER_FEED)));
      assert.deepEqual(
        parsed.entries.map((e) => [e.content.OrderNumber, e.extensions.status]),
        [
          [11990536, "success"],
          [11990537, "pending"],
        ],
      );
    });

    it("reads a feed with a single entry or none as a list", () => {
      const one = ORDER_FEED.replace(/<entry>\s*<title type="text">[\s\S]*?<\/entry>/, "");
      assert.equal(codecs.atom().decode(bytes(one)).entries.length, 1);
      const none = `<feed xmlns="http://www.w3.org/2005/Atom"><id>f</id></feed>`;
      assert.deepEqual(codecs.atom().decode(bytes(none)).entries, []);
    });

    it("refuses XML that is not a feed, and an entry without an id", () => {
      assert.match(
        decodeFailure(codecs.atom(), bytes("<OrderResponse><status>SUCCESS</status></OrderResponse>")).message,
        /not an Atom feed/,
      );
      assert.match(
        decodeFailure(codecs.atom(), bytes("<feed><entry><title>x</title></entry></feed>")).message,
        /entry \[0\] has no <id>/,
      );
      assert.equal(
        decodeFailure(
          codecs.atom(),
          bytes(BILLION_LAUGHS.replace("<Services>", "<feed>").replace("</Services>", "</feed>")),
        ).code,
        "BAD_RESPONSE",
      );
    });
  });

  describe("gzipped TSV report", () => {
    const report = gzipSync(bytes(REPORT_TSV));
    const announced = { contentLength: report.length, checksum: md5(report) };

    it("parses a verified report into rows keyed by the header row", () => {
      const rows = codecs.gzipTsv(announced).decode(report);
      assert.deepEqual(rows, [
        { agentId: "agent-1", productType: "VCAV", month: "2026-10", usage: '"12"' },
        { agentId: "agent-2", productType: "NSXT", month: "2026-10", usage: "7" },
      ]);
    });

    it("accepts the checksum in upper case and asks for the report's content type", () => {
      const codec = codecs.gzipTsv({
        ...announced,
        checksum: announced.checksum.toUpperCase(),
        accept: "text/tab-separated-values+gzip",
      });
      assert.equal(codec.decode(report).length, 2);
      assert.equal(codec.accept, "text/tab-separated-values+gzip");
    });

    it("refuses a body of the wrong length as INTEGRITY, saying expected and got, before decompressing", () => {
      const gunzip = sinon.spy(zlib, "gunzipSync");
      try {
        const error = decodeFailure(codecs.gzipTsv(announced), report.subarray(0, report.length - 5));
        assert.equal(error.code, "INTEGRITY");
        assert.equal(
          error.message,
          `the download is ${report.length - 5} bytes, expected ${report.length} (incomplete or not the announced report)`,
        );
        assert.equal(gunzip.callCount, 0, "nothing was decompressed");
      } finally {
        gunzip.restore();
      }
    });

    it("refuses a body whose MD5 differs as INTEGRITY, saying expected and got", () => {
      const tampered = Buffer.from(report);
      tampered[tampered.length - 9] ^= 0xff;
      const error = decodeFailure(codecs.gzipTsv(announced), tampered);
      assert.equal(error.code, "INTEGRITY");
      assert.equal(error.message, `the download's MD5 is ${md5(tampered)}, expected ${announced.checksum}`);
    });

    it("refuses a body that is not gzip, even with the announced length and checksum", () => {
      const garbage = bytes("agentId\tusage\nnot gzipped\t1\n");
      const error = decodeFailure(codecs.gzipTsv({ contentLength: garbage.length, checksum: md5(garbage) }), garbage);
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /could not be decompressed: it is not valid gzip/);
    });

    it("refuses a report larger than maxBytes once decompressed (a gzip bomb)", () => {
      const bomb = gzipSync(Buffer.alloc(1024 * 1024, "a"));
      const error = decodeFailure(
        codecs.gzipTsv({ contentLength: bomb.length, checksum: md5(bomb), maxBytes: 64 * 1024 }),
        bomb,
      );
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(error.message, /larger than 65536 bytes decompressed/);
    });

    it("refuses rows that do not match the header row", () => {
      const ragged = gzipSync(bytes("a\tb\n1\t2\t3\n"));
      const error = decodeFailure(codecs.gzipTsv({ contentLength: ragged.length, checksum: md5(ragged) }), ragged);
      assert.match(error.message, /not tab-separated values with a header row/);
    });
  });

  describe("raw", () => {
    it("returns the bytes as they came", () => {
      const body = Buffer.from([0, 1, 2, 255]);
      assert.equal(codecs.raw().decode(body), body);
      assert.equal(codecs.raw({ accept: "application/pdf" }).accept, "application/pdf");
    });
  });

  describe("error bodies", () => {
    it("read the JSON shapes: Usage Meter, snake case, OAuth", () => {
      assert.deepEqual(parseErrorBody('{"errCode":"E1","errMessage":"m1"}'), { errCode: "E1", errMessage: "m1" });
      assert.deepEqual(parseErrorBody('{"error_code":"E2","message":"m2"}'), { errCode: "E2", errMessage: "m2" });
      assert.deepEqual(parseErrorBody('{"error":"invalid_grant","error_description":"expired"}'), {
        errCode: undefined,
        errMessage: "expired",
      });
    });

    it("read vCloud Air's <Error/> and the commerce API's <error>", () => {
      const vca = `<?xml version="1.0"?><Error xmlns="http://www.vmware.com/vchs/v5.6" majorErrorCode="403" message="Access &quot;denied&quot;" minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"/>`;
      assert.deepEqual(parseErrorBody(vca), {
        errCode: "ACCESS_TO_RESOURCE_IS_FORBIDDEN",
        errMessage: 'Access "denied"',
      });
      assert.deepEqual(parseErrorBody('<Error majorErrorCode="500" message="boom"/>'), {
        errCode: "500",
        errMessage: "boom",
      });
      assert.deepEqual(parseErrorBody("<error>Contract 789059 not found</error>"), {
        errMessage: "Contract 789059 not found",
      });
      const order = `<OrderResponse xmlns:ns2="http://www.vmware.com/middleware/error/schemas"><status>FAILURE</status><ns2:error><code>ORD-12</code><message>bad SKU</message></ns2:error></OrderResponse>`;
      assert.deepEqual(parseErrorBody(order), { errCode: "ORD-12", errMessage: "bad SKU" });
    });

    it("keep other text, HTML and XML with a DTD included, as a short snippet", () => {
      assert.deepEqual(parseErrorBody("Service   Unavailable\n"), { errMessage: "Service Unavailable" });
      assert.deepEqual(parseErrorBody("<html><body>Bad Gateway</body></html>"), {
        errMessage: "<html><body>Bad Gateway</body></html>",
      });
      assert.equal(parseErrorBody(BILLION_LAUGHS).errMessage?.length, 200);
      assert.deepEqual(parseErrorBody(""), { errMessage: undefined });
    });
  });

  describe("through HttpClient", () => {
    let server: TestServer | undefined;
    beforeEach(() => stubLogs());
    afterEach(async () => {
      sinon.restore();
      await server?.close();
      server = undefined;
    });

    const clientFor = (s: TestServer) =>
      new HttpClient({ service: "Test Service", baseUrl: `${s.url}/api`, retry: FAST_RETRY });
    const anything = z.unknown();

    it("XML: sends its Accept, decodes the answer, and reads an XML error body", async () => {
      server = await startServer((req) =>
        req.path === "/api/compute"
          ? {
              body: '<Compute serviceId="M1"><VdcRef name="VDC1"/></Compute>',
              headers: { "content-type": "application/xml" },
            }
          : { status: 403, body: '<Error majorErrorCode="403" message="not yours" minorErrorCode="ACCESS_DENIED"/>' },
      );
      const codec = codecs.xml({ accept: "application/xml;version=5.6", isArray: ["VdcRef"] });
      const schema = z.object({ Compute: z.object({ VdcRef: z.array(z.object({ "@name": z.string() })) }) });
      const body = await clientFor(server).request({
        operation: "read compute",
        method: "GET",
        path: "compute",
        codec,
        schema,
      });
      assert.deepEqual(body.Compute.VdcRef, [{ "@name": "VDC1" }]);
      assert.equal(server.requests[0].headers.accept, "application/xml;version=5.6");
      const error = await rejectionOf(
        clientFor(server).request({ operation: "read vdc", method: "GET", path: "vdc", codec, schema: anything }),
      );
      assert.ok(error instanceof ServiceError);
      assert.deepEqual(
        [error.code, error.status, error.errCode, error.serverMessage],
        ["HTTP_ERROR", 403, "ACCESS_DENIED", "not yours"],
      );
    });

    it("XML: an entity-expansion answer is a BAD_RESPONSE ServiceError naming the call", async () => {
      server = await startServer(() => ({ body: BILLION_LAUGHS }));
      const error = await rejectionOf(
        clientFor(server).request({
          operation: "list services",
          method: "GET",
          path: "services",
          codec: codecs.xml(),
          schema: anything,
        }),
      );
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "BAD_RESPONSE");
      assert.match(
        error.message,
        /^Test Service: list services failed \(GET \/api\/services\): 200 with an answer .*declares a document type/,
      );
    });

    it("Atom: sends application/atom+xml and returns the entries the schema accepts", async () => {
      server = await startServer(() => ({ body: ORDER_FEED, headers: { "content-type": "application/atom+xml" } }));
      const schema = z.object({
        entries: z.array(z.object({ id: z.string(), content: z.record(z.string(), z.string()) })),
      });
      const feed = await clientFor(server).request({
        operation: "read order feed",
        method: "GET",
        path: "orderfeed",
        codec: codecs.atom(),
        schema,
      });
      assert.deepEqual(
        feed.entries.map((e) => e.content.OrderNumber),
        ["011990536", "11990537"],
      );
      assert.equal(server.requests[0].headers.accept, "application/atom+xml");
    });

    it("gzipped TSV: downloads the bytes unmangled and returns the rows", async () => {
      const report = gzipSync(bytes(REPORT_TSV));
      server = await startServer(() => ({
        body: report,
        headers: { "content-type": "text/tab-separated-values+gzip" },
      }));
      const codec = codecs.gzipTsv({ contentLength: report.length, checksum: md5(report) });
      const rows = await clientFor(server).request({
        operation: "download report",
        method: "GET",
        path: "reports",
        searchParams: { ref: "r1" },
        codec,
        schema: z.array(z.object({ agentId: z.string() })),
      });
      assert.deepEqual(
        rows.map((r) => r.agentId),
        ["agent-1", "agent-2"],
      );
      assert.equal(server.requests[0].headers.accept, "text/tab-separated-values+gzip");
    });

    it("gzipped TSV: a download that is not the announced one is an INTEGRITY ServiceError, not retried", async () => {
      const report = gzipSync(bytes(REPORT_TSV));
      server = await startServer(() => ({ body: report }));
      const codec = codecs.gzipTsv({ contentLength: report.length + 1, checksum: md5(report) });
      const error = await rejectionOf(
        clientFor(server).request({
          operation: "download report",
          method: "GET",
          path: "reports",
          codec,
          schema: anything,
        }),
      );
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "INTEGRITY");
      assert.match(
        error.message,
        new RegExp(
          `download report failed \\(GET /api/reports\\): 200 with a download that is not the announced one: the download is ${report.length} bytes, expected ${report.length + 1}`,
        ),
      );
      assert.equal(server.requests.length, 1);
    });

    it("raw: returns the body's bytes", async () => {
      const body = Buffer.from([0x1f, 0x8b, 0, 0xff, 0x80]);
      server = await startServer(() => ({ body }));
      const answer = await clientFor(server).request({
        operation: "download",
        method: "GET",
        path: "blob",
        codec: codecs.raw(),
        schema: z.instanceof(Buffer),
      });
      assert.deepEqual(answer, body);
      assert.equal(server.requests[0].headers.accept, "application/octet-stream");
    });
  });
});
