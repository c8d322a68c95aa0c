// The interface model `#[marine]` records in the `marine-ts:interface` section (ABI.md §1).

/** A scalar type name as written in interface entries. */
export type ScalarTy =
  'bool' | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64' | 'string';

/** A value type of an interface entry: a scalar, a list, an option or a named record. */
export type Ty =
  ScalarTy | { readonly list: Ty } | { readonly option: Ty } | { readonly record: string };

/** A named parameter or record field. */
export interface NamedTy {
  readonly name: string;
  readonly type: Ty;
}

/** An exported function (`#[marine] pub fn`). */
export interface FunctionEntry {
  readonly kind: 'function';
  readonly name: string;
  readonly params: readonly NamedTy[];
  readonly result: Ty | null;
  /** Name of the core export with the fixed `(args: i32) -> i32` signature. */
  readonly export: string;
}

/** A record (`#[marine] pub struct`). */
export interface RecordEntry {
  readonly kind: 'record';
  readonly name: string;
  readonly fields: readonly NamedTy[];
}

/** A function imported from another module or from the host (`#[marine] extern` blocks). */
export interface ImportEntry {
  readonly kind: 'import';
  readonly module: string;
  readonly name: string;
  readonly link_name: string;
  readonly params: readonly NamedTy[];
  readonly result: Ty | null;
  /** Name of the exported shim `(args: i32, ret: i32)` that is the only caller of the raw import. */
  readonly shim: string;
}

/** Any interface entry. */
export type InterfaceEntry = FunctionEntry | RecordEntry | ImportEntry;

/** The deduplicated interface of one module. */
export interface ModuleInterface {
  readonly functions: readonly FunctionEntry[];
  readonly records: ReadonlyMap<string, RecordEntry>;
  readonly imports: readonly ImportEntry[];
}

const SCALARS: ReadonlySet<string> = new Set([
  'bool',
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'f32',
  'f64',
  'string',
]);

/** Whether a string names a scalar type. */
export function isScalar(value: string): value is ScalarTy {
  return SCALARS.has(value);
}
