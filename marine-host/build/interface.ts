// Reads the `marine-ts:interface` custom section: newline-separated JSON entries, concatenated by
// wasm-ld from every object file, so identical entries repeat and are deduplicated here.
import { InterfaceError } from './errors.js';
import {
  isScalar,
  type FunctionEntry,
  type ImportEntry,
  type InterfaceEntry,
  type ModuleInterface,
  type NamedTy,
  type RecordEntry,
  type Ty,
} from './types.js';

/** Name of the custom section the `#[marine]` macro writes. */
export const INTERFACE_SECTION = 'marine-ts:interface';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTy(value: unknown, where: string): Ty {
  if (typeof value === 'string') {
    if (isScalar(value)) return value;
    throw new InterfaceError(
      `${where}: expected a type, found unknown scalar ${JSON.stringify(value)}`,
    );
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      if ('list' in value) return { list: parseTy(value['list'], where) };
      if ('option' in value) return { option: parseTy(value['option'], where) };
      const record = value['record'];
      if (typeof record === 'string' && record.length > 0) return { record };
    }
  }
  throw new InterfaceError(
    `${where}: expected a type ("u8"…, {"list":T}, {"option":T} or {"record":"Name"}), found ${JSON.stringify(value)}`,
  );
}

function parseString(entry: Record<string, unknown>, key: string, where: string): string {
  const value = entry[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InterfaceError(
      `${where}: expected a non-empty string in "${key}", found ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function parseNamed(value: unknown, key: string, where: string): NamedTy[] {
  if (!Array.isArray(value)) {
    throw new InterfaceError(
      `${where}: expected an array in "${key}", found ${JSON.stringify(value)}`,
    );
  }
  return value.map((item: unknown, index) => {
    const at = `${where}.${key}[${index}]`;
    if (!isObject(item))
      throw new InterfaceError(`${at}: expected {"name","type"}, found ${JSON.stringify(item)}`);
    return { name: parseString(item, 'name', at), type: parseTy(item['type'], at) };
  });
}

function parseResult(entry: Record<string, unknown>, where: string): Ty | null {
  const result = entry['result'];
  return result === null || result === undefined ? null : parseTy(result, `${where}.result`);
}

/** Parses one JSON entry; `where` names the module and line for errors. */
export function parseEntry(json: string, where: string): InterfaceEntry {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InterfaceError(
      `${where}: expected a JSON object, found ${JSON.stringify(json.slice(0, 80))} (${String(error)})`,
    );
  }
  if (!isObject(value))
    throw new InterfaceError(`${where}: expected a JSON object, found ${json.slice(0, 80)}`);
  const kind = value['kind'];
  switch (kind) {
    case 'function': {
      const name = parseString(value, 'name', where);
      const at = `${where} (function ${name})`;
      return {
        kind,
        name,
        params: parseNamed(value['params'], 'params', at),
        result: parseResult(value, at),
        export: parseString(value, 'export', at),
      };
    }
    case 'record': {
      const name = parseString(value, 'name', where);
      return {
        kind,
        name,
        fields: parseNamed(value['fields'], 'fields', `${where} (record ${name})`),
      };
    }
    case 'import': {
      const module = parseString(value, 'module', where);
      const name = parseString(value, 'name', where);
      const at = `${where} (import ${module}.${name})`;
      return {
        kind,
        module,
        name,
        link_name: typeof value['link_name'] === 'string' ? value['link_name'] : name,
        params: parseNamed(value['params'], 'params', at),
        result: parseResult(value, at),
        shim: parseString(value, 'shim', at),
      };
    }
    default:
      throw new InterfaceError(
        `${where}: expected "kind" to be "function", "record" or "import", found ${JSON.stringify(kind)}`,
      );
  }
}

function sameShape(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads every entry of the section contents (possibly several concatenated copies) and deduplicates. */
export function readInterface(section: Uint8Array, moduleName: string): ModuleInterface {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(section);
  const functions = new Map<string, FunctionEntry>();
  const records = new Map<string, RecordEntry>();
  const imports = new Map<string, ImportEntry>();
  // wasm-ld pads nothing between concatenated sections, but be lenient about NULs and blank lines.
  const lines = text.split(/[\n\0]/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0) return;
    const where = `module ${moduleName}: section ${INTERFACE_SECTION}, entry ${index + 1}`;
    const entry = parseEntry(line, where);
    const [map, key] =
      entry.kind === 'function'
        ? [functions as Map<string, InterfaceEntry>, entry.name]
        : entry.kind === 'record'
          ? [records as Map<string, InterfaceEntry>, entry.name]
          : [imports as Map<string, InterfaceEntry>, `${entry.module}\0${entry.name}`];
    const previous = map.get(key);
    if (previous !== undefined && !sameShape(previous, entry)) {
      throw new InterfaceError(
        `module ${moduleName}: two different definitions of ${entry.kind} ${key.replace('\0', '.')}: ${JSON.stringify(previous)} and ${JSON.stringify(entry)}`,
      );
    }
    map.set(key, entry);
  });
  const result: ModuleInterface = {
    functions: [...functions.values()],
    records,
    imports: [...imports.values()],
  };
  checkRecords(result, moduleName);
  return result;
}

function forEachTy(ty: Ty, visit: (record: string) => void): void {
  if (typeof ty === 'string') return;
  if ('list' in ty) forEachTy(ty.list, visit);
  else if ('option' in ty) forEachTy(ty.option, visit);
  else visit(ty.record);
}

/** Every record a type mentions must be defined, with fields, and no record may contain itself (WIT has no recursive types). */
function checkRecords(iface: ModuleInterface, moduleName: string): void {
  const check = (ty: Ty, where: string): void =>
    forEachTy(ty, (name) => {
      if (!iface.records.has(name)) {
        throw new InterfaceError(
          `module ${moduleName}: ${where} uses record ${name}, which has no #[marine] definition in the module (is the struct marked #[marine]?)`,
        );
      }
    });
  for (const f of iface.functions) {
    f.params.forEach((p) => check(p.type, `function ${f.name}, parameter ${p.name}`));
    if (f.result !== null) check(f.result, `function ${f.name}, result`);
  }
  for (const i of iface.imports) {
    i.params.forEach((p) => check(p.type, `import ${i.module}.${i.name}, parameter ${p.name}`));
    if (i.result !== null) check(i.result, `import ${i.module}.${i.name}, result`);
  }
  for (const r of iface.records.values()) {
    if (r.fields.length === 0) {
      throw new InterfaceError(
        `module ${moduleName}: record ${r.name} has no fields; WIT records need at least one`,
      );
    }
    r.fields.forEach((field) => check(field.type, `record ${r.name}, field ${field.name}`));
  }
  // Even through a list, a record reachable from itself cannot be written in WIT.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new InterfaceError(
        `module ${moduleName}: record ${name} contains itself (${[...path, name].join(' → ')}); WIT types cannot be recursive`,
      );
    }
    state.set(name, 'visiting');
    const record = iface.records.get(name);
    for (const field of record?.fields ?? [])
      forEachTy(field.type, (inner) => visit(inner, [...path, name]));
    state.set(name, 'done');
  };
  for (const name of iface.records.keys()) visit(name, []);
}

/** Names of the records a list of types needs, transitively, in dependency order (inner first). */
export function recordsUsedBy(
  types: readonly Ty[],
  records: ReadonlyMap<string, RecordEntry>,
): RecordEntry[] {
  const order: RecordEntry[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const record = records.get(name);
    if (record === undefined) return;
    for (const field of record.fields) forEachTy(field.type, visit);
    order.push(record);
  };
  for (const ty of types) forEachTy(ty, visit);
  return order;
}
