// Confinement checked at the moment of every filesystem operation, not when a descriptor was
// opened. A directory descriptor is never a host path string that later operations trust: each
// operation opens the mapped root afresh, walks down to the descriptor's directory one component
// at a time through /proc/self/fd/<fd>/<name> (the kernel resolves that magic link to the open
// directory itself, so each step is an openat(2) relative to the directory already reached), never
// following a link, and checks the directory reached is the very one the descriptor was opened on
// (device and inode). So a directory renamed away and replaced by a symlink is refused, never
// followed. Links inside the guest's path are resolved here by hand, each step checked against the
// root; the operation itself then names only (directory fd, last component), which the kernel does
// not follow (mkdir, unlink, rename, link, lstat) or which is opened with O_NOFOLLOW. The real path
// of every opened file is read back from /proc and checked as well. Needs Linux's /proc.
import * as fs from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { PathEscapeError } from './paths.js';

const C = fs.constants;
/** Opening a directory step: never through a link, and only a directory. */
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
/** Symlinks followed while resolving one path, as Linux's own limit. */
const MAX_LINKS = 40;

/** Device and inode of a file: what a directory descriptor really is. */
export interface Identity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** Path that names the open file `fd` itself, or `name` inside the open directory `fd`. */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** Device and inode of an open file. */
export function identityOf(fd: number): Identity {
  const st = fs.fstatSync(fd, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Whether /proc/self/fd can serve as openat here (Linux). */
export function confinementSupported(): boolean {
  return process.platform === 'linux' && fs.existsSync('/proc/self/fd');
}

/** One mapped directory: its real path and identity when the service started. */
export class MappedRoot {
  /** Real path of the mapped directory. */
  readonly real: string;
  /** Its device and inode; a root replaced on the host is refused. */
  readonly id: Identity;

  constructor(hostDir: string) {
    if (!confinementSupported())
      throw new Error(
        `mapped directory ${hostDir}: confining a mapped directory needs Linux /proc/self/fd, found platform ${process.platform}`,
      );
    fs.mkdirSync(hostDir, { recursive: true });
    this.real = fs.realpathSync(hostDir);
    const fd = fs.openSync(this.real, DIR_FLAGS);
    try {
      this.id = identityOf(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Opens the root; refused when the directory at its path is no longer the one mapped. */
  open(): number {
    const fd = fs.openSync(this.real, DIR_FLAGS);
    if (!sameIdentity(identityOf(fd), this.id)) {
      fs.closeSync(fd);
      throw new PathEscapeError(
        'access',
        `mapped directory ${this.real} was replaced since the service started`,
      );
    }
    return fd;
  }

  /** Whether a host path lies inside the root (lexically, on real paths). */
  contains(hostPath: string): boolean {
    const rel = relative(this.real, hostPath);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  }

  /** Refuses an opened file whose real path (read back from the kernel) is outside the root. */
  verifyOpened(fd: number, what: string): void {
    const real = fs.readlinkSync(fdPath(fd));
    if (!this.contains(real))
      throw new PathEscapeError('access', `${what} resolved outside its mapped directory`);
  }
}

/**
 * A chain of open directories from a mapped root down to the current one. `..` pops, so it can
 * never climb above the root; every fd but none other is closed by `close`.
 */
export class Walk {
  private readonly fds: number[];
  /** Component names from the root to the current directory. */
  readonly names: string[] = [];

  constructor(readonly root: MappedRoot) {
    this.fds = [root.open()];
  }

  /** The current directory's fd. */
  get fd(): number {
    return this.fds[this.fds.length - 1] as number;
  }

  /** Steps into the child directory `name`; a link there fails (ELOOP), it is never followed. */
  enter(name: string): void {
    this.fds.push(fs.openSync(fdPath(this.fd, name), DIR_FLAGS));
    this.names.push(name);
  }

  /** Steps to the parent; refused at the root. */
  up(what: string): void {
    if (this.names.length === 0)
      throw new PathEscapeError('not-permitted', `${what} goes above its mapped directory`);
    fs.closeSync(this.fds.pop() as number);
    this.names.pop();
  }

  /** Back to the root. */
  toRoot(): void {
    while (this.names.length > 0) this.up('');
  }

  /** Closes every fd of the chain. */
  close(): void {
    for (const fd of this.fds.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch {
        // Already closed.
      }
    }
  }
}

/**
 * Walks from the root to the directory a descriptor was opened on, following no link, and checks
 * it is still that directory. A component replaced by a link is refused (`access`); a directory
 * moved or removed since is `no-entry`.
 */
export function walkTo(root: MappedRoot, names: readonly string[], id: Identity): Walk {
  const walk = new Walk(root);
  try {
    for (const name of names) {
      try {
        walk.enter(name);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP')
          throw new PathEscapeError(
            'access',
            `directory ${JSON.stringify(names.join('/'))} was replaced by a link since it was opened`,
          );
        if (code === 'ENOENT' || code === 'ENOTDIR')
          throw new PathEscapeError(
            'no-entry',
            `directory ${JSON.stringify(names.join('/'))} is gone since it was opened`,
          );
        throw error;
      }
    }
    if (!sameIdentity(identityOf(walk.fd), id))
      throw new PathEscapeError(
        'no-entry',
        `directory ${JSON.stringify(names.join('/'))} was replaced since it was opened`,
      );
    return walk;
  } catch (error) {
    walk.close();
    throw error;
  }
}

/**
 * Resolves a guest path from the walk's current directory. Intermediate links (and the last one
 * with `followFinal`) are read and expanded here, so every directory entered is entered without
 * following; an absolute link target counts only when it names a place inside the root. Returns
 * the last component (still to be acted on, relative to `walk.fd`), or undefined when the path
 * names the directory `walk` ends in.
 */
export function resolveIn(walk: Walk, guestPath: string, followFinal: boolean): string | undefined {
  if (guestPath.includes('\0')) throw new PathEscapeError('invalid', 'path contains a NUL byte');
  if (guestPath.startsWith('/'))
    throw new PathEscapeError(
      'not-permitted',
      `absolute path ${JSON.stringify(guestPath)} is not allowed in a mapped directory`,
    );
  const what = `path ${JSON.stringify(guestPath)}`;
  let work = guestPath.split('/');
  let hops = 0;
  while (work.length > 0) {
    const part = work.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      walk.up(what);
      continue;
    }
    const last = work.every((p) => p === '' || p === '.');
    let st: fs.Stats;
    try {
      st = fs.lstatSync(fdPath(walk.fd, part));
    } catch (error) {
      if (last && (error as NodeJS.ErrnoException).code === 'ENOENT') return part;
      throw error;
    }
    if (st.isSymbolicLink() && (!last || followFinal)) {
      hops += 1;
      if (hops > MAX_LINKS) throw new PathEscapeError('loop', `too many symlinks in ${what}`);
      const target = fs.readlinkSync(fdPath(walk.fd, part));
      if (isAbsolute(target)) {
        if (!walk.root.contains(target))
          throw new PathEscapeError(
            'not-permitted',
            `symlink ${JSON.stringify(part)} in ${what} points outside its mapped directory`,
          );
        walk.toRoot();
        work = [...relative(walk.root.real, target).split(sep), ...work];
      } else work = [...target.split('/'), ...work];
      continue;
    }
    if (last) return part;
    walk.enter(part);
  }
  return undefined;
}

/**
 * Checks that a symlink target, read from the directory `depth` levels below the root, cannot
 * climb above the root (lexically; resolution re-checks it on every use anyway).
 */
export function checkLinkTarget(target: string, depth: number): void {
  if (target.includes('\0'))
    throw new PathEscapeError('invalid', 'link target contains a NUL byte');
  if (isAbsolute(target))
    throw new PathEscapeError('not-permitted', `absolute link target ${JSON.stringify(target)}`);
  let d = depth;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    d += part === '..' ? -1 : 1;
    if (d < 0)
      throw new PathEscapeError(
        'not-permitted',
        `link target ${JSON.stringify(target)} points above its mapped directory`,
      );
  }
}
