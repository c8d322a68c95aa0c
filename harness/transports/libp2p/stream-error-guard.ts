// js-libp2p 3.x writes to its streams from microtasks and event listeners that have no caller to
// reject (yamux opens a stream's window in a microtask after `createStream`, ping echoes from a
// message loop, a stream resumes from a read). When the connection under such a stream closed in
// between, `send` throws a StreamStateError ("Cannot write to a stream that is closed") with
// nobody to catch it, and on Node an uncaught exception ends the process: a node serving
// hundreds of peers would die because one of them went away at the wrong microsecond (seen once
// in the node-relay bench). Such an error concerns one stream that is already gone, so while a
// transport runs in a Node process, uncaught errors of that kind are reported and dropped;
// every other uncaught error keeps Node's behaviour (printed, exit code 1).

/** The names of the errors libp2p's stream and muxer classes throw about a dead stream. */
const STREAM_ERROR_NAMES = new Set([
  'StreamStateError',
  'StreamResetError',
  'StreamClosedError',
  'StreamAbortedError',
  'MuxerClosedError',
  'ConnectionClosedError',
]);

// Where the error was thrown: only libp2p's own code, not an application error that happens to
// share a name.
const LIBP2P_FRAME = /[\\/](@libp2p|libp2p|@chainsafe[\\/]libp2p-[a-z]+|it-[a-z-]+)[\\/]/;

interface NodeProcess {
  on(event: 'uncaughtException', listener: (error: unknown, origin: string) => void): unknown;
  off(event: 'uncaughtException', listener: (error: unknown, origin: string) => void): unknown;
  listenerCount(event: string): number;
  exit(code: number): never;
}

/** True when `error` is libp2p telling that a stream or connection it wrote to had closed. */
export function isLibp2pStreamError(error: unknown): boolean {
  if (!(error instanceof Error) || !STREAM_ERROR_NAMES.has(error.name)) return false;
  return LIBP2P_FRAME.test(error.stack ?? '');
}

function nodeProcess(): NodeProcess | undefined {
  const candidate = (globalThis as { process?: Partial<NodeProcess> }).process;
  return typeof candidate?.on === 'function' &&
    typeof candidate.off === 'function' &&
    typeof candidate.listenerCount === 'function' &&
    typeof candidate.exit === 'function'
    ? (candidate as NodeProcess)
    : undefined;
}

let holders = 0;
let reported = 0;

function onUncaught(error: unknown, origin: string): void {
  const proc = nodeProcess();
  if (isLibp2pStreamError(error)) {
    // One line per error for the first few, then silence: a flapping peer must not flood logs.
    if (reported++ < 20) {
      console.warn(
        `libp2p: ignored an error on a closed stream (${(error as Error).name}: ${(error as Error).message})`,
      );
    }
    return;
  }
  // Not ours to excuse. With other listeners present (a test runner, the application) they
  // decide; alone, behave as Node does without any listener.
  if (proc && proc.listenerCount('uncaughtException') > 1) return;
  console.error(
    origin === 'unhandledRejection' ? 'Unhandled promise rejection:' : 'Uncaught exception:',
    error,
  );
  proc?.exit(1);
}

/**
 * Keeps libp2p's stream errors that nobody can catch from ending the process while a transport
 * runs (Node only; browsers merely log uncaught errors). Returns the release function; the
 * guard goes when the last holder releases it.
 */
export function holdStreamErrorGuard(): () => void {
  const proc = nodeProcess();
  if (!proc) return () => undefined;
  if (holders++ === 0) proc.on('uncaughtException', onUncaught);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) proc.off('uncaughtException', onUncaught);
  };
}
