// The node's module and blueprint store, on disk under the data dir as Nox keeps it: modules by
// CID (`modules/<cid>.wasm` with the config the node derived beside it, in the sidecar format
// marine-host's ModuleStore reads, so the directory is itself a module store `marine validate`
// accepts) and blueprints by id (`blueprints/<id>.json`, `{id, name, dependencies}`).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  blueprintDagJson,
  blueprintId,
  isCid,
  moduleCid,
} from '../../../marine-host/config/index.js';
import { inspectModule, type ModuleInfo } from '../../../marine-host/service/index.js';
import { BuiltinArgumentError, ForbiddenEffectorError, NotFoundError } from './errors.js';

/** Mounted binaries the node allows, per module CID: binary import name → host executable. */
export type EffectorAllowlist = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The config a node derives for a stored module (Nox ignores the uploader's, but for its name). */
export interface StoredModuleConfig {
  readonly name: string;
  readonly logger_enabled: boolean;
  readonly logging_mask: number;
  readonly envs: Readonly<Record<string, string>>;
  readonly mapped_dirs: Readonly<Record<string, string>>;
  readonly mounted_binaries: Readonly<Record<string, string>>;
}

/** A module of the store. */
export interface NodeModule {
  readonly cid: string;
  readonly path: string;
  readonly config: StoredModuleConfig;
}

/** A blueprint of the store: the facade is the last dependency. */
export interface NodeBlueprint {
  readonly id: string;
  readonly name: string;
  readonly dependencies: readonly string[];
}

const LOGGING_MASK_ALL = 2147483647;

/** A WIT name (kebab-case) as the module's source spells it (snake_case), as config keys use it. */
function snakeName(wit: string): string {
  return wit.replace(/-/g, '_');
}

/** Writes a file so that a crash never leaves half of it (write aside, then rename). */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const aside = `${path}.${randomUUID()}.part`;
  writeFileSync(aside, text);
  renameSync(aside, path);
}

/** The Wasm bytes of a `dist.add_module` argument: base64 text (what Nox reads) or a byte array (aqua-lib's `[]u8`). */
export function moduleBytes(value: unknown, where: string): Uint8Array {
  if (typeof value === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1)
      throw new BuiltinArgumentError(
        `${where}: expected the module's bytes as base64, found text that is not base64 (${value.length} characters)`,
      );
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b < 256))
    return Uint8Array.from(value as number[]);
  throw new BuiltinArgumentError(
    `${where}: expected the module's bytes (a base64 string or an array of bytes), found ${value === null ? 'null' : typeof value}`,
  );
}

/** A module's name as Marine accepts it: it becomes an import namespace of the other modules. */
function checkModuleName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
    throw new BuiltinArgumentError(
      `${where}: expected a module name (letters, digits, _ and -, not starting with a digit), found ${JSON.stringify(name)}`,
    );
  return name;
}

/** Modules and blueprints of one node, kept in memory and on disk. */
export class NodeStore {
  readonly modulesDir: string;
  readonly blueprintsDir: string;
  readonly #modules = new Map<string, NodeModule>();
  readonly #blueprints = new Map<string, NodeBlueprint>();
  readonly #infos = new Map<string, Promise<ModuleInfo>>();

  constructor(
    dataDir: string,
    private readonly effectors: EffectorAllowlist = {},
  ) {
    this.modulesDir = join(dataDir, 'modules');
    this.blueprintsDir = join(dataDir, 'blueprints');
    mkdirSync(this.modulesDir, { recursive: true });
    mkdirSync(this.blueprintsDir, { recursive: true });
    this.#load();
  }

  // Reads back what an earlier run stored; a file that does not parse is skipped, not fatal,
  // so one damaged record cannot keep a node from starting.
  #load(): void {
    for (const entry of readdirSync(this.modulesDir)) {
      const match = /^(.+)\.wasm\.config\.json$/.exec(entry);
      if (!match?.[1] || !isCid(match[1])) continue;
      try {
        const config = JSON.parse(
          readFileSync(join(this.modulesDir, entry), 'utf8'),
        ) as StoredModuleConfig;
        const cid = match[1];
        this.#modules.set(cid, { cid, path: join(this.modulesDir, `${cid}.wasm`), config });
      } catch {
        continue;
      }
    }
    for (const entry of readdirSync(this.blueprintsDir)) {
      if (!entry.endsWith('.json')) continue;
      try {
        const bp = JSON.parse(
          readFileSync(join(this.blueprintsDir, entry), 'utf8'),
        ) as NodeBlueprint;
        this.#blueprints.set(bp.id, bp);
      } catch {
        continue;
      }
    }
  }

  /**
   * Stores a module under its CID with the config the node derives: the uploader's name, the
   * logger when the module imports it, and mounted binaries only from the effector allowlist.
   * A module importing a binary the allowlist does not grant for its CID is refused.
   */
  async addModule(bytes: Uint8Array, name: unknown): Promise<string> {
    const moduleName = checkModuleName(name, 'dist.add_module: config.name');
    const cid = moduleCid(bytes);
    const path = join(this.modulesDir, `${cid}.wasm`);
    const aside = `${path}.${randomUUID()}.part`;
    writeFileSync(aside, bytes);
    let info: ModuleInfo;
    try {
      info = await inspectModule({
        name: moduleName,
        path: aside,
        loggerEnabled: true,
        loggingMask: LOGGING_MASK_ALL,
        envs: {},
        mappedDirs: {},
        mountedBinaries: {},
      });
    } catch (error) {
      rmSync(aside, { force: true });
      throw new BuiltinArgumentError(
        `dist.add_module: module ${JSON.stringify(moduleName)} (CID ${cid}) is not a Wasm component this host can load: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const allowed = this.effectors[cid] ?? {};
    const mounted: Record<string, string> = {};
    const refused: string[] = [];
    for (const fn of info.imports.mountedBinaries) {
      const path = allowed[fn.name] ?? allowed[snakeName(fn.name)];
      if (path === undefined) refused.push(snakeName(fn.name));
      else mounted[snakeName(fn.name)] = path;
    }
    if (refused.length > 0) {
      rmSync(aside, { force: true });
      throw new ForbiddenEffectorError(
        `dist.add_module: module ${JSON.stringify(moduleName)} (CID ${cid}) imports the mounted binar${refused.length === 1 ? 'y' : 'ies'} ${refused.join(', ')}, which this node's effector allowlist does not grant to that CID${Object.keys(allowed).length > 0 ? ` (it grants: ${Object.keys(allowed).join(', ')})` : ''}; the node owner must allow it in the node's config (effectors)`,
      );
    }
    renameSync(aside, path);
    const config: StoredModuleConfig = {
      name: moduleName,
      logger_enabled: info.imports.hostApi.some((fn) => /log/.test(fn.name)),
      logging_mask: LOGGING_MASK_ALL,
      envs: {},
      mapped_dirs: {},
      mounted_binaries: mounted,
    };
    writeFileAtomic(`${path}.config.json`, `${JSON.stringify(config, null, 2)}\n`);
    this.#modules.set(cid, { cid, path, config });
    this.#infos.delete(cid);
    return cid;
  }

  /** The module with this CID, or a NotFoundError naming it. */
  module(cid: string, where: string): NodeModule {
    const found = this.#modules.get(cid);
    if (!found)
      throw new NotFoundError(`${where}: no module with CID ${JSON.stringify(cid)} on this node`);
    return found;
  }

  /** Whether the store has a module with this CID. */
  hasModule(cid: string): boolean {
    return this.#modules.has(cid);
  }

  /** Every stored module. */
  modules(): NodeModule[] {
    return [...this.#modules.values()];
  }

  /** What the host reads from a module's `.wasm` (exports, imports), cached by CID. */
  moduleInfo(cid: string, where: string): Promise<ModuleInfo> {
    const module = this.module(cid, where);
    let info = this.#infos.get(cid);
    if (!info) {
      info = inspectModule({
        name: module.config.name,
        path: module.path,
        loggerEnabled: module.config.logger_enabled,
        loggingMask: module.config.logging_mask,
        envs: {},
        mappedDirs: {},
        mountedBinaries: {},
      });
      this.#infos.set(cid, info);
      info.catch(() => this.#infos.delete(cid));
    }
    return info;
  }

  /**
   * Stores a blueprint given as DAG-JSON `{name, dependencies}` (dependencies as `{"/": cid}`
   * links or plain CIDs, the facade last) once every module is here; returns its id.
   */
  addBlueprint(text: unknown): string {
    const where = 'dist.add_blueprint';
    if (typeof text !== 'string')
      throw new BuiltinArgumentError(
        `${where}: expected the blueprint's DAG-JSON text (as dist.make_blueprint returns it), found ${typeof text}`,
      );
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new BuiltinArgumentError(
        `${where}: expected DAG-JSON {name, dependencies}, found text that is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const bp = raw as { name?: unknown; dependencies?: unknown };
    if (typeof bp !== 'object' || bp === null || typeof bp.name !== 'string' || bp.name === '')
      throw new BuiltinArgumentError(`${where}: expected a non-empty string "name", found ${text}`);
    if (!Array.isArray(bp.dependencies) || bp.dependencies.length === 0)
      throw new BuiltinArgumentError(
        `${where}: expected "dependencies", a non-empty list of module CIDs with the facade last, found ${JSON.stringify(bp.dependencies)}`,
      );
    const deps = bp.dependencies.map((d: unknown, i) => {
      const cid =
        typeof d === 'string'
          ? d
          : typeof d === 'object' && d !== null && typeof (d as { '/': unknown })['/'] === 'string'
            ? (d as { '/': string })['/']
            : undefined;
      if (cid === undefined || !isCid(cid))
        throw new BuiltinArgumentError(
          `${where}: dependencies[${i}]: expected a module CID or {"/": cid}, found ${JSON.stringify(d)}`,
        );
      this.module(cid, `${where}: dependencies[${i}]`);
      return cid;
    });
    const names = deps.map((cid) => this.module(cid, where).config.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined)
      throw new BuiltinArgumentError(
        `${where}: two dependencies are modules named ${JSON.stringify(duplicate)}; module names must be unique in a service`,
      );
    const id = blueprintId(bp.name, deps);
    const blueprint: NodeBlueprint = { id, name: bp.name, dependencies: deps };
    writeFileAtomic(
      join(this.blueprintsDir, `${id}.json`),
      `${JSON.stringify(blueprint, null, 2)}\n`,
    );
    this.#blueprints.set(id, blueprint);
    return id;
  }

  /** The blueprint with this id, or a NotFoundError naming it. */
  blueprint(id: string, where: string): NodeBlueprint {
    const found = this.#blueprints.get(id);
    if (!found)
      throw new NotFoundError(`${where}: no blueprint with id ${JSON.stringify(id)} on this node`);
    return found;
  }

  /** Every stored blueprint. */
  blueprints(): NodeBlueprint[] {
    return [...this.#blueprints.values()];
  }
}

/** The DAG-JSON `dist.make_blueprint` returns (Nox's canonical encoding). */
export function makeBlueprintText(name: unknown, dependencies: unknown): string {
  const where = 'dist.make_blueprint';
  if (typeof name !== 'string' || name === '')
    throw new BuiltinArgumentError(
      `${where}: expected a non-empty name, found ${JSON.stringify(name)}`,
    );
  if (!Array.isArray(dependencies) || dependencies.length === 0)
    throw new BuiltinArgumentError(
      `${where}: expected a non-empty list of module CIDs (the facade last), found ${JSON.stringify(dependencies)}`,
    );
  for (const [i, d] of dependencies.entries())
    if (typeof d !== 'string' || !isCid(d))
      throw new BuiltinArgumentError(
        `${where}: dependencies[${i}]: expected a module CID, found ${JSON.stringify(d)}`,
      );
  return blueprintDagJson(name, dependencies as string[]);
}
