// A service as the host runs it: validated config → plan (links and effects checked) → a worker
// thread running its modules. Calls are queued and run one at a time, in order; each has a time
// limit. A runaway call is stopped by terminating the worker, which is then started again, so a
// guest can never take the host down. Arguments are converted and tetraplets checked here, on
// the host side, before anything reaches guest code.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { loadServiceConfig } from '../config/index.js';
import type { ServiceConfig } from '../config/types.js';
import { formatByteSize } from '../config/byte-size.js';
import {
  ArgumentError,
  CallTimeoutError,
  EffectNotGrantedError,
  GuestTrapError,
  LinkError,
  MarineHostError,
  MemoryLimitError,
  ModuleExitError,
  NoSuchFunctionError,
  ServiceClosedError,
  ValueSizeLimitError,
} from '../errors.js';
import { componentBindings } from '../module/bindings.js';
import { snakeName, userName, type ModuleInfo } from '../module/module-info.js';
import type { WitFunction } from '../module/wit.js';
import {
  checkPolicyNames,
  checkTetraplets,
  completeCallParameters,
  type CallParameters,
  type CallParametersInput,
  type ServiceIdentity,
  type TetrapletPolicy,
} from '../tetraplets.js';
import { buildInterface, type ServiceInterface } from './interface.js';
import type { JsonValue } from './json.js';
import { checkService, type ServicePlan } from './plan.js';
import type { LogRecord, RuntimeSpec } from './runtime.js';
import { fromJson, toJson } from './values.js';
import { DEFAULT_DISK_QUOTA, type DiskQuotaLimits } from '../wasi/quota.js';
import { DEFAULT_VALUE_SIZE_LIMIT, valueSizeOver } from './value-size.js';
import type { CallReply, WorkerReply, WorkerRequest } from './worker.js';
import { createChannelBuffer, HOST_SPIN_MS, HostChannel, type WaitOutcome } from './channel.js';
import { startWorker } from './start-worker.js';
import { InlineRunner } from './inline.js';
import { GuestStopped } from './call-handler.js';
import { BinaryRunner } from './binaries.js';
import { closeMarked, createFdLedger } from '../wasi/fd-ledger.js';

/**
 * Options of a loaded service. `serviceId`, `owner`, `hostId` and `workerId` are the service's
 * identity: fixed here, given to the facade in every call's parameters and read by the tetraplet
 * policy; a call cannot change them.
 */
export interface ServiceOptions {
  /** Service id given to the facade in call parameters (default: a random UUID). */
  readonly serviceId?: string;
  /** Peer id of the service's creator (its owner; `owner_only` denies every call when absent). */
  readonly owner?: string;
  /** Host peer id (default `"local"`). */
  readonly hostId?: string;
  /** Worker id (default: the host id). */
  readonly workerId?: string;
  /**
   * Largest size in bytes of a call's arguments and of its result (default 32 MiB, AquaVM's
   * call-result limit). Results are measured in the worker, so one over it never reaches the host.
   */
  readonly valueSizeLimit?: number;
  /** Default time limit of one call, ms (default 10 000). */
  readonly callTimeoutMs?: number;
  /**
   * Time limit of an instantiation, ms: the modules' own start code (constructors, `main`) must
   * finish within it, or the load fails (a restart likewise). Default: the call time limit, at
   * least 10 000.
   */
  readonly startTimeoutMs?: number;
  /** Time limit of one mounted binary run, ms (default 10 000). */
  readonly binaryTimeoutMs?: number;
  /** Disk quota of the mapped dirs (default: the config's `[disk_quota]`, else 1 GiB and 100 000 entries). */
  readonly diskQuota?: Partial<DiskQuotaLimits>;
  /** Tetraplet policy checked at ingress. */
  readonly policy?: TetrapletPolicy;
  /**
   * Give calls' tetraplets to the guest as the caller wrote them, without checking there is one
   * list per argument, as Marine's test runtime does (marine-rs-sdk-test's `_cp` calls; Fluence's
   * published tests pass lists that do not match the arguments). Ignored when a policy is set.
   */
  readonly tetrapletsAsGiven?: boolean;
  /** Receives every log line of the service (guest stdout/stderr, logger). */
  readonly onLog?: (record: LogRecord) => void;
  /** `--modules-dir` for blueprints. */
  readonly modulesDir?: string;
  /** `WASM_LOG` given to modules whose logger is enabled (the SDK logger's filter, e.g. `debug`). */
  readonly wasmLog?: string;
  /**
   * Keep a second worker started and instantiated, so a restart after a timeout (or a memory
   * limit) swaps it in instead of booting a worker while calls wait; while restarts come within
   * seconds of each other, two spares (default true; false halves the service's threads and
   * memory, and a restart then takes a worker's start-up time). 'after-restart': no spare until
   * the service first restarts, then as with true: a host of many services (a node) does not
   * double its threads for services that never fail, and one that failed once gets its spare.
   * Either way, a call still running at half its time limit starts a spare if there is none, so
   * a call that times out finds one ready (see SPARE_AT_LIMIT_FRACTION).
   */
  readonly spareWorker?: boolean | 'after-restart';
  /**
   * Where the guest runs. 'worker' (default): a worker thread of its own, stopped by terminating
   * it; the host's thread stays free during calls. 'inline': in the host's own thread, its code
   * metered so that a runaway call is still stopped at its limit and fails alone (inline.ts):
   * no thread switch per call, so small calls cost near a direct call even on a busy machine,
   * but the host's thread waits while a call runs, and a mounted binary's run fails (its result
   * says so with ret_code MOUNTED_BINARY_SPAWN_FAILED): a worker runs it by waiting on this thread.
   * For tools that call a service and wait anyway (tests, `marine call`), not for a node.
   */
  readonly execution?: 'worker' | 'inline';
}

/** Options of one call. */
export interface CallOptions {
  /** Time limit of this call, ms. */
  readonly timeoutMs?: number;
  /** Module whose function is called (its config name); default the facade, as mrepl's `call <module> <fn>`. */
  readonly module?: string;
}

/** Arguments of a call: positional (array), by name (object), none (null) or one bare value. */
export type CallArgs =
  | readonly unknown[]
  | Readonly<Record<string, unknown>>
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined;

const DEFAULT_TIMEOUT_MS = 10000;
const LOG_KEEP = 1000;
/**
 * When the spare worker is started after the service's first start, ms: a while later, so a
 * service loaded for a few calls and closed never pays for one, and the first calls do not
 * compete with its start-up. After a restart used a spare, the next one starts at once: a worker
 * takes 0.2-0.6 s to be ready on a loaded machine, and a second timeout can come that soon.
 */
const SPARE_DELAY_AFTER_LOAD_MS = 2000;
/**
 * A restart this soon after the previous one keeps two spares ready (one spare cannot be ready
 * again for timeouts that come back to back); once restarts are this far apart, one again.
 */
const RESTART_BURST_MS = 10000;
const SPARES_IN_BURST = 2;
/**
 * A call still running at this fraction of its time limit starts a spare worker if the service
 * has none (a service just loaded, or a node's service that never restarted): a call that long
 * is the one likely to time out, and a worker takes 100-200 ms to be ready, which the restart
 * after the timeout would otherwise wait for.
 */
const SPARE_AT_LIMIT_FRACTION = 0.5;
/**
 * Least default time limit of an instantiation (ServiceOptions.startTimeoutMs), ms: a call limit
 * of a few ms is meant for calls, not for compiling and starting the modules.
 */
const START_TIMEOUT_FLOOR_MS = 10000;
/** JS heap of a service's worker thread, MiB. */
const WORKER_HEAP_MB = 512;

/** Largest delay Node's timers honour (2^31-1 ms); a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2147483647;

/** Checks a time limit given in ms, so that 1e400 or 2^31 never become 1 ms. */
function checkTimeout(value: number | undefined, what: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS)
    throw new RangeError(
      `${what}: expected whole milliseconds in 1..${MAX_TIMEOUT_MS}, found ${value}`,
    );
}

/** The jco bindings of a module, generated from its `.wasm` and cached by the module's hash. */
async function ensureBindings(info: ModuleInfo): Promise<string> {
  return componentBindings(
    new Uint8Array(readFileSync(info.config.path)),
    `module ${JSON.stringify(info.config.name)}`,
  );
}

function spawnWorker(
  spec: RuntimeSpec,
  binaries: BinaryRunner,
  compiled: [string, object][] | undefined,
  channel: SharedArrayBuffer,
  callPort: MessagePort,
): Worker {
  const here = dirname(fileURLToPath(import.meta.url));
  const link = binaries.link();
  const fdLedger = createFdLedger();
  // No inherited execArgv: test runners' loaders in a worker that may be killed mid-call leak handles.
  const options = {
    workerData: {
      spec,
      binaries: link,
      fdLedger,
      channel,
      callPort,
      ...(compiled ? { compiled } : {}),
    },
    transferList: [link.port, callPort],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    execArgv: [],
  };
  return closeFilesOnExit(startWorker(here, 'worker', options), fdLedger);
}

/** Files the guest held open stay open after its worker is terminated: close them then. */
function closeFilesOnExit(worker: Worker, fdLedger: SharedArrayBuffer): Worker {
  worker.once('exit', () => closeMarked(fdLedger));
  return worker;
}

/** A started worker with its mounted binaries and its instantiation. */
interface WorkerSlot {
  readonly worker: Worker;
  /** Where its calls go (channel.ts). */
  readonly channel: HostChannel;
  readonly binaries: BinaryRunner;
  readonly ready: Promise<void>;
  /** Set when `ready` resolves: a call may then go to the worker without awaiting anything. */
  readonly state: { ready: boolean };
  /** Log records of a spare's instantiation, handed on when it becomes the service's worker. */
  readonly earlyLogs: LogRecord[];
}

/** A function's names as calls and their errors use them. */
interface FunctionNames {
  readonly name: string;
  readonly args: string[];
  /** Where each argument is, for conversion errors. */
  readonly paths: string[];
}

/** A call checked and converted, ready for the worker. */
interface PreparedCall {
  readonly wit: WitFunction;
  /** The function's name as users write it (for messages). */
  readonly name: string;
  readonly values: unknown[];
  readonly cp: unknown;
  /** Config name of the module called; null for the facade (the worker's default). */
  readonly module: string | null;
  readonly timeoutMs: number;
}

/** A call waiting asynchronously for its reply (one at a time). */
interface Pending {
  /** The channel it waits on: stopped to end the wait early. */
  readonly channel: HostChannel;
  /** Set when the call is ended from outside (the worker failed or the service closed). */
  failure: Error | undefined;
}

/** A loaded service: call its facade functions, read its interface and log. */
export class Service {
  private worker: Worker | undefined;
  /** The current worker's call channel. */
  private channel: HostChannel | undefined;
  /** Runs the current worker's mounted binaries (killed with the worker). */
  private binaries: BinaryRunner | undefined;
  private ready: Promise<void> | undefined;
  /** The current worker's `WorkerSlot.state`. */
  private readyState: { ready: boolean } = { ready: false };
  /** Calls accepted and not yet settled: none, and a call may go to the worker at once. */
  private active = 0;
  /** How long the last call took from send to reply, ms (decides whether the next one spins). */
  private lastCallMs = 0;
  /** The channel the last call parameters went to, and those parameters. */
  private cpChannel: HostChannel | undefined;
  private cpSent: unknown;
  /** Completed call parameters of calls given none, by argument count (the same every time). */
  private readonly defaultCp = new Map<number, CallParameters>();
  /** Per function: its user name and argument names, computed once. */
  private readonly fnNames = new Map<WitFunction, FunctionNames>();
  private pending: Pending | undefined;
  private restarting: Promise<void> | undefined;
  /** Core modules compiled by a worker of this service, given to the workers started after it. */
  private compiled: [string, object][] | undefined;
  /** Warm spare workers a restart swaps in, oldest first (see ServiceOptions.spareWorker). */
  private spares: WorkerSlot[] = [];
  private spareTimer: ReturnType<typeof setTimeout> | undefined;
  /** How many spares to keep: 1, or SPARES_IN_BURST while restarts come close together. */
  private sparesWanted = 1;
  /** When the last restart was (performance.now()), and the timer that ends a burst. */
  private lastRestart = -Infinity;
  private burstTimer: ReturnType<typeof setTimeout> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The modules running in this thread (ServiceOptions.execution 'inline'). */
  private inline: InlineRunner | undefined;
  private readonly logRecords: LogRecord[] = [];
  private readonly functions: Map<string, WitFunction>;
  /** How many times the worker was (re)started. */
  starts = 0;
  /** Linear memory of each module (bytes, by module name) as of the last start or call. */
  memoryByModule: Readonly<Record<string, number>> = {};
  /** Service id used in call parameters. */
  readonly serviceId: string;
  /** Who the service is (id, owner, host), fixed at load; calls cannot claim otherwise. */
  readonly identity: ServiceIdentity;

  private constructor(
    /** The plan the service runs. */
    readonly plan: ServicePlan,
    private readonly spec: RuntimeSpec,
    private readonly options: ServiceOptions,
  ) {
    this.serviceId = options.serviceId ?? randomUUID();
    this.identity = Object.freeze({
      serviceId: this.serviceId,
      ownerPeerId: options.owner ?? '',
      hostPeerId: options.hostId ?? 'local',
      workerId: options.workerId ?? options.hostId ?? 'local',
    });
    this.functions = new Map(
      [...plan.facade.info.exports.values()].map((fn) => [userName(fn), fn]),
    );
  }

  /** Loads a service from a Config.toml / blueprint path or a validated config; link errors are thrown here. */
  static async load(
    source: string | ServiceConfig,
    options: ServiceOptions = {},
  ): Promise<Service> {
    const config =
      typeof source === 'string' ? loadServiceConfig(source, options.modulesDir) : source;
    const { plan, findings } = await checkService(config);
    if (!plan) {
      const errors = findings.filter((f) => f.severity === 'error');
      const text = errors.map((f) => `${f.file}: ${f.field}: ${f.message}`).join('\n');
      const effect = errors.every((f) => /does not grant/.test(f.message));
      throw effect ? new EffectNotGrantedError(text) : new LinkError(text);
    }
    checkTimeout(options.callTimeoutMs, 'callTimeoutMs');
    checkTimeout(options.binaryTimeoutMs, 'binaryTimeoutMs');
    checkTimeout(options.startTimeoutMs, 'startTimeoutMs');
    const serviceId = options.serviceId ?? randomUUID();
    const valueSizeLimit = options.valueSizeLimit ?? DEFAULT_VALUE_SIZE_LIMIT;
    if (!Number.isSafeInteger(valueSizeLimit) || valueSizeLimit < 1)
      throw new RangeError(
        `valueSizeLimit: expected a whole number of bytes ≥ 1, found ${valueSizeLimit}`,
      );
    if (options.policy)
      checkPolicyNames(
        options.policy,
        new Map(
          [...plan.facade.info.exports.values()].map((fn) => [
            snakeName(fn.name),
            fn.params.map((p) => snakeName(p.name)),
          ]),
        ),
      );
    const modules = [];
    for (const { info } of plan.modules) {
      // As Marine's AppService: every module sees its service id, and the log filter when logging.
      const injected: Record<string, string> = { service_id: serviceId };
      if (info.config.loggerEnabled && options.wasmLog !== undefined)
        injected.WASM_LOG = options.wasmLog;
      modules.push({
        name: info.config.name,
        witName: info.witName,
        // An IT module runs its core module directly; `it` carries what the worker needs.
        bindings: info.it ? info.config.path : await ensureBindings(info),
        ...(info.it ? { it: info.it } : {}),
        moduleImports: [...info.imports.modules].map(
          ([target, fns]) => [target, fns.map((f) => f.name)] as const,
        ),
        hostApi: info.imports.hostApi,
        mountedBinaries: info.imports.mountedBinaries.map((fn) => ({
          fn,
          path: (info.config.mountedBinaries[fn.name] ??
            info.config.mountedBinaries[snakeName(fn.name)]) as string,
        })),
        envs: { ...injected, ...info.config.envs },
        mappedDirs: info.config.mappedDirs,
        loggerEnabled: info.config.loggerEnabled,
        loggingMask: info.config.loggingMask,
      });
    }
    const spec: RuntimeSpec = {
      modules,
      facade: plan.facade.info.config.name,
      memoryLimit: config.totalMemoryLimit,
      binaryTimeoutMs: options.binaryTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      diskQuota: { ...DEFAULT_DISK_QUOTA, ...config.diskQuota, ...options.diskQuota },
      valueSizeLimit,
    };
    const service = new Service(plan, spec, { ...options, serviceId });
    try {
      await (options.execution === 'inline' ? service.startInline() : service.start());
    } catch (error) {
      // The worker that failed to instantiate stays alive until terminated: without this, every
      // refused load (a memory limit below the modules' initial memory, a link error) left a
      // thread behind that kept its process from ever exiting.
      await service.close();
      throw error;
    }
    return service;
  }

  /** The service's name (blueprint name or config directory). */
  get name(): string {
    return this.plan.config.name;
  }

  /** The facade's functions and records, shaped like Nox's `srv.get_interface`. */
  getInterface(module?: string): ServiceInterface {
    return buildInterface(this.module(module).exports.values());
  }

  /** The most recent log lines (guest stdout/stderr, logger records, host notes). */
  logs(): readonly LogRecord[] {
    return this.logRecords;
  }

  private record(record: LogRecord): void {
    this.logRecords.push(record);
    if (this.logRecords.length > LOG_KEEP)
      this.logRecords.splice(0, this.logRecords.length - LOG_KEEP);
    this.options.onLog?.(record);
  }

  /**
   * Starts the service's worker afresh: at the first load, its spare follows a while later; after
   * a restart that found no usable spare, at once when this worker is ready (a service that just
   * restarted is the one likely to restart again soon, and a worker takes 100-150 ms to start).
   */
  private start(restart = false): Promise<void> {
    this.binaries?.killAll();
    const slot = this.spawn();
    this.activate(slot);
    void slot.ready.then(
      () => {
        if (!restart) {
          if (this.options.spareWorker === 'after-restart') return;
          return this.prepareSpareIn(SPARE_DELAY_AFTER_LOAD_MS);
        }
        this.prepareSpareNow();
      },
      () => undefined,
    );
    return slot.ready;
  }

  /** The time limit of an instantiation (ServiceOptions.startTimeoutMs). */
  private startTimeoutMs(): number {
    return (
      this.options.startTimeoutMs ??
      Math.max(this.options.callTimeoutMs ?? DEFAULT_TIMEOUT_MS, START_TIMEOUT_FLOOR_MS)
    );
  }

  /** Instantiates the modules in this thread (ServiceOptions.execution 'inline'). */
  private async startInline(): Promise<void> {
    const inline = new InlineRunner(
      this.spec,
      (record) => this.record(record),
      this.startTimeoutMs(),
    );
    this.inline = inline;
    this.starts += 1;
    try {
      this.memoryByModule = (await inline.start()).memoryByModule;
    } catch (error) {
      throw error instanceof GuestStopped
        ? this.startTooLong(error.timeoutMs)
        : new LinkError(`service ${this.name}: instantiation failed: ${(error as Error).message}`);
    }
  }

  /** The error of an instantiation stopped at its time limit (startTimeoutMs). */
  private startTooLong(limitMs: number): LinkError {
    return new LinkError(
      `service ${this.name}: instantiation did not finish within ${limitMs} ms (a module's start code, its constructors or main, ran too long); it was stopped`,
    );
  }

  /** Makes `slot` the worker calls go to. */
  private activate(slot: WorkerSlot): void {
    this.starts += 1;
    this.worker = slot.worker;
    this.channel = slot.channel;
    this.binaries = slot.binaries;
    this.ready = slot.ready;
    this.readyState = slot.state;
    for (const record of slot.earlyLogs.splice(0)) this.record(record);
  }

  /** Starts a spare worker `delayMs` from now (unless one is due already). */
  private prepareSpareIn(delayMs: number): void {
    if (this.spareTimer !== undefined || this.options.spareWorker === false) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      this.prepareSpare();
    }, delayMs);
    // A pending spare never keeps the process alive.
    this.spareTimer.unref();
  }

  /** Starts spares now, cancelling a delayed start (see prepareSpareIn). */
  private prepareSpareNow(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    this.prepareSpare();
  }

  /** Starts spare workers in the background up to the number wanted, unless the service is closing. */
  private prepareSpare(): void {
    if (this.closed || this.options.spareWorker === false) return;
    while (this.spares.length < this.sparesWanted) {
      const slot = this.spawn();
      this.spares.push(slot);
      // A spare that fails to start is dropped; the next restart starts a worker the slow way.
      slot.ready.catch(() => this.dropSpare(slot.worker));
    }
  }

  private dropSpare(worker: Worker): void {
    this.spares = this.spares.filter((s) => s.worker !== worker);
  }

  /** Notes a restart: restarts close together keep two spares until they stop for a while. */
  private noteRestart(): void {
    const now = performance.now();
    if (now - this.lastRestart < RESTART_BURST_MS) this.sparesWanted = SPARES_IN_BURST;
    this.lastRestart = now;
    clearTimeout(this.burstTimer);
    if (this.sparesWanted === 1) return;
    this.burstTimer = setTimeout(() => {
      this.burstTimer = undefined;
      this.sparesWanted = 1;
      // The extra spare goes: a quiet service keeps one.
      for (const extra of this.spares.splice(1)) {
        extra.binaries.killAll();
        void extra.worker.terminate();
      }
    }, RESTART_BURST_MS);
    this.burstTimer.unref();
  }

  /** The spare to swap in: a ready one if there is, else the oldest (taken off the list). */
  private takeSpare(): WorkerSlot | undefined {
    const index = this.spares.findIndex((s) => s.state.ready);
    return this.spares.splice(index >= 0 ? index : 0, 1)[0];
  }

  /** Starts a worker whose messages count only while it is the service's worker. */
  private spawn(): WorkerSlot {
    const binaries = new BinaryRunner();
    const buffer = createChannelBuffer();
    const ports = new MessageChannel();
    const worker = spawnWorker(this.spec, binaries, this.compiled, buffer, ports.port2);
    const earlyLogs: LogRecord[] = [];
    const active = (): boolean => this.worker === worker;
    const log = (record: LogRecord): void => {
      if (active()) this.record(record);
      else if (earlyLogs.length < LOG_KEEP) earlyLogs.push(record);
    };
    const channel = new HostChannel(buffer, ports.port1, (message) => {
      if ((message as WorkerReply).type === 'log') log((message as { record: LogRecord }).record);
    });
    const state = { ready: false };
    let startTimer: ReturnType<typeof setTimeout> | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      // A module whose start code never ends would hold the worker, and the load, for good.
      const limitMs = this.startTimeoutMs();
      startTimer = setTimeout(() => {
        reject(this.startTooLong(limitMs));
        binaries.killAll();
        void worker.terminate();
      }, limitMs);
      worker.on('message', (message: WorkerReply) => {
        switch (message.type) {
          case 'ready':
            clearTimeout(startTimer);
            // Log records of the instantiation come first.
            channel.drain();
            this.memoryByModule = message.modules;
            state.ready = true;
            resolve();
            break;
          case 'init-error':
            clearTimeout(startTimer);
            channel.drain();
            reject(new LinkError(`service ${this.name}: instantiation failed: ${message.message}`));
            break;
          case 'compiled':
            this.compiled ??= message.modules;
            break;
          case 'log':
            log(message.record);
            break;
        }
      });
      worker.on('error', (error) => {
        reject(error);
        channel.stop();
        // The worker's heap is capped (resourceLimits): a guest value too big for it ends the
        // worker, not the host; the next call starts a new one.
        const oom = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.failWorker(
          worker,
          oom
            ? new MemoryLimitError(
                `service ${this.name}: the call's values exhausted the service worker's heap (${WORKER_HEAP_MB} MiB); the service is restarted for the next call`,
              )
            : new MarineHostError(`service ${this.name}: worker failed: ${error.message}`),
        );
      });
      worker.on('exit', (code) => {
        clearTimeout(startTimer);
        channel.stop();
        reject(
          new MarineHostError(
            `service ${this.name}: worker exited with code ${code} while starting`,
          ),
        );
        this.dropSpare(worker);
        this.failWorker(
          worker,
          new MarineHostError(`service ${this.name}: worker exited with code ${code}`),
        );
      });
    });
    // A failed start is reported to the caller that awaits it; keep it from being unhandled.
    ready.catch(() => undefined);
    return { worker, channel, binaries, ready, state, earlyLogs };
  }

  private failWorker(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.channel = undefined;
    this.failPending(error);
  }

  /** The call's result, or its error, from the worker's reply. */
  private settle(message: CallReply): unknown {
    if (Array.isArray(message)) {
      const [value, memory, modules] = message;
      if (modules) this.memoryByModule = modules;
      if (memory > this.spec.memoryLimit) {
        void this.restart();
        throw new MemoryLimitError(
          `service ${this.name}: modules hold ${formatByteSize(memory)} of memory, over total_memory_limit ${formatByteSize(this.spec.memoryLimit)}; the service was restarted`,
        );
      }
      return value;
    }
    // The worker instantiates its modules again after a guest failure (all but a result over
    // the size limit); a spare that is ready takes its place at once instead.
    if (!this.inline && message.kind !== 'too-big' && this.spares.some((x) => x.state.ready))
      void this.restart();
    const stderr =
      message.stderr.length > 0 ? `\nguest stderr:\n  ${message.stderr.join('\n  ')}` : '';
    if (message.kind === 'oom') {
      throw new MemoryLimitError(
        `service ${this.name}: out of memory (total_memory_limit ${formatByteSize(this.spec.memoryLimit)}): ${message.message}${stderr}`,
      );
    } else if (message.kind === 'exit') {
      // Not a trap: the guest chose to end (Rust's std::process::exit), but the call has no result.
      throw new ModuleExitError(
        `service ${this.name}: the module called ${message.exitOk === false ? 'exit with a non-zero status' : 'exit(0)'} during the call, so it returned no result; the service was restarted${stderr}`,
      );
    } else if (message.kind === 'stack') {
      throw new GuestTrapError(
        `service ${this.name}: the guest overflowed its call stack (recursion too deep: ${message.message}); the modules were instantiated again${stderr}`,
      );
    } else if (message.kind === 'too-big') {
      throw new ValueSizeLimitError(`service ${this.name}: ${message.message}`);
    } else if (message.kind === 'trap') {
      throw new GuestTrapError(
        `service ${this.name}: the guest trapped: ${message.message}${stderr}`,
      );
    }
    throw new MarineHostError(`service ${this.name}: ${message.message}${stderr}`);
  }

  private restart(): Promise<void> {
    const inline = this.inline;
    if (inline) {
      return this.whileRestarting(
        inline.start().then(
          ({ memoryByModule }) => {
            this.starts += 1;
            this.memoryByModule = memoryByModule;
          },
          (error: Error) =>
            this.record({
              module: this.spec.facade,
              stream: 'host',
              text: `restart failed: ${error.message}`,
            }),
        ),
      );
    }
    const old = this.worker;
    this.worker = undefined;
    this.channel = undefined;
    // Calls wait for this, so exactly one worker takes over.
    return this.whileRestarting(this.replaceWorker(old));
  }

  /** Stops `old` (the failed worker) and puts a ready spare, or a new worker, in its place. */
  private async replaceWorker(old: Worker | undefined): Promise<void> {
    // The call limit holds whatever a mounted binary does: its whole group goes with the worker.
    this.binaries?.killAll();
    // The old worker is stopped while the spare takes over: nothing it sends counts any more.
    const stopped = old?.terminate();
    this.noteRestart();
    const spare = this.takeSpare();
    let swapped = false;
    if (spare && !this.closed) {
      swapped = await spare.ready.then(
        () => true,
        () => false,
      );
      if (swapped) {
        this.activate(spare);
        // The next spare starts now (see SPARE_DELAY_AFTER_LOAD_MS).
        this.prepareSpareNow();
        // Termination goes on in the background; the old worker's messages no longer count.
        stopped?.catch(() => undefined);
      } else await spare.worker.terminate();
    }
    if (!swapped) {
      // Started without waiting for the old worker's exit (10-40 ms of isolate teardown):
      // its execution stops at once, and the new worker needs 40 ms or more to boot before it
      // looks at anything the old one touched (mapped dirs, their quota).
      stopped?.catch(() => undefined);
      if (!this.closed) await this.start(true).catch(() => undefined);
    }
  }

  /** The planned module called `module` (config name), or the facade; throws naming the modules there are. */
  private module(module: string | undefined): ModuleInfo {
    if (module === undefined) return this.plan.facade.info;
    const found = this.plan.modules.find((m) => m.info.config.name === module);
    if (!found) {
      throw new NoSuchFunctionError(
        `service ${this.name}: no module ${JSON.stringify(module)} (modules: ${this.moduleNames().join(', ')})`,
      );
    }
    return found.info;
  }

  /** Config names of the service's modules, in load order (the facade last). */
  moduleNames(): string[] {
    return this.plan.modules.map((m) => m.info.config.name);
  }

  /** Resolves a function name (as in the module's source, snake_case or WIT kebab-case) to a function of the facade or of `module`. */
  private lookup(fn: string, module?: string): WitFunction {
    const functions =
      module === undefined
        ? this.functions
        : new Map([...this.module(module).exports.values()].map((f) => [userName(f), f]));
    const found = functions.get(fn) ?? functions.get(snakeName(fn));
    if (!found) {
      const owner =
        module === undefined
          ? `the facade ${this.plan.facade.info.config.name}`
          : `module ${module}`;
      throw new NoSuchFunctionError(
        `service ${this.name}: ${owner} has no function ${JSON.stringify(fn)} (functions: ${[...functions.keys()].join(', ')})`,
      );
    }
    return found;
  }

  /** A function's user name and its arguments' (computed once per function). */
  private namesOf(wit: WitFunction): FunctionNames {
    let names = this.fnNames.get(wit);
    if (!names) {
      const name = userName(wit);
      const args = wit.params.map((p) => userName(p));
      names = { name, args, paths: args.map((arg) => `function ${name}: argument ${arg}`) };
      this.fnNames.set(wit, names);
    }
    return names;
  }

  /**
   * A call's parameters, validated and completed from the service's identity. A call given none
   * gets the same object every time (they depend on the argument count only), which also lets
   * dispatch skip sending them again.
   */
  private callParametersOf(
    input: CallParametersInput | undefined,
    argCount: number,
  ): CallParameters {
    if (input !== undefined) return completeCallParameters(input, argCount, this.identity);
    let cp = this.defaultCp.get(argCount);
    if (!cp) {
      cp = completeCallParameters(undefined, argCount, this.identity);
      this.defaultCp.set(argCount, cp);
    }
    return cp;
  }

  /** Orders call arguments by parameter and converts them to the function's types. */
  private convertArgs(name: string, fn: WitFunction, args: CallArgs): unknown[] {
    const params = fn.params;
    let positional: unknown[];
    if (args === null || args === undefined) {
      if (params.length !== 0)
        throw new ArgumentError(
          `function ${name}: expected ${params.length} argument(s) (${params.map((p) => userName(p)).join(', ')}), found none`,
        );
      positional = [];
    } else if (Array.isArray(args)) {
      const list = args as readonly unknown[];
      // An array for a one-list-parameter function whose length does not fit is that list itself.
      positional =
        list.length !== params.length && params.length === 1 && params[0]?.type.kind === 'list'
          ? [list]
          : (list as unknown[]);
      if (positional.length !== params.length) {
        throw new ArgumentError(
          `function ${name}: expected ${params.length} argument(s) (${params.map((p) => userName(p)).join(', ')}), found ${list.length}`,
        );
      }
    } else if (typeof args === 'object' && !(args instanceof Uint8Array)) {
      const obj = args as Readonly<Record<string, unknown>>;
      const names = params.map((p) => userName(p));
      // A parameter is named as in the module's source, or by its snake_case WIT name.
      const accepted = (p: WitFunction['params'][number]): string[] => [
        userName(p),
        snakeName(p.name),
      ];
      for (const key of Object.keys(obj)) {
        if (!params.some((p) => accepted(p).includes(key) || accepted(p).includes(snakeName(key))))
          throw new ArgumentError(
            `function ${name}: no argument named ${JSON.stringify(key)} (arguments: ${names.join(', ') || 'none'})`,
          );
      }
      positional = params.map((p) => {
        const key =
          Object.keys(obj).find((k) => k === userName(p)) ??
          Object.keys(obj).find((k) => snakeName(k) === snakeName(p.name));
        if (key === undefined)
          throw new ArgumentError(`function ${name}: argument ${userName(p)} is missing`);
        return obj[key];
      });
    } else {
      if (params.length !== 1)
        throw new ArgumentError(
          `function ${name}: expected ${params.length} argument(s), found one bare value`,
        );
      positional = [args];
    }
    const paths = this.namesOf(fn).paths;
    return params.map((p, i) => fromJson(positional[i], p.type, paths[i] as string));
  }

  /**
   * Calls a facade function. Arguments are converted to its types and the tetraplets checked
   * before any guest code runs; the result comes back as JSON (64-bit integers beyond 2^53 as bigint).
   */
  call(
    fn: string,
    args?: CallArgs,
    callParameters?: CallParametersInput,
    options: CallOptions = {},
  ): Promise<JsonValue> {
    if (this.closed)
      return Promise.reject(new ServiceClosedError(`service ${this.name} is closed`));
    // Built in one literal (not spread from a partial one): on a small call the spread alone
    // was a fifth of the host's own time.
    let call: PreparedCall;
    try {
      checkTimeout(options.timeoutMs, 'timeoutMs');
      const wit = this.lookup(fn, options.module);
      const names = this.namesOf(wit);
      const name = names.name;
      const values = this.convertArgs(name, wit, args);
      const limit = this.spec.valueSizeLimit;
      if (valueSizeOver(values, limit))
        throw new ValueSizeLimitError(
          `service ${this.name}: function ${name}: the arguments are larger than the value size limit of ${formatByteSize(limit)}`,
        );
      const cp = this.callParametersOf(callParameters, wit.params.length);
      if (this.options.policy !== undefined || this.options.tetrapletsAsGiven !== true)
        checkTetraplets(name, names.args, cp, this.options.policy, this.identity);
      call = {
        wit,
        values,
        cp,
        name,
        module: options.module === undefined ? null : this.module(options.module).config.name,
        timeoutMs: options.timeoutMs ?? this.options.callTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      };
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // Nothing queued and the modules ready: an inline call runs now; a worker's call goes out now,
    // and a reply that comes while this thread watches for it settles the call before this returns.
    const inline = this.inline;
    const channel = this.channel;
    if (
      this.active === 0 &&
      this.restarting === undefined &&
      (inline !== undefined || (channel !== undefined && this.readyState.ready))
    ) {
      let outcome: JsonValue | Promise<JsonValue>;
      try {
        outcome = inline
          ? this.runInline(inline, call)
          : this.dispatch(channel as HostChannel, call);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      if (!(outcome instanceof Promise)) return Promise.resolve(outcome);
      return this.track(outcome);
    }
    return this.track(this.queue.then(() => this.run(call)));
  }

  /** Counts `run` as a call in flight until it settles; later calls queue behind it. */
  private track(run: Promise<JsonValue>): Promise<JsonValue> {
    this.active += 1;
    const done = run.finally(() => {
      this.active -= 1;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async run(call: PreparedCall): Promise<JsonValue> {
    if (this.closed) throw new ServiceClosedError(`service ${this.name} is closed`);
    if (this.restarting) await this.restarting;
    if (this.inline) return this.runInline(this.inline, call);
    if (!this.worker) await this.start();
    await this.ready;
    const channel = this.channel;
    if (!channel) throw new MarineHostError(`service ${this.name}: worker is not running`);
    return this.dispatch(channel, call);
  }

  /**
   * Sends a call to the worker and returns its result: at once when the reply comes while this
   * thread watches for it (a call whose predecessor answered within HOST_SPIN_MS), else a
   * promise of it. Throws the call's error likewise.
   */
  private dispatch(channel: HostChannel, call: PreparedCall): JsonValue | Promise<JsonValue> {
    // Call parameters the worker already holds are not sent again (WorkerRequest).
    const cpHeld = this.cpChannel === channel && this.cpSent === call.cp;
    this.cpChannel = channel;
    this.cpSent = call.cp;
    const request: WorkerRequest = cpHeld
      ? [call.wit.name, call.values, call.module]
      : [call.wit.name, call.values, call.module, call.cp];
    channel.send(request);
    // Only a service whose last call answered quickly is watched for: a slow one would block
    // this thread for the whole window and answer later anyway. Nothing can end the call from
    // outside while this thread watches, so no Pending is needed on this path, and no clock is
    // read (two reads were 0.1 us of a 5 us call): a reply seen while watching came in time.
    let sent: number;
    if (this.lastCallMs <= HOST_SPIN_MS) {
      const quick = channel.poll(HOST_SPIN_MS);
      if (quick !== undefined) {
        this.lastCallMs = 0;
        return this.finish(call, quick);
      }
      sent = performance.now() - HOST_SPIN_MS;
    } else sent = performance.now();
    const pending: Pending = { channel, failure: undefined };
    this.pending = pending;
    const spareTimer = this.spareIfStillRunning(call.timeoutMs * SPARE_AT_LIMIT_FRACTION, sent);
    return channel.wait(call.timeoutMs - (performance.now() - sent)).then((outcome) => {
      clearTimeout(spareTimer);
      this.lastCallMs = performance.now() - sent;
      if (this.pending === pending) this.pending = undefined;
      if (pending.failure) throw pending.failure;
      return this.finish(call, outcome);
    });
  }

  /**
   * Makes calls wait for `work` (a restart: a worker replaced, or an inline service's modules
   * instantiated again), until it settles or a later restart takes its place.
   */
  private whileRestarting(work: Promise<unknown>): Promise<void> {
    const restarting = work.then(
      () => undefined,
      () => undefined,
    );
    this.restarting = restarting;
    void restarting.then(() => {
      if (this.restarting === restarting) this.restarting = undefined;
    });
    return restarting;
  }

  /** Runs a call in this thread (execution 'inline'); a failed call settles once the modules are back. */
  private runInline(inline: InlineRunner, call: PreparedCall): JsonValue | Promise<JsonValue> {
    const reply = inline.call([call.wit.name, call.values, call.module, call.cp], call.timeoutMs);
    // A call after a failed one waits (in the handler) for the modules to be instantiated again.
    if (reply instanceof Promise) return reply.then((r) => this.finishInline(call, r));
    return this.finishInline(call, reply);
  }

  private finishInline(call: PreparedCall, reply: CallReply): JsonValue {
    // After a guest failure the modules are being instantiated again (call-handler.ts).
    if (!Array.isArray(reply) && reply.kind !== 'too-big') this.starts += 1;
    if (!Array.isArray(reply) && reply.kind === 'timeout')
      throw new CallTimeoutError(
        `service ${this.name}: call ${call.name} did not finish within ${call.timeoutMs} ms; the guest was stopped and its modules instantiated again (module state is lost)`,
      );
    const result = this.settle(reply);
    return call.wit.result ? toJson(result, call.wit.result) : null;
  }

  /** A timer that starts a spare `afterMs` after `sent` if the service has none by then. */
  private spareIfStillRunning(
    afterMs: number,
    sent: number,
  ): ReturnType<typeof setTimeout> | undefined {
    if (this.options.spareWorker === false || this.spares.length > 0) return undefined;
    const timer = setTimeout(
      () => {
        if (this.spares.length > 0) return;
        this.prepareSpareNow();
      },
      Math.max(0, afterMs - (performance.now() - sent)),
    );
    timer.unref();
    return timer;
  }

  /** Ends the call waiting for its reply, if any, with `error`. */
  private failPending(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    pending.failure = error;
    pending.channel.stop();
  }

  /** The call's result from what its wait ended with (or its error, thrown). */
  private finish(call: PreparedCall, outcome: WaitOutcome): JsonValue {
    if (outcome.kind === 'timeout') {
      void this.restart();
      throw new CallTimeoutError(
        `service ${this.name}: call ${call.name} did not finish within ${call.timeoutMs} ms; the guest was stopped and the service restarted (module state is lost)`,
      );
    }
    if (outcome.kind === 'woken')
      throw new MarineHostError(
        `service ${this.name}: the worker stopped during call ${call.name}`,
      );
    const result = this.settle(outcome.value as CallReply);
    return call.wit.result ? toJson(result, call.wit.result) : null;
  }

  /** Stops the service; queued calls fail with ServiceClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restarting) await this.restarting;
    this.inline?.close();
    const worker = this.worker;
    this.worker = undefined;
    this.channel = undefined;
    this.failPending(new ServiceClosedError(`service ${this.name} was closed during the call`));
    this.binaries?.killAll();
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    clearTimeout(this.burstTimer);
    this.burstTimer = undefined;
    const spares = this.spares;
    this.spares = [];
    for (const spare of spares) spare.binaries.killAll();
    await Promise.all([worker?.terminate(), ...spares.map((s) => s.worker.terminate())]);
  }
}

/** Loads a service from a Config.toml or blueprint path (see Service.load). */
export function loadService(path: string, options: ServiceOptions = {}): Promise<Service> {
  return Service.load(path, options);
}

/** The facade function a modules' module info exposes under a snake_case name. */
export function facadeFunctions(plan: ServicePlan): string[] {
  return [...plan.facade.info.exports.values()].map((fn) => userName(fn));
}
