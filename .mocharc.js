// Test files run in parallel workers: each end-to-end file drives its own emulator and its own
// temporary stacks through the real engine, so they overlap well even on two cores.
// TEST_SUITE=unit|integration|e2e runs one suite (npm run test:unit, …); unset, all of them.
const { availableParallelism } = require("node:os");

const suites = process.env.TEST_SUITE ? process.env.TEST_SUITE.split(",") : ["unit", "integration", "e2e"];

module.exports = {
  spec: suites.map((suite) => `dist/test/${suite}/**/*.test.js`),
  parallel: true,
  jobs: Math.max(3, availableParallelism()),
  timeout: 30000,
  "node-option": ["enable-source-maps"],
  reporter: "spec",
};
