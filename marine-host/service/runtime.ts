// The running side of a service, inside its worker thread: instantiates each module's jco
// bindings (instantiation mode, so the host supplies every import) and wires them together.
// Module A's import interface `b` is served by module B's exports, values passing through JS,
// so modules share no memory. WASI comes from the deny-by-default sandbox; the host API and
// mounted binaries from here.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { capMemory, definedMemories, splitMemoryBudget } from '../module/memory-limit.js';
import { jsName } from '../module/module-info.js';
import { withLegacyCallParameterFields } from '../module/sdk-shapes.js';
import type { WitFunction } from '../module/wit.js';
import { closeMarked, useFdLedger } from '../wasi/fd-ledger.js';
import { DiskQuota, type DiskQuotaLimits } from '../wasi/quota.js';
import { createWasi, mappedPreopens, type WasiGrants } from '../wasi/sandbox.js';
import { runBinarySync, type BinaryLink, type BinaryOutcome } from './binaries.js';
import type { ItModel } from '../module/it/model.js';
import { instantiateItModule } from '../module/it/runtime-it.js';
import { METER_IMPORT_MODULE, METER_IMPORT_NAME, meterModule } from '../module/meter.js';
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
  /** A Marine IT module (then `bindings` is the path of its core module): its IT model. */
  readonly it?: ItModel;
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
  /** Disk quota of all the service's mapped dirs together. */
  readonly diskQuota: DiskQuotaLimits;
  /** Largest result in bytes that may leave the worker (see value-size.ts). */
  readonly valueSizeLimit: number;
}

/**
 * How a runtime runs outside a service worker (inline.ts): its guest code metered, so a runaway
 * call can be stopped in the host's own thread, and its open files marked in a ledger of its own.
 */
export interface InlineRuntimeOptions {
  /**
   * Called by the metered guest every so often (module/meter.ts): returns how many more checks
   * the guest may pass before the next call, or throws to stop the guest.
   */
  readonly refuel: () => number;
  /** The fd ledger of this service (fd-ledger.ts). */
  readonly fdLedger: SharedArrayBuffer;
  /** How a guest's sleep blocks: never past the call's limit (WasiGrants.pause). */
  readonly pause: (ms: number) => void;
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

export { MOUNTED_BINARY_KILLED, MOUNTED_BINARY_SPAWN_FAILED } from './binaries.js';

/** The main thread's binary runner, when this runs in a service worker (service.ts passes it). */
const binaryLink = (workerData as { binaries?: BinaryLink } | null)?.binaries;
// Guest fds are marked where the host can close them after the worker is gone (fd-ledger.ts).
useFdLedger((workerData as { fdLedger?: SharedArrayBuffer } | null)?.fdLedger);

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
  /** Functions called so far, by module and WIT name (found once, not on every call). */
  private readonly targets = new Map<string, (...args: unknown[]) => unknown>();
  /** One quota for every mapped dir of the service, measured from disk at instantiation. */
  private quota: DiskQuota | undefined;
  /** Lines the guest wrote to stderr during the current call (to explain traps). */
  readonly callStderr: string[] = [];

  private constructor(
    private readonly spec: RuntimeSpec,
    private readonly log: (record: LogRecord) => void,
    private readonly inline: InlineRuntimeOptions | undefined,
  ) {}

  /**
   * Instantiates every module of the spec; `inline` when it runs in the host's thread (the
   * compiled modules in `compiled` are then metered ones, and must only be reused so).
   */
  static async create(
    spec: RuntimeSpec,
    log: (record: LogRecord) => void,
    compiled: Map<string, WasmModule>,
    inline?: InlineRuntimeOptions,
  ): Promise<ServiceRuntime> {
    // The instance this one replaces (after a trap) is gone: so are the files it held open.
    closeMarked(inline?.fdLedger);
    const runtime = new ServiceRuntime(spec, log, inline);
    await runtime.instantiateAll(compiled);
    return runtime;
  }

  private async instantiateAll(compiled: Map<string, WasmModule>): Promise<void> {
    // total_memory_limit is one budget for the service: every memory any core module of any
    // module defines gets a maximum, and the maxima sum to the budget (splitMemoryBudget), so a
    // memory.grow that would take the service past it fails in the guest, mid-call.
    const caps = new Map<string, number[]>();
    if (this.spec.memoryLimit !== Infinity) {
      const memories: { path: string; min: number }[] = [];
      for (const m of this.spec.modules) {
        if (m.it) {
          for (const min of definedMemories(readFileSync(m.bindings)))
            memories.push({ path: m.bindings, min });
          continue;
        }
        const dir = dirname(m.bindings);
        const base = basename(m.bindings).replace(/\.m?js$/, '');
        for (const file of readdirSync(dir).sort()) {
          if (!file.startsWith(`${base}.core`) || !file.endsWith('.wasm')) continue;
          const path = join(dir, file);
          for (const min of definedMemories(readFileSync(path))) memories.push({ path, min });
        }
      }
      const maxima = splitMemoryBudget(
        Math.floor(this.spec.memoryLimit / PAGE),
        memories.map((m) => m.min),
      );
      memories.forEach(({ path }, i) => {
        caps.set(path, [...(caps.get(path) ?? []), maxima[i] as number]);
      });
    }
    for (const m of this.spec.modules) {
      const dir = dirname(m.bindings);
      const getCoreModule = (file: string): WasmModule => {
        const path = join(dir, file);
        let mod = compiled.get(path);
        if (!mod) {
          const bytes = readFileSync(path);
          const fileCaps = caps.get(path) ?? [];
          // A memory the budget did not count (none expected) may not grow at all.
          const capped =
            this.spec.memoryLimit === Infinity
              ? bytes
              : capMemory(bytes, (min, index) => fileCaps[index] ?? min);
          mod = new Wasm.Module(this.inline ? meterModule(capped) : capped);
          compiled.set(path, mod);
        }
        return mod;
      };
      const meter = this.inline && { [METER_IMPORT_NAME]: this.inline.refuel };
      const instantiateCore = (module: WasmModule, imports: object): WasmInstance => {
        const instance = new Wasm.Instance(
          module,
          meter ? { ...imports, [METER_IMPORT_MODULE]: meter } : imports,
        );
        for (const value of Object.values(instance.exports)) {
          if (value instanceof Wasm.Memory) this.memories.push({ module: m.name, memory: value });
        }
        return instance;
      };
      if (m.it) {
        this.exportsByModule.set(
          m.witName,
          this.instantiateIt(m, m.it, getCoreModule(basename(m.bindings)), instantiateCore),
        );
        continue;
      }
      const { instantiate } = await importBindings(m.bindings);
      const exports = (await instantiate(
        getCoreModule,
        this.importsFor(m),
        instantiateCore,
      )) as Record<string, (...args: unknown[]) => unknown>;
      this.exportsByModule.set(m.witName, exports);
    }
  }

  /** A Marine IT module: core imports wired by module/it, exports shaped like jco's. */
  private instantiateIt(
    m: RuntimeModuleSpec,
    model: ItModel,
    module: WasmModule,
    instantiateCore: (module: WasmModule, imports: object) => WasmInstance,
  ): Record<string, (...args: unknown[]) => unknown> {
    const log = (stream: string, text: string): void => {
      if (stream === 'stderr') this.callStderr.push(text);
      this.log({ module: m.name, stream, text });
    };
    const { exports, drain } = instantiateItModule(
      {
        name: m.name,
        envs: m.envs,
        preopens: mappedPreopens(this.grants(m), log),
        loggerEnabled: m.loggerEnabled,
        loggingMask: m.loggingMask,
        binaries: Object.fromEntries(m.mountedBinaries.map((b) => [b.fn.name, b.path])),
        model,
      },
      {
        callModule: (target, fn, args) => {
          const f = this.exportsByModule.get(target)?.[jsName(fn)];
          if (!f) throw new Error(`module ${m.name}: ${target}.${fn} is not available`);
          return f(...args);
        },
        callParameters: () => this.callParameters,
        log,
        runBinary: (path, args) => this.runBinary(path, args),
        instantiate: (imports) => instantiateCore(module, imports),
      },
    );
    this.drains.push(drain);
    return exports;
  }

  /** What a module's WASI sandbox grants it (both module formats). */
  private grants(m: RuntimeModuleSpec): WasiGrants {
    return {
      envs: m.envs,
      mappedDirs: m.mappedDirs,
      quota: this.serviceQuota(),
      ...(this.inline ? { fdLedger: this.inline.fdLedger, pause: this.inline.pause } : {}),
    };
  }

  /** The quota every mapped dir of the service shares (both module formats). */
  private serviceQuota(): DiskQuota {
    this.quota ??= new DiskQuota(
      this.spec.diskQuota,
      this.spec.modules.flatMap((x) => Object.values(x.mappedDirs)),
    );
    return this.quota;
  }

  private importsFor(m: RuntimeModuleSpec): Record<string, Record<string, unknown>> {
    const wasi = createWasi(this.grants(m), (stream, text) => {
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

  /**
   * Runs a mounted binary without a shell, arguments as given, with a time limit; the host's main
   * thread runs it in its own process group (binaries.ts).
   */
  private runBinary(path: string, args: string[]): BinaryOutcome {
    return runBinarySync(binaryLink, { path, args, timeoutMs: this.spec.binaryTimeoutMs });
  }

  /** Calls a function (WIT name) of a module (config name; default the facade) with jco values; call parameters are JSON-shaped. */
  call(fn: string, args: unknown[], callParameters: unknown, module = this.spec.facade): unknown {
    this.callParameters = callParameters;
    this.callStderr.length = 0;
    // The facade's functions by name alone: no key string is built on a facade call.
    const key = module === this.spec.facade ? fn : `${module}\u0000${fn}`;
    let f = this.targets.get(key);
    if (!f) {
      const target = this.exportsByModule.get(
        this.spec.modules.find((m) => m.name === module)?.witName ?? '',
      );
      f = target?.[jsName(fn)];
      if (!f) throw new Error(`module ${module} has no function ${fn}`);
      this.targets.set(key, f);
    }
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

  /** Bytes of linear memory each module holds now, by module name (for Nox's stat.service_memory). */
  memoryByModule(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.memories)
      out[m.module] = (out[m.module] ?? 0) + m.memory.buffer.byteLength;
    return out;
  }
}
