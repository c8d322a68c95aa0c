// Our BLAKE3 against @noble's (the implementation it replaced) at every length where the
// algorithm changes course: inside a block, at block and chunk boundaries, and at tree shapes of
// 2 to 65 chunks (parents merged on the stack, right-hand subtrees smaller than left ones).
import t from 'tap';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { blake3 } from '../blake3.js';
import { toHex } from '../index.js';

function input(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

t.test('the published digests of the empty input and "abc"', async (t) => {
  t.equal(
    toHex(blake3(new Uint8Array(0))),
    'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
  );
  t.equal(
    toHex(blake3(new TextEncoder().encode('abc'))),
    '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
  );
});

t.test('the same digest as @noble at every boundary length', async (t) => {
  const lengths = new Set<number>();
  for (let n = 0; n <= 130; n++) lengths.add(n);
  for (const chunks of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 65])
    for (const delta of [-65, -64, -63, -1, 0, 1, 63, 64, 65])
      if (chunks * 1024 + delta >= 0) lengths.add(chunks * 1024 + delta);
  let compared = 0;
  for (const n of lengths) {
    const bytes = input(n, n + 1);
    if (toHex(blake3(bytes)) !== toHex(nobleBlake3(bytes))) t.fail(`digests differ at ${n} bytes`);
    compared++;
  }
  t.equal(compared, lengths.size);
  t.ok(compared > 200, `${compared} lengths compared`);
});

t.test('a hash leaves no state behind for the next one', async (t) => {
  const big = input(40_000, 7);
  const small = input(100, 9);
  const expected = toHex(nobleBlake3(small));
  blake3(big);
  t.equal(toHex(blake3(small)), expected);
  t.equal(toHex(blake3(big)), toHex(nobleBlake3(big)));
});
