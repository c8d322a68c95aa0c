// Blueprints `{name, dependencies}` as Nox stores them, resolved against a local module store: a
// directory of module files found by their CID (`<name>.wasm` or `<cid>.wasm`, with an optional
// `<file>.config.json` giving the module's name and grants in Nox's ModuleConfig shape).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { blueprintId, isCid, moduleCid } from './cid.js';
import {
  FindingCollector,
  mappedAliasProblem,
  mappedHostProblem,
  mountedBinaryProblem,
  showValue,
  type ConfigCheck,
} from './config-toml.js';
import type { ModuleConfig, ServiceConfig } from './types.js';

/** One module file of a store, indexed by its CID. */
export interface StoredModule {
  /** CIDv1 of the file's bytes. */
  readonly cid: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** Module name: from the sidecar config, else the file's base name when that is not a CID. */
  readonly name?: string;
  /** Grants from the sidecar config (Nox ModuleConfig fields). */
  readonly sidecar?: Readonly<Record<string, unknown>>;
  /** The sidecar's path, when present. */
  readonly sidecarPath?: string;
}

/** A directory of modules addressed by CID. */
export class ModuleStore {
  private readonly byCid = new Map<string, StoredModule>();
  private constructor(readonly dir: string) {}

  /** Indexes every `.wasm` in `dir` by the CID of its bytes. */
  static open(dir: string): ModuleStore {
    const store = new ModuleStore(resolve(dir));
    let entries: string[];
    try {
      entries = readdirSync(store.dir);
    } catch (error) {
      throw new ConfigError(
        store.dir,
        '(module store)',
        `cannot read the module directory: ${(error as Error).message}`,
      );
    }
    for (const entry of entries.sort()) {
      if (!entry.endsWith('.wasm')) continue;
      const path = join(store.dir, entry);
      if (!statSync(path).isFile()) continue;
      const cid = moduleCid(readFileSync(path));
      const base = entry.slice(0, -'.wasm'.length);
      const sidecarPath = `${path}.config.json`;
      let sidecar: Record<string, unknown> | undefined;
      if (existsSync(sidecarPath)) {
        try {
          sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as Record<string, unknown>;
        } catch (error) {
          throw new ConfigError(
            sidecarPath,
            '(json)',
            `not valid JSON: ${(error as Error).message}`,
          );
        }
      }
      const sidecarName = typeof sidecar?.name === 'string' ? sidecar.name : undefined;
      const name = sidecarName ?? (isCid(base) ? undefined : base);
      store.byCid.set(cid, {
        cid,
        path,
        ...(name !== undefined ? { name } : {}),
        ...(sidecar !== undefined ? { sidecar: Object.freeze(sidecar), sidecarPath } : {}),
      });
    }
    return store;
  }

  /** The module with this CID, if the store has it. */
  get(cid: string): StoredModule | undefined {
    return this.byCid.get(cid);
  }

  /** Every module of the store. */
  list(): StoredModule[] {
    return [...this.byCid.values()];
  }
}

function dependencyCid(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const link = (value as Record<string, unknown>)['/'];
    if (typeof link === 'string') return link;
  }
  return undefined;
}

function sidecarModule(
  c: FindingCollector,
  stored: StoredModule,
  name: string,
  field: string,
): ModuleConfig {
  const s = stored.sidecar ?? {};
  const strings = (key: string): Record<string, string> => {
    const v = s[key];
    const out: Record<string, string> = {};
    if (v === undefined || v === null) return out;
    if (typeof v !== 'object' || Array.isArray(v)) {
      c.error(
        `${field} (${stored.sidecarPath ?? ''}).${key}`,
        `expected an object of strings, found ${showValue(v)}`,
      );
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') out[k] = x;
      else
        c.error(
          `${field} (${stored.sidecarPath ?? ''}).${key}.${k}`,
          `expected a string, found ${showValue(x)}`,
        );
    }
    return out;
  };
  const dirs = strings('mapped_dirs');
  const base = dirname(stored.path);
  const mappedDirs: Record<string, string> = {};
  for (const [alias, host] of Object.entries(dirs)) {
    const at = `${field} (${stored.sidecarPath ?? ''}).mapped_dirs`;
    const aliasProblem = mappedAliasProblem(alias);
    const hostDir = resolve(base, host);
    const hostProblem = host === '' ? 'is empty' : mappedHostProblem(hostDir);
    if (aliasProblem) c.error(at, `invalid guest alias ${showValue(alias)}: ${aliasProblem}`);
    else if (hostProblem) c.error(`${at}.${alias}`, `host path ${showValue(host)} ${hostProblem}`);
    else mappedDirs[alias] = hostDir;
  }
  const mountedBinaries = strings('mounted_binaries');
  for (const [name, path] of Object.entries(mountedBinaries)) {
    const problem = mountedBinaryProblem(path);
    if (problem)
      c.error(`${field} (${stored.sidecarPath ?? ''}).mounted_binaries.${name}`, problem);
  }
  return Object.freeze({
    name,
    path: stored.path,
    cid: stored.cid,
    loggerEnabled: typeof s.logger_enabled === 'boolean' ? s.logger_enabled : true,
    loggingMask: typeof s.logging_mask === 'number' ? s.logging_mask : 2147483647,
    envs: Object.freeze(strings('envs')),
    mappedDirs: Object.freeze(mappedDirs),
    mountedBinaries: Object.freeze(mountedBinaries),
  });
}

/** Checks a blueprint's JSON text against a module store. */
export function checkBlueprint(text: string, file: string, store: ModuleStore): ConfigCheck {
  const source = resolve(file);
  const c = new FindingCollector(source);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    c.error('(json)', `not valid JSON: ${(error as Error).message}`);
    return { findings: c.findings };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    c.error('(root)', `expected an object {name, dependencies}, found ${showValue(raw)}`);
    return { findings: c.findings };
  }
  const bp = raw as Record<string, unknown>;
  for (const key of Object.keys(bp)) {
    if (key !== 'name' && key !== 'dependencies' && key !== 'id')
      c.error(key, `unknown field (expected name, dependencies); found ${showValue(bp[key])}`);
  }
  const name = bp.name;
  if (typeof name !== 'string' || name === '')
    c.error('name', `expected the blueprint's name (a non-empty string), found ${showValue(name)}`);
  const deps = bp.dependencies;
  const cids: string[] = [];
  const modules: ModuleConfig[] = [];
  if (!Array.isArray(deps)) {
    c.error(
      'dependencies',
      `expected an array of module CIDs with the facade last, found ${showValue(deps)}`,
    );
  } else if (deps.length === 0) {
    c.error(
      'dependencies',
      'expected at least one module CID (the facade is the last one), found an empty list',
    );
  } else {
    const names = new Map<string, number>();
    deps.forEach((dep: unknown, index) => {
      const field = `dependencies[${index}]`;
      const cid = dependencyCid(dep);
      if (cid === undefined || !isCid(cid)) {
        c.error(field, `expected a module CID (a string or {"/": cid}), found ${showValue(dep)}`);
        return;
      }
      cids.push(cid);
      const stored = store.get(cid);
      if (!stored) {
        c.error(field, `no module with CID ${cid} in the module store ${store.dir}`);
        return;
      }
      if (stored.name === undefined) {
        c.error(
          field,
          `module ${basename(stored.path)} (CID ${cid}) has no name: add ${basename(stored.path)}.config.json with {"name": ...}`,
        );
        return;
      }
      const previous = names.get(stored.name);
      if (previous !== undefined)
        c.error(
          field,
          `module name ${showValue(stored.name)} is already used by dependencies[${previous}]`,
        );
      names.set(stored.name, index);
      modules.push(sidecarModule(c, stored, stored.name, field));
    });
  }
  if (typeof bp.id === 'string' && typeof name === 'string' && cids.length > 0) {
    const computed = blueprintId(name, cids);
    if (computed !== bp.id)
      c.error(
        'id',
        `expected ${computed} (CID of the blueprint's DAG-JSON), found ${showValue(bp.id)}`,
      );
  }
  if (c.errors.length > 0 || typeof name !== 'string') return { findings: c.findings };
  const config: ServiceConfig = Object.freeze({
    source,
    format: 'blueprint' as const,
    name,
    blueprintId: blueprintId(name, cids),
    modulesDir: store.dir,
    serviceWorkingDir: dirname(source),
    totalMemoryLimit: Infinity,
    modules: Object.freeze(modules),
    warnings: Object.freeze([]),
  });
  return { config, findings: c.findings };
}

/** Reads a blueprint and resolves its modules in `modulesDir` (default: the blueprint's directory). */
export function loadBlueprint(file: string, modulesDir?: string): ServiceConfig {
  const source = resolve(file);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new ConfigError(
      source,
      '(file)',
      `cannot read the blueprint: ${(error as Error).message}`,
    );
  }
  const check = checkBlueprint(text, source, ModuleStore.open(modulesDir ?? dirname(source)));
  const collector = new FindingCollector(source);
  collector.findings.push(...check.findings);
  collector.throwIfErrors();
  if (!check.config) throw new ConfigError(source, '(file)', 'invalid blueprint');
  return check.config;
}

/** Builds a blueprint object (with its id) for modules in the facade-last order given. */
export function makeBlueprint(
  name: string,
  dependencies: readonly string[],
): { id: string; name: string; dependencies: { '/': string }[] } {
  return {
    id: blueprintId(name, dependencies),
    name,
    dependencies: dependencies.map((cid) => ({ '/': cid })),
  };
}
