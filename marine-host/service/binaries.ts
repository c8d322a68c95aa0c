// Mounted binaries run from the host's main thread, not from the service's worker. The guest's
// import is synchronous, so the worker posts the request and blocks in Atomics.wait; the main
// thread spawns the binary in its own process group (a new session), and on the time limit sends
// SIGTERM to the whole group, then SIGKILL after a short grace. When the binary ends, whatever it
// left in its group is killed too, so no child outlives the call. Because the waiting worker is
// interruptible (unlike a worker blocked in spawnSync), the call's own time limit also holds:
// the service terminates the worker and kills every running group (`killAll`).
// Limit: a child that starts a new session of its own (setsid) leaves the group and is not found.
import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** Host error codes of mounted binaries, as Marine uses them: killed (signal or time limit). */
export const MOUNTED_BINARY_KILLED = 100000;
/** The binary could not be started. */
export const MOUNTED_BINARY_SPAWN_FAILED = 100001;
/** Time between SIGTERM and SIGKILL to a binary's process group at its time limit, ms. */
export const KILL_GRACE_MS = 500;
/** Output kept from one run (stdout and stderr each); more kills the binary. */
const MAX_OUTPUT = 64 * 1024 * 1024;
/** After the binary exits, how long its pipes and its killed group may take to go, ms. */
const DRAIN_MS = 300;

/** One run of a mounted binary. */
export interface BinaryRequest {
  /** The granted executable. */
  readonly path: string;
  /** Arguments, as given (no shell). */
  readonly args: readonly string[];
  /** Time limit, ms. */
  readonly timeoutMs: number;
}

/** `mounted-binary-result` as JSON-shaped fields. */
export interface BinaryOutcome {
  readonly ret_code: number;
  readonly error: string;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/** The worker's end of a runner: given to the worker in workerData (the port transferred). */
export interface BinaryLink {
  readonly port: MessagePort;
  readonly signal: SharedArrayBuffer;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Runs a service's mounted binaries on the main thread; one per worker. */
export class BinaryRunner {
  private readonly channel = new MessageChannel();
  private readonly signal = new SharedArrayBuffer(4);
  private readonly running = new Set<ChildProcess>();
  private closed = false;

  constructor() {
    this.channel.port1.on('message', (request: BinaryRequest) => this.run(request));
    // The worker keeps the host alive while it runs; this port alone should not.
    this.channel.port1.unref();
  }

  /** The worker's end; pass `link().port` in the Worker's transferList. */
  link(): BinaryLink {
    return { port: this.channel.port2, signal: this.signal };
  }

  /** Kills every running binary's whole group and stops answering (the worker is going away). */
  killAll(): void {
    this.closed = true;
    for (const child of this.running) killGroup(child, 'SIGKILL');
    this.running.clear();
    this.channel.port1.close();
  }

  private answer(outcome: BinaryOutcome): void {
    if (this.closed) return;
    this.channel.port1.postMessage(outcome);
    const flag = new Int32Array(this.signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }

  private run(request: BinaryRequest): void {
    const { path, args, timeoutMs } = request;
    let child: ChildProcess;
    try {
      // detached: a new session, so the binary leads a process group we can kill as a whole.
      child = spawn(path, [...args], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {},
      });
    } catch (error) {
      this.answer(spawnFailed(path, error));
      return;
    }
    this.running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let overflow = false;
    let timedOut = false;
    let settled = false;
    const collect = (into: Buffer[], chunk: Buffer, stream: 'out' | 'err'): void => {
      const size = stream === 'out' ? (outBytes += chunk.length) : (errBytes += chunk.length);
      if (size > MAX_OUTPUT) {
        if (!overflow) killGroup(child, 'SIGKILL');
        overflow = true;
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', (chunk: Buffer) => collect(out, chunk, 'out'));
    child.stderr?.on('data', (chunk: Buffer) => collect(err, chunk, 'err'));
    const term = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
    }, timeoutMs);
    const kill = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs + KILL_GRACE_MS);
    const finish = (outcome: () => BinaryOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(term);
      clearTimeout(kill);
      this.running.delete(child);
      this.answer(outcome());
    };
    child.on('error', (error) => {
      killGroup(child, 'SIGKILL');
      finish(() => spawnFailed(path, error));
    });
    child.on('exit', (code, signal) => {
      // Whatever the binary left behind in its group goes with it.
      killGroup(child, 'SIGKILL');
      const done = (): void =>
        finish(() => {
          const stdout = new Uint8Array(Buffer.concat(out));
          const stderr = new Uint8Array(Buffer.concat(err));
          if (overflow)
            return {
              ret_code: MOUNTED_BINARY_KILLED,
              error: `${basename(path)} was killed: its output passed ${MAX_OUTPUT} bytes`,
              stdout,
              stderr,
            };
          if (signal) {
            const why = timedOut
              ? ` (time limit ${timeoutMs} ms${signal === 'SIGKILL' ? `; it ignored SIGTERM for ${KILL_GRACE_MS} ms` : ''})`
              : '';
            return {
              ret_code: MOUNTED_BINARY_KILLED,
              error: `${basename(path)} was killed by signal ${signal}${why}`,
              stdout,
              stderr,
            };
          }
          return { ret_code: code ?? 0, error: '', stdout, stderr };
        });
      // The call answers once the group is gone (SIGKILL is delivered asynchronously) and the
      // pipes closed; a child that escaped the group must not hold the call, hence the bounds.
      const pid = child.pid;
      let closed = false;
      const startedWaiting = Date.now();
      const poll = (): void => {
        const waited = Date.now() - startedWaiting;
        if (waited >= DRAIN_MS || (closed && (pid === undefined || !groupExists(pid)))) done();
        else setTimeout(poll, 5);
      };
      child.on('close', () => {
        closed = true;
      });
      poll();
    });
  }
}

/** Whether any process of the group led by `pid` still exists (a reaped group is gone). */
function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function spawnFailed(path: string, error: unknown): BinaryOutcome {
  return {
    ret_code: MOUNTED_BINARY_SPAWN_FAILED,
    error: `cannot run ${path}: ${error instanceof Error ? error.message : String(error)}`,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
  };
}

/** Worker side: runs a binary through the main thread's runner, blocking until it answers. */
export function runBinarySync(link: BinaryLink | undefined, request: BinaryRequest): BinaryOutcome {
  if (!link)
    return spawnFailed(
      request.path,
      new Error(
        "mounted binaries run only in a service's worker, and this service runs inline (ServiceOptions.execution)",
      ),
    );
  const flag = new Int32Array(link.signal);
  // A reply that came after an earlier wait gave up belongs to no one now.
  while (receiveMessageOnPort(link.port)) {
    // Discard it.
  }
  Atomics.store(flag, 0, 0);
  link.port.postMessage(request);
  // The runner always answers by the limit plus the grace; the margin covers a busy host.
  Atomics.wait(flag, 0, 0, request.timeoutMs + KILL_GRACE_MS + 10000);
  const reply = receiveMessageOnPort(link.port);
  if (!reply)
    return {
      ret_code: MOUNTED_BINARY_KILLED,
      error: `${basename(request.path)}: the host did not answer within its time limit`,
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
    };
  return reply.message as BinaryOutcome;
}
