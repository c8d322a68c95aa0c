// A minimal core Wasm module model: the sections `marine build` edits (types, imports, functions,
// exports, code) are decoded; everything else is kept as raw bytes and written back unchanged.
// Function bodies are opaque byte strings, so no instruction decoder is needed.
import { WasmFormatError } from '../errors.js';
import { ByteReader, ByteWriter, concatBytes } from './bytes.js';

/** Section ids of the Wasm binary format. */
export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

/** A core value type, by its binary encoding. */
export const ValType = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
} as const;

const VALTYPE_BYTES: ReadonlySet<number> = new Set(Object.values(ValType));

/** Export/import kinds. */
export const ExternKind = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

/** A function signature (value types by encoding). */
export interface FuncType {
  params: number[];
  results: number[];
}

/** An import; non-function descriptors are kept as raw bytes. */
export interface Import {
  module: string;
  name: string;
  kind: number;
  /** Type index for function imports. */
  typeIndex: number;
  /** Encoded descriptor for non-function imports. */
  raw: Uint8Array;
}

/** An export. */
export interface Export {
  name: string;
  kind: number;
  index: number;
}

/** A section as it appears in the binary. */
export interface RawSection {
  id: number;
  /** Name of a custom section. */
  name: string | undefined;
  payload: Uint8Array;
}

/** A parsed core module; edit the decoded lists, then `encodeModule`. */
export interface CoreModule {
  sections: RawSection[];
  types: FuncType[];
  imports: Import[];
  /** Type index of each defined function. */
  functions: number[];
  exports: Export[];
  /** Encoded body (locals + instructions + end) of each defined function. */
  code: Uint8Array[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];

/** Whether the bytes start like a core module (not a component). */
export function isCoreModule(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    MAGIC.every((b, i) => bytes[i] === b) &&
    VERSION.every((b, i) => bytes[4 + i] === b)
  );
}

function readValType(r: ByteReader): number {
  const byte = r.u8();
  if (!VALTYPE_BYTES.has(byte))
    r.fail(`a value type (i32/i64/f32/f64/v128/funcref/externref), found 0x${byte.toString(16)}`);
  return byte;
}

function readLimits(r: ByteReader): void {
  const flags = r.u8();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
}

/** Parses a core module; `where` names it in errors. */
export function parseModule(bytes: Uint8Array, where: string): CoreModule {
  if (!isCoreModule(bytes)) {
    throw new WasmFormatError(
      `${where}: expected a core Wasm module (\\0asm version 1), found other bytes`,
    );
  }
  const r = new ByteReader(bytes, where, 8);
  const module: CoreModule = {
    sections: [],
    types: [],
    imports: [],
    functions: [],
    exports: [],
    code: [],
  };
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    const payload = r.take(size);
    const s = new ByteReader(bytes, `${where}: section ${id}`, start, start + size);
    let name: string | undefined;
    switch (id) {
      case SectionId.custom:
        name = s.name();
        break;
      case SectionId.type:
        for (let n = s.u32(); n > 0; n--) {
          const form = s.u8();
          if (form !== 0x60)
            s.fail(
              `a function type (0x60), found 0x${form.toString(16)} (GC types are not supported)`,
            );
          const params = Array.from({ length: s.u32() }, () => readValType(s));
          const results = Array.from({ length: s.u32() }, () => readValType(s));
          module.types.push({ params, results });
        }
        break;
      case SectionId.import:
        for (let n = s.u32(); n > 0; n--) {
          const moduleName = s.name();
          const fieldName = s.name();
          const kind = s.u8();
          const descStart = s.pos;
          let typeIndex = -1;
          switch (kind) {
            case ExternKind.func:
              typeIndex = s.u32();
              break;
            case ExternKind.table:
              s.u8();
              readLimits(s);
              break;
            case ExternKind.memory:
              readLimits(s);
              break;
            case ExternKind.global:
              readValType(s);
              s.u8();
              break;
            case ExternKind.tag:
              s.u8();
              s.u32();
              break;
            default:
              s.fail(`an import kind 0..4, found ${kind}`);
          }
          module.imports.push({
            module: moduleName,
            name: fieldName,
            kind,
            typeIndex,
            raw: bytes.slice(descStart, s.pos),
          });
        }
        break;
      case SectionId.function:
        for (let n = s.u32(); n > 0; n--) module.functions.push(s.u32());
        break;
      case SectionId.export:
        for (let n = s.u32(); n > 0; n--)
          module.exports.push({ name: s.name(), kind: s.u8(), index: s.u32() });
        break;
      case SectionId.code:
        for (let n = s.u32(); n > 0; n--) module.code.push(s.take(s.u32()));
        break;
      default:
        break;
    }
    if (id !== SectionId.custom && id !== SectionId.code && DECODED.has(id) && !s.done) {
      s.fail(`the end of section ${id}, found ${s.end - s.pos} trailing bytes`);
    }
    module.sections.push({ id, name, payload });
  }
  if (module.functions.length !== module.code.length) {
    throw new WasmFormatError(
      `${where}: expected as many code bodies as functions, found ${module.functions.length} functions and ${module.code.length} bodies`,
    );
  }
  return module;
}

const DECODED: ReadonlySet<number> = new Set([
  SectionId.type,
  SectionId.import,
  SectionId.function,
  SectionId.export,
  SectionId.code,
]);

function encodeDecoded(module: CoreModule, id: number): Uint8Array {
  const w = new ByteWriter();
  switch (id) {
    case SectionId.type:
      w.u32(module.types.length);
      for (const t of module.types) {
        w.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
      }
      break;
    case SectionId.import:
      w.u32(module.imports.length);
      for (const i of module.imports) {
        w.name(i.module).name(i.name).byte(i.kind);
        if (i.kind === ExternKind.func) w.u32(i.typeIndex);
        else w.bytes(i.raw);
      }
      break;
    case SectionId.function:
      w.u32(module.functions.length);
      for (const f of module.functions) w.u32(f);
      break;
    case SectionId.export:
      w.u32(module.exports.length);
      for (const e of module.exports) w.name(e.name).byte(e.kind).u32(e.index);
      break;
    case SectionId.code:
      w.u32(module.code.length);
      for (const body of module.code) w.sized(body);
      break;
  }
  return w.finish();
}

/** Encodes a module: decoded sections from their lists, the others as they were. */
export function encodeModule(module: CoreModule): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([...MAGIC, ...VERSION])];
  for (const section of module.sections) {
    const payload = DECODED.has(section.id) ? encodeDecoded(module, section.id) : section.payload;
    parts.push(new ByteWriter().byte(section.id).u32(payload.length).finish(), payload);
  }
  return concatBytes(parts);
}

/** Number of imported functions (defined functions are indexed after them). */
export function importedFunctionCount(module: CoreModule): number {
  return module.imports.filter((i) => i.kind === ExternKind.func).length;
}

/** The type index of a function by its function index. */
export function functionTypeIndex(module: CoreModule, funcIndex: number): number {
  const imported = module.imports.filter((i) => i.kind === ExternKind.func);
  if (funcIndex < imported.length) return (imported[funcIndex] as Import).typeIndex;
  const t = module.functions[funcIndex - imported.length];
  if (t === undefined) throw new WasmFormatError(`function index ${funcIndex} is out of range`);
  return t;
}

/** Returns the index of an equal function type, appending it when there is none. */
export function internType(module: CoreModule, type: FuncType): number {
  const found = module.types.findIndex(
    (t) =>
      t.params.length === type.params.length &&
      t.results.length === type.results.length &&
      t.params.every((p, i) => p === type.params[i]) &&
      t.results.every((p, i) => p === type.results[i]),
  );
  if (found >= 0) return found;
  module.types.push(type);
  return module.types.length - 1;
}

/** Appends a defined function and returns its function index. */
export function addFunction(module: CoreModule, typeIndex: number, body: Uint8Array): number {
  module.functions.push(typeIndex);
  module.code.push(body);
  return importedFunctionCount(module) + module.functions.length - 1;
}

/** Reads the payload (after the name) of every custom section with this name. */
export function customSections(module: CoreModule, name: string): Uint8Array[] {
  return module.sections
    .filter((s) => s.id === SectionId.custom && s.name === name)
    .map((s) => {
      const r = new ByteReader(s.payload, `custom section ${name}`);
      r.name();
      return s.payload.subarray(r.pos);
    });
}

/** Builds a custom section holding `data`. */
export function customSection(name: string, data: Uint8Array): RawSection {
  return { id: SectionId.custom, name, payload: new ByteWriter().name(name).bytes(data).finish() };
}
