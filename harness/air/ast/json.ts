// The JSON form of the AST: the same shape as the TypeScript objects, with i64 `value`s written as
// decimal strings (JSON numbers lose precision beyond 2^53). Both functions are iterative because
// compiled AIR nests deeply and JSON.stringify recurses once per level.

import type { AstNode } from './types.js';

/** A JSON value as produced by {@link astToJson}. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

type Frame = { src: unknown; dst: JsonValue[] | Record<string, JsonValue> };

function leaf(value: unknown): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    default:
      return undefined;
  }
}

/** Converts a node (or any plain tree of nodes) to a JSON-safe value: bigints become strings. */
export function astToJson(node: AstNode): JsonValue {
  const rootLeaf = leaf(node);
  if (rootLeaf !== undefined) return rootLeaf;
  const root: Record<string, JsonValue> | JsonValue[] = Array.isArray(node) ? [] : {};
  const stack: Frame[] = [{ src: node, dst: root }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { src, dst } = frame;
    const entries: Array<[string, unknown]> = Array.isArray(src)
      ? src.map((v, i) => [String(i), v])
      : Object.entries(src as Record<string, unknown>);
    for (const [key, value] of entries) {
      if (value === undefined || typeof value === 'function') continue;
      let out = leaf(value);
      if (out === undefined) {
        const child: JsonValue[] | Record<string, JsonValue> = Array.isArray(value) ? [] : {};
        stack.push({ src: value, dst: child });
        out = child;
      }
      if (Array.isArray(dst)) dst.push(out);
      else dst[key] = out;
    }
  }
  return root;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/** Serialises a JSON value without recursion; `indent` > 0 pretty-prints like JSON.stringify. */
export function stringifyJson(value: JsonValue, indent = 0): string {
  const out: string[] = [];
  const pad = (depth: number): string => (indent > 0 ? '\n' + ' '.repeat(indent * depth) : '');
  const colon = indent > 0 ? ': ' : ':';
  // A work item is either literal text to emit or a value to open at a depth.
  type Item = { text: string } | { value: JsonValue; depth: number };
  const work: Item[] = [{ value, depth: 0 }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v !== 'object') {
      out.push(typeof v === 'string' ? quote(v) : v === null ? 'null' : String(v));
      continue;
    }
    const isArray = Array.isArray(v);
    const keys = isArray ? [] : Object.keys(v);
    const count = isArray ? (v as readonly JsonValue[]).length : keys.length;
    if (count === 0) {
      out.push(isArray ? '[]' : '{}');
      continue;
    }
    out.push(isArray ? '[' : '{');
    const pending: Item[] = [];
    for (let i = 0; i < count; i++) {
      const prefix = (i > 0 ? ',' : '') + pad(item.depth + 1);
      if (isArray) {
        pending.push({ text: prefix });
        pending.push({ value: (v as readonly JsonValue[])[i] ?? null, depth: item.depth + 1 });
      } else {
        const key = keys[i] ?? '';
        pending.push({ text: prefix + quote(key) + colon });
        pending.push({
          value: (v as { readonly [key: string]: JsonValue })[key] ?? null,
          depth: item.depth + 1,
        });
      }
    }
    pending.push({ text: pad(item.depth) + (isArray ? ']' : '}') });
    for (let i = pending.length - 1; i >= 0; i--) work.push(pending[i] as Item);
  }
  return out.join('');
}

/** The JSON text of a node (see {@link astToJson}); safe on arbitrarily deep trees. */
export function astToJsonText(node: AstNode, indent = 0): string {
  return stringifyJson(astToJson(node), indent);
}
