// WASI preview2, deny by default: our own implementations of the interfaces the preview1 reactor
// adapter imports. A module sees only the env vars it is granted and only its mapped
// directories (confined, see paths.ts); stdin is empty; stdout and stderr go to the service log.
// Runs inside the service's worker thread, so blocking (sync fs, sleeps) only blocks that service.
import { randomBytes, randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import {
  checkLinkTarget,
  fdPath,
  identityOf,
  MappedRoot,
  resolveIn,
  walkTo,
  type Identity,
  type Walk,
} from './confine.js';
import { ledgerFor, noteClose, noteOpen } from './fd-ledger.js';
import { PathEscapeError } from './paths.js';
import { DEFAULT_DISK_QUOTA, DiskQuota, DiskQuotaError } from './quota.js';

/** What a module is granted. */
export interface WasiGrants {
  /** Environment variables (the only ones the module sees). */
  readonly envs: Readonly<Record<string, string>>;
  /** Guest alias → host directory (created if missing). */
  readonly mappedDirs: Readonly<Record<string, string>>;
  /** Disk quota shared by the service's mapped dirs (default: one over these dirs, DEFAULT_DISK_QUOTA). */
  readonly quota?: DiskQuota;
  /** Where the guest's open fds are marked (fd-ledger.ts; default the thread's ledger). */
  readonly fdLedger?: SharedArrayBuffer;
  /**
   * How a guest's sleep blocks (default: the thread waits the whole time, which in a service's
   * worker blocks only that service). A service run inline gives one that stops the guest at its
   * call's time limit instead of sleeping past it.
   */
  readonly pause?: (ms: number) => void;
}

/** Blocks this thread for `ms` (a guest's sleep). */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Where guest output goes: one call per line (or per write without a newline at the end);
 * `host` lines are the sandbox's own notes (a refused write over the disk quota).
 */
export type LogSink = (stream: 'stdout' | 'stderr' | 'host', text: string) => void;

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
    // Already a WASI error (from fail): keep its code.
    if (typeof error === 'object' && error !== null && 'payload' in error) throw error;
    if (error instanceof PathEscapeError) fail(error.code);
    const code = (error as NodeJS.ErrnoException).code;
    fail((code && ERRNO[code]) ?? 'io');
  }
}

/** `wasi:io/error` error resource; `code` is what `filesystem-error-code` reports for it. */
class IoError {
  constructor(
    readonly message: string,
    readonly code?: ErrorCode,
  ) {}
  toDebugString(): string {
    return this.message;
  }
}

/** `wasi:io/poll` pollable; every host stream here is always ready. */
class Pollable {
  constructor(
    private readonly deadlineNs?: bigint,
    private readonly pause: (ms: number) => void = blockFor,
  ) {}
  ready(): boolean {
    return this.deadlineNs === undefined || process.hrtime.bigint() >= this.deadlineNs;
  }
  block(): void {
    if (this.deadlineNs === undefined) return;
    const waitMs = Number((this.deadlineNs - process.hrtime.bigint()) / 1000000n);
    // Blocking is fine in the service's worker (the call time limit still applies); inline, the
    // grant's pause keeps to that limit itself.
    if (waitMs > 0) this.pause(waitMs);
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
      | { fd: number; offset: bigint | 'append'; mount: Mount }
      | { log: LogSink; stream: 'stdout' | 'stderr' },
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
      chargeWrite(t.mount, t.fd, t.offset, contents.length);
    } catch (error) {
      const code = (error as { payload?: unknown }).payload;
      const known = typeof code === 'string' ? code : 'io';
      fail({
        tag: 'last-operation-failed',
        val: new IoError(
          known === 'insufficient-space' ? 'disk quota exceeded' : `write refused (${known})`,
          known,
        ),
      });
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

/** One mapped directory as its descriptors see it: the root, the service's quota, its host log. */
interface Mount {
  readonly root: MappedRoot;
  readonly quota: DiskQuota;
  /** Writes a host line to the service log (quota refusals). */
  readonly note: (text: string) => void;
  /** The fd ledger the guest's open files are marked in (fd-ledger.ts). */
  readonly marks: Uint8Array | undefined;
}

/** Accounts a write of `len` bytes at `offset` (or appended) to an open file, before it happens. */
function chargeWrite(mount: Mount, fd: number, offset: bigint | 'append', len: number): void {
  const size = fs.fstatSync(fd).size;
  const end = offset === 'append' ? size + len : Number(offset) + len;
  withQuota(mount, () =>
    mount.quota.grow(end - size, `a write to ${len} byte(s) ending at ${end}`),
  );
}

/** Runs a quota step; a refusal is logged on the host and becomes ENOSPC for the guest. */
function withQuota<T>(mount: Mount, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DiskQuotaError) {
      mount.note(error.message);
      fail('insufficient-space');
    }
    throw error;
  }
}

/**
 * `wasi:filesystem/types` descriptor: a directory or a file inside one mapped directory. A
 * directory is its component names from the root plus its identity, re-walked and re-checked on
 * every use (confine.ts); a file is the fd that was opened (and checked) inside the root.
 */
export class Descriptor {
  constructor(
    private readonly mount: Mount,
    /** Components from the root (for a file: where it was opened). */
    private readonly names: readonly string[],
    /** Identity of a directory. */
    private readonly id: Identity | undefined,
    private readonly fd: number | undefined,
    private readonly flags: DescriptorFlags,
  ) {}

  /** Runs `fn` on this directory, freshly reached from the root and verified. */
  private dir<T>(fn: (walk: Walk) => T): T {
    if (this.id === undefined) fail('not-directory');
    const id = this.id;
    return fsCall(() => {
      const walk = walkTo(this.mount.root, this.names, id);
      try {
        return fn(walk);
      } finally {
        walk.close();
      }
    });
  }

  /** Runs `fn` on the directory fd holding `path`'s last component (undefined: this directory). */
  private at<T>(
    path: string,
    follow: boolean,
    fn: (fd: number, name: string | undefined, walk: Walk) => T,
  ): T {
    return this.dir((walk) => {
      const name = resolveIn(walk, path, follow);
      return fn(walk.fd, name, walk);
    });
  }

  /** Like `at`, for operations that need a named entry (not the directory itself). */
  private atEntry<T>(
    path: string,
    follow: boolean,
    fn: (fd: number, name: string, walk: Walk) => T,
  ): T {
    return this.at(path, follow, (fd, name, walk) => {
      if (name === undefined) fail('not-permitted');
      return fn(fd, name, walk);
    });
  }

  private fileFd(): number {
    if (this.fd === undefined) fail('is-directory');
    return this.fd;
  }

  private sameRoot(other: Descriptor): void {
    // Each mapped directory is its own sandbox: nothing is linked or moved from one to another.
    if (other.mount.root !== this.mount.root) fail('cross-device');
  }

  readViaStream(offset: bigint): InputStream {
    return new InputStream(this.fileFd(), offset);
  }
  writeViaStream(offset: bigint): OutputStream {
    return new OutputStream({ fd: this.fileFd(), offset, mount: this.mount });
  }
  appendViaStream(): OutputStream {
    return new OutputStream({ fd: this.fileFd(), offset: 'append', mount: this.mount });
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
    if (this.fd !== undefined) return fsCall(() => descriptorType(fs.fstatSync(this.fd as number)));
    return this.dir((walk) => descriptorType(fs.fstatSync(walk.fd)));
  }
  setSize(size: bigint): void {
    const fd = this.fileFd();
    fsCall(() => {
      const old = fs.fstatSync(fd).size;
      withQuota(this.mount, () =>
        this.mount.quota.grow(Number(size) - old, `setting a file's size to ${size}`),
      );
      fs.ftruncateSync(fd, Number(size));
    });
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
    return fsCall(() => {
      chargeWrite(this.mount, fd, offset, buffer.length);
      return BigInt(fs.writeSync(fd, buffer, 0, buffer.length, Number(offset)));
    });
  }
  readDirectory(): DirectoryEntryStream {
    const entries = this.dir((walk) => fs.readdirSync(fdPath(walk.fd), { withFileTypes: true }));
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
    this.atEntry(path, false, (fd, name) => {
      withQuota(this.mount, () => this.mount.quota.addEntry(`directory ${JSON.stringify(path)}`));
      try {
        fs.mkdirSync(fdPath(fd, name));
      } catch (error) {
        this.mount.quota.removeEntry(0);
        throw error;
      }
    });
  }
  stat(): Record<string, unknown> {
    if (this.fd !== undefined) return fsCall(() => descriptorStat(fs.fstatSync(this.fd as number)));
    return this.dir((walk) => descriptorStat(fs.fstatSync(walk.fd)));
  }
  statAt(pathFlags: PathFlags, path: string): Record<string, unknown> {
    // A followed last link was expanded by the walk, so lstat is right either way.
    return this.at(path, pathFlags.symlinkFollow === true, (fd, name) =>
      descriptorStat(name === undefined ? fs.fstatSync(fd) : fs.lstatSync(fdPath(fd, name))),
    );
  }
  linkAt(oldFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.sameRoot(newDescriptor);
    this.atEntry(oldPath, oldFlags.symlinkFollow === true, (oldFd, oldName) => {
      const st = fs.lstatSync(fdPath(oldFd, oldName));
      if (st.isDirectory()) fail('not-permitted');
      newDescriptor.atEntry(newPath, false, (newFd, newName) => {
        withQuota(this.mount, () => this.mount.quota.addEntry(`link ${JSON.stringify(newPath)}`));
        try {
          // link(2) does not follow a last link: both names are (directory fd, entry) inside the root.
          fs.linkSync(fdPath(oldFd, oldName), fdPath(newFd, newName));
        } catch (error) {
          this.mount.quota.removeEntry(0);
          throw error;
        }
      });
    });
  }
  openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Descriptor {
    return this.at(path, pathFlags.symlinkFollow === true, (dirFd, name, walk) => {
      if (name === undefined) {
        if (openFlags.create && openFlags.exclusive) fail('exist');
        return new Descriptor(this.mount, [...walk.names], identityOf(dirFd), undefined, flags);
      }
      const C = fs.constants;
      const where = fdPath(dirFd, name);
      let existed = true;
      try {
        fs.lstatSync(where);
      } catch {
        existed = false;
      }
      let mode =
        flags.write || flags.mutateDirectory ? (flags.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
      if (openFlags.directory) mode = C.O_RDONLY | C.O_DIRECTORY;
      if (openFlags.create) mode |= C.O_CREAT;
      if (openFlags.exclusive) mode |= C.O_EXCL;
      // A followed last link was expanded by the walk: whatever is there now is opened unfollowed.
      // Never block on a FIFO someone placed in the directory.
      mode |= C.O_NOFOLLOW | C.O_NONBLOCK;
      const creating = openFlags.create === true && !existed;
      if (creating)
        withQuota(this.mount, () => this.mount.quota.addEntry(`file ${JSON.stringify(path)}`));
      let fd: number;
      try {
        fd = fs.openSync(where, mode, 0o644);
      } catch (error) {
        if (creating) this.mount.quota.removeEntry(0);
        throw error;
      }
      try {
        const st = fs.fstatSync(fd);
        if (st.isDirectory()) {
          const id = identityOf(fd);
          fs.closeSync(fd);
          return new Descriptor(this.mount, [...walk.names, name], id, undefined, flags);
        }
        if (openFlags.directory) fail('not-directory');
        this.mount.root.verifyOpened(fd, `path ${JSON.stringify(path)}`);
        if (openFlags.truncate && st.isFile()) {
          fs.ftruncateSync(fd, 0);
          this.mount.quota.grow(-st.size, 'truncate');
        }
        noteOpen(fd, this.mount.marks);
        return new Descriptor(this.mount, [...walk.names, name], undefined, fd, flags);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
    });
  }
  readlinkAt(path: string): string {
    return this.atEntry(path, false, (fd, name) => fs.readlinkSync(fdPath(fd, name)));
  }
  removeDirectoryAt(path: string): void {
    this.atEntry(path, false, (fd, name) => {
      fs.rmdirSync(fdPath(fd, name));
      this.mount.quota.removeEntry(0);
    });
  }
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.sameRoot(newDescriptor);
    this.atEntry(oldPath, false, (oldFd, oldName) => {
      newDescriptor.atEntry(newPath, false, (newFd, newName) => {
        const to = fdPath(newFd, newName);
        let replaced: fs.Stats | undefined;
        try {
          replaced = fs.lstatSync(to);
        } catch {
          replaced = undefined;
        }
        fs.renameSync(fdPath(oldFd, oldName), to);
        if (replaced)
          this.mount.quota.removeEntry(
            replaced.isFile() && replaced.nlink === 1 ? replaced.size : 0,
          );
      });
    });
  }
  symlinkAt(oldPath: string, newPath: string): void {
    // Only relative targets that stay inside the mapped directory may be created; they are
    // re-checked whenever they are followed anyway.
    this.atEntry(newPath, false, (fd, name, walk) => {
      checkLinkTarget(oldPath, walk.names.length);
      withQuota(this.mount, () => this.mount.quota.addEntry(`symlink ${JSON.stringify(newPath)}`));
      try {
        fs.symlinkSync(oldPath, fdPath(fd, name));
      } catch (error) {
        this.mount.quota.removeEntry(0);
        throw error;
      }
    });
  }
  unlinkFileAt(path: string): void {
    this.atEntry(path, false, (fd, name) => {
      const where = fdPath(fd, name);
      const st = fs.lstatSync(where);
      if (st.isDirectory()) fail('is-directory');
      fs.unlinkSync(where);
      this.mount.quota.removeEntry(st.isFile() && st.nlink === 1 ? st.size : 0);
    });
  }
  private identity(): Identity {
    if (this.id !== undefined) return this.id;
    return fsCall(() => identityOf(this.fd as number));
  }
  isSameObject(other: Descriptor): boolean {
    const a = this.identity();
    const b = other.identity();
    return a.dev === b.dev && a.ino === b.ino;
  }
  metadataHash(): { lower: bigint; upper: bigint } {
    const id = this.identity();
    return { lower: id.ino, upper: id.dev };
  }
  metadataHashAt(pathFlags: PathFlags, path: string): { lower: bigint; upper: bigint } {
    // Without symlinkFollow a last link is hashed as the link itself (lstat), never its target.
    return this.at(path, pathFlags.symlinkFollow === true, (fd, name) => {
      const st =
        name === undefined
          ? fs.fstatSync(fd, { bigint: true })
          : fs.lstatSync(fdPath(fd, name), { bigint: true });
      return { lower: st.ino, upper: st.dev };
    });
  }
  [Symbol.for('dispose')](): void {
    if (this.fd !== undefined) {
      noteClose(this.fd, this.mount.marks);
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed.
      }
    }
  }
}

/** `wasi:filesystem/types` directory listing. */
export class DirectoryEntryStream {
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

/**
 * The preopened directories of a module's mapped dirs, as (directory descriptor, guest alias):
 * host paths are created, every operation under them is confined (confine.ts) and charged to the
 * service's disk quota. Components get them through `wasi:filesystem/preopens`, Marine IT modules
 * through preview 1 (module/it/wasi-p1-fs.ts).
 */
export function mappedPreopens(grants: WasiGrants, log: LogSink): [Descriptor, string][] {
  const roots = Object.entries(grants.mappedDirs).map(
    ([alias, hostDir]) => [alias, new MappedRoot(hostDir)] as const,
  );
  const quota =
    grants.quota ??
    new DiskQuota(
      DEFAULT_DISK_QUOTA,
      roots.map(([, root]) => root.real),
    );
  const note = (text: string): void => log('host', text);
  const marks = ledgerFor(grants.fdLedger);
  return roots.map(([alias, root]) => [
    new Descriptor({ root, quota, note, marks }, [], root.id, undefined, {
      read: true,
      write: true,
      mutateDirectory: true,
    }),
    alias,
  ]);
}

/** Builds the WASI imports for one module from its grants; host paths of mapped dirs are created. */
export function createWasi(grants: WasiGrants, log: LogSink): WasiInstance {
  const preopens = mappedPreopens(grants, log);
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
      subscribeDuration: (ns: bigint) => new Pollable(process.hrtime.bigint() + ns, grants.pause),
      subscribeInstant: (at: bigint) => new Pollable(start + at, grants.pause),
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
      // The preview1 adapter asks this to turn a failed stream write into an errno (ENOSPC).
      filesystemErrorCode: (error: unknown) => (error instanceof IoError ? error.code : undefined),
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
