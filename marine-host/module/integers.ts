// One integer conversion for every way a value reaches a module: JSON arguments of components
// and IT modules alike (service/values.ts), jco values handed to an IT module (it/instance.ts)
// and the numeric instructions of IT adapters. A value outside the type's range, a fraction, or
// a number past 2^53 that JSON could not carry exactly is refused, never cut to its low bits,
// and the refusal quotes Marine's own words for it (serde's, as Marine's JSON arguments give
// them: "invalid value: integer `300`, expected u8"), so a user can match the error they saw on a
// Fluence node.
import { stringifyJson } from '../service/json.js';

/** Integer types of module interfaces (WIT `s*`/`u*`, IT `s*`/`u*`/`i32`/`i64`). */
export type IntegerKind =
  'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'i32' | 'i64';

/** Inclusive range of each integer type. */
export const INTEGER_RANGES: Readonly<Record<IntegerKind, readonly [bigint, bigint]>> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  s8: [-128n, 127n],
  s16: [-32768n, 32767n],
  s32: [-2147483648n, 2147483647n],
  s64: [-9223372036854775808n, 9223372036854775807n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};

/** Whether `kind` is an integer type. */
export function isIntegerKind(kind: string): kind is IntegerKind {
  return kind in INTEGER_RANGES;
}

/** The Rust type Marine deserialises an integer type into (what its errors name). */
export function rustIntegerName(kind: IntegerKind): string {
  return kind.startsWith('s') ? `i${kind.slice(1)}` : kind;
}

/** A value that is not an integer of the expected type: our wording and Marine's. */
export interface IntegerRefusal {
  /** Ours: "expected u8 in 0..255" (with a note past 2^53); the caller adds where and what was found. */
  readonly expected: string;
  /** Marine's (serde's) text for the same input; absent where Marine would take the JSON text as is. */
  readonly marine?: string;
}

/** How serde names a JSON value's kind in "invalid type: …" (Marine's argument errors). */
function serdeKind(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  if (typeof value === 'number') return `floating point \`${value}\``;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return 'sequence';
  return 'map';
}

/**
 * The exact integer a value stands for as a `kind`, or why it does not. Accepted: an integer
 * number within 2^53, a bigint, and for 64-bit types a decimal string (JSON cannot carry them).
 */
export function toInteger(
  value: unknown,
  kind: IntegerKind,
  aquaName: string = kind,
): bigint | IntegerRefusal {
  const [min, max] = INTEGER_RANGES[kind];
  const rust = rustIntegerName(kind);
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isInteger(value)) {
    if (!Number.isSafeInteger(value))
      return {
        // Marine reads the JSON text itself, where such a number can be exact; here it is a double.
        expected: `${aquaName} (this number is beyond 2^53 and not exact: pass it as a string or bigint)`,
      };
    big = BigInt(value);
  } else if (
    typeof value === 'string' &&
    /^-?\d+$/.test(value) &&
    (kind === 'u64' || kind === 's64' || kind === 'i64')
  )
    big = BigInt(value);
  else return { expected: aquaName, marine: `invalid type: ${serdeKind(value)}, expected ${rust}` };
  if (big < min || big > max)
    return {
      expected: `${aquaName} in ${min}..${max}`,
      marine: `invalid value: integer \`${big}\`, expected ${rust}`,
    };
  return big;
}

/** A refusal as one message: `<where>: expected …, found … (Marine: …)`. */
export function integerRefusalText(where: string, refusal: IntegerRefusal, value: unknown): string {
  const marine = refusal.marine === undefined ? '' : ` (Marine: ${refusal.marine})`;
  return `${where}: expected ${refusal.expected}, found ${show(value)}${marine}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return String(value);
  try {
    const text = stringifyJson(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return typeof value;
  }
}

/** Marine's name of an IT type in adapter errors (`U8`, `I32`, `S64`…). */
function itTypeName(kind: string): string {
  return kind.toUpperCase();
}

/**
 * An IT adapter's numeric instruction (`u8.from_i32`, `i32.from_u32`…) as Marine runs it: the
 * value must fit the target type, else the instruction fails with Marine's text
 * ("`u8.from_i32` failed to cast `I32` to `U8`"), where a cast would keep the low bits.
 */
export function convertItInteger(
  value: bigint,
  from: string,
  to: IntegerKind,
): { ok: true; value: bigint } | { ok: false; message: string } {
  const [min, max] = INTEGER_RANGES[to];
  if (value >= min && value <= max) return { ok: true, value };
  return {
    ok: false,
    message: `\`${to}.from_${from}\` failed to cast \`${itTypeName(from)}\` to \`${itTypeName(to)}\` (value ${value} is outside ${min}..${max})`,
  };
}
