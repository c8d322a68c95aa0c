// WASI preview2, deny by default: our own implementations of the interfaces the preview1 reactor
// adapter imports. A module sees only the env vars it is granted and only its mapped
// directories (confined, see paths.ts); stdin is empty; stdout and stderr go to the service log.
// Runs inside the service's worker thread, so blocking (sync fs, sleeps) only blocks that service.
import { randomBytes, randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { confinedPath, PathEscapeError } from './paths.js';

/** What a module is granted. */
export interface WasiGrants {
  /** Environment variables (the only ones the module sees). */
  readonly envs: Readonly<Record<string, string>>;
  /** Guest alias → host directory (created if missing). */
  readonly mappedDirs: Readonly<Record<string, string>>;
}

/** Where guest output goes: one call per line (or per write without a newline at the end). */
export type LogSink = (stream: 'stdout' | 'stderr', text: string) => void;

/** A WASI error-code value as the filesystem interface names it. */
type ErrorCode = string;

/** What jco expects an import to throw for an `err` result: an object with a payload. */
function fail(code: ErrorCode | { tag: string; val?: unknown }): never {
  throw { payload: code };
}

const ERRNO: Record<string, ErrorCode> = {
  ENOENT: 'no-entry',
  EEXIST: 'exist',
  ENOTDIR: 'not-directory',
  EISDIR: 'is-directory',
  EACCES: 'access',
  EPERM: 'not-permitted',
  ENOTEMPTY: 'not-empty',
  ELOOP: 'loop',
  EINVAL: 'invalid',
  EBADF: 'bad-descriptor',
  ENAMETOOLONG: 'name-too-long',
  EXDEV: 'cross-device',
  ENOSPC: 'insufficient-space',
  EMFILE: 'insufficient-memory',
  EBUSY: 'busy',
  EFBIG: 'file-too-large',
};

function fsCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof PathEscapeError) fail(error.code);
    const code = (error as NodeJS.ErrnoException).code;
    fail((code && ERRNO[code]) ?? 'io');
  }
}

/** `wasi:io/error` error resource. */
class IoError {
  constructor(readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

/** `wasi:io/poll` pollable; every host stream here is always ready. */
class Pollable {
  constructor(private readonly deadlineNs?: bigint) {}
  ready(): boolean {
    return this.deadlineNs === undefined || process.hrtime.bigint() >= this.deadlineNs;
  }
  block(): void {
    if (this.deadlineNs === undefined) return;
    const waitMs = Number((this.deadlineNs - process.hrtime.bigint()) / 1000000n);
    // A blocking sleep is fine: the guest runs in its own worker, and the call time limit still applies.
    if (waitMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);
  }
}

/** `wasi:io/streams` input stream: a file read at an offset, or the (empty) stdin. */
class InputStream {
  constructor(
    private readonly fd: number | undefined,
    private offset: bigint,
  ) {}
  read(len: bigint): Uint8Array {
    if (this.fd === undefined) fail({ tag: 'closed' });
    const buf = Buffer.alloc(Number(len > 1048576n ? 1048576n : len));
    let n: number;
    try {
      n = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
    } catch (error) {
      fail({ tag: 'last-operation-failed', val: new IoError((error as Error).message) });
    }
    if (n === 0 && len > 0n) fail({ tag: 'closed' });
    this.offset += BigInt(n);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** `wasi:io/streams` output stream: a file (at an offset or appending) or a log stream. */
class OutputStream {
  private pending = '';
  constructor(
    private readonly target:
      { fd: number; offset: bigint | 'append' } | { log: LogSink; stream: 'stdout' | 'stderr' },
  ) {}
  checkWrite(): bigint {
    return 1048576n;
  }
  write(contents: Uint8Array): void {
    const t = this.target;
    if ('log' in t) {
      this.pending += Buffer.from(contents).toString('utf8');
      let nl = this.pending.indexOf('\n');
      while (nl >= 0) {
        t.log(t.stream, this.pending.slice(0, nl));
        this.pending = this.pending.slice(nl + 1);
        nl = this.pending.indexOf('\n');
      }
      return;
    }
    try {
      if (t.offset === 'append') fs.writeSync(t.fd, contents);
      else {
        const n = fs.writeSync(t.fd, contents, 0, contents.length, Number(t.offset));
        t.offset += BigInt(n);
      }
    } catch (error) {
      fail({ tag: 'last-operation-failed', val: new IoError((error as Error).message) });
    }
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
    this.flush();
  }
  flush(): void {
    // Log streams emit whole lines; the rest waits for a newline or the end of the call.
  }
  /** Emits a pending partial line of a log stream. */
  drain(): void {
    const t = this.target;
    if ('log' in t && this.pending !== '') {
      t.log(t.stream, this.pending);
      this.pending = '';
    }
  }
  blockingFlush(): void {
    this.flush();
  }
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
    this.flush();
  }
  splice(src: InputStream, len: bigint): bigint {
    const data = src.read(len);
    this.write(data);
    return BigInt(data.length);
  }
  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

function datetime(ms: number): Datetime {
  const ns = BigInt(Math.round(ms * 1e6));
  return { seconds: ns / 1000000000n, nanoseconds: Number(ns % 1000000000n) };
}

function descriptorType(st: fs.Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'regular-file';
  if (st.isSymbolicLink()) return 'symbolic-link';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function descriptorStat(st: fs.Stats): Record<string, unknown> {
  return {
    type: descriptorType(st),
    linkCount: BigInt(st.nlink),
    size: BigInt(st.size),
    dataAccessTimestamp: datetime(st.atimeMs),
    dataModificationTimestamp: datetime(st.mtimeMs),
    statusChangeTimestamp: datetime(st.ctimeMs),
  };
}

interface PathFlags {
  symlinkFollow?: boolean;
}
interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  mutateDirectory?: boolean;
}

/** `wasi:filesystem/types` descriptor: a directory or file inside one mapped directory. */
class Descriptor {
  constructor(
    /** Real path of the mapped directory this descriptor lives in. */
    private readonly root: string,
    /** Host path of this descriptor. */
    private readonly path: string,
    private readonly fd: number | undefined,
    private readonly flags: DescriptorFlags,
  ) {}

  private at(path: string, follow: boolean): string {
    return fsCall(() => confinedPath(this.root, this.path, path, follow));
  }
  private fileFd(): number {
    if (this.fd === undefined) fail('is-directory');
    return this.fd;
  }

  readViaStream(offset: bigint): InputStream {
    return new InputStream(this.fileFd(), offset);
  }
  writeViaStream(offset: bigint): OutputStream {
    return new OutputStream({ fd: this.fileFd(), offset });
  }
  appendViaStream(): OutputStream {
    return new OutputStream({ fd: this.fileFd(), offset: 'append' });
  }
  advise(): void {}
  syncData(): void {
    if (this.fd !== undefined) fsCall(() => fs.fdatasyncSync(this.fd as number));
  }
  sync(): void {
    if (this.fd !== undefined) fsCall(() => fs.fsyncSync(this.fd as number));
  }
  getFlags(): DescriptorFlags {
    return this.flags;
  }
  getType(): string {
    return fsCall(() => descriptorType(fs.statSync(this.path)));
  }
  setSize(size: bigint): void {
    fsCall(() => fs.ftruncateSync(this.fileFd(), Number(size)));
  }
  setTimes(): void {}
  setTimesAt(): void {}
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const fd = this.fileFd();
    const buf = Buffer.alloc(Number(length > 16777216n ? 16777216n : length));
    const n = fsCall(() => fs.readSync(fd, buf, 0, buf.length, offset));
    return [new Uint8Array(buf.buffer, buf.byteOffset, n), n === 0 && length > 0n];
  }
  write(buffer: Uint8Array, offset: bigint): bigint {
    const fd = this.fileFd();
    return BigInt(fsCall(() => fs.writeSync(fd, buffer, 0, buffer.length, Number(offset))));
  }
  readDirectory(): DirectoryEntryStream {
    const entries = fsCall(() => fs.readdirSync(this.path, { withFileTypes: true }));
    return new DirectoryEntryStream(
      entries.map((e) => ({
        name: e.name,
        type: e.isDirectory()
          ? 'directory'
          : e.isFile()
            ? 'regular-file'
            : e.isSymbolicLink()
              ? 'symbolic-link'
              : 'unknown',
      })),
    );
  }
  createDirectoryAt(path: string): void {
    const target = this.at(path, false);
    fsCall(() => fs.mkdirSync(target));
  }
  stat(): Record<string, unknown> {
    return fsCall(() =>
      descriptorStat(this.fd !== undefined ? fs.fstatSync(this.fd) : fs.statSync(this.path)),
    );
  }
  statAt(pathFlags: PathFlags, path: string): Record<string, unknown> {
    const follow = pathFlags.symlinkFollow === true;
    const target = this.at(path, follow);
    return fsCall(() => descriptorStat(follow ? fs.statSync(target) : fs.lstatSync(target)));
  }
  linkAt(_oldFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = this.at(oldPath, false);
    const to = newDescriptor.at(newPath, false);
    fsCall(() => fs.linkSync(from, to));
  }
  openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Descriptor {
    const follow = pathFlags.symlinkFollow === true;
    const target = this.at(path, follow);
    const C = fs.constants;
    let mode =
      flags.write || flags.mutateDirectory ? (flags.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    if (openFlags.directory) mode = C.O_RDONLY;
    if (openFlags.create) mode |= C.O_CREAT;
    if (openFlags.exclusive) mode |= C.O_EXCL;
    if (openFlags.truncate) mode |= C.O_TRUNC;
    if (openFlags.directory) mode |= C.O_DIRECTORY;
    // Without symlinkFollow the last component must not be a link at all.
    if (!follow) mode |= C.O_NOFOLLOW;
    const fd = fsCall(() => fs.openSync(target, mode, 0o644));
    const st = fsCall(() => fs.fstatSync(fd));
    if (st.isDirectory()) {
      fs.closeSync(fd);
      return new Descriptor(this.root, target, undefined, flags);
    }
    if (openFlags.directory) {
      fs.closeSync(fd);
      fail('not-directory');
    }
    return new Descriptor(this.root, target, fd, flags);
  }
  readlinkAt(path: string): string {
    const target = this.at(path, false);
    const link = fsCall(() => fs.readlinkSync(target));
    return link;
  }
  removeDirectoryAt(path: string): void {
    const target = this.at(path, false);
    if (target === this.root) fail('not-permitted');
    fsCall(() => fs.rmdirSync(target));
  }
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = this.at(oldPath, false);
    const to = newDescriptor.at(newPath, false);
    if (from === this.root) fail('not-permitted');
    fsCall(() => fs.renameSync(from, to));
  }
  symlinkAt(oldPath: string, newPath: string): void {
    // Only relative link targets that stay inside the mapped directory may be created.
    const to = this.at(newPath, false);
    if (oldPath.startsWith('/')) fail('not-permitted');
    fsCall(() => confinedPath(this.root, join(to, '..'), oldPath, true));
    fsCall(() => fs.symlinkSync(oldPath, to));
  }
  unlinkFileAt(path: string): void {
    const target = this.at(path, false);
    fsCall(() => fs.unlinkSync(target));
  }
  isSameObject(other: Descriptor): boolean {
    return other.path === this.path;
  }
  metadataHash(): { lower: bigint; upper: bigint } {
    const st = fsCall(() => fs.statSync(this.path, { bigint: true }));
    return { lower: st.ino, upper: st.dev };
  }
  metadataHashAt(pathFlags: PathFlags, path: string): { lower: bigint; upper: bigint } {
    const target = this.at(path, pathFlags.symlinkFollow === true);
    const st = fsCall(() => fs.statSync(target, { bigint: true }));
    return { lower: st.ino, upper: st.dev };
  }
  [Symbol.for('dispose')](): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed.
      }
    }
  }
}

/** `wasi:filesystem/types` directory listing. */
class DirectoryEntryStream {
  private at = 0;
  constructor(private readonly entries: { name: string; type: string }[]) {}
  readDirectoryEntry(): { name: string; type: string } | undefined {
    const e = this.entries[this.at];
    this.at += 1;
    return e;
  }
}

/** The guest called `exit`; the call ends with this as its error. */
export class GuestExitError extends Error {
  override name = 'GuestExitError';
  constructor(readonly ok: boolean) {
    super(`the module called exit with ${ok ? 'success' : 'failure'}`);
  }
}

/** Every WASI interface a module may import, keyed as jco's instantiation mode expects. */
export type WasiImports = Record<string, Record<string, unknown>>;

/** WASI imports of one module, and a function that emits output still waiting for a newline. */
export interface WasiInstance {
  /** Import object entries keyed by interface name (no version). */
  readonly imports: WasiImports;
  /** Emits partial lines of stdout/stderr (call it when a call ends). */
  readonly drain: () => void;
}

/** Builds the WASI imports for one module from its grants; host paths of mapped dirs are created. */
export function createWasi(grants: WasiGrants, log: LogSink): WasiInstance {
  const preopens: [Descriptor, string][] = [];
  for (const [alias, hostDir] of Object.entries(grants.mappedDirs)) {
    mkdirSync(hostDir, { recursive: true });
    const real = realpathSync(hostDir);
    preopens.push([
      new Descriptor(real, real, undefined, { read: true, write: true, mutateDirectory: true }),
      alias,
    ]);
  }
  const env = Object.entries(grants.envs).map(([k, v]) => [k, v] as [string, string]);
  // Marine exports each mapped alias as an env var naming its (guest) path.
  for (const [alias] of Object.entries(grants.mappedDirs))
    if (!(alias in grants.envs)) env.push([alias, alias]);
  const stdout = new OutputStream({ log, stream: 'stdout' });
  const stderr = new OutputStream({ log, stream: 'stderr' });
  const stdin = new InputStream(undefined, 0n);
  const start = process.hrtime.bigint();
  const imports: WasiImports = {
    'wasi:cli/environment': {
      getEnvironment: () => env,
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: string }) => {
        throw new GuestExitError(status.tag === 'ok');
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput: class TerminalInput {} },
    'wasi:cli/terminal-output': { TerminalOutput: class TerminalOutput {} },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/wall-clock': {
      now: () => datetime(Date.now()),
      resolution: () => ({ seconds: 0n, nanoseconds: 1000000 }),
    },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint() - start,
      resolution: () => 1000n,
      subscribeDuration: (ns: bigint) => new Pollable(process.hrtime.bigint() + ns),
      subscribeInstant: (at: bigint) => new Pollable(start + at),
    },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => new Uint8Array(randomBytes(Number(len))),
      getRandomU64: () => randomBytes(8).readBigUInt64LE(),
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => new Uint8Array(randomBytes(Number(len))),
      getInsecureRandomU64: () => randomBytes(8).readBigUInt64LE(),
    },
    'wasi:random/insecure-seed': {
      insecureSeed: (): [bigint, bigint] => {
        const b = new BigUint64Array(2);
        randomFillSync(b);
        return [b[0] ?? 0n, b[1] ?? 0n];
      },
    },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (list: Pollable[]) => {
        const ready = list.map((p, i) => (p.ready() ? i : -1)).filter((i) => i >= 0);
        if (ready.length > 0) return new Uint32Array(ready);
        list[0]?.block();
        return new Uint32Array([0]);
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:filesystem/preopens': { getDirectories: () => preopens },
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: () => undefined,
    },
  };
  return {
    imports,
    drain: () => {
      stdout.drain();
      stderr.drain();
    },
  };
}

/** WASI interfaces this sandbox provides (without version); any other `wasi:` import is refused at load. */
export const PROVIDED_WASI_INTERFACES: ReadonlySet<string> = new Set(
  Object.keys(createWasi({ envs: {}, mappedDirs: {} }, () => undefined).imports),
);
