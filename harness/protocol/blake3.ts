// BLAKE3-256 (hash mode, 32-byte output) in plain JavaScript, written for the sizes the VM hashes:
// content ids of JSON texts, mostly a few hundred bytes, sometimes tens of kilobytes. @noble's
// BLAKE3 is general (keyed modes, XOF, incremental updates) and pays for it per call: objects,
// option checks, and a compression function split into helpers that a cold process runs
// interpreted. Here one function keeps the whole state and message in local variables, and
// hashing is one pass over the input with the chunk tree merged on a small stack. The results are
// checked against @noble's at every length around block, chunk and tree boundaries (blake3.test.ts).

const IV0 = 0x6a09e667;
const IV1 = 0xbb67ae85;
const IV2 = 0x3c6ef372;
const IV3 = 0xa54ff53a;
const IV4 = 0x510e527f;
const IV5 = 0x9b05688c;
const IV6 = 0x1f83d9ab;
const IV7 = 0x5be0cd19;

const CHUNK_START = 1;
const CHUNK_END = 2;
const PARENT = 4;
const ROOT = 8;

const BLOCK_LEN = 64;
const CHUNK_LEN = 1024;

// Scratch space: hashing is synchronous and never re-entered, so one set serves every call.
/** The chaining value being computed (8 words). */
const cv = new Uint32Array(8);
/** The message block (16 words). */
const block = new Uint32Array(16);
/** Chaining values of completed subtrees waiting for their right sibling (8 words each). */
// (A tree over 2^k chunks holds at most k of them; 64 levels outlast any byte array.)
const stack = new Uint32Array(8 * 64);

function resetCv(): void {
  cv[0] = IV0;
  cv[1] = IV1;
  cv[2] = IV2;
  cv[3] = IV3;
  cv[4] = IV4;
  cv[5] = IV5;
  cv[6] = IV6;
  cv[7] = IV7;
}

/** BLAKE3's compression of `block` into `cv` (in place: the first 8 words of the output). */
function compress(counter: number, blockLen: number, flags: number): void {
  let v0 = cv[0]! | 0;
  let v1 = cv[1]! | 0;
  let v2 = cv[2]! | 0;
  let v3 = cv[3]! | 0;
  let v4 = cv[4]! | 0;
  let v5 = cv[5]! | 0;
  let v6 = cv[6]! | 0;
  let v7 = cv[7]! | 0;
  let v8 = IV0 | 0;
  let v9 = IV1 | 0;
  let v10 = IV2 | 0;
  let v11 = IV3 | 0;
  let v12 = counter | 0;
  // Counters stay below 2^53 (the input is a byte array), so the high word is a division.
  let v13 = Math.floor(counter / 0x100000000) | 0;
  let v14 = blockLen | 0;
  let v15 = flags | 0;
  let m0 = block[0]! | 0;
  let m1 = block[1]! | 0;
  let m2 = block[2]! | 0;
  let m3 = block[3]! | 0;
  let m4 = block[4]! | 0;
  let m5 = block[5]! | 0;
  let m6 = block[6]! | 0;
  let m7 = block[7]! | 0;
  let m8 = block[8]! | 0;
  let m9 = block[9]! | 0;
  let m10 = block[10]! | 0;
  let m11 = block[11]! | 0;
  let m12 = block[12]! | 0;
  let m13 = block[13]! | 0;
  let m14 = block[14]! | 0;
  let m15 = block[15]! | 0;
  // Seven rounds: the columns, then the diagonals; the message words are permuted between rounds
  // (the permutation after the last round is harmless and keeps the loop simple).
  for (let round = 0; round < 7; round++) {
    v0 = (v0 + v4 + m0) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 16) | (v12 << 16);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 12) | (v4 << 20);
    v0 = (v0 + v4 + m1) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 8) | (v12 << 24);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 7) | (v4 << 25);
    v1 = (v1 + v5 + m2) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 16) | (v13 << 16);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 12) | (v5 << 20);
    v1 = (v1 + v5 + m3) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 8) | (v13 << 24);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 7) | (v5 << 25);
    v2 = (v2 + v6 + m4) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 16) | (v14 << 16);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 12) | (v6 << 20);
    v2 = (v2 + v6 + m5) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 8) | (v14 << 24);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 7) | (v6 << 25);
    v3 = (v3 + v7 + m6) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 16) | (v15 << 16);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 12) | (v7 << 20);
    v3 = (v3 + v7 + m7) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 8) | (v15 << 24);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 7) | (v7 << 25);
    v0 = (v0 + v5 + m8) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 16) | (v15 << 16);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 12) | (v5 << 20);
    v0 = (v0 + v5 + m9) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 8) | (v15 << 24);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 7) | (v5 << 25);
    v1 = (v1 + v6 + m10) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 16) | (v12 << 16);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 12) | (v6 << 20);
    v1 = (v1 + v6 + m11) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 8) | (v12 << 24);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 7) | (v6 << 25);
    v2 = (v2 + v7 + m12) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 16) | (v13 << 16);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 12) | (v7 << 20);
    v2 = (v2 + v7 + m13) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 8) | (v13 << 24);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 7) | (v7 << 25);
    v3 = (v3 + v4 + m14) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 16) | (v14 << 16);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 12) | (v4 << 20);
    v3 = (v3 + v4 + m15) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 8) | (v14 << 24);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 7) | (v4 << 25);
    const t0 = m0,
      t1 = m1,
      t2 = m2,
      t3 = m3,
      t4 = m4,
      t5 = m5,
      t6 = m6,
      t7 = m7,
      t8 = m8,
      t9 = m9,
      t10 = m10,
      t11 = m11,
      t12 = m12,
      t13 = m13,
      t14 = m14,
      t15 = m15;
    m0 = t2;
    m1 = t6;
    m2 = t3;
    m3 = t10;
    m4 = t7;
    m5 = t0;
    m6 = t4;
    m7 = t13;
    m8 = t1;
    m9 = t11;
    m10 = t12;
    m11 = t5;
    m12 = t9;
    m13 = t14;
    m14 = t15;
    m15 = t8;
  }
  cv[0] = v0 ^ v8;
  cv[1] = v1 ^ v9;
  cv[2] = v2 ^ v10;
  cv[3] = v3 ^ v11;
  cv[4] = v4 ^ v12;
  cv[5] = v5 ^ v13;
  cv[6] = v6 ^ v14;
  cv[7] = v7 ^ v15;
}

/** Loads `len` (at most 64) bytes at `at` as little-endian words, zero-padded. */
function loadBlock(input: Uint8Array, at: number, len: number): void {
  if (len === BLOCK_LEN) {
    for (let i = 0; i < 16; i++, at += 4)
      block[i] =
        input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24);
    return;
  }
  block.fill(0);
  for (let i = 0; i < len; i++) block[i >> 2]! |= input[at + i]! << (8 * (i & 3));
}

/** Compresses the two chaining values at stack words `left` and `cv` into `cv` (a parent node). */
function parent(left: number, flags: number): void {
  for (let i = 0; i < 8; i++) {
    block[i] = stack[left + i]!;
    block[i + 8] = cv[i]!;
  }
  resetCv();
  compress(0, BLOCK_LEN, PARENT | flags);
}

/** The 32-byte BLAKE3 hash of `input`. */
export function blake3(input: Uint8Array): Uint8Array {
  const n = input.length;
  const chunks = n === 0 ? 1 : Math.ceil(n / CHUNK_LEN);
  let depth = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const start = chunk * CHUNK_LEN;
    const chunkLen = Math.min(CHUNK_LEN, n - start);
    const blocks = chunkLen === 0 ? 1 : Math.ceil(chunkLen / BLOCK_LEN);
    const last = chunk === chunks - 1;
    resetCv();
    for (let b = 0; b < blocks; b++) {
      const len = Math.min(BLOCK_LEN, chunkLen - b * BLOCK_LEN);
      loadBlock(input, start + b * BLOCK_LEN, len);
      let flags = b === 0 ? CHUNK_START : 0;
      if (b === blocks - 1) flags |= chunks === 1 ? CHUNK_END | ROOT : CHUNK_END;
      compress(chunk, len, flags);
    }
    if (last) break;
    // Every completed pair of equal subtrees merges into its parent: as many merges as the
    // chunk count so far has trailing zero bits. The last chunk waits for the final merges.
    for (let total = chunk + 1; (total & 1) === 0; total >>>= 1) {
      depth--;
      parent(depth * 8, 0);
    }
    stack.set(cv, depth * 8);
    depth++;
  }
  while (depth > 0) {
    depth--;
    parent(depth * 8, depth === 0 ? ROOT : 0);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const w = cv[i]!;
    out[4 * i] = w;
    out[4 * i + 1] = w >>> 8;
    out[4 * i + 2] = w >>> 16;
    out[4 * i + 3] = w >>> 24;
  }
  return out;
}
