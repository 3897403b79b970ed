import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Read from the installed package.json (dist/provider → package root), so it is always the running version. */
const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
  name: string;
  version: string;
};

export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;
