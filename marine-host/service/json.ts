// JSON that keeps 64-bit integers exact: integers beyond 2^53 parse to bigint and bigints print
// as plain JSON numbers, so a u64 survives a round trip through the CLI or a JSON call.

/** A JSON value as the host passes it around (bigint for integers JS numbers cannot hold). */
export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** Deepest nesting parseJson accepts: far beyond any service value, well within the stack. */
export const MAX_JSON_DEPTH = 1000;

/** Parses JSON text; integers outside the safe range become bigint. Throws SyntaxError with the position. */
export function parseJson(text: string): JsonValue {
  let at = 0;
  let depth = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`invalid JSON at position ${at}: ${what}`);
  };
  const ws = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] as string)) at += 1;
  };
  const value = (): JsonValue => {
    ws();
    const ch = text[at];
    if ((ch === '{' || ch === '[') && depth >= MAX_JSON_DEPTH)
      fail(`arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep`);
    if (ch === '{' || ch === '[') {
      depth += 1;
      try {
        return nested(ch);
      } finally {
        depth -= 1;
      }
    }
    return scalar(ch);
  };
  const nested = (ch: string): JsonValue => {
    if (ch === '{') {
      at += 1;
      const obj: { [key: string]: JsonValue } = {};
      ws();
      if (text[at] === '}') {
        at += 1;
        return obj;
      }
      for (;;) {
        ws();
        if (text[at] !== '"') fail('expected a string key');
        const key = str();
        ws();
        if (text[at] !== ':') fail('expected ":"');
        at += 1;
        Object.defineProperty(obj, key, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        ws();
        if (text[at] === ',') at += 1;
        else if (text[at] === '}') {
          at += 1;
          return obj;
        } else fail('expected "," or "}"');
      }
    }
    if (ch === '[') {
      at += 1;
      const arr: JsonValue[] = [];
      ws();
      if (text[at] === ']') {
        at += 1;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[at] === ',') at += 1;
        else if (text[at] === ']') {
          at += 1;
          return arr;
        } else fail('expected "," or "]"');
      }
    }
    return fail('unreachable');
  };
  const scalar = (ch: string | undefined): JsonValue => {
    if (ch === '"') return str();
    if (text.startsWith('true', at)) {
      at += 4;
      return true;
    }
    if (text.startsWith('false', at)) {
      at += 5;
      return false;
    }
    if (text.startsWith('null', at)) {
      at += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!m) return fail(ch === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(ch)}`);
    at += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const str = (): string => {
    const start = at;
    at += 1;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    at += 1;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const result = value();
  ws();
  if (at < text.length) fail(`unexpected ${JSON.stringify(text[at])} after the value`);
  return result;
}

/** JSON text of a value; bigints print as exact numbers, Uint8Arrays as arrays of bytes. */
export function stringifyJson(value: unknown, indent?: number): string {
  const marks = new Map<string, string>();
  let n = 0;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') {
        const mark = `\u0000big${n++}\u0000`;
        marks.set(mark, v.toString());
        return mark;
      }
      if (v instanceof Uint8Array) return Array.from(v);
      return v;
    },
    indent,
  );
  if (text === undefined) return 'null';
  return marks.size === 0
    ? text
    : text.replace(/"\\u0000big\d+\\u0000"/g, (m) => marks.get(JSON.parse(m) as string) ?? m);
}
