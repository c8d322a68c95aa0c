import { createHash } from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';
import { callResultText, parseJson } from '../air/index.js';
import { serviceHandler, type CallHandler, type ServiceFunction } from './handlers.js';

// Builtin services every peer answers before its own services, with Nox's names and shapes
// (facts §4.2). Arguments arrive as JSON values; Aqua optionals arrive as [] or [x].

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A value as exact JSON text for error messages (JSON.stringify throws on a bigint). */
function describe(value: unknown): string {
  return callResultText(value);
}

function expectArgs(args: readonly unknown[], count: number, fn: string): void {
  if (args.length !== count) {
    throw new Error(`${fn} expects ${count} argument(s), found ${args.length}`);
  }
}

function integer(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new Error(`${what}: expected an integer, found ${describe(value)}`);
}

// Results past 2^53 stay exact as a bigint, which the VM reads as the i64 it is.
function checkedI64(value: bigint, op: string): number | bigint {
  if (value < I64_MIN || value > I64_MAX) throw new Error(`${op}: i64 overflow`);
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

function number(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  // Nox reads f64 arguments with serde_json, which takes any integer, rounding past 2^53.
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`${what}: expected a number, found ${describe(value)}`);
}

function stringArg(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`${what}: expected a string, found ${describe(value)}`);
}

function arrayArg(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${what}: expected an array, found ${describe(value)}`);
}

function bytesArg(value: unknown, what: string): Uint8Array {
  const arr = arrayArg(value, what);
  if (!arr.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < 256)) {
    throw new Error(`${what}: expected an array of bytes (0..255)`);
  }
  return Uint8Array.from(arr as number[]);
}

function binary(fn: string, apply: (a: bigint, b: bigint) => bigint): ServiceFunction {
  return (args) => {
    expectArgs(args, 2, fn);
    return checkedI64(apply(integer(args[0], fn), integer(args[1], fn)), fn);
  };
}

/** -1, 0 or 1; integers compare exactly (two i64s past 2^53 can round to one double). */
function order(a: unknown, b: unknown, fn: string): number {
  const exact = (v: unknown): boolean =>
    typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
  if (exact(a) && exact(b)) {
    const x = integer(a, fn);
    const y = integer(b, fn);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = number(a, fn);
  const y = number(b, fn);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compare(fn: string, test: (order: number) => boolean): ServiceFunction {
  return (args) => {
    expectArgs(args, 2, fn);
    return test(order(args[0], args[1], fn));
  };
}

const op: Record<string, ServiceFunction> = {
  noop: () => '',
  array: (args) => [...args],
  array_length: (args) => {
    expectArgs(args, 1, 'op.array_length');
    return arrayArg(args[0], 'op.array_length').length;
  },
  concat: (args) => args.flatMap((a, i) => arrayArg(a, `op.concat argument ${i}`)),
  identity: (args) => {
    if (args.length > 1)
      throw new Error(`op.identity expects 0 or 1 arguments, found ${args.length}`);
    return args.length === 0 ? '' : args[0];
  },
  concat_strings: (args) =>
    args.map((a, i) => stringArg(a, `op.concat_strings argument ${i}`)).join(''),
  string_to_b58: (args) =>
    base58btc.baseEncode(Buffer.from(stringArg(args[0], 'op.string_to_b58'), 'utf8')),
  string_from_b58: (args) =>
    Buffer.from(base58btc.baseDecode(stringArg(args[0], 'op.string_from_b58'))).toString('utf8'),
  bytes_to_b58: (args) => base58btc.baseEncode(bytesArg(args[0], 'op.bytes_to_b58')),
  bytes_from_b58: (args) => [...base58btc.baseDecode(stringArg(args[0], 'op.bytes_from_b58'))],
  sha256_string: (args) => {
    const digest = createHash('sha256')
      .update(stringArg(args[0], 'op.sha256_string'), 'utf8')
      .digest();
    return base58btc.baseEncode(Buffer.concat([Buffer.from([0x12, 0x20]), digest]));
  },
};

const math: Record<string, ServiceFunction> = {
  add: binary('math.add', (a, b) => a + b),
  sub: binary('math.sub', (a, b) => a - b),
  mul: binary('math.mul', (a, b) => a * b),
  fmul: (args) => {
    expectArgs(args, 2, 'math.fmul');
    return checkedI64(
      BigInt(Math.floor(number(args[0], 'math.fmul') * number(args[1], 'math.fmul'))),
      'math.fmul',
    );
  },
  div: binary('math.div', (a, b) => {
    if (b === 0n) throw new Error('math.div: division by zero');
    return a / b;
  }),
  rem: binary('math.rem', (a, b) => {
    if (b === 0n) throw new Error('math.rem: division by zero');
    return a % b;
  }),
  pow: binary('math.pow', (a, b) => {
    if (b < 0n || b > 0xffffffffn) throw new Error('math.pow: exponent must be a u32');
    return a ** b;
  }),
  log: (args) => {
    expectArgs(args, 2, 'math.log');
    const base = integer(args[0], 'math.log');
    let x = integer(args[1], 'math.log');
    if (base < 2n || x < 1n) throw new Error('math.log: base must be ≥ 2 and the value ≥ 1');
    let result = 0;
    while (x >= base) {
      x /= base;
      result += 1;
    }
    return result;
  },
};

const cmp: Record<string, ServiceFunction> = {
  gt: compare('cmp.gt', (o) => o > 0),
  gte: compare('cmp.gte', (o) => o >= 0),
  lt: compare('cmp.lt', (o) => o < 0),
  lte: compare('cmp.lte', (o) => o <= 0),
  cmp: (args) => {
    expectArgs(args, 2, 'cmp.cmp');
    return order(args[0], args[1], 'cmp.cmp');
  },
};

const array: Record<string, ServiceFunction> = {
  sum: (args) =>
    checkedI64(
      arrayArg(args[0], 'array.sum').reduce<bigint>((s, v) => s + integer(v, 'array.sum'), 0n),
      'array.sum',
    ),
  dedup: (args) => [
    ...new Set(arrayArg(args[0], 'array.dedup').map((v) => stringArg(v, 'array.dedup'))),
  ],
  intersect: (args) => {
    const right = new Set(arrayArg(args[1], 'array.intersect'));
    return [...new Set(arrayArg(args[0], 'array.intersect'))].filter((v) => right.has(v));
  },
  diff: (args) => {
    const right = new Set(arrayArg(args[1], 'array.diff'));
    return [...new Set(arrayArg(args[0], 'array.diff'))].filter((v) => !right.has(v));
  },
  sdiff: (args) => {
    const left = new Set(arrayArg(args[0], 'array.sdiff'));
    const right = new Set(arrayArg(args[1], 'array.sdiff'));
    return [...[...left].filter((v) => !right.has(v)), ...[...right].filter((v) => !left.has(v))];
  },
  slice: (args) => {
    expectArgs(args, 3, 'array.slice');
    const arr = arrayArg(args[0], 'array.slice');
    const start = Number(integer(args[1], 'array.slice'));
    const end = Number(integer(args[2], 'array.slice'));
    if (start < 0 || end < start || end > arr.length) {
      throw new Error(`array.slice: bad range ${start}..${end} for an array of ${arr.length}`);
    }
    return arr.slice(start, end);
  },
  length: (args) => arrayArg(args[0], 'array.length').length,
};

function objectArg(value: unknown, what: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw new Error(`${what}: expected an object, found ${describe(value)}`);
}

function putPairs(
  target: Record<string, unknown>,
  flat: readonly unknown[],
  fn: string,
): Record<string, unknown> {
  if (flat.length % 2 !== 0) throw new Error(`${fn}: expected key/value pairs, found an odd count`);
  const out = { ...target };
  for (let i = 0; i < flat.length; i += 2) out[stringArg(flat[i], `${fn} key`)] = flat[i + 1];
  return out;
}

const json: Record<string, ServiceFunction> = {
  obj: (args) => putPairs({}, args, 'json.obj'),
  put: (args) => putPairs(objectArg(args[0], 'json.put'), args.slice(1, 3), 'json.put'),
  puts: (args) => putPairs(objectArg(args[0], 'json.puts'), args.slice(1), 'json.puts'),
  // serde_json as Nox uses it: integers within i64/u64 keep every digit both ways.
  parse: (args) => {
    const text = stringArg(args[0], 'json.parse');
    try {
      return parseJson(text);
    } catch (error) {
      throw new Error(
        `json.parse: expected a JSON text, found ${describe(text)} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  },
  stringify: (args) => {
    expectArgs(args, 1, 'json.stringify');
    return callResultText(args[0]);
  },
  obj_pairs: (args) =>
    putPairs(
      {},
      arrayArg(args[0], 'json.obj_pairs').flatMap((p) => arrayArg(p, 'json.obj_pairs pair')),
      'json.obj_pairs',
    ),
  puts_pairs: (args) =>
    putPairs(
      objectArg(args[0], 'json.puts_pairs'),
      arrayArg(args[1], 'json.puts_pairs').flatMap((p) => arrayArg(p, 'json.puts_pairs pair')),
      'json.puts_pairs',
    ),
};

/** Versions reported by `peer.identify`. */
export interface PeerIdentity {
  readonly external_addresses: readonly string[];
  readonly node_version: string;
  readonly air_version: string;
  readonly spell_version: string;
  readonly allowed_binaries: readonly string[];
}

/** The builtin services of a peer (op, peer, math, cmp, array, json, debug) as one handler. */
export function builtinHandlers(identity: PeerIdentity): CallHandler[] {
  const peer: Record<string, ServiceFunction> = {
    identify: () => identity,
    timestamp_ms: () => Date.now(),
    timestamp_sec: () => Math.floor(Date.now() / 1000),
    timeout: async (args) => {
      const ms = Number(integer(args[0], 'peer.timeout'));
      const message = Array.isArray(args[1]) ? (args[1][0] ?? '') : (args[1] ?? '');
      await new Promise((resolve) => setTimeout(resolve, ms));
      return message;
    },
  };
  return [
    serviceHandler('op', op),
    serviceHandler('peer', peer),
    serviceHandler('math', math),
    serviceHandler('cmp', cmp),
    serviceHandler('array', array),
    serviceHandler('json', json),
    serviceHandler('debug', {
      // Nox answers an empty argument list with a JSON string, so the result is still JSON.
      stringify: (args) =>
        args.length === 0
          ? '"<empty argument list>"'
          : callResultText(args.length === 1 ? args[0] : args),
    }),
  ];
}
