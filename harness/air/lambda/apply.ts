// Lens ("lambda") application with AquaVM's error messages (catchable 10007 / 10010).
import type { Lens, LensAccessor, PathLens } from '../ast/types.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import {
  asU32,
  canonicalJson,
  isJsonNumber,
  isJsonObject,
  type JsonValue,
} from '../../protocol/index.js';

/** Resolves the scalar named in a `.[name]` accessor to its JSON value. */
export type ScalarLookup = (name: string) => JsonValue;

function lambdaError(message: string): CatchableError {
  return new CatchableError(CatchableErrorCode.LambdaApplierError, message);
}

/** The lens as AquaVM prints it in tetraplets and instructions (`.$.a.[0].[i]`, no `!`). */
export function lensText(lens: Lens): string {
  if (lens.kind === 'length') return '.length';
  return '.$' + lens.accessors.map(accessorText).join('');
}

function accessorText(a: LensAccessor): string {
  switch (a.kind) {
    case 'field':
      return `.${a.name}`;
    case 'index':
      return `.[${a.index}]`;
    case 'by_scalar':
      return `.[${a.scalar}]`;
  }
}

/** Resolved form of one accessor: a field name or an array index. */
export type ResolvedAccessor = { readonly field: string } | { readonly index: number };

/** Resolves an accessor (a `.[name]` one through `lookup`). */
export function resolveAccessor(a: LensAccessor, lookup: ScalarLookup): ResolvedAccessor {
  if (a.kind === 'field') return { field: a.name };
  if (a.kind === 'index') return { index: a.index };
  const v = lookup(a.scalar);
  if (typeof v === 'string') return { field: v };
  if (isJsonNumber(v)) {
    // AquaVM takes the number as a u64, then as a u32: floats (even -0.0) and big integers fail.
    const index = asU32(v);
    if (index === undefined)
      throw lambdaError(`index accessor \`${canonicalJson(v)} can't be converted to u32\``);
    return { index };
  }
  throw lambdaError(`scalar accessor \`${canonicalJson(v)}\` should has number or string type`);
}

/** Applies resolved accessors to a value. */
export function applyAccessors(
  value: JsonValue,
  accessors: readonly ResolvedAccessor[],
): JsonValue {
  let v = value;
  for (const a of accessors) {
    if ('field' in a) {
      if (!isJsonObject(v)) {
        throw lambdaError(
          `value '${canonicalJson(v)}' is not an map-type to match field accessor with field_name = '${a.field}'`,
        );
      }
      if (!Object.hasOwn(v, a.field)) {
        throw lambdaError(
          `value '${canonicalJson(v)}' does not contain element with field name = '${a.field}'`,
        );
      }
      v = v[a.field] as JsonValue;
    } else {
      if (!Array.isArray(v)) {
        throw lambdaError(
          `value '${canonicalJson(v)}' is not an array-type to match array accessor with idx = '${a.index}'`,
        );
      }
      if (a.index >= v.length)
        throw lambdaError(
          `value '${canonicalJson(v)}' does not contain element for idx = '${a.index}'`,
        );
      v = v[a.index] as JsonValue;
    }
  }
  return v;
}

/** Applies a path lens to a JSON value. */
export function applyPathLens(value: JsonValue, lens: PathLens, lookup: ScalarLookup): JsonValue {
  return applyAccessors(
    value,
    lens.accessors.map((a) => resolveAccessor(a, lookup)),
  );
}

/** The `.length` functor on a JSON value (arrays only; 10010 otherwise). */
export function lengthOf(value: JsonValue): number {
  if (!Array.isArray(value)) {
    throw new CatchableError(
      CatchableErrorCode.LengthFunctorAppliedToNotArray,
      `the length functor could applied only to an array-like value, but it's applied to '${canonicalJson(value)}'`,
    );
  }
  return value.length;
}
