// Which host fds a service's guest holds open, in memory shared with the host's main thread.
// Fds belong to the process, not to the worker thread: an instance replaced after a trap never
// closes its files (measured: 100 files held, trap, 100 fds more in the host for good), so a guest
// could exhaust the host's fds by opening files and trapping, again and again. The sandbox marks
// each fd it hands to the guest here; a new instance in the same worker closes those of the
// instance it replaces, and the host closes whatever is still marked once the worker has exited
// (when terminated, the guest's descriptors are usually disposed already, which clears them).
// A service run inline in the host's thread (inline.ts) has a ledger of its own, given to its
// sandbox with the grants, since several such services share the thread.
import { closeSync } from 'node:fs';

/** Fds tracked (one byte each); higher fds are left to the process's own limit. */
const LEDGER_SIZE = 65536;

let ledger: Uint8Array | undefined;

/** A new ledger for one worker. */
export function createFdLedger(): SharedArrayBuffer {
  return new SharedArrayBuffer(LEDGER_SIZE);
}

/** Makes this thread's sandbox mark its fds in `buffer` (inside a service worker). */
export function useFdLedger(buffer: SharedArrayBuffer | undefined): void {
  ledger = buffer ? new Uint8Array(buffer) : undefined;
}

/** The ledger a sandbox marks in: its own (an inline service's), else this thread's. */
export function ledgerFor(own: SharedArrayBuffer | undefined): Uint8Array | undefined {
  return own ? new Uint8Array(own) : ledger;
}

/** Records an fd handed to the guest (after it was opened) in `marks` (see ledgerFor). */
export function noteOpen(fd: number, marks: Uint8Array | undefined): void {
  if (marks && fd >= 0 && fd < marks.length) Atomics.store(marks, fd, 1);
}

/** Forgets an fd (before it is closed: a terminated worker leaks it rather than close it twice). */
export function noteClose(fd: number, marks: Uint8Array | undefined): void {
  if (marks && fd >= 0 && fd < marks.length) Atomics.store(marks, fd, 0);
}

/** Closes every fd marked in `buffer` (its worker exited, or its instance was replaced); returns how many. */
export function closeMarked(
  buffer: SharedArrayBuffer | undefined = ledger?.buffer as SharedArrayBuffer | undefined,
): number {
  if (!buffer) return 0;
  const marks = new Uint8Array(buffer);
  let closed = 0;
  for (let fd = 0; fd < marks.length; fd += 1) {
    if (Atomics.load(marks, fd) !== 1) continue;
    Atomics.store(marks, fd, 0);
    try {
      closeSync(fd);
      closed += 1;
    } catch {
      // Already closed.
    }
  }
  return closed;
}
