// What the host knows about a module before running it: its component file, its WIT world
// (from `<name>.wit` beside the component, or printed from the component itself), where its jco
// bindings are, and what it imports: other modules, the host API, mounted binaries, WASI.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModuleConfig } from '../config/types.js';
import { ModuleLoadError } from '../errors.js';
import { parseWit, type WitFunction, type WitWorld } from './wit.js';

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
  /** The jco bindings' entry (`.js`), when present beside the component. */
  readonly bindings?: string;
  /** Exported functions (bare function exports of the world). */
  readonly exports: ReadonlyMap<string, WitFunction>;
  /** Imports by provider. */
  readonly imports: ModuleImports;
}

/** Candidate WIT files of a module: `<dir>/<file>.wit`, `<dir>/<name>.wit`, `<dir>/<name>/<name>.wit`. */
function witCandidates(config: ModuleConfig): string[] {
  const dir = dirname(config.path);
  const base = basename(config.path).replace(/\.wasm$/i, '');
  return [
    join(dir, `${base}.wit`),
    join(dir, `${config.name}.wit`),
    join(dir, config.name, `${config.name}.wit`),
    join(dir, base, `${base}.wit`),
  ];
}

/** Candidate binding entries: `<dir>/<name>/<name>.js` (what `marine build` writes) and variants. */
function bindingCandidates(config: ModuleConfig): string[] {
  const dir = dirname(config.path);
  const base = basename(config.path).replace(/\.wasm$/i, '');
  return [
    join(dir, config.name, `${config.name}.js`),
    join(dir, base, `${base}.js`),
    join(dir, config.name, `${base}.js`),
    join(dir, base, `${config.name}.js`),
  ];
}

/** Reads the module's WIT text: from a `.wit` file beside it, else printed from the component. */
export async function readModuleWit(
  config: ModuleConfig,
): Promise<{ text: string; source: string }> {
  for (const file of witCandidates(config)) {
    if (existsSync(file)) return { text: readFileSync(file, 'utf8'), source: file };
  }
  if (!existsSync(config.path)) {
    throw new ModuleLoadError(
      `module ${JSON.stringify(config.name)}: file ${config.path} does not exist (run \`marine build\` first?)`,
    );
  }
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  try {
    return { text: await componentWit(readFileSync(config.path)), source: config.path };
  } catch (error) {
    throw new ModuleLoadError(
      `module ${JSON.stringify(config.name)}: ${config.path} is not a Wasm component with a WIT world: ${(error as Error).message}`,
    );
  }
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

/** Reads everything the host needs to know about a module without running it. */
export async function inspectModule(config: ModuleConfig): Promise<ModuleInfo> {
  const { text, source } = await readModuleWit(config);
  const world = parseWit(text, source);
  const exports = new Map<string, WitFunction>();
  for (const item of world.exports) {
    if (item.kind === 'function') for (const fn of item.functions) exports.set(fn.name, fn);
  }
  const bindings = bindingCandidates(config).find((f) => existsSync(f));
  return {
    config,
    witName: witName(config.name),
    world,
    witSource: source,
    ...(bindings !== undefined ? { bindings } : {}),
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
