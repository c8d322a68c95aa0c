// The validated, frozen shape of a service's configuration, whether it came from Marine's
// Config.toml or from a blueprint resolved against a module store.

/** One module of a service after validation; paths are absolute. */
export interface ModuleConfig {
  /** Import name; other modules link against it; unique in the service. */
  readonly name: string;
  /** Absolute path of the module's component (`.wasm`). */
  readonly path: string;
  /** `logger_enabled` (default true). */
  readonly loggerEnabled: boolean;
  /** `logging_mask` (default i32::MAX). */
  readonly loggingMask: number;
  /** `[module.wasi] envs`: the only environment variables the module sees. */
  readonly envs: Readonly<Record<string, string>>;
  /** `[module.wasi] mapped_dirs`: guest alias → absolute host directory. */
  readonly mappedDirs: Readonly<Record<string, string>>;
  /** `[module.mounted_binaries]`: import name → host executable. */
  readonly mountedBinaries: Readonly<Record<string, string>>;
  /** CIDv1 of the module bytes, when known (blueprints). */
  readonly cid?: string;
}

/** Per-module fields of a `[default]` section, applied to modules a config does not list. */
export interface DefaultModuleConfig {
  /** `logger_enabled`. */
  readonly loggerEnabled: boolean;
  /** `logging_mask`. */
  readonly loggingMask: number;
  /** `[default.wasi] envs`. */
  readonly envs: Readonly<Record<string, string>>;
  /** `[default.wasi] mapped_dirs`, host paths absolute. */
  readonly mappedDirs: Readonly<Record<string, string>>;
  /** `[default.mounted_binaries]`. */
  readonly mountedBinaries: Readonly<Record<string, string>>;
}

/** `[disk_quota]` of a service: what its mapped dirs may hold together. */
export interface DiskQuotaConfig {
  /** `bytes`: apparent size of all files (sparse files count in full). */
  readonly bytes: number;
  /** `files`: files, directories and links. */
  readonly files: number;
}

/** A whole service: modules in load order, the facade last. */
export interface ServiceConfig {
  /** The file this config was read from (Config.toml or blueprint JSON). */
  readonly source: string;
  /** Where it came from. */
  readonly format: 'config-toml' | 'blueprint';
  /** Blueprint name, or the config file's directory name. */
  readonly name: string;
  /** Blueprint id (CIDv1 over its DAG-JSON), for blueprints. */
  readonly blueprintId?: string;
  /** Absolute `modules_dir`, when given. */
  readonly modulesDir?: string;
  /** Root for relative mapped dirs (`service_working_dir`, default: the config's directory). */
  readonly serviceWorkingDir: string;
  /** `total_memory_limit` in bytes; Infinity when unlimited. */
  readonly totalMemoryLimit: number;
  /** `[disk_quota]`: limits of all mapped dirs together (absent: the host's default, 1 GiB and 100 000 entries). */
  readonly diskQuota?: DiskQuotaConfig;
  /** Modules in load order; the last one is the facade. */
  readonly modules: readonly ModuleConfig[];
  /** `[default]`, when given. */
  readonly defaults?: DefaultModuleConfig;
  /** Non-fatal remarks (ignored legacy fields). */
  readonly warnings: readonly string[];
}

/** One problem found while loading or validating, with where it is. */
export interface Finding {
  /** The file the problem is in. */
  readonly file: string;
  /** Dotted field path, e.g. `module[0].file_name`. */
  readonly field: string;
  /** What was expected and what was found. */
  readonly message: string;
  /** Errors make loading fail; warnings do not. */
  readonly severity: 'error' | 'warning';
}
