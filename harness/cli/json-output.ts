// What `--json` modes print: pretty JSON, exact for AIR values (bigints, integral f64s).
import { JsonFloat, jsonText } from '../protocol/index.js';

/** Writes a value as pretty JSON on stdout (what `--json` modes print, and nothing else). */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonPretty(value)}\n`);
}

/**
 * Pretty JSON like `JSON.stringify(value, null, 2)`, but exact for AIR values: a bigint (an
 * integer past 2^53, which JSON.stringify rejects) prints every digit and an integral f64
 * (`JsonFloat`) prints as `7.0`. Keys keep their order; undefined members are left out.
 */
export function jsonPretty(value: unknown, indent = ''): string {
  if (typeof value === 'bigint' || value instanceof JsonFloat) return jsonText(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return jsonPretty(json.call(value), indent);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v: unknown) =>
      v === undefined || typeof v === 'function' ? 'null' : jsonPretty(v, inner),
    );
    return `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]`;
  }
  const members = Object.entries(value).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (members.length === 0) return '{}';
  const lines = members.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${jsonPretty(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}
