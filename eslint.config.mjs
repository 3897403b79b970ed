// ESLint: typescript-eslint's recommended rules, the type-aware rules that catch real bugs in
// async code, and the package's own rule for what resources/ and functions/ throw. Formatting is
// Prettier's job (npm run format:check), so no stylistic rules here.
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "test/fixtures/", "examples/**/node_modules/"] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its error: the engine then reports success, or nothing.
      "@typescript-eslint/no-floating-promises": "error",
      // An async callback where a plain one is expected (event handlers, forEach) drops its rejection.
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // `return await` inside try/catch, so the catch sees the rejection.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      // Unused names: a leading underscore marks a parameter the interface requires.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Resources and functions throw the package's errors (provider/errors.ts): a stable `code`,
    // a redacted message, and Pulumi shows them once, without a stack trace (resources/dynamic.ts).
    files: ["resources/**/*.ts", "functions/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name=/^(Error|TypeError|RangeError)$/]",
          message:
            "Throw one of the package's errors (provider/errors.ts: ConfigError, ResourceError, InputError, …), not a bare Error.",
        },
      ],
    },
  },
  {
    // The serialized shim can capture no import: it requires the installed package at call time.
    files: ["resources/shim.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.{js,cjs,mjs}"],
    languageOptions: {
      globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly" },
    },
  },
);
