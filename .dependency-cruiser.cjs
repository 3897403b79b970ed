/**
 * The project's import rules (README: Layout). Dependencies point one way: resources and
 * functions → service clients (provider/) → the one HTTP and auth layer. The emulator is a
 * stand-in for the remote services, written from the API contract, so it shares no code with
 * the clients it answers; production code never loads it, nor tests or scripts.
 * test/unit/import-rules.test.ts proves each rule fails on a bad tree (test/fixtures/bad-imports).
 */
const PRODUCTION = "^(provider|resources|functions)/|^index\\.ts$";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "clients-below-resources",
      comment: "A client (provider/) never imports resources/ or functions/: they build on it, not the reverse.",
      severity: "error",
      from: { path: "^provider/" },
      to: { path: "^(resources|functions)/" },
    },
    {
      name: "production-without-emulator",
      comment: "Production code never imports the emulator, tests or scripts: none of them is what users run.",
      severity: "error",
      from: { path: PRODUCTION },
      to: { path: "^(emulator|test|scripts)/" },
    },
    {
      name: "emulator-from-the-contract",
      comment:
        "The emulator imports nothing of provider/, resources/ or functions/: it is written from the API contract.",
      severity: "error",
      from: { path: "^emulator/" },
      to: { path: "^(provider|resources|functions)/" },
    },
    {
      name: "shipped-without-dev-dependencies",
      comment: "Shipped code (production and the emulator) imports only dependencies a user's install has.",
      severity: "error",
      from: { path: `${PRODUCTION}|^emulator/` },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "no-circular",
      comment: "A cycle makes load order matter and hides which layer owns what.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a type from the emulator in production code is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|test/fixtures)/" },
  },
};
