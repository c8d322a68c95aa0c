// The JSON form of the AST: the same shape as the TypeScript objects, with i64 `value`s written as
// decimal strings (JSON numbers lose precision beyond 2^53). Both functions are iterative because
// compiled AIR nests deeply and JSON.stringify recurses once per level.

import type { AstNode } from './types.js';

/** The plain JSON (no big integers: i64 values are strings) that {@link astToJson} produces. */
export type AstJson =
  null | boolean | number | string | readonly AstJson[] | { readonly [key: string]: AstJson };

type Frame = { src: unknown; dst: AstJson[] | Record<string, AstJson> };

function leaf(value: unknown): AstJson | undefined {
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
export function astToJson(node: AstNode): AstJson {
  const rootLeaf = leaf(node);
  if (rootLeaf !== undefined) return rootLeaf;
  const root: Record<string, AstJson> | AstJson[] = Array.isArray(node) ? [] : {};
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
        const child: AstJson[] | Record<string, AstJson> = Array.isArray(value) ? [] : {};
        stack.push({ src: value, dst: child });
        out = child;
      }
      if (Array.isArray(dst)) dst.push(out);
      else dst[key] = out;
    }
  }
  return root;
}

/**
 * Serialises a JSON value (or any plain tree: bigints become decimal strings, undefined members are
 * dropped) without recursion; `indent` > 0 pretty-prints like JSON.stringify.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  let out = '';
  const colon = indent > 0 ? ': ' : ':';
  // Two parallel stacks: a value with its depth, or (depth -1) raw text to emit.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() ?? 0;
    if (depth < 0) {
      out += v as string;
      continue;
    }
    switch (typeof v) {
      case 'string':
        out += JSON.stringify(v);
        continue;
      case 'number':
        out += Number.isFinite(v) ? String(v) : 'null';
        continue;
      case 'bigint':
        out += `"${v.toString()}"`;
        continue;
      case 'boolean':
        out += v ? 'true' : 'false';
        continue;
      case 'object':
        break;
      default:
        out += 'null';
        continue;
    }
    if (v === null) {
      out += 'null';
      continue;
    }
    const pad = indent > 0 ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
    const closePad = indent > 0 ? '\n' + ' '.repeat(indent * depth) : '';
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out += '[]';
        continue;
      }
      out += '[';
      values.push(closePad + ']');
      depths.push(-1);
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i] ?? null);
        depths.push(depth + 1);
        values.push(i > 0 ? ',' + pad : pad);
        depths.push(-1);
      }
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).filter(
      (k) => obj[k] !== undefined && typeof obj[k] !== 'function',
    );
    if (keys.length === 0) {
      out += '{}';
      continue;
    }
    out += '{';
    values.push(closePad + '}');
    depths.push(-1);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      values.push(obj[key]);
      depths.push(depth + 1);
      values.push((i > 0 ? ',' : '') + pad + JSON.stringify(key) + colon);
      depths.push(-1);
    }
  }
  return out;
}

/** The JSON text of a node (see {@link astToJson}); safe on arbitrarily deep trees. */
export function astToJsonText(node: AstNode, indent = 0): string {
  // The native serialiser is several times faster but recurses; deep trees take the iterative path.
  try {
    return JSON.stringify(node, bigintReplacer, indent > 0 ? indent : undefined);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return stringifyJson(node, indent);
  }
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
