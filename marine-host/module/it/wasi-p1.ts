// WASI preview 1 for Marine IT modules (core modules built for wasm32-wasi), deny by default like
// the components' sandbox: the module sees only its granted env vars, no arguments, an empty
// stdin, a clock and randomness; stdout and stderr go to the service log, line by line. Its only
// files are its mapped directories, preopened as fds 3, 4, … (wasi-p1-fs.ts, over the components'
// confined descriptors); every other path and descriptor call fails with EBADF or ENOSYS.
import { randomFillSync } from 'node:crypto';
import { GuestExitError, type Descriptor } from '../../wasi/sandbox.js';
import { createP1Filesystem } from './wasi-p1-fs.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_SPIPE = 70;
const FILETYPE_CHARACTER_DEVICE = 2;

/** The preview 1 import object of one module and a function that flushes partial output lines. */
export interface WasiP1 {
  /** `wasi_snapshot_preview1` functions. */
  readonly imports: Record<string, (...args: never[]) => unknown>;
  /** Emits output still waiting for a newline (call it when a call ends). */
  readonly drain: () => void;
  /** Points the functions at the instance's memory (set after instantiation). */
  setMemory(memory: { readonly buffer: ArrayBuffer }): void;
  /** Closes the files the module still holds open. */
  closeFiles(): void;
}

/**
 * Builds preview 1 for one module: `envs` are all the env vars it sees; `log` gets its output
 * lines; `names` are the functions it imports; `preopens` its mapped directories (guest alias).
 */
export function createWasiP1(
  envs: Readonly<Record<string, string>>,
  log: (stream: 'stdout' | 'stderr', text: string) => void,
  names: readonly string[],
  preopens: readonly (readonly [Descriptor, string])[] = [],
): WasiP1 {
  let memory: { readonly buffer: ArrayBuffer } | undefined;
  const view = (): DataView => {
    if (!memory) throw new Error('WASI called before the module memory was available');
    return new DataView(memory.buffer);
  };
  const bytes = (): Uint8Array => new Uint8Array(view().buffer);
  const encoder = new TextEncoder();
  // As for components, each mapped alias is also an env var naming its guest path.
  const allEnvs: Record<string, string> = { ...envs };
  for (const [, alias] of preopens) if (!(alias in allEnvs)) allEnvs[alias] = alias;
  const env = Object.entries(allEnvs).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  const files = createP1Filesystem(preopens, { view, bytes: () => bytes() });
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const decoders = {
    stdout: new TextDecoder('utf-8'),
    stderr: new TextDecoder('utf-8'),
  };
  const emit = (stream: 'stdout' | 'stderr', chunk: Uint8Array): void => {
    const text = pending[stream] + decoders[stream].decode(chunk, { stream: true });
    const lines = text.split('\n');
    pending[stream] = lines.pop() ?? '';
    for (const line of lines) log(stream, line);
  };
  const drain = (): void => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = pending[stream] + decoders[stream].decode();
      pending[stream] = '';
      if (rest !== '') log(stream, rest);
    }
  };
  const u32 = (ptr: number, value: number): void => view().setUint32(ptr, value, true);
  const sizes = (list: readonly Uint8Array[], countPtr: number, sizePtr: number): number => {
    u32(countPtr, list.length);
    u32(
      sizePtr,
      list.reduce((s, x) => s + x.length, 0),
    );
    return ERRNO_SUCCESS;
  };
  const fill = (list: readonly Uint8Array[], ptrsPtr: number, bufPtr: number): number => {
    let at = bufPtr;
    list.forEach((item, i) => {
      u32(ptrsPtr + 4 * i, at);
      bytes().set(item, at);
      at += item.length;
    });
    return ERRNO_SUCCESS;
  };
  const clock = (id: number): bigint => {
    // 0 realtime; 1 monotonic; 2/3 process/thread CPU time (monotonic is close enough here).
    if (id === 0) return BigInt(Date.now()) * 1000000n;
    return process.hrtime.bigint();
  };
  const impl: Record<string, (...args: never[]) => unknown> = {
    args_sizes_get: (countPtr: number, sizePtr: number) => sizes([], countPtr, sizePtr),
    args_get: () => ERRNO_SUCCESS,
    environ_sizes_get: (countPtr: number, sizePtr: number) => sizes(env, countPtr, sizePtr),
    environ_get: (ptrsPtr: number, bufPtr: number) => fill(env, ptrsPtr, bufPtr),
    clock_res_get: (id: number, resPtr: number) => {
      if (id < 0 || id > 3) return ERRNO_INVAL;
      view().setBigUint64(resPtr, 1000n, true);
      return ERRNO_SUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, timePtr: number) => {
      if (id < 0 || id > 3) return ERRNO_INVAL;
      view().setBigUint64(timePtr, clock(id), true);
      return ERRNO_SUCCESS;
    },
    random_get: (ptr: number, len: number) => {
      randomFillSync(bytes(), ptr, len);
      return ERRNO_SUCCESS;
    },
    fd_write: (fd: number, iovs: number, iovsLen: number, writtenPtr: number) => {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + 8 * i, true);
        const len = view().getUint32(iovs + 8 * i + 4, true);
        emit(fd === 1 ? 'stdout' : 'stderr', bytes().slice(ptr, ptr + len));
        total += len;
      }
      u32(writtenPtr, total);
      return ERRNO_SUCCESS;
    },
    fd_read: (fd: number, _iovs: number, _iovsLen: number, readPtr: number) => {
      if (fd !== 0) return ERRNO_BADF;
      u32(readPtr, 0);
      return ERRNO_SUCCESS;
    },
    fd_close: (fd: number) => (fd <= 2 ? ERRNO_SUCCESS : ERRNO_BADF),
    fd_seek: (fd: number) => (fd <= 2 ? ERRNO_SPIPE : ERRNO_BADF),
    fd_sync: (fd: number) => (fd <= 2 ? ERRNO_SUCCESS : ERRNO_BADF),
    fd_fdstat_get: (fd: number, ptr: number) => {
      if (fd > 2) return ERRNO_BADF;
      const v = view();
      v.setUint8(ptr, FILETYPE_CHARACTER_DEVICE);
      v.setUint16(ptr + 2, 0, true);
      v.setBigUint64(ptr + 8, 0xffffffffn, true);
      v.setBigUint64(ptr + 16, 0n, true);
      return ERRNO_SUCCESS;
    },
    sched_yield: () => ERRNO_SUCCESS,
    proc_exit: (code: number) => {
      throw new GuestExitError(code === 0);
    },
  };
  const imports: Record<string, (...args: never[]) => unknown> = {};
  // Every function the module imports is provided: stdio and the rest above, descriptors past
  // stdio and paths by the mapped directories' filesystem, anything else fails with ENOSYS.
  for (const name of names) {
    const own = impl[name];
    const file = files.imports[name];
    if (name.startsWith('fd_') && file)
      imports[name] = (fd: number, ...rest: never[]) =>
        fd > 2 || !own ? file(...([fd, ...rest] as never[])) : own(...([fd, ...rest] as never[]));
    else imports[name] = own ?? file ?? (() => ERRNO_NOSYS);
  }
  return {
    imports,
    drain,
    setMemory(m) {
      memory = m;
    },
    closeFiles: () => files.closeAll(),
  };
}
