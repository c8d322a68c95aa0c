// Entry of a service's worker thread: instantiates the service and answers calls one at a time
// (call-handler.ts runs them, and instantiates the modules again after a failed call).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WORKER_SPIN_MS, WorkerChannel } from './channel.js';
import type { LogRecord, RuntimeSpec } from './runtime.js';
import {
  CallHandler,
  describeError,
  type CallReply,
  type CallRequest,
  type FailureKind,
} from './call-handler.js';

/** A call request, sent through the call channel (channel.ts). */
export type WorkerRequest = CallRequest;
export type { CallReply, FailureKind };

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

const handler = new CallHandler(spec, log, compiled);

try {
  const runtime = await handler.start();
  if (compiled.size > given.length) post({ type: 'compiled', modules: [...compiled] });
  post({ type: 'ready', memory: runtime.memoryBytes(), modules: runtime.memoryByModule() });
} catch (error) {
  post({ type: 'init-error', message: describeError(error) });
}

// Calls, one at a time. Between calls the thread sleeps in Atomics.wait (channel.next), which
// worker.terminate() interrupts, as it interrupts a runaway guest.
// Right after a reply the worker watches for the next request a moment before it sleeps, so a
// caller's back-to-back calls skip the wake-up (channel.ts, WORKER_SPIN_MS).
for (;;) {
  const reply = handler.handle(channel.next(WORKER_SPIN_MS) as WorkerRequest);
  channel.reply(reply instanceof Promise ? await reply : reply);
  // A failed call's modules are instantiated again now, before this thread waits for the next
  // request (the host may have swapped in a spare and terminate this worker meanwhile).
  if (handler.restarting) await handler.restarting;
}
