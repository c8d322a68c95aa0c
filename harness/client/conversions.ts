// Aqua's type schema as the compiler writes it into generated code (aqua-api's `ts`/`js` targets),
// and the conversions between Aqua's JSON shapes and what JS users pass and get: an Aqua option is
// `[]`/`[x]` on the wire and `null`/`x` in JS; structs are objects with every field present.
import { JsonFloat } from '../protocol/index.js';

/** A scalar type of Aqua. */
export interface ScalarType {
  readonly tag: 'scalar';
  readonly name: string;
}
/** `?T`: `null` or a value in JS, `[]` or `[x]` in AIR. */
export interface OptionType {
  readonly tag: 'option';
  readonly type: AquaType;
}
/** `[]T`, `*T`, `%T`… as seen from JS. */
export interface ArrayType {
  readonly tag: 'array' | 'stream' | 'canon';
  readonly type: AquaType;
}
/** A struct (`data` in Aqua) or named arguments. */
export interface LabeledProductType {
  readonly tag: 'labeledProduct' | 'struct';
  readonly name?: string;
  readonly fields: Readonly<Record<string, AquaType>>;
}
/** A tuple: several results or positional arguments. */
export interface UnlabeledProductType {
  readonly tag: 'unlabeledProduct';
  readonly items: readonly AquaType[];
}
/** A function type: a service function or a callback argument. */
export interface ArrowType {
  readonly tag: 'arrow';
  readonly domain: LabeledProductType | UnlabeledProductType | NilType;
  readonly codomain: UnlabeledProductType | NilType;
}
/** Nothing: no arguments or no result. */
export interface NilType {
  readonly tag: 'nil';
}
/** `⊤` (any value) and `⊥` (no value). */
export interface TopBottomType {
  readonly tag: 'topType' | 'bottomType';
}
/** Any type in the compiler's schema. */
export type AquaType =
  | ScalarType
  | OptionType
  | ArrayType
  | LabeledProductType
  | UnlabeledProductType
  | ArrowType
  | NilType
  | TopBottomType;

/** The service names compiled Aqua uses for arguments, callbacks, the result and errors. */
export interface FunctionNames {
  readonly relay: string;
  readonly getDataSrv: string;
  readonly callbackSrv: string;
  readonly responseSrv: string;
  readonly responseFnName: string;
  readonly errorHandlingSrv: string;
  readonly errorFnName: string;
}

/** What generated code passes for an Aqua function (js-client's FunctionCallDef). */
export interface FunctionCallDef {
  readonly functionName: string;
  readonly arrow: ArrowType;
  readonly names: FunctionNames;
}

/** What generated code passes for an Aqua service (js-client's ServiceDef). */
export interface ServiceDef {
  readonly defaultServiceId?: string;
  readonly functions: LabeledProductType | NilType;
}

/** Thrown when a JS value does not fit the Aqua type; says where, what was expected and found. */
export class SchemaValidationError extends Error {
  override readonly name = 'SchemaValidationError';
  constructor(
    readonly path: readonly string[],
    readonly schema: AquaType,
    readonly expected: string,
    provided: unknown,
  ) {
    super(
      `Aqua type mismatch at ${path.join('.') || '(value)'}: expected ${expected}, found ${kindOf(provided)} (type ${JSON.stringify(schema)})`,
    );
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof JsonFloat) return 'number';
  return typeof value;
}

const NUMBER_TYPES = new Set(['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JsonFloat)
  );
}

function checkScalar(value: unknown, schema: ScalarType, path: readonly string[]): unknown {
  if (NUMBER_TYPES.has(schema.name)) {
    if (typeof value === 'number' || typeof value === 'bigint') return value;
    throw new SchemaValidationError(path, schema, 'number', value);
  }
  if (schema.name === 'bool') {
    if (typeof value === 'boolean') return value;
    throw new SchemaValidationError(path, schema, 'boolean', value);
  }
  if (schema.name === 'string') {
    if (typeof value === 'string') return value;
    throw new SchemaValidationError(path, schema, 'string', value);
  }
  throw new SchemaValidationError(path, schema, schema.name, value);
}

// The VM hands exact numbers (bigint beyond 2^53, JsonFloat for an integral f64); JS users get
// plain numbers where that loses nothing.
function toJsNumber(value: unknown): unknown {
  if (value instanceof JsonFloat) return value.value;
  if (typeof value === 'bigint' && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

function fieldsOf(
  value: unknown,
  schema: LabeledProductType,
  path: readonly string[],
  convert: (v: unknown, s: AquaType, p: readonly string[]) => unknown,
): Record<string, unknown> {
  if (!isPlainObject(value)) throw new SchemaValidationError(path, schema, 'object', value);
  return Object.fromEntries(
    Object.entries(schema.fields).map(([key, type]) => [
      key,
      convert(value[key] === undefined ? null : value[key], type, [...path, key]),
    ]),
  );
}

/** Converts a value from AIR (call arguments, results) to what JS code of the Aqua type expects. */
export function aqua2js(value: unknown, schema: AquaType, path: readonly string[] = []): unknown {
  switch (schema.tag) {
    case 'nil':
      return null;
    case 'option':
      if (value === null) return null;
      if (!Array.isArray(value))
        throw new SchemaValidationError(path, schema, 'array or null', value);
      return value.length === 0 ? null : aqua2js(value[0], schema.type, [...path, '?']);
    case 'scalar':
      return toJsNumber(value);
    case 'topType':
    case 'bottomType':
      return value;
    case 'array':
    case 'stream':
    case 'canon':
      if (!Array.isArray(value)) throw new SchemaValidationError(path, schema, 'array', value);
      return value.map((item, i) => aqua2js(item, schema.type, [...path, `[${i}]`]));
    case 'unlabeledProduct':
      if (!Array.isArray(value)) throw new SchemaValidationError(path, schema, 'array', value);
      return schema.items.map((item, i) => aqua2js(value[i], item, [...path, `[${i}]`]));
    case 'labeledProduct':
    case 'struct':
      return fieldsOf(value, schema, path, aqua2js);
    case 'arrow':
      throw new SchemaValidationError(path, schema, 'a value (functions cannot cross)', value);
  }
}

/** Converts a JS value to what AIR expects for the Aqua type; checks it on the way. */
export function js2aqua(value: unknown, schema: AquaType, path: readonly string[] = []): unknown {
  switch (schema.tag) {
    case 'nil':
      if (value !== null && value !== undefined) {
        throw new SchemaValidationError(path, schema, 'null', value);
      }
      return null;
    case 'option':
      return value === null || value === undefined
        ? []
        : [js2aqua(value, schema.type, [...path, '?'])];
    case 'topType':
      return value;
    case 'bottomType':
      throw new SchemaValidationError(path, schema, 'never', value);
    case 'scalar':
      return checkScalar(value, schema, path);
    case 'array':
    case 'stream':
    case 'canon':
      if (!Array.isArray(value)) throw new SchemaValidationError(path, schema, 'array', value);
      return value.map((item, i) => js2aqua(item, schema.type, [...path, `[${i}]`]));
    case 'unlabeledProduct':
      if (!Array.isArray(value)) throw new SchemaValidationError(path, schema, 'array', value);
      return schema.items.map((item, i) => js2aqua(value[i], item, [...path, `[${i}]`]));
    case 'labeledProduct':
    case 'struct':
      return fieldsOf(value, schema, path, js2aqua);
    case 'arrow':
      throw new SchemaValidationError(path, schema, 'a value (pass functions as callbacks)', value);
  }
}

/** The types of an arrow's arguments, in order. */
export function argumentTypes(arrow: ArrowType): readonly AquaType[] {
  if (arrow.domain.tag === 'nil') return [];
  if (arrow.domain.tag === 'unlabeledProduct') return arrow.domain.items;
  return Object.values(arrow.domain.fields);
}

/** Whether an arrow returns nothing. */
export function returnsNothing(arrow: ArrowType): boolean {
  return arrow.codomain.tag === 'nil' || arrow.codomain.items.length === 0;
}

/** The schema of what an arrow returns: its single type, or the tuple of several. */
export function returnType(arrow: ArrowType): AquaType {
  const codomain = arrow.codomain;
  if (codomain.tag === 'unlabeledProduct' && codomain.items.length === 1 && codomain.items[0]) {
    return codomain.items[0];
  }
  return codomain;
}
