// Conversion between JSON values (what Aqua, the CLI and `service.call` use: snake_case fields,
// `[]`/`[x]` optionals, numbers or exact bigints) and the values jco's bindings take and return
// (camelCase fields, bigint for 64-bit integers, Uint8Array for list<u8>). Errors name the path
// of the bad value, the type expected and the value found.
import { ArgumentError } from '../errors.js';
import { jsName, snakeName, userName, userRecordName } from '../module/module-info.js';
import { witTypeText, type WitType } from '../module/wit.js';
import { JsonFloat, jsonFloat } from '../../harness/protocol/index.js';
import { stringifyJson, type JsonValue } from './json.js';
import { INTEGER_RANGES, integerRefusalText, toInteger } from '../module/integers.js';

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = stringifyJson(value);
  } catch (error) {
    // A value nested too deeply for the stack (or cyclic) is described, not printed.
    if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
    return Array.isArray(value) ? 'an array nested too deeply to show' : 'an unprintable value';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function mismatch(path: string, type: WitType, value: unknown, extra = ''): never {
  throw new ArgumentError(`${path}: expected ${aquaTypeName(type)}${extra}, found ${show(value)}`);
}

/** How a type is written in Aqua (for messages and interfaces). */
export function aquaTypeName(type: WitType): string {
  switch (type.kind) {
    case 's8':
    case 's16':
    case 's32':
    case 's64':
      return `i${type.kind.slice(1)}`;
    case 'list':
      return `[]${aquaTypeName(type.element)}`;
    case 'option':
      return `?${aquaTypeName(type.inner)}`;
    case 'record':
      return userRecordName(type);
    default:
      return witTypeText(type);
  }
}

function isListLike(type: WitType): boolean {
  return type.kind === 'list' || type.kind === 'option';
}

/** Converts a JSON value to the jco value of `type`; `path` names it in errors; `lenient` ignores undeclared record fields. */
export function fromJson(value: unknown, type: WitType, path: string, lenient = false): unknown {
  switch (type.kind) {
    case 'bool':
      if (typeof value !== 'boolean') mismatch(path, type, value);
      return value;
    case 'u8':
    case 'u16':
    case 'u32':
    case 's8':
    case 's16':
    case 's32':
    case 'u64':
    case 's64': {
      // JSON text `7.0` (a JsonFloat) names the integer 7 here, as it always has.
      if (value instanceof JsonFloat && Number.isInteger(value.value)) value = value.value;
      // One conversion for components and IT modules alike (module/integers.ts); a small
      // integer in range skips the bigint.
      if (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        type.kind !== 'u64' &&
        type.kind !== 's64'
      ) {
        const [min, max] = INTEGER_RANGES[type.kind];
        if (value >= Number(min) && value <= Number(max)) return value;
      }
      const big = toInteger(value, type.kind, aquaTypeName(type));
      if (typeof big !== 'bigint') throw new ArgumentError(integerRefusalText(path, big, value));
      return type.kind === 'u64' || type.kind === 's64' ? big : Number(big);
    }
    case 'f32':
    case 'f64':
      if (typeof value === 'number') return value;
      if (value instanceof JsonFloat) return value.value;
      if (typeof value === 'bigint') return Number(value);
      return mismatch(path, type, value);
    case 'char':
      if (typeof value !== 'string' || [...value].length !== 1)
        mismatch(path, type, value, ' (one character)');
      return value;
    case 'string':
      if (typeof value !== 'string') mismatch(path, type, value);
      return value;
    case 'list': {
      if (type.element.kind === 'u8') {
        if (value instanceof Uint8Array) return value;
        if (!Array.isArray(value)) return mismatch(path, type, value);
        const bytes = new Uint8Array(value.length);
        value.forEach((b: unknown, i) => {
          // The common case without a bigint per byte (data blobs are megabytes of these).
          if (typeof b === 'number' && b >= 0 && b <= 255 && Number.isInteger(b)) {
            bytes[i] = b;
            return;
          }
          const byte = toInteger(b, 'u8');
          if (typeof byte !== 'bigint')
            throw new ArgumentError(integerRefusalText(`${path}[${i}]`, byte, b));
          bytes[i] = Number(byte);
        });
        return bytes;
      }
      if (!Array.isArray(value)) return mismatch(path, type, value);
      return value.map((v, i) => fromJson(v, type.element, `${path}[${i}]`, lenient));
    }
    case 'option': {
      // Aqua passes `?T` as an array of zero or one element; null is accepted too.
      let inner: unknown;
      let some: boolean;
      if (value === null || value === undefined) some = false;
      else if (Array.isArray(value) && !isListLike(type.inner)) {
        if (value.length > 1) mismatch(path, type, value, ' (an array of at most one element)');
        some = value.length === 1;
        inner = value[0];
      } else {
        some = true;
        inner = value;
      }
      if (!some) return type.inner.kind === 'option' ? { tag: 'none' } : undefined;
      const converted = fromJson(inner, type.inner, path, lenient);
      return type.inner.kind === 'option' ? { tag: 'some', val: converted } : converted;
    }
    case 'record': {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        value instanceof Uint8Array
      )
        return mismatch(path, type, value, ' (an object)');
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const known = new Set<string>();
      for (const field of type.fields) {
        const names = [userName(field), snakeName(field.name), field.name, jsName(field.name)];
        names.forEach((n) => known.add(n));
        const key = names.find((n) => Object.prototype.hasOwnProperty.call(obj, n));
        if (key === undefined) {
          // A missing optional field is simply absent.
          if (field.type.kind === 'option') {
            out[jsName(field.name)] = fromJson(
              null,
              field.type,
              `${path}.${userName(field)}`,
              lenient,
            );
            continue;
          }
          throw new ArgumentError(
            `${path}: field ${userName(field)} of ${aquaTypeName(type)} is missing (expected ${aquaTypeName(field.type)})`,
          );
        }
        out[jsName(field.name)] = fromJson(
          obj[key],
          field.type,
          `${path}.${userName(field)}`,
          lenient,
        );
      }
      // Host-made values (call parameters) may carry fields a module chose not to declare.
      for (const key of lenient ? [] : Object.keys(obj)) {
        if (!known.has(key))
          throw new ArgumentError(
            `${path}: ${aquaTypeName(type)} has no field ${key} (fields: ${type.fields.map((f) => userName(f)).join(', ')})`,
          );
      }
      return out;
    }
    case 'enum':
      if (typeof value !== 'string' || !type.cases.includes(value))
        mismatch(path, type, value, ` (one of ${type.cases.join(', ')})`);
      return value;
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.items.length)
        return mismatch(path, type, value);
      return value.map((v, i) => fromJson(v, type.items[i] as WitType, `${path}[${i}]`, lenient));
    default:
      throw new ArgumentError(
        `${path}: values of type ${witTypeText(type)} cannot be passed from JSON`,
      );
  }
}

/** Converts a jco value of `type` back to JSON (snake_case fields, exact integers, `[]`/`[x]` optionals). */
export function toJson(value: unknown, type: WitType): JsonValue {
  switch (type.kind) {
    case 'f32':
    case 'f64':
      // An f64 stays an f64: 7.0 is a JsonFloat, unequal to the integer 7, as on a Fluence node.
      return jsonFloat(value as number);
    case 'u64':
    case 's64': {
      const big = typeof value === 'bigint' ? value : BigInt(value as number);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'list':
      // jco lifts lists of numbers into typed arrays.
      if (ArrayBuffer.isView(value))
        return Array.from(value as unknown as ArrayLike<number | bigint>, (v) =>
          toJson(v, type.element),
        );
      return (value as unknown[]).map((v) => toJson(v, type.element));
    case 'option': {
      if (type.inner.kind === 'option') {
        const v = value as { tag: string; val?: unknown };
        return v.tag === 'some' ? [toJson(v.val, type.inner)] : [];
      }
      return value === undefined || value === null ? [] : [toJson(value, type.inner)];
    }
    case 'record': {
      const obj = value as Record<string, unknown>;
      const out: { [key: string]: JsonValue } = {};
      for (const field of type.fields)
        out[userName(field)] = toJson(obj[jsName(field.name)], field.type);
      return out;
    }
    case 'tuple':
      return (value as unknown[]).map((v, i) => toJson(v, type.items[i] as WitType));
    case 'result': {
      const v = value as { tag: string; val?: unknown };
      const inner = v.tag === 'ok' ? type.ok : type.err;
      return { [v.tag]: inner ? toJson(v.val, inner) : null };
    }
    case 'variant': {
      const v = value as { tag: string; val?: unknown };
      const c = type.cases.find((x) => x.name === v.tag);
      return { [v.tag]: c?.type ? toJson(v.val, c.type) : null };
    }
    default:
      return value as JsonValue;
  }
}

/** Why Aqua cannot express a type, or undefined when it can. */
export function aquaInexpressible(type: WitType): string | undefined {
  switch (type.kind) {
    case 'list':
      return aquaInexpressible(type.element);
    case 'option':
      return aquaInexpressible(type.inner);
    case 'record':
      for (const f of type.fields) {
        const why = aquaInexpressible(f.type);
        if (why) return why;
      }
      return undefined;
    case 'char':
    case 'tuple':
    case 'result':
    case 'variant':
    case 'enum':
    case 'flags':
    case 'resource':
      return `${witTypeText(type)} (${type.kind}) has no Aqua equivalent`;
    default:
      return undefined;
  }
}
