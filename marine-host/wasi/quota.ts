// A disk quota shared by every mapped directory of one service: apparent bytes (the size a file
// claims, so a sparse 1 TiB file counts as 1 TiB) and entries (files, directories, links). Usage is
// measured from disk when the service's modules are instantiated, then kept up to date by the
// sandbox on every write, truncate, create and remove; an operation that would pass the quota
// fails before it happens, with ENOSPC (`insufficient-space`) to the guest.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { formatByteSize } from '../config/byte-size.js';

/** Limits of a service's mapped directories. */
export interface DiskQuotaLimits {
  /** Apparent size of all regular files, bytes. */
  readonly bytes: number;
  /** Number of entries (files, directories, symlinks), the mapped directories themselves excluded. */
  readonly files: number;
}

/** The default quota: 1 GiB and 100 000 entries per service. */
export const DEFAULT_DISK_QUOTA: DiskQuotaLimits = Object.freeze({
  bytes: 1024 ** 3,
  files: 100000,
});

/** An operation would pass the service's disk quota. */
export class DiskQuotaError extends Error {
  override name = 'DiskQuotaError';
}

/** Usage and limits of one service's mapped directories. */
export class DiskQuota {
  private usedBytes = 0;
  private usedFiles = 0;

  constructor(
    /** The limits. */
    readonly limits: DiskQuotaLimits,
    roots: readonly string[],
  ) {
    const seen = new Set<string>();
    for (const root of roots) this.scan(root, seen, true);
  }

  /** Bytes counted now. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Entries counted now. */
  get files(): number {
    return this.usedFiles;
  }

  private scan(path: string, seen: Set<string>, isRoot: boolean): void {
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(path, { bigint: true });
    } catch {
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) {
      // Another name of a counted inode (hard link, or overlapping mapped dirs): one more entry only.
      if (!isRoot && !st.isDirectory()) this.usedFiles += 1;
      return;
    }
    seen.add(key);
    if (!isRoot) this.usedFiles += 1;
    if (st.isFile()) this.usedBytes += Number(st.size);
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = fs.readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) this.scan(join(path, name), seen, false);
  }

  /** Accounts `delta` more bytes, or throws DiskQuotaError (nothing counted) when over the quota. */
  grow(delta: number, what: string): void {
    if (delta <= 0) {
      this.usedBytes = Math.max(0, this.usedBytes + delta);
      return;
    }
    if (this.usedBytes + delta > this.limits.bytes)
      throw new DiskQuotaError(
        `disk quota exceeded: ${what} needs ${formatByteSize(delta)} more, the service's mapped directories hold ${formatByteSize(this.usedBytes)} of ${formatByteSize(this.limits.bytes)} (disk_quota.bytes)`,
      );
    this.usedBytes += delta;
  }

  /** Accounts one more entry, or throws DiskQuotaError when over the quota. */
  addEntry(what: string): void {
    if (this.usedFiles + 1 > this.limits.files)
      throw new DiskQuotaError(
        `disk quota exceeded: ${what} would be entry ${this.usedFiles + 1}, the quota is ${this.limits.files} files and directories (disk_quota.files)`,
      );
    this.usedFiles += 1;
  }

  /** Accounts an entry removed, with the bytes it freed. */
  removeEntry(freedBytes: number): void {
    this.usedFiles = Math.max(0, this.usedFiles - 1);
    this.usedBytes = Math.max(0, this.usedBytes - freedBytes);
  }
}
