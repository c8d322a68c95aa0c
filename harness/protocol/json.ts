// JSON values as the VM sees them, their one canonical text form, and exact parsing.
//
// Numbers follow AquaVM's serde_json model: a number is an integer (i64 or u64, kept exact) or an
// f64. In JS an integer is a `number` while it is a safe integer and a `bigint` beyond ±(2^53 − 1)
// up to the i64/u64 range; every other number is an f64. Read from a JS value, an integral number
// within the i64/u64 range is an integer (that is how a JS host's JSON text reaches AquaVM), and
// -0 is the float -0.0. An integral f64 within that range (the AIR literal `7.0`, the text `1e3`)
// is a JsonFloat, so it stays unequal to the integer 7 and is written `7.0`, as in AquaVM; hosts
// get it as a plain number and may hand one back to mean an f64.
//
// Content ids must not depend on how a value was built, so object keys are written sorted as
// serde_json's maps sort them, by code point (JS objects order integer-like keys first, which
// would otherwise leak into ids), and numbers are written as serde_json writes them (integers in
// full, floats in ryu's shortest form: `1e300`, `0.1`, `-0.0`). Floats from a host's text and
// from stored values are read as AquaVM's serde_json reads them, which is not always exact
// (serdeFloat).

/** An f64 with an integral value (7.0), which a JS number alone would read as an integer. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/** A JSON value; see the file comment for what `number`, `bigint` and JsonFloat mean. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | JsonFloat
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object (not null, an array or a JsonFloat). */
export function isJsonObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof JsonFloat)
  );
}

/** Whether a JSON value is a number of either kind. */
export function isJsonNumber(value: JsonValue): value is number | bigint | JsonFloat {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof JsonFloat;
}

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
// Doubles in [-2^63, 2^64) are exactly the integral ones an i64 or a u64 can hold.
const I64_MIN_NUMBER = -(2 ** 63);
const U64_LIMIT_NUMBER = 2 ** 64;

/** Whether a JSON number is an integer in AquaVM's sense (i64 or u64), not an f64. */
export function isJsonInteger(value: JsonValue): value is number | bigint {
  if (typeof value === 'bigint') return value >= I64_MIN && value <= U64_MAX;
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    !Object.is(value, -0) &&
    value >= I64_MIN_NUMBER &&
    value < U64_LIMIT_NUMBER
  );
}

/** An f64 as a JSON value: a JsonFloat when a plain number would read as an integer. */
export function jsonFloat(x: number): number | JsonFloat {
  return Number.isInteger(x) && isJsonInteger(x) ? new JsonFloat(x) : x;
}

/** The exact integer value of a JSON integer. */
function integerOf(value: number | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

/** An i64/u64 as a JSON value: a `number` when safe, a `bigint` otherwise. */
export function jsonInteger(value: bigint): number | bigint {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

/** The value of a JSON integer as an unsigned 32-bit index, or undefined when it is not one. */
export function asU32(value: JsonValue): number | undefined {
  if (!isJsonInteger(value)) return undefined;
  const n = Number(value);
  return n >= 0 && n <= 0xffffffff ? n : undefined;
}

/** Whether a JSON integer fits an i64 (AquaVM's error codes and map keys are read as i64 or u64). */
export function isJsonI64(value: JsonValue): value is number | bigint {
  return isJsonInteger(value) && integerOf(value) < 2n ** 63n;
}

/** serde_json's text of an f64: ryu's shortest digits, laid out as ryu lays them out. */
function floatText(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without digits gives the shortest digits that read back as x, as ryu does.
  const [mantissa = '', exponent = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const length = digits.length;
  const kk = Number(exponent) + 1; // 10^(kk-1) <= |x| < 10^kk
  if (kk >= length && kk <= 16) return `${sign}${digits}${'0'.repeat(kk - length)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${'0'.repeat(-kk)}${digits}`;
  const tail = `e${kk - 1}`;
  return length === 1 ? `${sign}${digits}${tail}` : `${sign}${digits[0]}.${digits.slice(1)}${tail}`;
}

/** An f64 as Rust's `Display` writes it (AquaVM's instruction texts): all digits, no exponent. */
export function floatDisplay(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'inf' : '-inf';
  const sign = x < 0 ? '-' : '';
  const [mantissa = '', exponent = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const kk = Number(exponent) + 1;
  if (kk >= digits.length) return `${sign}${digits}${'0'.repeat(kk - digits.length)}`;
  if (kk > 0) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  return `${sign}0.${'0'.repeat(-kk)}${digits}`;
}

/** The JSON text of a number as serde_json writes it (integers in full, floats as ryu does). */
export function numberText(value: number | bigint | JsonFloat): string {
  if (value instanceof JsonFloat) return floatText(value.value);
  if (isJsonInteger(value)) {
    return typeof value === 'number' && Number.isSafeInteger(value)
      ? String(value)
      : integerOf(value).toString();
  }
  return floatText(Number(value));
}

const SURROGATE = /[\uD800-\uDFFF]/;

function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Keys in serde_json's map order: by UTF-8 bytes, which is code point order. JS sorts by UTF-16
 * units, which differs only when a key has a character past U+FFFF.
 */
function sortKeys(keys: string[]): string[] {
  return keys.some((k) => SURROGATE.test(k)) ? keys.sort(byCodePoint) : keys.sort();
}

/** The compact canonical JSON text of `value` (sorted keys, no spaces, serde_json's numbers). */
export function canonicalJson(value: JsonValue): string {
  return compactJson(value, sortKeys);
}

/** Compact JSON text with serde_json's numbers, object keys in the order `order` gives. */
function compactJson(value: JsonValue, order: (keys: string[]) => string[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
    case 'bigint':
      return numberText(value);
  }
  if (value instanceof JsonFloat) return numberText(value);
  if (Array.isArray(value)) return `[${value.map((v) => compactJson(v, order)).join(',')}]`;
  const parts: string[] = [];
  for (const key of order(Object.keys(value))) {
    const item = value[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${compactJson(item, order)}`);
  }
  return `{${parts.join(',')}}`;
}

function numbersEqual(a: number | bigint | JsonFloat, b: number | bigint | JsonFloat): boolean {
  const aFloat = a instanceof JsonFloat;
  const bFloat = b instanceof JsonFloat;
  if (aFloat || bFloat) {
    // A JsonFloat is an f64: it equals only another f64 of the same value.
    const x = aFloat ? a.value : a;
    const y = bFloat ? b.value : b;
    if ((!aFloat && isJsonInteger(x)) || (!bFloat && isJsonInteger(y))) return false;
    return Number(x) === Number(y);
  }
  const aInt = isJsonInteger(a);
  if (aInt !== isJsonInteger(b)) return false; // serde_json: an integer never equals a float
  if (!aInt) return Number(a) === Number(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return integerOf(a) === integerOf(b);
}

/** Structural equality of two JSON values as serde_json's `==` (what match/mismatch compare). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  const aNumber = isJsonNumber(a);
  if (aNumber || isJsonNumber(b)) return aNumber && isJsonNumber(b) && numbersEqual(a, b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i] as JsonValue));
  }
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as JsonValue, b[k] as JsonValue));
}

function setKey(out: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__')
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[key] = value;
}

/** A number from a JS host as a JSON value (integral ones within i64/u64 are integers). */
/** How an f64 from a host is read: as it is, or as AquaVM reads the host's text of it. */
type FloatReader = (x: number) => number;
const exactFloat: FloatReader = (x) => x;

function hostNumber(value: number, float: FloatReader): JsonValue {
  if (!Number.isFinite(value)) return null; // as JSON.stringify writes NaN and Infinity
  if (Number.isSafeInteger(value)) return value;
  if (!isJsonInteger(value)) return jsonFloat(float(value));
  return BigInt(value);
}

// serde_json's table of powers of ten: Rust float literals, correctly rounded as JS's are.
const POW10: readonly number[] = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));

/**
 * The f64 AquaVM works with when a host sends `x` as JSON text (the shortest digits). serde_json,
 * built without its float_roundtrip feature as AquaVM builds it, reads the digits as a u64 and
 * multiplies or divides by a power of ten in f64, which can land an ulp away from `x`
 * (8.707646131515503e267 reads as 8.707646131515504e267). Every later peer and service sees that
 * value, so ours does too.
 */
export function serdeFloat(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const f = serdeNumberToken(floatText(x));
  // serde_json rejects a product that overflows; keep the value rather than invent an error.
  return Number.isFinite(f) ? f : x;
}

const U64_TENTH = U64_MAX / 10n;
const U64_LAST_DIGIT = U64_MAX % 10n;

/** serde_json's lossy reading of a JSON number token as an f64 (see serdeFloat). */
function serdeNumberToken(token: string): number {
  let i = 0;
  const negative = token[0] === '-';
  if (negative) i++;
  let significand = 0n;
  let exponent = 0;
  let full = false; // the next digit would overflow the u64: digits are ignored from then on
  const digit = (c: string): bigint | undefined => {
    const d = BigInt(c);
    if (full || (significand >= U64_TENTH && (significand > U64_TENTH || d > U64_LAST_DIGIT))) {
      full = true;
      return undefined;
    }
    return d;
  };
  for (; i < token.length && token[i]! >= '0' && token[i]! <= '9'; i++) {
    const d = digit(token[i]!);
    if (d === undefined) exponent++;
    else significand = significand * 10n + d;
  }
  if (token[i] === '.') {
    // After the point serde_json tries each digit again (an integer part that overflowed may still
    // take a small digit), and once one overflows it ignores the rest.
    full = false;
    for (i++; i < token.length && token[i]! >= '0' && token[i]! <= '9'; i++) {
      const d = full ? undefined : digit(token[i]!);
      if (d === undefined) continue;
      significand = significand * 10n + d;
      exponent--;
    }
  }
  if (token[i] === 'e' || token[i] === 'E') exponent += Number(token.slice(i + 1));
  let f = Number(significand);
  for (;;) {
    const pow = POW10[Math.abs(exponent)];
    if (pow !== undefined) {
      f = exponent >= 0 ? f * pow : f / pow;
      break;
    }
    if (f === 0 || exponent >= 0) break;
    f /= 1e308;
    exponent += 308;
  }
  return negative ? -f : f;
}

function hostBigint(value: bigint, float: FloatReader = exactFloat): JsonValue {
  // serde_json reads integer digits beyond i64/u64 as an f64 (-2^63 - 1 rounds to the f64 -2^63).
  return value >= I64_MIN && value <= U64_MAX
    ? jsonInteger(value)
    : jsonFloat(float(Number(value)));
}

/**
 * Converts an arbitrary JS value (a handler's result) into a JSON value as JSON.stringify would
 * see it (toJSON, dropped undefined/function members, NaN as null), keeping big integers exact:
 * a `bigint` or an integral `number` within the i64/u64 range is an integer. Throws a TypeError
 * if the value has no JSON form (undefined, a function, a cycle).
 */
export function toJsonValue(value: unknown): JsonValue {
  return convertTop(value, exactFloat);
}

/**
 * The value AquaVM works with when a host answers a call with `value`: toJsonValue, with every
 * f64 read the way AquaVM reads the host's JSON text of it (see serdeFloat).
 */
export function serviceResultValue(value: unknown): JsonValue {
  return convertTop(value, serdeFloat);
}

function convertTop(value: unknown, float: FloatReader): JsonValue {
  const converted = convert(value, '', new Set(), float);
  if (converted === undefined)
    throw new TypeError(`expected a JSON-serialisable value, found ${typeof value}`);
  return converted;
}

function convert(
  value: unknown,
  key: string,
  parents: Set<object>,
  float: FloatReader,
): JsonValue | undefined {
  if (value instanceof JsonFloat) return jsonFloat(float(value.value));
  if (typeof value === 'object' && value !== null && 'toJSON' in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (k: string) => unknown).call(value, key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean)
    value = value.valueOf();
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return hostNumber(value, float);
    case 'bigint':
      return hostBigint(value, float);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (parents.has(object)) throw new TypeError('Converting circular structure to JSON');
  parents.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((item: unknown, i) => convert(item, String(i), parents, float) ?? null);
    }
    const out: { [key: string]: JsonValue } = {};
    for (const k of Object.keys(object)) {
      const item = convert((object as Record<string, unknown>)[k], k, parents, float);
      if (item !== undefined) setKey(out, k, item);
    }
    return out;
  } finally {
    parents.delete(object);
  }
}

/**
 * The JSON text a host hands AquaVM for a call result (`null` for a value with no JSON form),
 * with big integers written in full; the call result size limit measures this text.
 */
export function callResultText(value: unknown): string {
  let json: JsonValue;
  try {
    json = toJsonValue(value);
  } catch {
    return 'null';
  }
  return jsonText(json);
}

/** Compact JSON text of a JSON value with keys in their own order and serde_json's numbers. */
export function jsonText(value: JsonValue): string {
  return compactJson(value, ownOrder);
}

const ownOrder = (keys: string[]): string[] => keys;

/**
 * A copy of a JSON value with object keys sorted, as AquaVM's maps hand them to services, and
 * every JsonFloat a plain number (what the service receives).
 */
export function sortedKeys(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof JsonFloat) return value.value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const out: { [key: string]: JsonValue } = {};
  for (const key of sortKeys(Object.keys(value))) {
    const item = value[key];
    if (item !== undefined) setKey(out, key, sortedKeys(item));
  }
  return out;
}

/** Error in a JSON text, with the offset where reading stopped. */
export class JsonSyntaxError extends SyntaxError {
  constructor(
    readonly offset: number,
    what: string,
    /** Whether `what` is the whole finding rather than what was expected. */
    finding = false,
  ) {
    super(`invalid JSON at position ${offset}: ${finding ? what : `expected ${what}`}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON.parse is exact unless an integer has 16 digits or more, or a float may be integral.
const NEEDS_READER = /\d{16}|\d\.0+(?!\d)|\d[eE]/;

// With AquaVM's float reading every float token must go through the reader.
const NEEDS_READER_AQUA = /\d{16}|\d[.eE]/;

function numberFromToken(token: string, aquaFloats: boolean): number | bigint | JsonFloat {
  if (/[.eE]/.test(token)) return jsonFloat(aquaFloats ? serdeNumberToken(token) : Number(token));
  // Shorter integer tokens are safe integers; "-0" is the float -0.0, as serde_json reads it.
  if (token.length < 16) return Number(token);
  const big = BigInt(token);
  if (big >= I64_MIN && big <= U64_MAX) return jsonInteger(big);
  return jsonFloat(aquaFloats ? serdeNumberToken(token) : Number(token));
}

/** Options of parseJson. */
export interface ParseJsonOptions {
  /**
   * Read floats as AquaVM's serde_json does (see serdeFloat) rather than exactly: how AquaVM
   * reads a value back from interpreter data.
   */
  readonly aquaFloats?: boolean;
  /**
   * Deepest nesting of arrays and objects accepted (default: no limit). Untrusted input should
   * set one: deep nesting costs stack wherever the value goes next.
   */
  readonly maxDepth?: number;
}

/** Whether arrays and objects in `text` nest deeper than `max` (a scan that skips strings). */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses JSON text exactly as serde_json does: integers within i64/u64 keep every digit
 * (`bigint` beyond the safe range), other numbers become f64 (a JsonFloat when integral, such as
 * `7.0`). Throws JsonSyntaxError.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  const aquaFloats = options.aquaFloats ?? false;
  const maxDepth = options.maxDepth ?? Infinity;
  // Too deep: our reader says where, and never recurses past the limit.
  if (maxDepth !== Infinity && nestsDeeperThan(text, maxDepth)) {
    return new JsonReader(text, aquaFloats, maxDepth).document();
  }
  if (!(aquaFloats ? NEEDS_READER_AQUA : NEEDS_READER).test(text)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // Our reader finds the same error and says where it is.
    }
  }
  return new JsonReader(text, aquaFloats, maxDepth).document();
}

class JsonReader {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly aquaFloats: boolean,
    private readonly maxDepth: number,
  ) {}

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new JsonSyntaxError(
        this.pos,
        `arrays and objects nest more than ${this.maxDepth} levels deep`,
        true,
      );
    }
  }

  document(): JsonValue {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) throw new JsonSyntaxError(this.pos, 'the end of the text');
    return value;
  }

  private space(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  private word(length: number, value: boolean | null): boolean | null {
    this.pos += length;
    return value;
  }

  private value(): JsonValue {
    this.space();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    // Decided by the first character: most values here are numbers, read below.
    if (c === 't' && this.text.startsWith('true', this.pos)) return this.word(4, true);
    if (c === 'f' && this.text.startsWith('false', this.pos)) return this.word(5, false);
    if (c === 'n' && this.text.startsWith('null', this.pos)) return this.word(4, null);
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) throw new JsonSyntaxError(this.pos, 'a JSON value');
    this.pos += m[0].length;
    return numberFromToken(m[0], this.aquaFloats);
  }

  private string(): string {
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const c = this.text.charCodeAt(i);
      if (Number.isNaN(c)) throw new JsonSyntaxError(start, 'a closing quote');
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else i++;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      throw new JsonSyntaxError(start, 'a valid string');
    }
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.pos] !== ch) throw new JsonSyntaxError(this.pos, `'${ch}'`);
    this.pos++;
  }

  private array(): JsonValue[] {
    this.enter();
    this.pos++;
    const out: JsonValue[] = [];
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      this.depth--;
      return out;
    }
  }

  private object(): { [key: string]: JsonValue } {
    this.enter();
    this.pos++;
    const out: { [key: string]: JsonValue } = {};
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw new JsonSyntaxError(this.pos, 'an object key');
      const key = this.string();
      this.expect(':');
      setKey(out, key, this.value());
      this.space();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      this.depth--;
      return out;
    }
  }
}
