// Rewrites a core module built with the SDK so that its exports and imports have the Canonical
// ABI flat signatures its WIT demands (ABI.md §4). Only function bodies we generate ourselves are
// written; existing bodies are replaced whole or left untouched, so indices never move.
import { WasmFormatError } from './errors.js';
import { Layouts, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, type CoreType, type Leaf } from './layout.js';
import { kebabName } from './names.js';
import type { FunctionEntry, ImportEntry, ModuleInterface } from './types.js';
import { ByteReader } from './wasm/bytes.js';
import { BodyBuilder } from './wasm/code.js';
import {
  ExternKind,
  SectionId,
  ValType,
  addFunction,
  encodeModule,
  functionTypeIndex,
  importedFunctionCount,
  internType,
  parseModule,
  type CoreModule,
  type Export,
  type FuncType,
} from './wasm/module.js';
import { INTERFACE_SECTION } from './interface.js';

/** Module name of WASI preview 1 imports, satisfied by the reactor adapter. */
export const WASI_PREVIEW1 = 'wasi_snapshot_preview1';

/** What the rewrite produced. */
export interface RewriteResult {
  /** The rewritten core module. */
  readonly binary: Uint8Array;
  /** Import entries the module really imports (others were dropped by the linker as unused). */
  readonly usedImports: readonly ImportEntry[];
  /** Informational notes (dropped exports, unused imports). */
  readonly notes: readonly string[];
}

const CORE: Record<CoreType, number> = {
  i32: ValType.i32,
  i64: ValType.i64,
  f32: ValType.f32,
  f64: ValType.f64,
};

function sameType(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((p, i) => p === b.results[i])
  );
}

function typeText(t: FuncType): string {
  const name = (b: number): string =>
    Object.entries(ValType).find(([, v]) => v === b)?.[0] ?? `0x${b.toString(16)}`;
  return `(${t.params.map(name).join(', ')}) -> (${t.results.map(name).join(', ')})`;
}

/** Flat signature pieces shared by exports and imports. */
interface FlatPlan {
  /** Leaves of the params tuple, or null when the params travel as one pointer. */
  readonly paramLeaves: readonly Leaf[] | null;
  readonly paramsSize: number;
  readonly paramsAlign: number;
  /** The single flat result's leaf, null when there is no result, 'pointer' when it travels in memory. */
  readonly result: Leaf | null | 'pointer';
}

function plan(
  layouts: Layouts,
  params: FunctionEntry['params'],
  result: FunctionEntry['result'],
): FlatPlan {
  const types = params.map((p) => p.type);
  const tuple = layouts.tuple(types);
  const leaves = layouts.tupleLeaves(types);
  let resultPlan: FlatPlan['result'] = null;
  if (result !== null) {
    const resultLeaves = layouts.leaves(result);
    resultPlan = resultLeaves.length <= MAX_FLAT_RESULTS ? (resultLeaves[0] as Leaf) : 'pointer';
  }
  return {
    paramLeaves: leaves.length <= MAX_FLAT_PARAMS ? leaves : null,
    paramsSize: tuple.size,
    paramsAlign: tuple.align,
    result: resultPlan,
  };
}

const coreOf = (leaf: Leaf): number => {
  switch (leaf.kind) {
    case 'i64':
      return CORE.i64;
    case 'f32':
      return CORE.f32;
    case 'f64':
      return CORE.f64;
    default:
      return CORE.i32;
  }
};

/** The WIT-facing core signature of an export. */
function exportType(p: FlatPlan): FuncType {
  return {
    params: p.paramLeaves === null ? [ValType.i32] : p.paramLeaves.map(coreOf),
    results: p.result === null ? [] : p.result === 'pointer' ? [ValType.i32] : [coreOf(p.result)],
  };
}

/** The WIT-facing core signature of an import (lowered host function). */
function importType(p: FlatPlan): FuncType {
  const params = p.paramLeaves === null ? [ValType.i32] : p.paramLeaves.map(coreOf);
  if (p.result === 'pointer') params.push(ValType.i32);
  return { params, results: p.result === null || p.result === 'pointer' ? [] : [coreOf(p.result)] };
}

function findFunctionExport(module: CoreModule, name: string): Export | undefined {
  return module.exports.find((e) => e.name === name && e.kind === ExternKind.func);
}

function exportBody(
  p: FlatPlan,
  realloc: number | undefined,
  target: number,
  where: string,
): Uint8Array {
  const params = p.paramLeaves === null ? 1 : p.paramLeaves.length;
  const b = new BodyBuilder(params);
  if (p.paramLeaves === null) {
    b.localGet(0);
  } else if (p.paramLeaves.length === 0) {
    b.i32Const(0);
  } else {
    if (realloc === undefined) {
      throw new WasmFormatError(
        `${where}: expected the module to export cabi_realloc (the SDK provides it), found none`,
      );
    }
    const ptr = b.local();
    b.i32Const(0)
      .i32Const(0)
      .i32Const(p.paramsAlign)
      .i32Const(p.paramsSize)
      .call(realloc)
      .localSet(ptr);
    p.paramLeaves.forEach((leaf, i) => b.localGet(ptr).localGet(i).store(leaf.kind, leaf.offset));
    b.localGet(ptr);
  }
  b.call(target);
  if (p.result === null) b.drop();
  else if (p.result !== 'pointer') b.load(p.result.kind, p.result.offset);
  return b.finish();
}

function shimBody(p: FlatPlan, target: number): Uint8Array {
  const b = new BodyBuilder(2); // (args: i32, ret: i32)
  const storesResult = p.result !== null && p.result !== 'pointer';
  if (storesResult) b.localGet(1);
  if (p.paramLeaves === null) b.localGet(0);
  else for (const leaf of p.paramLeaves) b.localGet(0).load(leaf.kind, leaf.offset);
  if (p.result === 'pointer') b.localGet(1);
  b.call(target);
  if (p.result !== null && p.result !== 'pointer') b.store(p.result.kind, p.result.offset);
  return b.finish();
}

/**
 * In a `[[bin]]` crate wasm-ld wraps every export other than `_start` in a "command export" that
 * runs the constructors, calls the real function and runs the destructors. Rust code calls the
 * real function, so a shim must be found behind its wrapper. A wrapper body is only `call` and
 * `local.get` instructions; anything else means the export is the function itself.
 */
export function unwrapCommandExport(module: CoreModule, funcIndex: number): number {
  const imported = importedFunctionCount(module);
  const body = module.code[funcIndex - imported];
  const ownType = module.types[functionTypeIndex(module, funcIndex)];
  if (body === undefined || ownType === undefined) return funcIndex;
  const r = new ByteReader(body, 'export wrapper');
  try {
    if (r.u32() !== 0) return funcIndex;
    const calls: number[] = [];
    for (;;) {
      const op = r.u8();
      if (op === 0x0b) break;
      if (op === 0x10) calls.push(r.u32());
      else if (op === 0x20) r.u32();
      else return funcIndex;
    }
    if (!r.done) return funcIndex;
    const inner = calls.filter((c) => {
      const t = module.types[functionTypeIndex(module, c)];
      // Only a defined function can be the wrapped one: a shim's own body (a call to its raw
      // import with the same two arguments) has the same shape as a wrapper.
      return c !== funcIndex && c >= imported && t !== undefined && sameType(t, ownType);
    });
    return inner.length === 1 ? (inner[0] as number) : funcIndex;
  } catch {
    return funcIndex;
  }
}

const RAW_EXPORT_TYPE: FuncType = { params: [ValType.i32], results: [ValType.i32] };
const RAW_IMPORT_TYPE: FuncType = { params: [ValType.i32, ValType.i32], results: [] };

/** Exports a component keeps from the core module besides the WIT functions. */
const KEPT_EXPORTS: ReadonlySet<string> = new Set(['memory', 'cabi_realloc', '_initialize']);

const NO_PARAMS_NO_RESULTS: FuncType = { params: [], results: [] };
const C_MAIN: FuncType = { params: [ValType.i32, ValType.i32], results: [ValType.i32] };
const MAIN_VOID: FuncType = { params: [], results: [ValType.i32] };

/**
 * Marine runs a module's `_start` (constructors, then the Rust `main`) once when it loads the
 * module, so services set up their logger in `main`. The host of a component calls only
 * `_initialize` (once, before any export), so in a `[[bin]]` crate `_initialize` becomes a new
 * function: the SDK's `_initialize` (the constructors), then the C `main` rustc exports (which
 * runs the Rust `main`), trapping when it returns a failure status as `_start` would exit.
 * `_start` itself is not called: with Debian's wasi-libc it runs `main` without the constructors
 * (they run from `_initialize`), with newer ones it would run the constructors a second time.
 * A crate without `main` (a `cdylib`) keeps the SDK's `_initialize`.
 */
function runMainAtLoad(module: CoreModule, where: string): void {
  const init = findFunctionExport(module, '_initialize');
  const typeOf = (index: number): FuncType | undefined =>
    module.types[functionTypeIndex(module, index)];
  const candidates = [
    { name: 'main', type: C_MAIN, args: 2 },
    { name: '__main_void', type: MAIN_VOID, args: 0 },
  ];
  const main = candidates
    .map((c) => ({ ...c, fn: findFunctionExport(module, c.name) }))
    .find((c) => c.fn !== undefined && typeOf(c.fn.index) !== undefined);
  if (main?.fn === undefined || init === undefined) return;
  const mainType = typeOf(main.fn.index);
  const initType = typeOf(init.index);
  if (mainType === undefined || !sameType(mainType, main.type)) {
    throw new WasmFormatError(
      `${where}: expected ${main.name} to have type ${typeText(main.type)}, found ${mainType ? typeText(mainType) : 'no type'}`,
    );
  }
  if (initType === undefined || !sameType(initType, NO_PARAMS_NO_RESULTS)) {
    throw new WasmFormatError(
      `${where}: expected _initialize to have type ${typeText(NO_PARAMS_NO_RESULTS)}, found ${initType ? typeText(initType) : 'no type'}`,
    );
  }
  const b = new BodyBuilder(0);
  b.call(init.index);
  for (let i = 0; i < main.args; i++) b.i32Const(0);
  b.call(main.fn.index).trapIfNonZero();
  const index = addFunction(module, internType(module, NO_PARAMS_NO_RESULTS), b.finish());
  module.exports = module.exports.filter((e) => e.name !== '_initialize');
  module.exports.push({ name: '_initialize', kind: ExternKind.func, index });
}

/** Rewrites `bytes` (a core module built with the SDK) for the interface `iface`. */
export function rewriteModule(
  bytes: Uint8Array,
  iface: ModuleInterface,
  moduleName: string,
): RewriteResult {
  const where = `module ${moduleName}`;
  const module = parseModule(bytes, where);
  const layouts = new Layouts(iface.records);
  const notes: string[] = [];
  const realloc = findFunctionExport(module, 'cabi_realloc')?.index;
  const newExports: Export[] = [];
  const importedCount = importedFunctionCount(module);

  for (const f of iface.functions) {
    const raw = findFunctionExport(module, f.export);
    if (raw === undefined) {
      throw new WasmFormatError(
        `${where}: expected an export ${f.export} for #[marine] fn ${f.name}, found none (is the crate built with this SDK, and is the fn reachable?)`,
      );
    }
    const rawType = module.types[functionTypeIndex(module, raw.index)];
    if (rawType === undefined || !sameType(rawType, RAW_EXPORT_TYPE)) {
      throw new WasmFormatError(
        `${where}: expected ${f.export} to have type ${typeText(RAW_EXPORT_TYPE)}, found ${rawType ? typeText(rawType) : 'no type'}`,
      );
    }
    const p = plan(layouts, f.params, f.result);
    const body = exportBody(p, realloc, raw.index, `${where}, fn ${f.name}`);
    const index = addFunction(module, internType(module, exportType(p)), body);
    const witName = kebabName(f.name, `${where}, fn ${f.name}`);
    if (KEPT_EXPORTS.has(witName)) {
      throw new WasmFormatError(
        `${where}: fn ${f.name} would be exported as "${witName}", a name the component needs for itself; rename it`,
      );
    }
    newExports.push({ name: witName, kind: ExternKind.func, index });
  }

  const used: ImportEntry[] = [];
  const rewrittenImports = new Map<number, FuncType>();
  const handledImports = new Set<number>();
  for (const entry of iface.imports) {
    const at = `${where}, import ${entry.module}.${entry.name}`;
    const importIndex = module.imports.findIndex(
      (i) => i.kind === ExternKind.func && i.module === entry.module && i.name === entry.link_name,
    );
    const shim = findFunctionExport(module, entry.shim);
    if (importIndex < 0) {
      notes.push(
        `${entry.module}.${entry.link_name} is declared but never called; it is left out of the WIT`,
      );
      continue;
    }
    if (shim === undefined || shim.index < importedCount) {
      throw new WasmFormatError(
        `${at}: expected the shim export ${entry.shim} (a defined function), found none`,
      );
    }
    const shimIndex = unwrapCommandExport(module, shim.index);
    const shimType = module.types[module.functions[shimIndex - importedCount] ?? -1];
    if (shimType === undefined || !sameType(shimType, RAW_IMPORT_TYPE)) {
      throw new WasmFormatError(
        `${at}: expected ${entry.shim} to have type ${typeText(RAW_IMPORT_TYPE)}, found ${shimType ? typeText(shimType) : 'no type'}`,
      );
    }
    const p = plan(layouts, entry.params, entry.result);
    const flat = importType(p);
    const previous = rewrittenImports.get(importIndex);
    if (previous !== undefined) {
      if (!sameType(previous, flat)) {
        throw new WasmFormatError(
          `${at}: imported twice with different signatures (${typeText(previous)} and ${typeText(flat)})`,
        );
      }
    } else {
      const imp = module.imports[importIndex];
      const rawType = imp === undefined ? undefined : module.types[imp.typeIndex];
      if (imp === undefined || rawType === undefined || !sameType(rawType, RAW_IMPORT_TYPE)) {
        throw new WasmFormatError(
          `${at}: expected the raw import to have type ${typeText(RAW_IMPORT_TYPE)}, found ${rawType ? typeText(rawType) : 'no type'}`,
        );
      }
      imp.typeIndex = internType(module, flat);
      imp.module = kebabName(entry.module, `${where}, import module ${entry.module}`);
      imp.name = kebabName(entry.link_name, at);
      rewrittenImports.set(importIndex, flat);
      used.push(entry);
    }
    // The import's function index is its position among function imports.
    const funcIndex = module.imports
      .slice(0, importIndex)
      .filter((i) => i.kind === ExternKind.func).length;
    module.code[shimIndex - importedCount] = shimBody(p, funcIndex);
    handledImports.add(importIndex);
  }

  module.imports.forEach((imp, index) => {
    if (imp.module === WASI_PREVIEW1 || handledImports.has(index)) return;
    throw new WasmFormatError(
      `${where}: imports ${imp.module}.${imp.name}, which no #[marine] extern block declares; only #[marine] imports and WASI preview 1 can be linked`,
    );
  });

  runMainAtLoad(module, where);

  const dropped = module.exports.filter((e) => !KEPT_EXPORTS.has(e.name));
  module.exports = [...module.exports.filter((e) => KEPT_EXPORTS.has(e.name)), ...newExports];
  const droppedUser = dropped.filter(
    (e) =>
      !/^(__marine_|_start$|main$|__heap_base$|__data_end$|__indirect_function_table$)/.test(
        e.name,
      ),
  );
  if (droppedUser.length > 0) {
    notes.push(`exports without #[marine] dropped: ${droppedUser.map((e) => e.name).join(', ')}`);
  }

  // DWARF refers to code offsets that replaced bodies shift; the interface now lives in the WIT.
  module.sections = module.sections.filter(
    (s) =>
      s.id !== SectionId.custom || !(s.name?.startsWith('.debug') || s.name === INTERFACE_SECTION),
  );
  return { binary: encodeModule(module), usedImports: used, notes };
}
