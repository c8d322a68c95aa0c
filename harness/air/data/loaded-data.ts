// Interpreter data as the VM loads it: decoded, every store entry re-hashed and cross-checked,
// and each peer's CIDs collected. A peer loads the same bytes again and again (its previous data
// is what its last run wrote; on a local network or a CLI run the current data is what another
// VM of the same process just wrote), so loads are cached by content: the key is a hash of the
// bytes and a hit compares them in full, so a hit is exact. Only what does not depend on the
// invoke is cached; signatures are still checked per particle (see peer-cids.ts), and failures
// are never cached (they recompute with the right label and message).
import { collectPeerCids } from './peer-cids.js';
import { decodeData, emptyData, verifyStores, type InterpreterData } from './interpreter-data.js';

/**
 * Decoded data and what has been checked of it. Shared between runs: callers must not change any
 * part of it. The checks run in AquaVM's order across prev and current data (both decoded, then
 * both stores checked, then the CIDs), so each is done on demand and remembered once it passed.
 */
export class LoadedData {
  private storesChecked = false;
  private collected: ReadonlyMap<string, readonly string[]> | undefined;

  constructor(
    readonly data: InterpreterData,
    checked?: ReadonlyMap<string, readonly string[]>,
  ) {
    if (checked !== undefined) {
      this.storesChecked = true;
      this.collected = checked;
    }
  }

  /** Re-hashes every store entry and checks cross-references (preparation error 8), once. */
  checkStores(label: string): void {
    if (this.storesChecked) return;
    verifyStores(this.data.stores, label);
    this.storesChecked = true;
  }

  /** Peer id → sorted CIDs it produced in the trace (see collectPeerCids), computed once. */
  peerCids(label: string): ReadonlyMap<string, readonly string[]> {
    this.collected ??= collectPeerCids(this.data.trace, this.data.stores, label);
    return this.collected;
  }
}

interface Entry {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly loaded: LoadedData;
}

// Bounded in entries and in bytes, emptied whole when full (as the other caches of the VM).
const MAX_ENTRIES = 512;
const MAX_BYTES = 64 * 1024 * 1024;
// Bigger data is loaded every time: it would crowd out everything else.
const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
const cache = new Map<string, Entry>();
let cachedBytes = 0;

/**
 * FNV-1a and a second multiplicative hash over the bytes taken four at a time, with the length: a
 * cheap key; hits are confirmed byte for byte. Data runs to tens of kilobytes and is keyed on
 * every write and on most loads, so the words are read through an aligned Int32Array (bytes at an
 * unaligned offset are copied first, so equal bytes always get equal keys).
 */
function contentKey(bytes: Uint8Array): string {
  const n = bytes.length;
  const aligned = (bytes.byteOffset & 3) === 0 ? bytes : new Uint8Array(bytes);
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, n >>> 2);
  let h = 0x811c9dc5;
  let g = 0x01000193;
  const count = words.length;
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    h = Math.imul(h ^ w, 0x01000193);
    g = Math.imul(g ^ w, 0x5bd1e995) ^ (g >>> 15);
  }
  for (let i = count << 2; i < n; i++) {
    const b = aligned[i]!;
    h = Math.imul(h ^ b, 0x01000193);
    g = Math.imul(g ^ b, 0x5bd1e995) ^ (g >>> 15);
  }
  return `${n}:${(h >>> 0).toString(36)}:${(g >>> 0).toString(36)}`;
}

/** Whether two arrays hold the same bytes (four at a time where both are aligned). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  let i = 0;
  if (((a.byteOffset | b.byteOffset) & 3) === 0) {
    const count = n >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, count);
    const wb = new Int32Array(b.buffer, b.byteOffset, count);
    for (let k = 0; k < count; k++) if (wa[k] !== wb[k]) return false;
    i = count << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function remember(key: string, bytes: Uint8Array, loaded: LoadedData): Entry | undefined {
  if (bytes.length > MAX_ENTRY_BYTES) return undefined;
  if (cache.size >= MAX_ENTRIES || cachedBytes + bytes.length > MAX_BYTES) {
    cache.clear();
    cachedBytes = 0;
  }
  // A copy: the caller may change its bytes later.
  // The same bytes again (a run that wrote what it wrote before) replace their entry.
  const replaced = cache.get(key);
  if (replaced !== undefined) cachedBytes -= replaced.bytes.length;
  const entry = { key, bytes: new Uint8Array(bytes), loaded };
  cache.set(key, entry);
  cachedBytes += bytes.length;
  return entry;
}

/**
 * Decodes data bytes (preparation errors 2/3/4/6 for bad bytes), from the cache when these exact
 * bytes were loaded or written by a run before. Empty bytes are empty data.
 */
export function loadData(bytes: Uint8Array, label: string): LoadedData {
  if (bytes.length === 0) return new LoadedData(emptyData(), new Map());
  // The very array a run returned (a peer hands its last output back as previous data): its
  // entry is known without hashing, and still compared byte for byte.
  const mine = writtenArrays.get(bytes);
  if (mine !== undefined && cache.get(mine.key) === mine && sameBytes(mine.bytes, bytes))
    return mine.loaded;
  const key = contentKey(bytes);
  const hit = cache.get(key);
  if (hit !== undefined && sameBytes(hit.bytes, bytes)) return hit.loaded;
  const loaded = new LoadedData(decodeData(bytes, label));
  remember(key, bytes, loaded);
  return loaded;
}

// The arrays runs returned, to their cache entries.
const writtenArrays = new WeakMap<Uint8Array, Entry>();

/**
 * Records the bytes a run wrote for `data`, so that loading them later (as the next run's previous
 * data, or as current data on another peer of this process) needs no decoding or store checks.
 * Only for data a run built: its stores were checked or computed by the VM, so they hold.
 */
export function rememberWritten(
  bytes: Uint8Array,
  data: InterpreterData,
  peerCids: ReadonlyMap<string, readonly string[]>,
): void {
  if (bytes.length === 0 || bytes.length > MAX_ENTRY_BYTES) return;
  const entry = remember(contentKey(bytes), bytes, new LoadedData(data, peerCids));
  if (entry !== undefined) writtenArrays.set(bytes, entry);
}
