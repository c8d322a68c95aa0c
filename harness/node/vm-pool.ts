// The node's VMs: a pool of worker threads (WorkerAquaVM), each run on the least busy one with a
// deadline (Nox's particle_execution_timeout, 20 s). A run past its deadline fails and its worker
// is replaced, so one runaway particle cannot hold a VM. Every run is timed and measured for
// metrics and anomaly records. The Peer's actors already keep one run at a time per particle.
//
// A small run while no worker is busy runs inline, on the calling thread, under a short budget:
// the hop to a worker and back (structured clone both ways, two thread wake-ups) cost more than
// such a run itself (2.3 ms against 0.5 ms per run on a relay's Op call). A run that passes that
// budget is thrown away and run again in a worker with the full deadline: the VM's result depends
// only on its inputs, so the second run gives what the first would have.
import { getHeapStatistics } from 'node:v8';
import { AquaVM, EXECUTION_BUDGET_EXCEEDED, type AquaVMOptions } from '../air/index.js';
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
  /**
   * Largest input (AIR, prevData and current data together, in bytes) run inline when no worker
   * is busy; 0 turns inline runs off (default 64 KiB).
   */
  readonly inlineMaxBytes?: number;
  /** Wall-clock budget of an inline run in ms before it moves to a worker (default 20). */
  readonly inlineBudgetMs?: number;
}

/** Default of `VmPoolOptions.inlineMaxBytes`. */
export const INLINE_MAX_BYTES = 64 * 1024;

/** An AirRunner over a pool of worker-thread VMs. */
export class VmPool implements AirRunner {
  readonly #workers: { vm: WorkerAquaVM; busy: number }[];
  readonly #options: VmPoolOptions;
  readonly #inline: AquaVM | undefined;
  readonly #inlineMaxBytes: number;
  #inlineRuns = 0;

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
    this.#inlineMaxBytes = options.inlineMaxBytes ?? INLINE_MAX_BYTES;
    this.#inline =
      this.#inlineMaxBytes > 0
        ? new AquaVM({ ...vmOptions, timeLimitMs: options.inlineBudgetMs ?? 20 })
        : undefined;
  }

  /** How many runs were made inline (not in a worker) so far. */
  get inlineRuns(): number {
    return this.#inlineRuns;
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
    const inline = this.#runInline(air, prevData, currentData, params, callResults);
    if (inline) return inline;
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

  // The outcome of an inline run, or undefined when the run belongs in a worker (too big, a
  // worker busy, over the inline budget, or the VM threw).
  #runInline(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: RunParameters,
    callResults: ReadonlyMap<number, CallResult>,
  ): InvokeOutcome | undefined {
    const vm = this.#inline;
    if (vm === undefined || this.#workers.some((w) => w.busy > 0)) return undefined;
    if (air.length + prevData.length + currentData.length > this.#inlineMaxBytes) return undefined;
    const started = performance.now();
    const heapBefore = getHeapStatistics().used_heap_size;
    let outcome: InvokeOutcome;
    try {
      outcome = vm.invoke(air, prevData, currentData, params, callResults);
    } catch {
      return undefined; // The worker's run reports the failure as usual.
    }
    if (outcome.retCode === EXECUTION_BUDGET_EXCEEDED) return undefined;
    this.#inlineRuns += 1;
    this.#options.onRun?.({
      air,
      prevData,
      currentData,
      params,
      callResults,
      outcome,
      timeMs: performance.now() - started,
      heapDelta: getHeapStatistics().used_heap_size - heapBefore,
    });
    return outcome;
  }

  /** Stops every worker thread. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.vm.close()));
  }
}
