// A service run in the host's own thread instead of a worker (ServiceOptions.execution
// 'inline'): a call is a plain function call into the guest, with no thread switch on the way in
// or out, which on a busy machine is most of a small call's cost (a worker's reply waits for the
// host thread's next turn on a core). The isolation stays: every core module is metered
// (module/meter.ts), so a runaway guest is stopped at its time limit by an exception thrown from
// the meter's refuel, and fails only its own call; a trap or a stop re-instantiates the modules
// (compiled modules are kept); memory is capped in the module as in a worker; open files are
// marked in the service's own ledger and closed when its instance is replaced.
// What it gives up: while a call runs, the host's thread does nothing else (a node keeps its
// services in workers), and mounted binaries, which a worker runs by waiting on the host's thread,
// cannot run at all (their runs fail with MOUNTED_BINARY_SPAWN_FAILED, saying why).
import { closeMarked, createFdLedger } from '../wasi/fd-ledger.js';
import { blockFor } from '../wasi/sandbox.js';
import { CallHandler, GuestStopped, type CallReply, type CallRequest } from './call-handler.js';
import type { LogRecord, RuntimeSpec } from './runtime.js';

/**
 * Metering checks (function entries and loop headers) a guest passes between two reads of the
 * clock: at about a nanosecond each, a read every few hundred microseconds, so a stop comes
 * within a millisecond of the limit and the clock costs nothing measurable.
 */
const CHECKS_PER_REFUEL = 262144;

/** The modules of one service, instantiated in this thread, and their calls. */
export class InlineRunner {
  /** When the guest running now must stop (performance.now()). */
  private deadline = Infinity;
  private limitMs = 0;
  /**
   * An instantiation's limit starts when its guest code first runs (its first refuel), so the
   * compilation and metering of the modules before it do not count.
   */
  private startPending = false;
  private readonly handler: CallHandler;
  private readonly fdLedger = createFdLedger();

  /**
   * `startLimitMs`: how long an instantiation's guest code (main, initialisers) may run; the
   * service gives it its call limit, never under 10 s (ServiceOptions.startTimeoutMs).
   */
  constructor(
    spec: RuntimeSpec,
    log: (record: LogRecord) => void,
    private readonly startLimitMs: number,
  ) {
    const refuel = (): number => {
      if (this.startPending) {
        this.startPending = false;
        this.limit(this.startLimitMs);
      }
      if (performance.now() > this.deadline) throw new GuestStopped(this.limitMs);
      return CHECKS_PER_REFUEL;
    };
    // A guest's sleep blocks this thread: it may not outlast the call's limit either.
    const pause = (ms: number): void => {
      const left = this.deadline - performance.now();
      if (ms < left) return blockFor(ms);
      blockFor(left);
      throw new GuestStopped(this.limitMs);
    };
    this.handler = new CallHandler(spec, log, new Map(), {
      refuel,
      pause,
      fdLedger: this.fdLedger,
    });
  }

  private limit(ms: number): void {
    this.limitMs = ms;
    this.deadline = performance.now() + ms;
  }

  /** The limit of an instantiation's guest code, from when it first runs. */
  private limitStart(): void {
    this.deadline = Infinity;
    this.startPending = true;
  }

  /** Instantiates the modules (again); throws what instantiation threw. */
  async start(): Promise<{ memoryByModule: Record<string, number> }> {
    this.limitStart();
    const runtime = await this.handler.start();
    return { memoryByModule: runtime.memoryByModule() };
  }

  /** Runs one call within `timeoutMs`; a failed call's modules are instantiated again behind its reply. */
  call(request: CallRequest, timeoutMs: number): CallReply | Promise<CallReply> {
    // After a failed call the modules are instantiated again first, under the start's limit; the
    // call's own limit starts when it does.
    const restarting = this.handler.restarting;
    if (restarting) return restarting.then(() => this.call(request, timeoutMs));
    this.startPending = false;
    this.limit(timeoutMs);
    try {
      return this.handler.handle(request);
    } finally {
      // What runs next is the re-instantiation after a failed call, if anything.
      this.limitStart();
    }
  }

  /** Closes the files the guest still holds open. */
  close(): void {
    closeMarked(this.fdLedger);
  }
}
