// The running side of a service, inside its worker thread: instantiates each module's jco
// bindings (instantiation mode, so the host supplies every import) and wires them together.
// Module A's import interface `b` is served by module B's exports, values passing through JS,
// so modules share no memory. WASI comes from the deny-by-default sandbox; the host API and
// mounted binaries from here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { capMemory, initialMemoryPages } from '../module/memory-limit.js';
import { jsName } from '../module/module-info.js';
import { withLegacyCallParameterFields } from '../module/sdk-shapes.js';
import type { WitFunction } from '../module/wit.js';
import { createWasi } from '../wasi/sandbox.js';
import { fromJson } from './values.js';

/** What the worker needs to instantiate one module (plain data: it crosses the thread boundary). */
export interface RuntimeModuleSpec {
  /** Config name. */
  readonly name: string;
  /** Kebab-case name other modules import. */
  readonly witName: string;
  /** Path of the jco bindings entry. */
  readonly bindings: string;
  /** Modules this one imports: WIT name → function names. */
  readonly moduleImports: readonly (readonly [string, readonly string[]])[];
  /** Host API functions it imports. */
  readonly hostApi: readonly WitFunction[];
  /** Mounted binaries it imports, with the granted executable. */
  readonly mountedBinaries: readonly { readonly fn: WitFunction; readonly path: string }[];
  /** Granted env vars. */
  readonly envs: Readonly<Record<string, string>>;
  /** Granted mapped dirs (guest alias → host dir). */
  readonly mappedDirs: Readonly<Record<string, string>>;
  /** `logger_enabled`. */
  readonly loggerEnabled: boolean;
  /** `logging_mask`. */
  readonly loggingMask: number;
}

/** What the worker needs to instantiate a service. */
export interface RuntimeSpec {
  /** Modules in instantiation order (dependencies first); the facade is `facade`. */
  readonly modules: readonly RuntimeModuleSpec[];
  /** Config name of the facade. */
  readonly facade: string;
  /** `total_memory_limit` in bytes (Infinity: none). */
  readonly memoryLimit: number;
  /** Time limit for one mounted binary run, ms. */
  readonly binaryTimeoutMs: number;
}

/** A log line from a module: guest stdout/stderr or the logger host API. */
export interface LogRecord {
  /** Module name. */
  readonly module: string;
  /** `stdout`, `stderr`, or a log level name. */
  readonly stream: string;
  /** The text. */
  readonly text: string;
}

// This project's lib settings carry no WebAssembly types; the little used here is declared locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
/** A compiled core module (opaque here). */
type WasmModule = object;
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
  Memory: abstract new (...args: never[]) => WasmMemory;
  RuntimeError: abstract new (...args: never[]) => Error;
}
/** The global WebAssembly object, typed with what the host uses. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'];
const PAGE = 65536;

/** Host error codes of mounted binaries, as Marine uses them. */
export const MOUNTED_BINARY_KILLED = 100000;
/** The binary could not be started. */
export const MOUNTED_BINARY_SPAWN_FAILED = 100001;

async function importBindings(
  path: string,
): Promise<{ instantiate: (...a: unknown[]) => unknown }> {
  try {
    return (await import(pathToFileURL(path).href)) as {
      instantiate: (...a: unknown[]) => unknown;
    };
  } catch (error) {
    // Outside an ESM package a `.js` file is CommonJS: import a `.mjs` copy instead.
    if (!(error instanceof SyntaxError) || path.endsWith('.mjs')) throw error;
    const dir = join(
      tmpdir(),
      'marine-ts-bindings',
      createHash('sha256').update(path).digest('hex').slice(0, 16),
    );
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, `${basename(path, '.js')}.mjs`);
    copyFileSync(path, copy);
    return (await import(pathToFileURL(copy).href)) as {
      instantiate: (...a: unknown[]) => unknown;
    };
  }
}

/** One instantiated service inside a worker. */
export class ServiceRuntime {
  private callParameters: unknown = {};
  private readonly memories: { module: string; memory: WasmMemory }[] = [];
  private readonly drains: (() => void)[] = [];
  private exportsByModule = new Map<string, Record<string, (...args: unknown[]) => unknown>>();
  /** Lines the guest wrote to stderr during the current call (to explain traps). */
  readonly callStderr: string[] = [];

  private constructor(
    private readonly spec: RuntimeSpec,
    private readonly log: (record: LogRecord) => void,
  ) {}

  /** Instantiates every module of the spec. */
  static async create(
    spec: RuntimeSpec,
    log: (record: LogRecord) => void,
    compiled: Map<string, WasmModule>,
  ): Promise<ServiceRuntime> {
    const runtime = new ServiceRuntime(spec, log);
    await runtime.instantiateAll(compiled);
    return runtime;
  }

  private async instantiateAll(compiled: Map<string, WasmModule>): Promise<void> {
    // Each memory may grow to the total limit minus what the other memories start with.
    const initialPages = new Map<string, number>();
    for (const m of this.spec.modules) {
      const dir = dirname(m.bindings);
      const base = basename(m.bindings).replace(/\.m?js$/, '');
      const core = join(dir, `${base}.core.wasm`);
      initialPages.set(m.name, existsSync(core) ? initialMemoryPages(readFileSync(core)) : 0);
    }
    const totalInitial = [...initialPages.values()].reduce((a, b) => a + b, 0);
    for (const m of this.spec.modules) {
      const dir = dirname(m.bindings);
      const maxPages =
        this.spec.memoryLimit === Infinity
          ? Infinity
          : Math.floor(this.spec.memoryLimit / PAGE) -
            (totalInitial - (initialPages.get(m.name) ?? 0));
      const getCoreModule = (file: string): WasmModule => {
        const path = join(dir, file);
        const key = `${path}#${maxPages}`;
        let mod = compiled.get(key);
        if (!mod) {
          const bytes = readFileSync(path);
          mod = new Wasm.Module(
            maxPages === Infinity
              ? bytes
              : capMemory(bytes, Math.max(1, Math.min(maxPages, 65536))),
          );
          compiled.set(key, mod);
        }
        return mod;
      };
      const instantiateCore = (module: WasmModule, imports: object): WasmInstance => {
        const instance = new Wasm.Instance(module, imports);
        for (const value of Object.values(instance.exports)) {
          if (value instanceof Wasm.Memory) this.memories.push({ module: m.name, memory: value });
        }
        return instance;
      };
      const { instantiate } = await importBindings(m.bindings);
      const exports = (await instantiate(
        getCoreModule,
        this.importsFor(m),
        instantiateCore,
      )) as Record<string, (...args: unknown[]) => unknown>;
      this.exportsByModule.set(m.witName, exports);
    }
  }

  private importsFor(m: RuntimeModuleSpec): Record<string, Record<string, unknown>> {
    const wasi = createWasi({ envs: m.envs, mappedDirs: m.mappedDirs }, (stream, text) => {
      if (stream === 'stderr') this.callStderr.push(text);
      this.log({ module: m.name, stream, text });
    });
    this.drains.push(wasi.drain);
    const imports: Record<string, Record<string, unknown>> = { ...wasi.imports };
    for (const [target, fns] of m.moduleImports) {
      const iface: Record<string, unknown> = {};
      for (const fn of fns) {
        const js = jsName(fn);
        // Looked up at call time: the provider was instantiated before this module.
        iface[js] = (...args: unknown[]) => {
          const provider = this.exportsByModule.get(target);
          const f = provider?.[js];
          if (!f) throw new Error(`module ${m.name}: ${target}.${fn} is not available`);
          return f(...args);
        };
      }
      imports[target] = iface;
    }
    const hostApi: Record<string, unknown> = {};
    for (const fn of m.hostApi) {
      if (fn.name === 'get-call-parameters' && fn.result) {
        const type = fn.result;
        hostApi[jsName(fn.name)] = () =>
          fromJson(
            withLegacyCallParameterFields(this.callParameters),
            type,
            'call parameters',
            true,
          );
      } else if (fn.name === 'log-utf8-string') {
        hostApi[jsName(fn.name)] = (level: number, target: number, msg: string) => {
          if (!m.loggerEnabled) return;
          if (target !== 0 && (target & m.loggingMask) === 0) return;
          this.log({ module: m.name, stream: LEVELS[level] ?? `level ${level}`, text: msg });
        };
      }
    }
    imports['marine-host-api'] = hostApi;
    const host: Record<string, unknown> = {};
    for (const { fn, path } of m.mountedBinaries) {
      const type = fn.result;
      host[jsName(fn.name)] = (args: string[]) =>
        fromJson(
          this.runBinary(path, args),
          type ?? { kind: 'string' },
          `result of mounted binary ${fn.name}`,
          true,
        );
    }
    imports.host = host;
    return imports;
  }

  /** Runs a mounted binary without a shell, arguments as given, with a time limit. */
  private runBinary(path: string, args: string[]): Record<string, unknown> {
    try {
      const stdout = execFileSync(path, args, {
        input: '',
        timeout: this.spec.binaryTimeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {},
      });
      return { ret_code: 0, error: '', stdout: new Uint8Array(stdout), stderr: new Uint8Array() };
    } catch (error) {
      const e = error as NodeJS.ErrnoException & {
        status?: number | null;
        signal?: string | null;
        stdout?: Buffer;
        stderr?: Buffer;
      };
      const stdout = new Uint8Array(e.stdout ?? []);
      const stderr = new Uint8Array(e.stderr ?? []);
      if (typeof e.status === 'number') return { ret_code: e.status, error: '', stdout, stderr };
      if (e.signal) {
        const why =
          e.code === 'ETIMEDOUT' || e.signal === 'SIGTERM'
            ? ` (time limit ${this.spec.binaryTimeoutMs} ms)`
            : '';
        return {
          ret_code: MOUNTED_BINARY_KILLED,
          error: `${basename(path)} was killed by signal ${e.signal}${why}`,
          stdout,
          stderr,
        };
      }
      return {
        ret_code: MOUNTED_BINARY_SPAWN_FAILED,
        error: `cannot run ${path}: ${e.message}`,
        stdout,
        stderr,
      };
    }
  }

  /** Calls a function (WIT name) of a module (config name; default the facade) with jco values; call parameters are JSON-shaped. */
  call(fn: string, args: unknown[], callParameters: unknown, module = this.spec.facade): unknown {
    this.callParameters = callParameters;
    this.callStderr.length = 0;
    const target = this.exportsByModule.get(
      this.spec.modules.find((m) => m.name === module)?.witName ?? '',
    );
    const f = target?.[jsName(fn)];
    if (!f) throw new Error(`module ${module} has no function ${fn}`);
    try {
      return f(...args);
    } finally {
      for (const drain of this.drains) drain();
    }
  }

  /** Bytes of linear memory the service's modules hold now. */
  memoryBytes(): number {
    return this.memories.reduce((sum, m) => sum + m.memory.buffer.byteLength, 0);
  }
}
