// Entry of a service's worker thread: instantiates the service and answers calls one at a time.
// A trap poisons a component instance, so after any guest failure the modules are instantiated
// again before the next call (compiled core modules are kept, so this is cheap).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WORKER_SPIN_MS, WorkerChannel } from './channel.js';
import { formatByteSize } from '../config/byte-size.js';
import { Wasm, ServiceRuntime, type LogRecord, type RuntimeSpec } from './runtime.js';
import { valueSize } from './value-size.js';

/**
 * A call request, sent through the call channel (channel.ts): the function's WIT name, its
 * arguments, the config name of the module called (null: the facade; another only for mrepl's
 * `call <module> <fn>`) and the call's parameters, left out when they are the very ones the
 * previous request to this worker carried (a call without parameters sends them once, not on
 * every call). A tuple rather than an object: the channel writes no field names and the worker
 * reads no keyed properties, which were a third of a small call's encoding work.
 */
export type WorkerRequest =
  | [fn: string, args: unknown[], module: string | null]
  | [fn: string, args: unknown[], module: string | null, callParameters: unknown];

/** How a guest failure is classified for the host's error. */
export type FailureKind = 'trap' | 'oom' | 'exit' | 'too-big' | 'host';

/** A call's reply, sent through the call channel. */
export type CallReply =
  /**
   * A result (a tuple, as WorkerRequest): the value, the modules' memory in bytes, and memory by
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

/** Messages the worker sends on its parent port (log records go on the call channel's port). */
export type WorkerReply =
  | { type: 'ready'; memory: number; modules: Record<string, number> }
  /** The core modules this worker compiled, by path: the host hands them to later workers. */
  | { type: 'compiled'; modules: [string, object][] }
  | { type: 'init-error'; message: string }
  | { type: 'log'; record: LogRecord };

/** What the host gives a service worker in workerData. */
export interface WorkerData {
  readonly spec: RuntimeSpec;
  /** Core modules compiled by an earlier worker of the service. */
  readonly compiled?: [string, object][];
  /** The call channel's shared buffer and the worker's end of its port (channel.ts). */
  readonly channel: SharedArrayBuffer;
  readonly callPort: MessagePort;
}

const port = parentPort;
if (!port) throw new Error('service worker started outside a worker thread');
const data = workerData as WorkerData;
const spec = data.spec;
// Core modules compiled by an earlier worker of this service (the host keeps them): a worker
// that replaces another, or a spare, instantiates without compiling again.
const given = data.compiled ?? [];
const compiled = new Map<string, object>(given);
const channel = new WorkerChannel(data.channel, data.callPort);
const post = (message: WorkerReply): void => port.postMessage(message);
// On the channel's port, so the host reads a call's log records before its reply.
const log = (record: LogRecord): void => channel.post({ type: 'log', record });

let runtime: ServiceRuntime | undefined;
/** The call parameters of the last request that carried them (see WorkerRequest). */
let callParameters: unknown = {};
/** `memory` of the last reply (-1: send the modules' memory with the next one). */
let lastMemory = -1;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'payload' in error)
    return `error payload ${JSON.stringify((error as { payload: unknown }).payload)}`;
  return String(error);
}

/** Runs one call; a failed call re-instantiates the modules before its reply. */
function handle(request: WorkerRequest): CallReply | Promise<CallReply> {
  const current = runtime;
  if (!current)
    return { type: 'error', kind: 'host', message: 'the service failed to start', stderr: [] };
  const fn = request[0];
  if (request.length === 4) callParameters = request[3];
  try {
    const value = current.call(fn, request[1], callParameters, request[2] ?? undefined);
    // Measured here, so a result over the limit is never copied to the host's thread.
    const size = valueSize(value, spec.valueSizeLimit);
    if (size > spec.valueSizeLimit) {
      return {
        type: 'error',
        kind: 'too-big',
        message: `the result of ${fn} is larger than the value size limit of ${formatByteSize(spec.valueSizeLimit)} (more than ${formatByteSize(size)} counted before stopping); it was dropped in the service's worker`,
        stderr: [],
      };
    }
    const memory = current.memoryBytes();
    if (memory === lastMemory) return [value, memory];
    lastMemory = memory;
    return [value, memory, current.memoryByModule()];
  } catch (error) {
    return failed(current, error);
  }
}

async function failed(current: ServiceRuntime, error: unknown): Promise<CallReply> {
  const stderr = current.callStderr.slice(-8);
  const message = describe(error);
  let kind: FailureKind = error instanceof Wasm.RuntimeError ? 'trap' : 'host';
  const exited = error instanceof Error && error.name === 'GuestExitError';
  if (exited) kind = 'exit';
  if (
    stderr.some((l) => /memory allocation of \d+ bytes failed/.test(l)) ||
    /out of memory|Maximum call stack/i.test(message)
  )
    kind = kind === 'trap' ? 'oom' : kind;
  if (/out of memory/i.test(message)) kind = 'oom';
  lastMemory = -1;
  try {
    runtime = await ServiceRuntime.create(spec, log, compiled as Map<string, never>);
  } catch (restartError) {
    runtime = undefined;
    log({
      module: spec.facade,
      stream: 'host',
      text: `restart after a failed call failed: ${describe(restartError)}`,
    });
  }
  return {
    type: 'error',
    kind,
    message,
    stderr,
    ...(exited ? { exitOk: (error as { ok?: unknown }).ok === true } : {}),
  };
}

try {
  runtime = await ServiceRuntime.create(spec, log, compiled as Map<string, never>);
  if (compiled.size > given.length) post({ type: 'compiled', modules: [...compiled] });
  post({ type: 'ready', memory: runtime.memoryBytes(), modules: runtime.memoryByModule() });
} catch (error) {
  post({ type: 'init-error', message: describe(error) });
}

// Calls, one at a time. Between calls the thread sleeps in Atomics.wait (channel.next), which
// worker.terminate() interrupts, as it interrupts a runaway guest.
// Right after a reply the worker watches for the next request a moment before it sleeps, so a
// caller's back-to-back calls skip the wake-up (channel.ts, WORKER_SPIN_MS).
for (;;) {
  const reply = handle(channel.next(WORKER_SPIN_MS) as WorkerRequest);
  channel.reply(reply instanceof Promise ? await reply : reply);
}
