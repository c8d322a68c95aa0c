// Marine's Config.toml: parsed raw with smol-toml, then checked field by field into a frozen
// ServiceConfig. Every finding names the file, the field and the value found, and all of them are
// collected so `marine validate` can report them in one run.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { parseByteSize } from './byte-size.js';
import type {
  DefaultModuleConfig,
  DiskQuotaConfig,
  Finding,
  ModuleConfig,
  ServiceConfig,
} from './types.js';

const I32_MAX = 2147483647;
const TOP_FIELDS = new Set([
  'modules_dir',
  'total_memory_limit',
  'module',
  'default',
  'service_working_dir',
  'disk_quota',
]);
const DISK_QUOTA_FIELDS = new Set(['bytes', 'files']);
const MODULE_FIELDS = new Set([
  'name',
  'load_from',
  'file_name',
  'logger_enabled',
  'logging_mask',
  'wasi',
  'mounted_binaries',
]);
const LEGACY_MODULE_FIELDS = new Set(['mem_pages_count', 'max_heap_size']);
const WASI_FIELDS = new Set(['envs', 'mapped_dirs']);
const LEGACY_WASI_FIELDS = new Set(['preopened_files']);
// A WIT identifier (what a module name becomes) allows letters, digits and separators only.
const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

type Table = Record<string, unknown>;

/** Renders a value found in a config for a message. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}`;
  if (value instanceof Date) return `date ${value.toISOString()}`;
  if (Array.isArray(value)) return `an array ${truncate(safeStringify(value))}`;
  if (typeof value === 'object' && value !== null)
    return `a table ${truncate(safeStringify(value))}`;
  return String(value);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, bigintReplacer);
  } catch {
    // Too deep for the stack (the nesting check reports such files first): say so instead.
    return '(nested too deeply to show)';
  }
}

/** Deepest nesting a Config.toml may have; Marine's own use at most four levels. */
const MAX_TOML_DEPTH = 32;

/** How deeply tables and arrays nest in a parsed TOML value, counted without recursion. */
function nestingDepth(root: unknown, stopAt: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (depth > deepest) deepest = depth;
    if (deepest > stopAt) return deepest;
    if (typeof value === 'object' && value !== null && !(value instanceof Date))
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function bigintReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/** Collects findings for one file while checking its fields. */
export class FindingCollector {
  readonly findings: Finding[] = [];
  constructor(readonly file: string) {}
  error(field: string, message: string): void {
    this.findings.push({ file: this.file, field, message, severity: 'error' });
  }
  warn(field: string, message: string): void {
    this.findings.push({ file: this.file, field, message, severity: 'warning' });
  }
  get errors(): Finding[] {
    return this.findings.filter((f) => f.severity === 'error');
  }
  /** Throws the first error as a ConfigError (mentioning how many more there are). */
  throwIfErrors(): void {
    const errors = this.errors;
    const first = errors[0];
    if (!first) return;
    const more =
      errors.length > 1
        ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}; run \`marine validate\` to see all)`
        : '';
    throw new ConfigError(first.file, first.field, first.message + more);
  }
}

function checkUnknown(
  c: FindingCollector,
  table: Table,
  known: Set<string>,
  legacy: Set<string>,
  prefix: string,
): void {
  for (const key of Object.keys(table)) {
    if (known.has(key)) continue;
    const field = prefix ? `${prefix}.${key}` : key;
    if (legacy.has(key))
      c.warn(field, `removed from Marine and ignored (found ${showValue(table[key])})`);
    else
      c.error(
        field,
        `unknown field (expected one of ${[...known].join(', ')}); found ${showValue(table[key])}`,
      );
  }
}

function stringMap(
  c: FindingCollector,
  value: unknown,
  field: string,
  what: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  if (!isTable(value)) {
    c.error(field, `expected a table of ${what}, found ${showValue(value)}`);
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      c.error(`${field}.${key}`, `expected a string, found ${showValue(v)}`);
    else out[key] = v;
  }
  return out;
}

interface ModuleFields {
  loggerEnabled: boolean;
  loggingMask: number;
  envs: Record<string, string>;
  mappedDirs: Record<string, string>;
  mountedBinaries: Record<string, string>;
}

/** Checks the per-module fields shared by `[[module]]` and `[default]`. */
function moduleFields(
  c: FindingCollector,
  table: Table,
  prefix: string,
  workDir: string,
): ModuleFields {
  const loggerEnabled = table.logger_enabled ?? true;
  if (typeof loggerEnabled !== 'boolean')
    c.error(
      `${prefix}.logger_enabled`,
      `expected true or false, found ${showValue(loggerEnabled)}`,
    );
  let loggingMask = I32_MAX;
  const mask = table.logging_mask;
  if (mask !== undefined) {
    const n = typeof mask === 'bigint' ? Number(mask) : mask;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > I32_MAX) {
      c.error(
        `${prefix}.logging_mask`,
        `expected a 32-bit signed integer, found ${showValue(mask)}`,
      );
    } else loggingMask = n;
  }
  let envs: Record<string, string> = {};
  const mappedDirs: Record<string, string> = {};
  const wasi = table.wasi;
  if (wasi !== undefined) {
    if (!isTable(wasi))
      c.error(
        `${prefix}.wasi`,
        `expected a table with envs and mapped_dirs, found ${showValue(wasi)}`,
      );
    else {
      checkUnknown(c, wasi, WASI_FIELDS, LEGACY_WASI_FIELDS, `${prefix}.wasi`);
      envs = stringMap(c, wasi.envs, `${prefix}.wasi.envs`, 'environment variables');
      for (const key of Object.keys(envs)) {
        if (key === '' || key.includes('=') || key.includes('\0'))
          c.error(`${prefix}.wasi.envs`, `invalid variable name ${showValue(key)}`);
      }
      const dirs = stringMap(
        c,
        wasi.mapped_dirs,
        `${prefix}.wasi.mapped_dirs`,
        'guest alias = host path',
      );
      for (const [alias, host] of Object.entries(dirs)) {
        const aliasProblem = mappedAliasProblem(alias);
        if (aliasProblem)
          c.error(
            `${prefix}.wasi.mapped_dirs`,
            `invalid guest alias ${showValue(alias)}: ${aliasProblem}`,
          );
        else if (host === '' || host.includes('\0'))
          c.error(`${prefix}.wasi.mapped_dirs.${alias}`, `invalid host path ${showValue(host)}`);
        else {
          const hostDir = isAbsolute(host) ? resolve(host) : resolve(workDir, host);
          const hostProblem = mappedHostProblem(hostDir);
          if (hostProblem)
            c.error(
              `${prefix}.wasi.mapped_dirs.${alias}`,
              `host path ${showValue(host)} ${hostProblem}`,
            );
          else mappedDirs[alias] = hostDir;
        }
      }
    }
  }
  const mountedBinaries = stringMap(
    c,
    table.mounted_binaries,
    `${prefix}.mounted_binaries`,
    'import name = host executable',
  );
  for (const [name, path] of Object.entries(mountedBinaries)) {
    const problem = mountedBinaryProblem(path);
    if (problem) c.error(`${prefix}.mounted_binaries.${name}`, problem);
  }
  return {
    loggerEnabled: typeof loggerEnabled === 'boolean' ? loggerEnabled : true,
    loggingMask,
    envs,
    mappedDirs,
    mountedBinaries,
  };
}

/**
 * What is wrong with a mapped-dir guest alias, if anything. An alias names one directory of the
 * guest's view: `/`, `.`, an empty alias or one with `.`/`..` components would stand for the
 * guest's whole tree or climb out of it, so they are refused rather than guessed at.
 */
export function mappedAliasProblem(alias: string): string | undefined {
  if (alias.includes('\0')) return 'it contains a NUL byte';
  const parts = alias.split('/').filter((p) => p !== '');
  if (parts.length === 0)
    return 'expected a directory name such as "/data" or "sites", not the root or an empty name';
  if (parts.some((p) => p === '.' || p === '..'))
    return 'expected a plain directory name such as "/data" or "sites", without "." or ".." components';
  return undefined;
}

/** What is wrong with a mapped dir's (absolute) host directory, if anything. */
export function mappedHostProblem(hostDir: string): string | undefined {
  if (resolve(hostDir) === resolve('/'))
    return 'maps the whole host filesystem (/); map a directory made for the service';
  return undefined;
}

/** What is wrong with a mounted binary's path, if anything: it must be absolute. */
export function mountedBinaryProblem(path: string): string | undefined {
  if (path === '') return 'expected the absolute path of an executable, found ""';
  if (path.includes('\0')) return `expected the absolute path of an executable, found a NUL byte`;
  if (!isAbsolute(path))
    return `expected the absolute path of an executable (a relative path would depend on the host's working directory or PATH), found ${showValue(path)}`;
  return undefined;
}

/** Default `[disk_quota]` (wasi/quota.ts DEFAULT_DISK_QUOTA says the same). */
const DEFAULT_QUOTA = { bytes: 1024 ** 3, files: 100000 };

/** `[disk_quota] bytes = "1 GiB", files = 100000`: what a service's mapped dirs may hold together. */
function diskQuotaField(c: FindingCollector, value: unknown): DiskQuotaConfig | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) {
    c.error('disk_quota', `expected a table with bytes and files, found ${showValue(value)}`);
    return undefined;
  }
  checkUnknown(c, value, DISK_QUOTA_FIELDS, new Set(), 'disk_quota');
  let bytes = DEFAULT_QUOTA.bytes;
  if (value.bytes !== undefined) {
    const parsed = parseByteSize(value.bytes);
    if (parsed === null || parsed === Infinity)
      c.error(
        'disk_quota.bytes',
        `expected a byte size such as "256 MiB" (Infinity is not allowed), found ${showValue(value.bytes)}`,
      );
    else bytes = parsed;
  }
  let files = DEFAULT_QUOTA.files;
  if (value.files !== undefined) {
    const n = typeof value.files === 'bigint' ? Number(value.files) : value.files;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      c.error(
        'disk_quota.files',
        `expected a whole number of files and directories (0 or more), found ${showValue(value.files)}`,
      );
    else files = n;
  }
  return Object.freeze({ bytes, files });
}

function freezeModule(m: ModuleConfig): ModuleConfig {
  Object.freeze(m.envs);
  Object.freeze(m.mappedDirs);
  Object.freeze(m.mountedBinaries);
  return Object.freeze(m);
}

/** Result of checking a config: the config when there were no errors, and every finding. */
export interface ConfigCheck {
  /** The validated config; absent when any error was found. */
  readonly config?: ServiceConfig;
  /** Errors and warnings, in file order. */
  readonly findings: readonly Finding[];
}

/** Checks the text of a Config.toml (read from `file`) without touching the module files. */
export function checkConfigToml(
  text: string,
  file: string,
  options: { readonly modulesDir?: string } = {},
): ConfigCheck {
  const source = resolve(file);
  const c = new FindingCollector(source);
  let raw: Table;
  try {
    raw = parseToml(text) as Table;
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    c.error('(toml)', `not valid TOML: ${message}`);
    return { findings: c.findings };
  }
  if (nestingDepth(raw, MAX_TOML_DEPTH) > MAX_TOML_DEPTH) {
    c.error(
      '(toml)',
      `tables or arrays nest more than ${MAX_TOML_DEPTH} levels deep (e.g. a long dotted key); a Config.toml needs at most a few`,
    );
    return { findings: c.findings };
  }
  const configDir = dirname(source);
  checkUnknown(c, raw, TOP_FIELDS, new Set(), '');

  let serviceWorkingDir = configDir;
  if (raw.service_working_dir !== undefined) {
    if (typeof raw.service_working_dir !== 'string' || raw.service_working_dir === '') {
      c.error(
        'service_working_dir',
        `expected a directory path, found ${showValue(raw.service_working_dir)}`,
      );
    } else serviceWorkingDir = resolve(configDir, raw.service_working_dir);
  }

  let modulesDir: string | undefined;
  if (raw.modules_dir !== undefined) {
    if (typeof raw.modules_dir !== 'string' || raw.modules_dir === '') {
      c.error('modules_dir', `expected a directory path, found ${showValue(raw.modules_dir)}`);
    } else modulesDir = resolve(configDir, raw.modules_dir);
  }
  // A modules directory given by the caller (marine-rs-sdk-test's `modules_dir` attribute, the
  // `--modules-dir` option) replaces the config's, as Marine's test runtime does.
  if (options.modulesDir !== undefined) modulesDir = resolve(options.modulesDir);

  let totalMemoryLimit = Infinity;
  if (raw.total_memory_limit !== undefined) {
    const bytes = parseByteSize(raw.total_memory_limit);
    if (bytes === null) {
      c.error(
        'total_memory_limit',
        `expected "Infinity" or a byte size such as "10 MiB", found ${showValue(raw.total_memory_limit)}`,
      );
    } else if (bytes < 65536) {
      c.error(
        'total_memory_limit',
        `expected at least one Wasm page (64 KiB), found ${showValue(raw.total_memory_limit)}`,
      );
    } else totalMemoryLimit = bytes;
  }

  const diskQuota = diskQuotaField(c, raw.disk_quota);

  let defaults: DefaultModuleConfig | undefined;
  if (raw.default !== undefined) {
    if (!isTable(raw.default))
      c.error('default', `expected a table, found ${showValue(raw.default)}`);
    else {
      checkUnknown(
        c,
        raw.default,
        new Set(
          [...MODULE_FIELDS].filter((f) => f !== 'name' && f !== 'load_from' && f !== 'file_name'),
        ),
        LEGACY_MODULE_FIELDS,
        'default',
      );
      const f = moduleFields(c, raw.default, 'default', serviceWorkingDir);
      defaults = Object.freeze({
        ...f,
        envs: Object.freeze(f.envs),
        mappedDirs: Object.freeze(f.mappedDirs),
        mountedBinaries: Object.freeze(f.mountedBinaries),
      });
    }
  }

  const modules: ModuleConfig[] = [];
  const rawModules = raw.module;
  if (rawModules === undefined) {
    c.error('module', 'expected at least one [[module]] (the facade is the last one), found none');
  } else if (!Array.isArray(rawModules)) {
    c.error('module', `expected an array of tables ([[module]]), found ${showValue(rawModules)}`);
  } else if (rawModules.length === 0) {
    c.error('module', 'expected at least one [[module]] (the facade is the last one), found none');
  } else {
    const seen = new Map<string, number>();
    rawModules.forEach((entry: unknown, index) => {
      const prefix = `module[${index}]`;
      if (!isTable(entry)) {
        c.error(prefix, `expected a table, found ${showValue(entry)}`);
        return;
      }
      checkUnknown(c, entry, MODULE_FIELDS, LEGACY_MODULE_FIELDS, prefix);
      const name = entry.name;
      if (typeof name !== 'string' || name === '') {
        c.error(
          `${prefix}.name`,
          `expected the module's name (a non-empty string), found ${showValue(name)}`,
        );
        return;
      }
      if (!MODULE_NAME.test(name)) {
        c.error(
          `${prefix}.name`,
          `expected letters, digits, '_' or '-' starting with a letter, found ${showValue(name)}`,
        );
      }
      const previous = seen.get(name);
      if (previous !== undefined) {
        c.error(
          `${prefix}.name`,
          `module ${showValue(name)} is already defined by module[${previous}]; names must be unique`,
        );
      }
      seen.set(name, index);
      let fileName = `${name}.wasm`;
      if (entry.file_name !== undefined) {
        if (typeof entry.file_name !== 'string' || entry.file_name === '') {
          c.error(
            `${prefix}.file_name`,
            `expected a file name, found ${showValue(entry.file_name)}`,
          );
        } else fileName = entry.file_name;
      }
      let path: string | undefined;
      if (entry.load_from !== undefined) {
        if (typeof entry.load_from !== 'string' || entry.load_from === '') {
          c.error(
            `${prefix}.load_from`,
            `expected a file or directory path, found ${showValue(entry.load_from)}`,
          );
        } else {
          const from = resolve(configDir, entry.load_from);
          // A trailing separator or a `.wasm`-less path names a directory that holds file_name.
          path =
            entry.load_from.endsWith('/') || !/\.wasm$/i.test(entry.load_from)
              ? resolve(from, fileName)
              : from;
        }
      } else if (modulesDir !== undefined) {
        path = resolve(modulesDir, fileName);
      } else {
        c.error(
          prefix,
          `module ${showValue(name)} has no load_from and the config has no modules_dir, so its file cannot be found`,
        );
      }
      const f = moduleFields(c, entry, prefix, serviceWorkingDir);
      if (path !== undefined) modules.push(freezeModule({ name, path, ...f }));
    });
  }

  if (c.errors.length > 0) return { findings: c.findings };
  const config: ServiceConfig = Object.freeze({
    source,
    format: 'config-toml' as const,
    name: basename(configDir),
    ...(modulesDir !== undefined ? { modulesDir } : {}),
    serviceWorkingDir,
    totalMemoryLimit,
    ...(diskQuota !== undefined ? { diskQuota } : {}),
    modules: Object.freeze(modules),
    ...(defaults !== undefined ? { defaults } : {}),
    warnings: Object.freeze(
      c.findings.filter((f) => f.severity === 'warning').map((f) => `${f.field}: ${f.message}`),
    ),
  });
  return { config, findings: c.findings };
}

/** Reads and validates a Config.toml; throws a ConfigError naming file, field and value. */
export function loadConfigToml(
  file: string,
  options: { readonly modulesDir?: string } = {},
): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      resolve(file),
      '(file)',
      `cannot read the config: ${(error as Error).message}`,
    );
  }
  const check = checkConfigToml(text, file, options);
  const collector = new FindingCollector(resolve(file));
  collector.findings.push(...check.findings);
  collector.throwIfErrors();
  if (!check.config) throw new ConfigError(resolve(file), '(file)', 'invalid config');
  return check.config;
}
