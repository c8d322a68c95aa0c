// The node's VMs: a pool of worker threads (WorkerAquaVM), each run on the least busy one with a
// deadline (Nox's particle_execution_timeout, 20 s). A run past its deadline fails and its worker
// is replaced, so one runaway particle cannot hold a VM. Every run is timed and measured for
// metrics and anomaly records. The Peer's actors already keep one run at a time per particle.
import type { AquaVMOptions } from '../air/index.js';
import type { AirRunner, CallResult, InvokeOutcome, RunParameters } from '../peer/index.js';
import type { RunFacts } from './anomalies.js';
import { WorkerAquaVM } from './worker-vm.js';

/** A VM run that went past its deadline. */
export class VmDeadlineError extends Error {
  override readonly name = 'VmDeadlineError';
}

/** Options of the pool. */
export interface VmPoolOptions {
  readonly size: number;
  readonly runTimeoutMs: number;
  readonly vm?: AquaVMOptions;
  /** Told of every run (also failed ones) once it ends. */
  readonly onRun?: (run: RunFacts) => void;
}

/** An AirRunner over a pool of worker-thread VMs. */
export class VmPool implements AirRunner {
  readonly #workers: { vm: WorkerAquaVM; busy: number }[];
  readonly #options: VmPoolOptions;

  constructor(options: VmPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`a VM pool needs at least 1 worker, found ${options.size}`);
    }
    this.#options = options;
    // The VM's own deadline matches the pool's, so a long run usually ends itself cleanly (40001).
    const vmOptions: AquaVMOptions = { timeLimitMs: options.runTimeoutMs, ...options.vm };
    this.#workers = Array.from({ length: options.size }, () => ({
      vm: new WorkerAquaVM(vmOptions),
      busy: 0,
    }));
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#workers.length;
  }

  async invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: RunParameters,
    callResults: ReadonlyMap<number, CallResult>,
  ): Promise<InvokeOutcome> {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy += 1;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const facts = { air, prevData, currentData, params, callResults };
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new VmDeadlineError(
              `the VM run of particle ${params.particleId} passed its deadline of ${this.#options.runTimeoutMs} ms`,
            ),
          );
          // The thread may be stuck: replace it (the next invoke starts a fresh one).
          void slot.vm.close();
        }, this.#options.runTimeoutMs);
      });
      const measured = await Promise.race([
        slot.vm.invokeMeasured(air, prevData, currentData, params, callResults),
        deadline,
      ]);
      this.#options.onRun?.({
        ...facts,
        outcome: measured.outcome,
        timeMs: performance.now() - started,
        heapDelta: measured.heapDelta,
      });
      return measured.outcome;
    } catch (error) {
      this.#options.onRun?.({
        ...facts,
        failure: error instanceof Error ? error.message : String(error),
        timeMs: performance.now() - started,
        heapDelta: 0,
      });
      throw error;
    } finally {
      clearTimeout(timer);
      slot.busy -= 1;
    }
  }

  /** Stops every worker thread. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.vm.close()));
  }
}
