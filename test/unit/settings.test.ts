import { strict as assert } from "node:assert";
import { rootCertificates } from "node:tls";
import { ConfigError } from "../../provider/errors";
import { redact } from "../../provider/redact";
import { ConfigSource, loadSharedSettings } from "../../provider/settings";
import { loadUsageMeterSettings } from "../../provider/usage-meter/settings";

/** The shared settings and the Usage Meter's, as the registry loads them in configure. */
function loadSettings(get: ConfigSource) {
  const shared = loadSharedSettings(get);
  const usageMeters = loadUsageMeterSettings(get, shared);
  return {
    ...shared,
    usageMeter: (name?: string) => usageMeters.connection(name),
    usageMeterNames: () => usageMeters.names(),
  };
}

const from = (config: Record<string, string>) => (key: string) => config[key];
const URL_ = "https://um.example.com:8443";
const PEM = rootCertificates[0];

/** The ConfigError thrown by `fn`, failing the test if there is none. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("loadSettings", () => {
  it("uses the defaults when nothing is set, and complains only when an appliance is needed", () => {
    const settings = loadSettings(() => undefined);
    assert.equal(settings.maxConcurrentRequests, 8);
    assert.equal(settings.requestTimeoutMs, 30_000);
    assert.deepEqual(settings.usageMeterNames(), ["default"]);
    const error = configError(() => settings.usageMeter());
    assert.match(error.message, /^vcpp:usageMeterUrl is not set: pulumi config set vcpp:usageMeterUrl https:/);
  });

  it("reports a missing password only when the appliance is used, naming the key and the command", () => {
    const settings = loadSettings(from({ usageMeterUrl: URL_ }));
    const error = configError(() => settings.usageMeter());
    assert.equal(
      error.message,
      "vcpp:usageMeterPassword is not set: pulumi config set --secret vcpp:usageMeterPassword <password>",
    );
  });

  it("resolves the default appliance with the default user and API version", () => {
    const settings = loadSettings(from({ usageMeterUrl: `  ${URL_}  `, usageMeterPassword: "settings-pw-1" }));
    assert.deepEqual(settings.usageMeter(), {
      name: "default",
      url: URL_,
      user: "usagemeter",
      password: "settings-pw-1",
      apiVersion: "auto",
      tls: { caCertificates: undefined, insecureSkipTlsVerify: undefined },
    });
    assert.deepEqual(settings.usageMeter("default"), settings.usageMeter());
  });

  it("reads every key when set", () => {
    const settings = loadSettings(
      from({
        usageMeterUrl: URL_,
        usageMeterUser: "admin",
        usageMeterPassword: "settings-pw-2",
        usageMeterApiVersion: "9",
        caCertificates: PEM,
        insecureSkipTlsVerify: "false",
        maxConcurrentRequests: "6",
        requestTimeoutSeconds: "45",
      }),
    );
    assert.equal(settings.maxConcurrentRequests, 6);
    assert.equal(settings.requestTimeoutMs, 45_000);
    const um = settings.usageMeter();
    assert.deepEqual(
      [um.user, um.apiVersion, um.tls.caCertificates, um.tls.insecureSkipTlsVerify],
      ["admin", "9", PEM, false],
    );
  });

  it("treats an empty value as not set", () => {
    const settings = loadSettings(
      from({ usageMeterUrl: URL_, usageMeterPassword: "settings-pw-3", usageMeterUser: "", maxConcurrentRequests: "" }),
    );
    assert.equal(settings.usageMeter().user, "usagemeter");
    assert.equal(settings.maxConcurrentRequests, 8);
  });

  it("accepts request timeouts up to 600 seconds", () => {
    assert.equal(loadSettings(from({ requestTimeoutSeconds: "120" })).requestTimeoutMs, 120_000);
    assert.equal(loadSettings(from({ requestTimeoutSeconds: "600" })).requestTimeoutMs, 600_000);
  });

  it("registers the password as a secret at once", () => {
    loadSettings(from({ usageMeterPassword: "settings-registered-pw" }));
    assert.equal(redact("x settings-registered-pw y"), "x [REDACTED] y");
  });

  describe("rejects invalid values at once, naming the vcpp: key and the rule", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["usageMeterUrl", "um.example.com", /^vcpp:usageMeterUrl must be a URL such as https:\/\/um\.example\.com:8443$/],
      ["usageMeterUrl", "http://um.example.com:8443", /^vcpp:usageMeterUrl must be an https:\/\/ URL$/],
      ["usageMeterApiVersion", "5", /^vcpp:usageMeterApiVersion must be auto, 4 or 9$/],
      ["usageMeterUrl", "not a url at all", /^vcpp:usageMeterUrl must be a URL such as/],
      ["maxConcurrentRequests", "0", /^vcpp:maxConcurrentRequests must be between 1 and 64$/],
      ["maxConcurrentRequests", "65", /^vcpp:maxConcurrentRequests must be between 1 and 64$/],
      ["maxConcurrentRequests", "2.5", /^vcpp:maxConcurrentRequests must be a whole number$/],
      ["maxConcurrentRequests", "four", /^vcpp:maxConcurrentRequests must be a whole number$/],
      ["requestTimeoutSeconds", "0", /^vcpp:requestTimeoutSeconds must be between 1 and 600$/],
      ["requestTimeoutSeconds", "601", /^vcpp:requestTimeoutSeconds must be between 1 and 600$/],
      ["insecureSkipTlsVerify", "yes", /^vcpp:insecureSkipTlsVerify must be true or false$/],
      ["caCertificates", "not a certificate", /^vcpp:caCertificates must be one or more PEM certificates/],
      [
        "caCertificates",
        "-----BEGIN CERTIFICATE-----\nAAAAnotDER\n-----END CERTIFICATE-----",
        /^vcpp:caCertificates must be one or more PEM certificates/,
      ],
    ];
    for (const [key, value, expected] of cases) {
      it(`${key} = ${JSON.stringify(value).slice(0, 40)}`, () => {
        const error = configError(() => loadSettings(from({ [key]: value })));
        assert.equal(error.code, "CONFIG");
        assert.match(error.message, expected);
      });
    }
  });

  it("accepts a bundle of several PEM certificates", () => {
    const bundle = `${rootCertificates[0]}\n${rootCertificates[1]}\n`;
    assert.equal(
      loadSettings(
        from({ caCertificates: bundle, usageMeterUrl: URL_, usageMeterPassword: "settings-pw-4" }),
      ).usageMeter().tls.caCertificates,
      bundle,
    );
  });

  it("rejects a bundle in which one certificate is corrupt", () => {
    const corrupt = rootCertificates[1].replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!");
    configError(() => loadSettings(from({ caCertificates: `${rootCertificates[0]}\n${corrupt}` })));
  });

  describe("named appliances (vcpp:usageMeters)", () => {
    const named = {
      lab: { url: "https://lab-um.example.com", password: "settings-lab-pw", apiVersion: "9" },
      prod: {
        url: "https://prod-um.example.com:8443",
        user: "admin",
        password: "settings-prod-pw",
        insecureSkipTlsVerify: true,
        caCertificates: rootCertificates[2],
      },
    };

    it("resolves each by name, with defaults, inheriting the global TLS settings unless it has its own", () => {
      const settings = loadSettings(
        from({ usageMeters: JSON.stringify(named), caCertificates: PEM, insecureSkipTlsVerify: "false" }),
      );
      assert.deepEqual(settings.usageMeterNames(), ["default", "lab", "prod"]);
      assert.deepEqual(settings.usageMeter("lab"), {
        name: "lab",
        url: "https://lab-um.example.com",
        user: "usagemeter",
        password: "settings-lab-pw",
        apiVersion: "9",
        tls: { caCertificates: PEM, insecureSkipTlsVerify: false },
      });
      const prod = settings.usageMeter("prod");
      assert.deepEqual(
        [prod.user, prod.apiVersion, prod.tls.caCertificates, prod.tls.insecureSkipTlsVerify],
        ["admin", "auto", rootCertificates[2], true],
      );
    });

    it("registers every named appliance's password as a secret", () => {
      loadSettings(from({ usageMeters: JSON.stringify(named) }));
      assert.equal(redact("settings-lab-pw settings-prod-pw"), "[REDACTED] [REDACTED]");
    });

    it("does not need the default appliance's keys when only named ones are used", () => {
      const settings = loadSettings(from({ usageMeters: JSON.stringify(named) }));
      assert.equal(settings.usageMeter("lab").url, "https://lab-um.example.com");
      configError(() => settings.usageMeter());
    });

    it("an unknown name fails, listing the configured names and how to add one", () => {
      const error = configError(() => loadSettings(from({ usageMeters: JSON.stringify(named) })).usageMeter("staging"));
      assert.match(error.message, /^usageMeter "staging" is not configured: vcpp:usageMeters has "lab", "prod"\. /);
      assert.match(error.message, /pulumi config set --path --secret 'vcpp:usageMeters\.staging\.password'/);
    });

    it("an unknown name without any vcpp:usageMeters says so", () => {
      const error = configError(() => loadSettings(() => undefined).usageMeter("lab"));
      assert.match(error.message, /vcpp:usageMeters is not set/);
    });

    it("malformed JSON fails naming vcpp:usageMeters, without echoing the value", () => {
      const error = configError(() => loadSettings(from({ usageMeters: '{"lab": {"password": "settings-echo-pw"' })));
      assert.match(error.message, /^vcpp:usageMeters must be a map of name to \{url, user, password\}/);
      assert.ok(!error.message.includes("settings-echo-pw"));
    });

    const invalid: Array<[string, unknown, RegExp]> = [
      [
        "an http URL",
        { lab: { url: "http://lab", password: "p" } },
        /^vcpp:usageMeters is invalid: lab\.url: must be an https:\/\/ URL$/,
      ],
      ["no password", { lab: { url: "https://lab" } }, /^vcpp:usageMeters is invalid: lab\.password: /],
      ["an empty password", { lab: { url: "https://lab", password: "" } }, /lab\.password: must not be empty/],
      ["an unknown apiVersion", { lab: { url: "https://lab", password: "p", apiVersion: "7" } }, /lab\.apiVersion: /],
      [
        "a bad CA",
        { lab: { url: "https://lab", password: "p", caCertificates: "nope" } },
        /lab\.caCertificates: must be one or more PEM certificates/,
      ],
      [
        "a name with a space",
        { "my lab": { url: "https://lab", password: "p" } },
        /^vcpp:usageMeters: the name "my lab" is invalid: names use letters, digits/,
      ],
      [
        "the default appliance's name",
        { default: { url: "https://lab", password: "p" } },
        /^vcpp:usageMeters: the name "default" is the appliance of the vcpp:usageMeterUrl, .* give it another name$/,
      ],
      [
        "a URL that is not one",
        { lab: { url: "lab.example.com", password: "p" } },
        /^vcpp:usageMeters is invalid: lab\.url: must be a URL such as/,
      ],
      ["not a map", ["https://lab"], /^vcpp:usageMeters is invalid: /],
    ];
    for (const [what, value, expected] of invalid) {
      it(`rejects an entry with ${what}, naming the field`, () => {
        assert.match(configError(() => loadSettings(from({ usageMeters: JSON.stringify(value) }))).message, expected);
      });
    }
  });
});
