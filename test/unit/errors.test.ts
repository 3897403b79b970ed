import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import { ConfigError, ServiceError, VcppError } from "../../provider/errors";
import { redact, registerSecret } from "../../provider/redact";

describe("redact", () => {
  it("masks every occurrence of every registered secret", () => {
    registerSecret("redact-secret-one");
    registerSecret("redact-secret-two");
    assert.equal(redact("a redact-secret-one b redact-secret-two c redact-secret-one"), "a [REDACTED] b [REDACTED] c [REDACTED]");
  });

  it("leaves text without secrets alone", () => {
    assert.equal(redact("nothing to hide here"), "nothing to hide here");
  });

  it("ignores values too short to mask safely, and undefined", () => {
    registerSecret("abc");
    registerSecret("");
    registerSecret(undefined);
    assert.equal(redact("abc abcd"), "abc abcd");
    registerSecret("wxyz");
    assert.equal(redact("wxyz!"), "[REDACTED]!");
  });
});

describe("errors", () => {
  const call = { service: "Usage Meter", operation: "register product", method: "POST", path: "/api/v1/product" };

  it("ServiceError says service, operation, method, path, detail and hint, and keeps them as fields", () => {
    const error = new ServiceError(call, "409 ERR_PM_HOST_NAME_CONFLICT: already used", "HTTP_ERROR", 409, "ERR_PM_HOST_NAME_CONFLICT", "already used", "Remove it first");
    assert.equal(error.message, "Usage Meter: register product failed (POST /api/v1/product): 409 ERR_PM_HOST_NAME_CONFLICT: already used. Remove it first");
    assert.equal(error.name, "ServiceError");
    assert.ok(error instanceof VcppError && error instanceof Error);
    assert.deepEqual(
      [error.code, error.service, error.operation, error.method, error.path, error.status, error.errCode, error.serverMessage, error.hint],
      ["HTTP_ERROR", "Usage Meter", "register product", "POST", "/api/v1/product", 409, "ERR_PM_HOST_NAME_CONFLICT", "already used", "Remove it first"],
    );
  });

  it("ServiceError without a hint ends with the detail", () => {
    const error = new ServiceError(call, "no answer (ECONNRESET: socket hang up)", "ECONNRESET");
    assert.equal(error.message, "Usage Meter: register product failed (POST /api/v1/product): no answer (ECONNRESET: socket hang up)");
    assert.equal(error.status, undefined);
  });

  it("a secret in the detail or the server's message shows nowhere, not even when the error is inspected", () => {
    registerSecret("errors-test-password");
    const error = new ServiceError(call, "400: bad password errors-test-password", "HTTP_ERROR", 400, "GW", "bad password errors-test-password");
    const shown = `${error.message}\n${error.stack}\n${inspect(error)}\n${JSON.stringify(error)}`;
    assert.ok(!shown.includes("errors-test-password"), shown);
    assert.equal(error.serverMessage, "bad password [REDACTED]");
  });

  it("ConfigError has code CONFIG and a redacted message", () => {
    registerSecret("config-secret-value");
    const error = new ConfigError("vcpp:usageMeterPassword config-secret-value is wrong");
    assert.equal(error.code, "CONFIG");
    assert.equal(error.name, "ConfigError");
    assert.equal(error.message, "vcpp:usageMeterPassword [REDACTED] is wrong");
    assert.ok(error instanceof VcppError);
  });
});
