/**
 * The `filter` query parameter of 5.7 collections. Seed 002 introduces filter expressions in the
 * vCloud API's own words ("string matching or numeric comparison operations … one or more
 * subexpressions drawn from the following set of operators") but its operator table is lost; the
 * vCloud API's table is the one it refers to, and the one implemented:
 * - `attr==value` matches, case-sensitive; `*` in value is a wildcard and makes it case-insensitive;
 * - `attr!=value` does not match (no wildcards);
 * - `attr=gt=value`, `=lt=`, `=ge=`, `=le=` compare numbers or date-times;
 * - `a;b` is AND, `a,b` is OR (AND binds tighter), `( … )` groups.
 * A malformed expression, an unknown attribute or a bad comparison answers 400 with the reason.
 */

/** What an attribute of a collection item is: one value, or several (any of them may match). */
export type Attributes<T> = Record<string, (item: T) => string | number | boolean | null | Array<string | number>>;

export class FilterError extends Error {}

type Predicate<T> = (item: T) => boolean;

const OPERATORS = ["==", "!=", "=gt=", "=lt=", "=ge=", "=le="] as const;
type Operator = (typeof OPERATORS)[number];

export function compileFilter<T>(expression: string, attributes: Attributes<T>): Predicate<T> {
  const parser = new Parser(expression, attributes);
  const predicate = parser.or();
  if (!parser.done()) throw new FilterError(`unexpected "${expression.slice(parser.at)}" at position ${parser.at}`);
  return predicate;
}

class Parser<T> {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly attributes: Attributes<T>,
  ) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  or(): Predicate<T> {
    const terms = [this.and()];
    while (this.text[this.at] === ",") {
      this.at++;
      terms.push(this.and());
    }
    return (item) => terms.some((t) => t(item));
  }

  private and(): Predicate<T> {
    const terms = [this.term()];
    while (this.text[this.at] === ";") {
      this.at++;
      terms.push(this.term());
    }
    return (item) => terms.every((t) => t(item));
  }

  private term(): Predicate<T> {
    if (this.text[this.at] === "(") {
      this.at++;
      const inner = this.or();
      if (this.text[this.at] !== ")") throw new FilterError(`missing ")" at position ${this.at}`);
      this.at++;
      return inner;
    }
    const match = /^([A-Za-z_][\w.]*)(==|!=|=gt=|=lt=|=ge=|=le=)([^;,()]*)/.exec(this.text.slice(this.at));
    if (!match)
      throw new FilterError(
        `expected attribute${OPERATORS.join("|")}value at position ${this.at}, got "${this.text.slice(this.at)}"`,
      );
    this.at += match[0].length;
    const [, name, operator, value] = match;
    const read = this.attributes[name];
    if (!read) throw new FilterError(`unknown attribute ${name}; known: ${Object.keys(this.attributes).join(", ")}`);
    if (value === "") throw new FilterError(`${name}${operator} needs a value`);
    const test = comparison(operator as Operator, value, name);
    return (item) => {
      const actual = read(item);
      const values = Array.isArray(actual) ? actual : [actual];
      return operator === "!=" ? values.every((v) => test(v)) : values.some((v) => test(v));
    };
  }
}

function comparison(operator: Operator, value: string, name: string): (actual: unknown) => boolean {
  if (operator === "==") {
    if (!value.includes("*")) return (actual) => actual !== null && String(actual) === value;
    const pattern = new RegExp(`^${value.split("*").map(escapeRegExp).join(".*")}$`, "i");
    return (actual) => actual !== null && pattern.test(String(actual));
  }
  if (operator === "!=") {
    if (value.includes("*")) throw new FilterError(`${name}!=${value}: wildcards are not allowed with !=`);
    return (actual) => actual === null || String(actual) !== value;
  }
  const bound = orderable(value);
  if (bound === undefined) throw new FilterError(`${name}${operator}${value}: expected a number or a date-time`);
  const ok = {
    "=gt=": (d: number) => d > 0,
    "=lt=": (d: number) => d < 0,
    "=ge=": (d: number) => d >= 0,
    "=le=": (d: number) => d <= 0,
  }[operator];
  return (actual) => {
    const left = actual === null ? undefined : orderable(String(actual));
    return left !== undefined && ok(left - bound);
  };
}

/** A number, or a date-time as epoch milliseconds. */
function orderable(text: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = Date.parse(text);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
