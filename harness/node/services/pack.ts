// A service's Config.toml turned into what a node stores and CI validates: a blueprint (DAG-JSON
// `{name, dependencies}` of module CIDs, the facade last, with its id) and a module store (each
// module's `.wasm` named by its CID, with a sidecar config carrying the grants of the
// Config.toml). `marine blueprint` writes it; `marine deploy` uploads the same modules and
// blueprint.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  blueprintDagJson,
  blueprintId,
  loadConfigToml,
  moduleCid,
  type ServiceConfig,
} from '../../../marine-host/config/index.js';
import { writeFileAtomic } from './store.js';

/** One module of a packed service. */
export interface PackedModule {
  readonly name: string;
  readonly cid: string;
  /** The module's `.wasm` as the Config.toml names it. */
  readonly source: string;
  /** Its bytes. */
  readonly bytes: Uint8Array;
  /** The sidecar config (marine-host's module store format): the grants of the Config.toml. */
  readonly config: {
    readonly name: string;
    readonly logger_enabled: boolean;
    readonly logging_mask: number;
    readonly envs: Readonly<Record<string, string>>;
    readonly mapped_dirs: Readonly<Record<string, string>>;
    readonly mounted_binaries: Readonly<Record<string, string>>;
  };
}

/** A service ready to store or upload. */
export interface PackedService {
  readonly name: string;
  /** The blueprint id (CID of the DAG-JSON). */
  readonly id: string;
  /** The DAG-JSON `dist.add_blueprint` takes. */
  readonly dagJson: string;
  /** Modules in load order, the facade last. */
  readonly modules: readonly PackedModule[];
  readonly config: ServiceConfig;
}

/** Reads a Config.toml and its modules (a ConfigError lists every problem of the file). */
export function packService(configToml: string, name?: string): PackedService {
  const config = loadConfigToml(resolve(configToml));
  const modules = config.modules.map((m): PackedModule => {
    const bytes = new Uint8Array(readFileSync(m.path));
    return {
      name: m.name,
      cid: moduleCid(bytes),
      source: m.path,
      bytes,
      config: {
        name: m.name,
        logger_enabled: m.loggerEnabled,
        logging_mask: m.loggingMask,
        envs: m.envs,
        mapped_dirs: m.mappedDirs,
        mounted_binaries: m.mountedBinaries,
      },
    };
  });
  const serviceName = name ?? config.name;
  const cids = modules.map((m) => m.cid);
  return {
    name: serviceName,
    id: blueprintId(serviceName, cids),
    dagJson: blueprintDagJson(serviceName, cids),
    modules,
    config,
  };
}

/** What `writeBlueprint` wrote. */
export interface WrittenBlueprint {
  readonly name: string;
  readonly id: string;
  readonly dependencies: readonly string[];
  /** The blueprint file (`blueprint.json`, `{id, name, dependencies}`). */
  readonly blueprint: string;
  /** The module store directory. */
  readonly out: string;
  readonly modules: readonly { name: string; cid: string; file: string }[];
}

/** Writes a service's blueprint and module store into `out`. */
export function writeBlueprint(service: PackedService, out: string): WrittenBlueprint {
  const dir = resolve(out);
  mkdirSync(dir, { recursive: true });
  const modules = service.modules.map((m) => {
    const file = join(dir, `${m.cid}.wasm`);
    copyFileSync(m.source, file);
    writeFileAtomic(`${file}.config.json`, `${JSON.stringify(m.config, null, 2)}\n`);
    return { name: m.name, cid: m.cid, file };
  });
  const blueprint = join(dir, 'blueprint.json');
  const dependencies = service.modules.map((m) => m.cid);
  writeFileAtomic(
    blueprint,
    `${JSON.stringify({ id: service.id, name: service.name, dependencies: dependencies.map((cid) => ({ '/': cid })) }, null, 2)}\n`,
  );
  return { name: service.name, id: service.id, dependencies, blueprint, out: dir, modules };
}
