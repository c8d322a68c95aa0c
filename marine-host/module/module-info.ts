// What the host knows about a module before running it: its component file, its WIT world and
// the Rust names of its items (both read from the component's own bytes: a `.wit` file or jco
// bindings beside it are outputs for users, never inputs, so the `.wasm` is what runs), and what
// it imports: other modules, the host API, mounted binaries, WASI.
import { existsSync, readFileSync } from 'node:fs';
import type { ModuleConfig } from '../config/types.js';
import { ModuleLoadError } from '../errors.js';
import { readComponentNames, readComponentWitText, type ComponentNames } from './names-section.js';
import { parseWit, type WitField, type WitFunction, type WitType, type WitWorld } from './wit.js';
import { isCoreModule } from '../build/wasm/module.js';
import { itModuleInfo } from './it/info.js';
import type { ItModel } from './it/model.js';

/** The WIT name of a module: its config name in kebab-case (`local_storage` → `local-storage`). */
export function witName(name: string): string {
  return name
    .replace(/_/g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/** jco's JS name for a WIT name: lowerCamelCase (`get-call-parameters` → `getCallParameters`). */
export function jsName(wit: string): string {
  return wit.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The Rust/Aqua name for a WIT name: snake_case (`init-peer-id` → `init_peer_id`). */
export function snakeName(wit: string): string {
  return wit.replace(/-/g, '_');
}

/** The Aqua/Rust type name for a WIT record name: PascalCase (`call-parameters` → `CallParameters`). */
export function pascalName(wit: string): string {
  return wit.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase());
}

/** The JSON/Aqua name of a field, parameter or function: the module's own name (`field_0`), else snake_case of the WIT name. */
export function userName(item: { readonly name: string; readonly userName?: string }): string {
  return item.userName ?? snakeName(item.name);
}

/** The Aqua name of a record: the module's own name (`Result`), else PascalCase of the WIT name. */
export function userRecordName(record: {
  readonly name: string;
  readonly userName?: string;
}): string {
  return record.userName ?? pascalName(record.name);
}

/** The host API namespace of the SDK and the functions it may import from it. */
export const HOST_API = 'marine-host-api';
/** Functions the host API provides. */
export const HOST_API_FUNCTIONS: ReadonlySet<string> = new Set([
  'get-call-parameters',
  'log-utf8-string',
]);
/** Namespace of mounted binaries. */
export const MOUNTED_BINARIES = 'host';

/** How a module's imports split by provider. */
export interface ModuleImports {
  /** Inline interfaces named after other modules: module WIT name → functions. */
  readonly modules: ReadonlyMap<string, readonly WitFunction[]>;
  /** Host API functions the module calls. */
  readonly hostApi: readonly WitFunction[];
  /** Mounted binaries the module calls. */
  readonly mountedBinaries: readonly WitFunction[];
  /** WASI interfaces (`wasi:cli/environment`, no version). */
  readonly wasi: readonly string[];
  /** Other package interfaces nobody provides. */
  readonly other: readonly string[];
}

/** Facade (the service API), effector (declares effects) or pure. */
export type ModuleKind = 'facade' | 'effector' | 'pure';

/** A module ready to be linked: config, world, bindings and imports. */
export interface ModuleInfo {
  /** Its config. */
  readonly config: ModuleConfig;
  /** Kebab-case name other modules import it by. */
  readonly witName: string;
  /** The parsed world. */
  readonly world: WitWorld;
  /** Where the WIT came from. */
  readonly witSource: string;
  /** Exported functions (bare function exports of the world). */
  readonly exports: ReadonlyMap<string, WitFunction>;
  /** Imports by provider. */
  readonly imports: ModuleImports;
  /** For a Marine IT module (a core module with an `interface-types` section): its IT model. */
  readonly it?: ItModel;
}

/**
 * A file's bytes as a view of the buffer read, not a copy: `new Uint8Array(buffer)` copies
 * element by element (260 ms for avm.wasm's 5.9 MB on a loaded machine, most of its inspection).
 */
function readBytes(path: string): Uint8Array {
  const buffer = readFileSync(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** Reads the module's component: its bytes, WIT text and Rust names, all from the `.wasm` itself. */
export async function readModuleWit(
  config: ModuleConfig,
): Promise<{ text: string; source: string; bytes: Uint8Array; names?: ComponentNames }> {
  if (!existsSync(config.path)) {
    throw new ModuleLoadError(
      `module ${JSON.stringify(config.name)}: file ${config.path} does not exist (run \`marine build\` first?)`,
    );
  }
  const bytes = readBytes(config.path);
  const where = `module ${JSON.stringify(config.name)} (${config.path})`;
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  let text: string;
  try {
    // Validates that the file is a component, whatever WIT it carries.
    const printed = await componentWit(bytes);
    text = readComponentWitText(bytes, where) ?? printed;
  } catch (error) {
    throw new ModuleLoadError(
      `module ${JSON.stringify(config.name)}: ${config.path} is not a Wasm component with a WIT world: ${(error as Error).message}`,
    );
  }
  const names = readComponentNames(bytes, where);
  return { text, source: config.path, bytes, ...(names ? { names } : {}) };
}

/** Attaches the Rust names of the component's names section to a world's records, exports and fields. */
export function applyNames(world: WitWorld, names: ComponentNames | undefined): WitWorld {
  if (names === undefined) return world;
  const seen = new Map<WitType, WitType>();
  const type = (t: WitType): WitType => {
    const done = seen.get(t);
    if (done) return done;
    let out: WitType;
    switch (t.kind) {
      case 'list':
        out = { kind: 'list', element: type(t.element) };
        break;
      case 'option':
        out = { kind: 'option', inner: type(t.inner) };
        break;
      case 'record': {
        const entry = names.records[t.name];
        out = {
          kind: 'record',
          name: t.name,
          fields: t.fields.map((f) => field(f, entry?.fields[f.name])),
          ...(entry ? { userName: entry.name } : {}),
        };
        break;
      }
      default:
        out = t;
    }
    seen.set(t, out);
    return out;
  };
  const field = (f: WitField, rust: string | undefined): WitField => ({
    name: f.name,
    type: type(f.type),
    ...(rust !== undefined ? { userName: rust } : {}),
  });
  const fn = (f: WitFunction, exported: boolean): WitFunction => {
    const entry = exported ? names.functions[f.name] : undefined;
    return {
      name: f.name,
      params: f.params.map((p) => field(p, entry?.params[p.name])),
      ...(f.result ? { result: type(f.result) } : {}),
      ...(entry ? { userName: entry.name } : {}),
    };
  };
  const records = new Map<string, WitType & { kind: 'record' }>();
  for (const [key, r] of world.records) records.set(key, type(r) as WitType & { kind: 'record' });
  return {
    ...world,
    imports: world.imports.map((i) => ({ ...i, functions: i.functions.map((f) => fn(f, false)) })),
    exports: world.exports.map((e) => ({
      ...e,
      functions: e.functions.map((f) => fn(f, e.kind === 'function')),
    })),
    records,
  };
}

/** Splits a world's imports by who provides them. */
export function classifyImports(world: WitWorld): ModuleImports {
  const modules = new Map<string, readonly WitFunction[]>();
  const hostApi: WitFunction[] = [];
  const mounted: WitFunction[] = [];
  const wasi: string[] = [];
  const other: string[] = [];
  for (const item of world.imports) {
    if (item.kind === 'package-interface') {
      const name = item.name.replace(/@.*$/, '');
      if (name.startsWith('wasi:')) wasi.push(name);
      else other.push(item.name);
    } else if (item.name === HOST_API) hostApi.push(...item.functions);
    else if (item.name === MOUNTED_BINARIES) mounted.push(...item.functions);
    else if (item.kind === 'function') other.push(item.name);
    else modules.set(item.name, item.functions);
  }
  return { modules, hostApi, mountedBinaries: mounted, wasi, other };
}

/** Reads everything the host needs to know about a module without running it, from its `.wasm` alone. */
export async function inspectModule(config: ModuleConfig): Promise<ModuleInfo> {
  // A core module is a Marine IT module or a plain wasm32-wasi build; components go on below.
  if (existsSync(config.path)) {
    const bytes = readBytes(config.path);
    if (isCoreModule(bytes)) return itModuleInfo(config, bytes);
  }
  const { text, source, names } = await readModuleWit(config);
  const world = applyNames(parseWit(text, source), names);
  const exports = new Map<string, WitFunction>();
  for (const item of world.exports) {
    if (item.kind === 'function') for (const fn of item.functions) exports.set(fn.name, fn);
  }
  return {
    config,
    witName: witName(config.name),
    world,
    witSource: source,
    exports,
    imports: classifyImports(world),
  };
}

/** The module's kind: the last module is the facade; a module with effects is an effector. */
export function moduleKind(info: ModuleInfo, isLast: boolean): ModuleKind {
  if (isLast) return 'facade';
  const effects =
    info.imports.mountedBinaries.length > 0 ||
    Object.keys(info.config.mappedDirs).length > 0 ||
    Object.keys(info.config.mountedBinaries).length > 0;
  return effects ? 'effector' : 'pure';
}
