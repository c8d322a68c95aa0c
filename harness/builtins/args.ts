// Argument checks shared by the builtin services: each error names the function and says what was
// expected and what was found. Arguments arrive as the VM's JSON values (bigint past 2^53).
import { callResultText } from '../protocol/index.js';
import type { ServiceFunction } from '../peer/index.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A value as exact JSON text for error messages (JSON.stringify throws on a bigint). */
export function describe(value: unknown): string {
  return callResultText(value);
}

export function expectArgs(args: readonly unknown[], count: number, fn: string): void {
  if (args.length !== count) {
    throw new Error(`${fn} expects ${count} argument(s), found ${args.length}`);
  }
}

export function integer(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new Error(`${what}: expected an integer, found ${describe(value)}`);
}

// Results past 2^53 stay exact as a bigint, which the VM reads as the i64 it is.
export function checkedI64(value: bigint, op: string): number | bigint {
  if (value < I64_MIN || value > I64_MAX) throw new Error(`${op}: i64 overflow`);
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

export function number(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  // Nox reads f64 arguments with serde_json, which takes any integer, rounding past 2^53.
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`${what}: expected a number, found ${describe(value)}`);
}

export function stringArg(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`${what}: expected a string, found ${describe(value)}`);
}

export function arrayArg(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${what}: expected an array, found ${describe(value)}`);
}

export function bytesArg(value: unknown, what: string): Uint8Array {
  const arr = arrayArg(value, what);
  if (!arr.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < 256)) {
    throw new Error(`${what}: expected an array of bytes (0..255)`);
  }
  return Uint8Array.from(arr as number[]);
}

export function binary(fn: string, apply: (a: bigint, b: bigint) => bigint): ServiceFunction {
  return (args) => {
    expectArgs(args, 2, fn);
    return checkedI64(apply(integer(args[0], fn), integer(args[1], fn)), fn);
  };
}

/** -1, 0 or 1; integers compare exactly (two i64s past 2^53 can round to one double). */
export function order(a: unknown, b: unknown, fn: string): number {
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

export function compare(fn: string, test: (order: number) => boolean): ServiceFunction {
  return (args) => {
    expectArgs(args, 2, fn);
    return test(order(args[0], args[1], fn));
  };
}

export function objectArg(value: unknown, what: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw new Error(`${what}: expected an object, found ${describe(value)}`);
}
