// Our AIR VM in a worker thread: the same invoke contract, asynchronous, so a long run (the VM's
// own budget stops a runaway one) never blocks the host's event loop, its timers or its other
// particles. A worker that dies fails the invokes in flight and is started again on the next.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../marine-host/index.js';
import type {
  AquaCallResult,
  AquaInvokeOutcome,
  AquaRunParameters,
  AquaVMOptions,
} from '../air/index.js';
import type { AirRunner } from '../peer/index.js';
import { fromCloneable, toCloneable, type InvokeReply, type InvokeRequest } from './vm-wire.js';

/** An outcome with the growth of the worker's heap over the run (bytes; may be negative after a GC). */
export interface MeasuredOutcome {
  readonly outcome: AquaInvokeOutcome;
  readonly heapDelta: number;
}

interface Waiting {
  readonly resolve: (measured: MeasuredOutcome) => void;
  readonly reject: (error: Error) => void;
}

/** An AirRunner that runs AquaVM (with these options) in a worker thread. */
export class WorkerAquaVM implements AirRunner {
  readonly #options: AquaVMOptions;
  readonly #waiting = new Map<number, Waiting>();
  #worker: Worker | undefined;
  #nextId = 1;

  constructor(options: AquaVMOptions = {}) {
    this.#options = options;
  }

  async invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: AquaRunParameters,
    callResults: ReadonlyMap<number, AquaCallResult>,
  ): Promise<AquaInvokeOutcome> {
    return (await this.invokeMeasured(air, prevData, currentData, params, callResults)).outcome;
  }

  /** Like invoke, with the worker heap's growth over the run. */
  invokeMeasured(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: AquaRunParameters,
    callResults: ReadonlyMap<number, AquaCallResult>,
  ): Promise<MeasuredOutcome> {
    const worker = this.#start();
    const id = this.#nextId++;
    const request: InvokeRequest = {
      id,
      air,
      prevData,
      currentData,
      params,
      callResults: toCloneable(callResults),
    };
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // Keep the process alive while an invoke is in flight, and only then.
      worker.ref();
      worker.postMessage(request);
    });
  }

  /** Stops the worker; invokes in flight fail. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const here = dirname(fileURLToPath(import.meta.url));
    const worker = startWorker(here, 'vm-worker', { workerData: this.#options, execArgv: [] });
    worker.unref();
    worker.on('message', (reply: InvokeReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) worker.unref();
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else {
        waiting.resolve({
          outcome: fromCloneable(reply.outcome) as AquaInvokeOutcome,
          heapDelta: reply.heapDelta ?? 0,
        });
      }
    });
    const fail = (why: string): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, waiting] of this.#waiting) {
        this.#waiting.delete(id);
        waiting.reject(new Error(`the VM worker ${why}`));
      }
    };
    worker.on('error', (error) => fail(`failed: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }
}
