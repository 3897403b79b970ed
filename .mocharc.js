// TEST_SUITE=unit|integration|e2e runs one suite (npm run test:unit, …); unset, all of them.
// Files run one after another: mocha's parallel mode once ended green, without a summary, after a
// worker crashed mid-file, and a CI that can pass without running its tests proves nothing.
const suites = process.env.TEST_SUITE ? process.env.TEST_SUITE.split(",") : ["unit", "integration", "e2e"];

module.exports = {
  spec: suites.map((suite) => `dist/test/${suite}/**/*.test.js`),
  timeout: 30000,
  "node-option": ["enable-source-maps"],
  reporter: "spec",
};
