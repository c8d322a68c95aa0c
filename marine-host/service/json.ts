// JSON text for what the host prints: exact integers (bigint in full), integral f64 as `7.0`
// (Marine's f64 results stay floats), byte arrays as arrays. Values and parsing are the protocol
// layer's (JsonValue, parseJson), shared with the VM and peers.
import {
  JsonFloat,
  numberText,
  parseJson as parseProtocolJson,
  type JsonValue,
} from '../../harness/protocol/index.js';

export type { JsonValue };

/** Deepest nesting the host's parseJson accepts: far beyond any service value, well within the stack. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Parses JSON text as the protocol layer does (exact integers, 7.0 a float), refusing values
 * nested more than MAX_JSON_DEPTH deep with a positioned SyntaxError.
 */
export function parseJson(text: string): JsonValue {
  return parseProtocolJson(text, { maxDepth: MAX_JSON_DEPTH });
}

/** JSON text of a value; bigints print as exact numbers, JsonFloats as `7.0`, Uint8Arrays as arrays of bytes. */
export function stringifyJson(value: unknown, indent?: number): string {
  const marks = new Map<string, string>();
  let n = 0;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint' || v instanceof JsonFloat) {
        const mark = `\u0000big${n++}\u0000`;
        marks.set(mark, numberText(v));
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
