import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import { ConfigError, InputError, ResourceError, ServiceError, VcppError } from "../../provider/errors";
import { z } from "zod";
import { redact, registerSecret } from "../../provider/redact";
import { parseInputs } from "../../resources/validation";

describe("redact", () => {
  it("masks every occurrence of every registered secret", () => {
    registerSecret("redact-secret-one");
    registerSecret("redact-secret-two");
    assert.equal(
      redact("a redact-secret-one b redact-secret-two c redact-secret-one"),
      "a [REDACTED] b [REDACTED] c [REDACTED]",
    );
  });

  it("leaves text without secrets alone", () => {
    assert.equal(redact("nothing to hide here"), "nothing to hide here");
  });

  it("masks a secret that holds another whole, whichever was registered first", () => {
    registerSecret("inner-pw");
    registerSecret("token-with-inner-pw-inside");
    assert.equal(redact("x token-with-inner-pw-inside y inner-pw"), "x [REDACTED] y [REDACTED]");
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
    const error = new ServiceError({
      call,
      detail: "409 ERR_PM_HOST_NAME_CONFLICT: already used",
      code: "HTTP_ERROR",
      status: 409,
      errCode: "ERR_PM_HOST_NAME_CONFLICT",
      serverMessage: "already used",
      hint: "Remove it first",
    });
    assert.equal(
      error.message,
      "Usage Meter: register product failed (POST /api/v1/product): 409 ERR_PM_HOST_NAME_CONFLICT: already used. Remove it first",
    );
    assert.equal(error.name, "ServiceError");
    assert.ok(error instanceof VcppError && error instanceof Error);
    assert.deepEqual(
      [
        error.code,
        error.service,
        error.operation,
        error.method,
        error.path,
        error.status,
        error.errCode,
        error.serverMessage,
        error.hint,
      ],
      [
        "HTTP_ERROR",
        "Usage Meter",
        "register product",
        "POST",
        "/api/v1/product",
        409,
        "ERR_PM_HOST_NAME_CONFLICT",
        "already used",
        "Remove it first",
      ],
    );
  });

  it("ServiceError without a hint ends with the detail, and keeps the low-level code and cause", () => {
    const cause = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const error = new ServiceError({
      call,
      detail: "no answer (ECONNRESET: socket hang up)",
      code: "NETWORK",
      networkCode: "ECONNRESET",
      cause,
    });
    assert.equal(
      error.message,
      "Usage Meter: register product failed (POST /api/v1/product): no answer (ECONNRESET: socket hang up)",
    );
    assert.deepEqual([error.code, error.networkCode, error.status], ["NETWORK", "ECONNRESET", undefined]);
    assert.equal(error.cause, cause);
  });

  it("an error without a cause has none", () => {
    assert.equal(Object.hasOwn(new ConfigError("vcpp:x is not set"), "cause"), false);
  });

  it("a secret in the detail or the server's message shows nowhere, not even when the error is inspected", () => {
    registerSecret("errors-test-password");
    const error = new ServiceError({
      call,
      detail: "400: bad password errors-test-password",
      code: "HTTP_ERROR",
      status: 400,
      errCode: "GW",
      serverMessage: "bad password errors-test-password",
    });
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

  it("InputError names the resource and every field with its rule, with code INVALID_INPUTS", () => {
    const error = new InputError({
      resource: "MeteredProduct",
      issues: [
        { field: "port", rule: "must be a number" },
        { field: "proxy.host", rule: "must not be empty" },
      ],
    });
    assert.equal(
      error.message,
      "MeteredProduct: invalid inputs: port: must be a number; proxy.host: must not be empty",
    );
    assert.deepEqual(
      [error.code, error.name, error.resource, error.fields],
      ["INVALID_INPUTS", "InputError", "MeteredProduct", ["port", "proxy.host"]],
    );
    assert.ok(error instanceof ResourceError && error instanceof VcppError);
  });

  it("ResourceError keeps its code and cause, and redacts its message", () => {
    registerSecret("resource-error-secret");
    const cause = new Error("502");
    const error = new ResourceError({
      resource: "MeteredProduct",
      code: "GONE",
      message: "gone from host with resource-error-secret",
      cause,
    });
    assert.deepEqual(
      [error.code, error.resource, error.message, error.cause],
      ["GONE", "MeteredProduct", "gone from host with [REDACTED]", cause],
    );
  });

  it("parseInputs refuses inputs that became invalid at apply time with an InputError naming each field", () => {
    const schema = z.object({ host: z.string().min(1, "must not be empty"), port: z.number("must be a number") });
    const error = (() => {
      try {
        parseInputs(schema, { host: "", port: "https" }, "MeteredProduct");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof InputError);
    assert.equal(error.message, "MeteredProduct: invalid inputs: host: must not be empty; port: must be a number");
    assert.deepEqual(error.fields, ["host", "port"]);
  });
});
