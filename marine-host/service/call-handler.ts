// One service's modules and the calls they answer, wherever they run: in a service worker
// (worker.ts) or inline in the host's thread (inline.ts). A call's failure is classified here for
// the host's error, and a failed call re-instantiates the modules before the next call runs: a
// trap (or a guest stopped mid-call) poisons a component instance. Compiled core modules are
// kept, so that is cheap.
import { formatByteSize } from '../config/byte-size.js';
import {
  ServiceRuntime,
  Wasm,
  type InlineRuntimeOptions,
  type LogRecord,
  type RuntimeSpec,
} from './runtime.js';
import { valueSize } from './value-size.js';

/**
 * A call request: the function's WIT name, its arguments, the config name of the module called
 * (null: the facade; another only for mrepl's `call <module> <fn>`) and the call's parameters,
 * left out when they are the very ones the previous request carried (a call without parameters
 * sends them once, not on every call). A tuple rather than an object: the worker's channel writes
 * no field names and reads no keyed properties, which were a third of a small call's encoding work.
 */
export type CallRequest =
  | [fn: string, args: unknown[], module: string | null]
  | [fn: string, args: unknown[], module: string | null, callParameters: unknown];

/** How a guest failure is classified for the host's error. */
export type FailureKind = 'trap' | 'oom' | 'stack' | 'exit' | 'too-big' | 'timeout' | 'host';

/** A call's reply. */
export type CallReply =
  /**
   * A result (a tuple, as CallRequest): the value, the modules' memory in bytes, and memory by
   * module, left out when `memory` is the previous reply's (memory only grows).
   */
  | [value: unknown, memory: number]
  | [value: unknown, memory: number, modules: Record<string, number>]
  | {
      type: 'error';
      kind: FailureKind;
      message: string;
      stderr: string[];
      /** For `exit`: whether the guest exited with status 0. */
      exitOk?: boolean;
    };

/** Thrown into a metered guest whose call ran out of time (inline.ts); never reaches users. */
export class GuestStopped extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the guest ran past its time limit of ${timeoutMs} ms and was stopped`);
    this.name = 'GuestStopped';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'payload' in error)
    return `error payload ${JSON.stringify((error as { payload: unknown }).payload)}`;
  return String(error);
}

/** A service's running modules and the state its call protocol keeps between calls. */
export class CallHandler {
  private runtime: ServiceRuntime | undefined;
  /** The call parameters of the last request that carried them (see CallRequest). */
  private callParameters: unknown = {};
  /** `memory` of the last reply (-1: send the modules' memory with the next one). */
  private lastMemory = -1;
  /**
   * The re-instantiation after a failed call, while it runs: the failed call's reply does not
   * wait for it (the host may swap in a spare meanwhile), the next call does.
   */
  restarting: Promise<void> | undefined;

  constructor(
    private readonly spec: RuntimeSpec,
    private readonly log: (record: LogRecord) => void,
    /** Compiled core modules by path, shared by every instantiation of this handler. */
    private readonly compiled: Map<string, object>,
    private readonly inline?: InlineRuntimeOptions,
  ) {}

  /** Instantiates the modules (again); throws what instantiation threw. */
  async start(): Promise<ServiceRuntime> {
    this.lastMemory = -1;
    this.runtime = await ServiceRuntime.create(
      this.spec,
      this.log,
      this.compiled as Map<string, never>,
      this.inline,
    );
    return this.runtime;
  }

  /** Runs one call (after the re-instantiation a failed call began, if it still runs). */
  handle(request: CallRequest): CallReply | Promise<CallReply> {
    if (this.restarting) return this.restarting.then(() => this.handle(request));
    const current = this.runtime;
    if (!current)
      return { type: 'error', kind: 'host', message: 'the service failed to start', stderr: [] };
    const fn = request[0];
    if (request.length === 4) this.callParameters = request[3];
    try {
      const value = current.call(fn, request[1], this.callParameters, request[2] ?? undefined);
      // Measured here, so a result over the limit is never copied to the host's thread.
      const limit = this.spec.valueSizeLimit;
      const size = valueSize(value, limit);
      if (size > limit) {
        return {
          type: 'error',
          kind: 'too-big',
          message: `the result of ${fn} is larger than the value size limit of ${formatByteSize(limit)} (more than ${formatByteSize(size)} counted before stopping); it was dropped before it reached the caller`,
          stderr: [],
        };
      }
      const memory = current.memoryBytes();
      if (memory === this.lastMemory) return [value, memory];
      this.lastMemory = memory;
      return [value, memory, current.memoryByModule()];
    } catch (error) {
      return this.failed(current, error);
    }
  }

  /** The failed call's reply, at once; the modules are instantiated again behind it. */
  private failed(current: ServiceRuntime, error: unknown): CallReply {
    const stderr = current.callStderr.slice(-8);
    const message = describeError(error);
    let kind: FailureKind = error instanceof Wasm.RuntimeError ? 'trap' : 'host';
    const exited = error instanceof Error && error.name === 'GuestExitError';
    if (exited) kind = 'exit';
    // A trap right after Rust's allocator reported a failed allocation is out of memory too.
    if (kind === 'trap' && stderr.some((l) => /memory allocation of \d+ bytes failed/.test(l)))
      kind = 'oom';
    if (/out of memory/i.test(message)) kind = 'oom';
    // The engine's stack limit (a RangeError, in a worker as inline): recursion too deep.
    if (/Maximum call stack/.test(message)) kind = 'stack';
    if (error instanceof GuestStopped) kind = 'timeout';
    this.runtime = undefined;
    const restarting = this.start().then(
      () => undefined,
      (restartError: unknown) => {
        this.runtime = undefined;
        this.log({
          module: this.spec.facade,
          stream: 'host',
          text: `restart after a failed call failed: ${describeError(restartError)}`,
        });
      },
    );
    this.restarting = restarting;
    void restarting.then(() => {
      if (this.restarting === restarting) this.restarting = undefined;
    });
    return {
      type: 'error',
      kind,
      message,
      stderr,
      ...(exited ? { exitOk: (error as { ok?: unknown }).ok === true } : {}),
    };
  }
}
