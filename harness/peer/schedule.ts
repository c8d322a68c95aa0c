// Runs work on a later turn of the event loop: setImmediate where it exists (Node), a zero
// timeout elsewhere (browsers), so results that complete together are batched into one VM run.
type Later = (callback: () => void) => void;

const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/** Calls `callback` on a later turn of the event loop. */
export const nextTurn: Later =
  immediate === undefined
    ? (callback) => void setTimeout(callback, 0)
    : (callback) => void immediate(callback);
