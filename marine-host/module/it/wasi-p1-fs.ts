// Mapped directories for Marine IT modules: WASI preview 1's file functions (what a wasm32-wasi
// module built by Fluence's `marine` imports) over the very directory descriptors the components'
// sandbox uses (wasi/sandbox.ts). Every path is resolved by that sandbox, re-checked at each
// operation, so `..` above a mapped directory, absolute paths and symlinks out of it are refused
// the same way for both formats, and writes count against the same service disk quota. This file
// only translates: preview 1's fd numbers, offsets, structs in guest memory and errno values.
import type { Descriptor, DirectoryEntryStream } from '../../wasi/sandbox.js';

/** Preview 1 errno values used here (wasi_snapshot_preview1's `errno`). */
export const ERRNO = {
  SUCCESS: 0,
  ACCES: 2,
  BADF: 8,
  BUSY: 10,
  EXIST: 20,
  FBIG: 22,
  INVAL: 28,
  IO: 29,
  ISDIR: 31,
  LOOP: 32,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOMEM: 48,
  NOSPC: 51,
  NOSYS: 52,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTSUP: 58,
  PERM: 63,
  SPIPE: 70,
  XDEV: 75,
} as const;

// The sandbox fails with preview 2 error codes; preview 1 names the same conditions by number.
const FROM_P2: Record<string, number> = {
  access: ERRNO.ACCES,
  'bad-descriptor': ERRNO.BADF,
  busy: ERRNO.BUSY,
  exist: ERRNO.EXIST,
  'file-too-large': ERRNO.FBIG,
  invalid: ERRNO.INVAL,
  io: ERRNO.IO,
  'is-directory': ERRNO.ISDIR,
  loop: ERRNO.LOOP,
  'name-too-long': ERRNO.NAMETOOLONG,
  'no-entry': ERRNO.NOENT,
  'insufficient-memory': ERRNO.NOMEM,
  'insufficient-space': ERRNO.NOSPC,
  'not-directory': ERRNO.NOTDIR,
  'not-empty': ERRNO.NOTEMPTY,
  'not-permitted': ERRNO.PERM,
  'cross-device': ERRNO.XDEV,
};

const FILETYPE: Record<string, number> = {
  'block-device': 1,
  'character-device': 2,
  directory: 3,
  'regular-file': 4,
  socket: 6,
  'symbolic-link': 7,
};
const FILETYPE_DIRECTORY = 3;
const OFLAGS_CREAT = 1;
const OFLAGS_DIRECTORY = 2;
const OFLAGS_EXCL = 4;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;
const LOOKUP_SYMLINK_FOLLOW = 1;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
/** Every right preview 1 defines: descriptors here are limited by the sandbox, not by rights. */
const ALL_RIGHTS = (1n << 29n) - 1n;
/** Bytes of one `dirent` header before its name. */
const DIRENT_SIZE = 24;

/** The guest memory as the file functions read and write it (fresh views: memory may grow). */
export interface P1Memory {
  /** A view of the current buffer. */
  view(): DataView;
  /** The current buffer's bytes. */
  bytes(): Uint8Array;
}

/** One open preview 1 descriptor above stdio. */
interface Entry {
  readonly desc: Descriptor;
  readonly dir: boolean;
  /** Guest alias of a preopened directory. */
  readonly preopen?: string;
  offset: bigint;
  append: boolean;
}

interface Stat {
  type: string;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp?: { seconds: bigint; nanoseconds: number };
  dataModificationTimestamp?: { seconds: bigint; nanoseconds: number };
  statusChangeTimestamp?: { seconds: bigint; nanoseconds: number };
}

/** Maps what the sandbox threw to an errno; anything that is not a WASI failure is rethrown. */
function errnoOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'payload' in error) {
    const code = (error as { payload: unknown }).payload;
    if (typeof code === 'string') return FROM_P2[code] ?? ERRNO.IO;
    const tag = (code as { tag?: string; val?: { code?: string } }).tag;
    if (tag === 'last-operation-failed') {
      const inner = (code as { val?: { code?: string } }).val?.code;
      return (inner !== undefined ? FROM_P2[inner] : undefined) ?? ERRNO.IO;
    }
    return ERRNO.IO;
  }
  throw error;
}

/** The sandbox's stat record (descriptorStat in wasi/sandbox.ts). */
const statOf = (record: Record<string, unknown>): Stat => record as unknown as Stat;

const nanos = (t: { seconds: bigint; nanoseconds: number } | undefined): bigint =>
  t ? t.seconds * 1000000000n + BigInt(t.nanoseconds) : 0n;

/**
 * The preview 1 file functions of one module over its preopened mapped directories (fds 3, 4, …
 * in the order given). Functions take raw Wasm arguments and return an errno.
 */
export function createP1Filesystem(
  preopens: readonly (readonly [Descriptor, string])[],
  memory: P1Memory,
): {
  readonly imports: Record<string, (...args: never[]) => number>;
  /** Whether `fd` is a descriptor of this filesystem. */
  has(fd: number): boolean;
  /** Closes every descriptor still open (the instance is being dropped). */
  closeAll(): void;
} {
  const table = new Map<number, Entry>();
  preopens.forEach(([desc, alias], i) => {
    table.set(3 + i, { desc, dir: true, preopen: alias, offset: 0n, append: false });
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const encoder = new TextEncoder();
  const u32 = (ptr: number, v: number): void => memory.view().setUint32(ptr, v, true);
  const u64 = (ptr: number, v: bigint): void =>
    memory.view().setBigUint64(ptr, BigInt.asUintN(64, v), true);
  const path = (ptr: number, len: number): string => {
    try {
      return decoder.decode(memory.bytes().slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
    } catch {
      // Not UTF-8: no such name can exist in a mapped directory.
      throw { payload: 'invalid' };
    }
  };
  const allocFd = (): number => {
    let fd = 3;
    while (table.has(fd)) fd += 1;
    return fd;
  };
  const dispose = (desc: Descriptor): void => {
    (desc as unknown as Record<symbol, () => void>)[Symbol.for('dispose')]?.();
  };
  /** Runs `fn` on the entry of `fd`; missing fd is EBADF; sandbox failures become errnos. */
  const withFd = (fd: number, fn: (e: Entry) => number | void): number => {
    const entry = table.get(fd);
    if (!entry) return ERRNO.BADF;
    try {
      return fn(entry) ?? ERRNO.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  };
  const withDir = (fd: number, fn: (e: Entry) => number | void): number =>
    withFd(fd, (e) => (e.dir ? fn(e) : ERRNO.NOTDIR));
  const withFile = (fd: number, fn: (e: Entry) => number | void): number =>
    withFd(fd, (e) => (e.dir ? ERRNO.ISDIR : fn(e)));
  const iovecs = (iovs: number, count: number): [number, number][] => {
    const v = memory.view();
    const out: [number, number][] = [];
    for (let i = 0; i < count; i++)
      out.push([v.getUint32(iovs + 8 * i, true), v.getUint32(iovs + 8 * i + 4, true)]);
    return out;
  };
  const readInto = (e: Entry, iovs: number, count: number, at: bigint): number => {
    let total = 0;
    for (const [ptr, len] of iovecs(iovs, count)) {
      if (len === 0) continue;
      const [data] = e.desc.read(BigInt(len), at + BigInt(total));
      memory.bytes().set(data, ptr);
      total += data.length;
      if (data.length < len) break;
    }
    return total;
  };
  const gather = (iovs: number, count: number): Uint8Array => {
    const parts = iovecs(iovs, count).map(([ptr, len]) => memory.bytes().slice(ptr, ptr + len));
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const writeStat = (ptr: number, st: Stat, id: { lower: bigint; upper: bigint }): void => {
    const v = memory.view();
    u64(ptr, id.upper);
    u64(ptr + 8, id.lower);
    v.setUint8(ptr + 16, FILETYPE[st.type] ?? 0);
    u64(ptr + 24, st.linkCount);
    u64(ptr + 32, st.size);
    u64(ptr + 40, nanos(st.dataAccessTimestamp));
    u64(ptr + 48, nanos(st.dataModificationTimestamp));
    u64(ptr + 56, nanos(st.statusChangeTimestamp));
  };
  const follow = (flags: number): { symlinkFollow: boolean } => ({
    symlinkFollow: (flags & LOOKUP_SYMLINK_FOLLOW) !== 0,
  });

  const imports: Record<string, (...args: never[]) => number> = {
    fd_prestat_get: (fd: number, ptr: number) =>
      withFd(fd, (e) => {
        if (e.preopen === undefined) return ERRNO.BADF;
        memory.view().setUint8(ptr, 0);
        u32(ptr + 4, encoder.encode(e.preopen).length);
      }),
    fd_prestat_dir_name: (fd: number, ptr: number, len: number) =>
      withFd(fd, (e) => {
        if (e.preopen === undefined) return ERRNO.BADF;
        const name = encoder.encode(e.preopen);
        if (len < name.length) return ERRNO.NAMETOOLONG;
        memory.bytes().set(name, ptr);
      }),
    fd_fdstat_get: (fd: number, ptr: number) =>
      withFd(fd, (e) => {
        const v = memory.view();
        v.setUint8(ptr, e.dir ? FILETYPE_DIRECTORY : (FILETYPE[e.desc.getType()] ?? 0));
        v.setUint16(ptr + 2, e.append ? FDFLAGS_APPEND : 0, true);
        u64(ptr + 8, ALL_RIGHTS);
        u64(ptr + 16, ALL_RIGHTS);
      }),
    fd_fdstat_set_flags: (fd: number, flags: number) =>
      withFd(fd, (e) => {
        e.append = (flags & FDFLAGS_APPEND) !== 0;
      }),
    fd_fdstat_set_rights: (fd: number) => withFd(fd, () => ERRNO.SUCCESS),
    path_open: (
      dirFd: number,
      lookup: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rights: bigint,
      _inheriting: bigint,
      fdflags: number,
      outPtr: number,
    ) =>
      withDir(dirFd, (e) => {
        const desc = e.desc.openAt(
          follow(lookup),
          path(pathPtr, pathLen),
          {
            create: (oflags & OFLAGS_CREAT) !== 0,
            directory: (oflags & OFLAGS_DIRECTORY) !== 0,
            exclusive: (oflags & OFLAGS_EXCL) !== 0,
            truncate: (oflags & OFLAGS_TRUNC) !== 0,
          },
          {
            read: (BigInt(rights) & RIGHT_FD_READ) !== 0n,
            write: (BigInt(rights) & RIGHT_FD_WRITE) !== 0n || (oflags & OFLAGS_TRUNC) !== 0,
          },
        );
        const dir = desc.getType() === 'directory';
        const fd = allocFd();
        table.set(fd, { desc, dir, offset: 0n, append: (fdflags & FDFLAGS_APPEND) !== 0 });
        u32(outPtr, fd);
      }),
    fd_close: (fd: number) =>
      withFd(fd, (e) => {
        table.delete(fd);
        if (e.preopen === undefined) dispose(e.desc);
      }),
    fd_renumber: (from: number, to: number) =>
      withFd(from, (e) => {
        const old = table.get(to);
        if (!old) return ERRNO.BADF;
        if (old.preopen === undefined) dispose(old.desc);
        table.set(to, e);
        table.delete(from);
      }),
    fd_read: (fd: number, iovs: number, count: number, outPtr: number) =>
      withFile(fd, (e) => {
        const n = readInto(e, iovs, count, e.offset);
        e.offset += BigInt(n);
        u32(outPtr, n);
      }),
    fd_pread: (fd: number, iovs: number, count: number, offset: bigint, outPtr: number) =>
      withFile(fd, (e) => {
        u32(outPtr, readInto(e, iovs, count, BigInt(offset)));
      }),
    fd_write: (fd: number, iovs: number, count: number, outPtr: number) =>
      withFile(fd, (e) => {
        const data = gather(iovs, count);
        const at = e.append ? statOf(e.desc.stat()).size : e.offset;
        const n = Number(e.desc.write(data, at));
        e.offset = at + BigInt(n);
        u32(outPtr, n);
      }),
    fd_pwrite: (fd: number, iovs: number, count: number, offset: bigint, outPtr: number) =>
      withFile(fd, (e) => {
        u32(outPtr, Number(e.desc.write(gather(iovs, count), BigInt(offset))));
      }),
    fd_seek: (fd: number, offset: bigint, whence: number, outPtr: number) =>
      withFd(fd, (e) => {
        if (e.dir) return ERRNO.ISDIR;
        const base = whence === 0 ? 0n : whence === 1 ? e.offset : statOf(e.desc.stat()).size;
        if (whence > 2) return ERRNO.INVAL;
        const to = base + BigInt(offset);
        if (to < 0n) return ERRNO.INVAL;
        e.offset = to;
        u64(outPtr, to);
      }),
    fd_tell: (fd: number, outPtr: number) =>
      withFile(fd, (e) => {
        u64(outPtr, e.offset);
      }),
    fd_sync: (fd: number) => withFd(fd, (e) => e.desc.sync()),
    fd_datasync: (fd: number) => withFd(fd, (e) => e.desc.syncData()),
    fd_advise: (fd: number) => withFd(fd, () => ERRNO.SUCCESS),
    fd_allocate: (fd: number) => withFd(fd, () => ERRNO.NOTSUP),
    fd_filestat_get: (fd: number, ptr: number) =>
      withFd(fd, (e) => writeStat(ptr, statOf(e.desc.stat()), e.desc.metadataHash())),
    fd_filestat_set_size: (fd: number, size: bigint) =>
      withFile(fd, (e) => e.desc.setSize(BigInt(size))),
    // Times are not settable in the sandbox (as for components): accepted and ignored.
    fd_filestat_set_times: (fd: number) => withFd(fd, () => ERRNO.SUCCESS),
    path_filestat_get: (fd: number, flags: number, pathPtr: number, pathLen: number, ptr: number) =>
      withDir(fd, (e) => {
        const p = path(pathPtr, pathLen);
        writeStat(
          ptr,
          statOf(e.desc.statAt(follow(flags), p)),
          e.desc.metadataHashAt(follow(flags), p),
        );
      }),
    path_filestat_set_times: (fd: number) => withDir(fd, () => ERRNO.SUCCESS),
    fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, usedPtr: number) =>
      withDir(fd, (e) => {
        const stream: DirectoryEntryStream = e.desc.readDirectory();
        const entries: { name: string; type: string }[] = [];
        for (let x = stream.readDirectoryEntry(); x; x = stream.readDirectoryEntry())
          entries.push(x);
        // Cookies are positions in the listing; bytes past the buffer are cut, as preview 1 says.
        const out: number[] = [];
        for (let i = Number(cookie); i < entries.length && out.length < bufLen; i++) {
          const entry = entries[i] as { name: string; type: string };
          const name = encoder.encode(entry.name);
          const head = new DataView(new ArrayBuffer(DIRENT_SIZE));
          head.setBigUint64(0, BigInt(i + 1), true);
          head.setBigUint64(8, 0n, true);
          head.setUint32(16, name.length, true);
          head.setUint8(20, FILETYPE[entry.type] ?? 0);
          out.push(...new Uint8Array(head.buffer), ...name);
        }
        const used = Math.min(out.length, bufLen);
        memory.bytes().set(out.slice(0, used), buf);
        u32(usedPtr, used);
      }),
    path_create_directory: (fd: number, pathPtr: number, pathLen: number) =>
      withDir(fd, (e) => e.desc.createDirectoryAt(path(pathPtr, pathLen))),
    path_remove_directory: (fd: number, pathPtr: number, pathLen: number) =>
      withDir(fd, (e) => e.desc.removeDirectoryAt(path(pathPtr, pathLen))),
    path_unlink_file: (fd: number, pathPtr: number, pathLen: number) =>
      withDir(fd, (e) => e.desc.unlinkFileAt(path(pathPtr, pathLen))),
    path_readlink: (
      fd: number,
      pathPtr: number,
      pathLen: number,
      buf: number,
      bufLen: number,
      usedPtr: number,
    ) =>
      withDir(fd, (e) => {
        const target = encoder.encode(e.desc.readlinkAt(path(pathPtr, pathLen)));
        const used = Math.min(target.length, bufLen);
        memory.bytes().set(target.subarray(0, used), buf);
        u32(usedPtr, used);
      }),
    path_rename: (
      fd: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ) =>
      withDir(fd, (e) =>
        withDir(newFd, (to) =>
          e.desc.renameAt(path(oldPtr, oldLen), to.desc, path(newPtr, newLen)),
        ),
      ),
    path_symlink: (oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) =>
      withDir(fd, (e) => e.desc.symlinkAt(path(oldPtr, oldLen), path(newPtr, newLen))),
    path_link: (
      oldFd: number,
      oldFlags: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ) =>
      withDir(oldFd, (e) =>
        withDir(newFd, (to) =>
          e.desc.linkAt(follow(oldFlags), path(oldPtr, oldLen), to.desc, path(newPtr, newLen)),
        ),
      ),
  };
  return {
    imports,
    has: (fd) => table.has(fd),
    closeAll() {
      for (const [fd, e] of table) {
        table.delete(fd);
        if (e.preopen === undefined) dispose(e.desc);
      }
    },
  };
}
