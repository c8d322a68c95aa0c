// Enforces a memory cap for real: the core modules' own memories get a maximum (in 64 KiB pages)
// written into their memory section before compilation, so `memory.grow` past the cap fails
// inside the guest (Rust then aborts with an allocation failure) instead of exhausting the host.
// A service's total_memory_limit is one budget for all its modules: splitMemoryBudget gives every
// memory a maximum so that the maxima sum to the budget, which then holds at every memory.grow,
// during a call, whatever the modules do (Wasm offers no hook on memory.grow itself).
import { unsignedLeb128 } from '../build/wasm/bytes.js';

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = bytes[pos] ?? 0;
    pos += 1;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Pages (64 KiB) the module's own memories start with, summed. */
export function initialMemoryPages(bytes: Uint8Array): number {
  let pages = 0;
  forEachMemory(bytes, (_flags, min) => {
    pages += min;
  });
  return pages;
}

function forEachMemory(
  bytes: Uint8Array,
  visit: (flags: number, min: number, max: number | undefined) => void,
): void {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at] ?? 0;
    const [size, body] = readLeb(bytes, at + 1);
    if (id === 5) {
      let [count, pos] = readLeb(bytes, body);
      while (count > 0) {
        const flags = bytes[pos] ?? 0;
        const [min, p1] = readLeb(bytes, pos + 1);
        pos = p1;
        let max: number | undefined;
        if (flags & 1) {
          const [m, p2] = readLeb(bytes, pos);
          max = m;
          pos = p2;
        }
        visit(flags, min, max);
        count -= 1;
      }
    }
    at = body + size;
  }
}

/** Initial pages of each memory the module defines and the host may cap (not shared, not memory64), in order. */
export function definedMemories(bytes: Uint8Array): number[] {
  const mins: number[] = [];
  forEachMemory(bytes, (flags, min) => {
    if ((flags & ~1) === 0) mins.push(min);
  });
  return mins;
}

/** Largest number of pages a wasm32 memory may have (4 GiB). */
export const MAX_PAGES = 65536;

/**
 * Maxima (pages) for memories starting at `mins` pages so that together they never exceed
 * `budgetPages`: each keeps its start and gets an equal share of what is left. Throws a
 * RangeError when the memories start above the budget.
 */
export function splitMemoryBudget(budgetPages: number, mins: readonly number[]): number[] {
  const start = mins.reduce((a, b) => a + b, 0);
  if (start > budgetPages)
    throw new RangeError(
      `the modules' memories start with ${start} pages (64 KiB each), over the budget of ${budgetPages} pages`,
    );
  const share = mins.length === 0 ? 0 : Math.floor((budgetPages - start) / mins.length);
  return mins.map((min) => Math.min(MAX_PAGES, min + share));
}

/**
 * Returns the module bytes with every memory it defines capped at `maxPages`, or at
 * `maxPages(min, index)` for the index-th cappable memory (keeping a lower existing maximum).
 * Memory64 and shared memories are left alone. Imported memories are not touched: they belong
 * to the module that defines them.
 */
export function capMemory(
  bytes: Uint8Array,
  maxPages: number | ((min: number, index: number) => number),
): Uint8Array {
  let index = 0;
  const out: number[] = Array.from(bytes.subarray(0, 8));
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at] ?? 0;
    const [size, body] = readLeb(bytes, at + 1);
    const end = body + size;
    if (id !== 5) {
      for (let i = at; i < end; i += 1) out.push(bytes[i] ?? 0);
      at = end;
      continue;
    }
    let [count, pos] = readLeb(bytes, body);
    const section: number[] = unsignedLeb128(count);
    while (count > 0) {
      const flags = bytes[pos] ?? 0;
      const [min, p1] = readLeb(bytes, pos + 1);
      pos = p1;
      let max: number | undefined;
      if (flags & 1) {
        const [m, p2] = readLeb(bytes, pos);
        max = m;
        pos = p2;
      }
      if (flags & ~1) {
        section.push(
          flags,
          ...unsignedLeb128(min),
          ...(max !== undefined ? unsignedLeb128(max) : []),
        );
      } else {
        const limit = typeof maxPages === 'number' ? maxPages : maxPages(min, index);
        index += 1;
        const cap = Math.max(min, max === undefined ? limit : Math.min(max, limit));
        section.push(1, ...unsignedLeb128(min), ...unsignedLeb128(cap));
      }
      count -= 1;
    }
    out.push(5, ...unsignedLeb128(section.length), ...section);
    at = end;
  }
  return Uint8Array.from(out);
}
