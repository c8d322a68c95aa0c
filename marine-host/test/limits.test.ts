// The pieces behind the host's limits, each on its own: the memory budget split, memory caps
// written into a module, value sizes, and the JSON nesting limit.
import t from 'tap';
import {
  capMemory,
  definedMemories,
  splitMemoryBudget,
  MAX_PAGES,
} from '../module/memory-limit.js';
import { valueSize } from '../service/value-size.js';
import { MAX_JSON_DEPTH, parseJson } from '../service/json.js';

// (module (memory 2) (memory 3 10)): two defined memories, the second with a maximum (its memory
// section only: multi-memory needs a flag to compile in Node 20).
const twoMemories = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x06, 0x02, 0x00, 0x02, 0x01, 0x03, 0x0a,
]);

t.test('the budget is split so the maxima sum to at most the budget', async (t) => {
  t.same(splitMemoryBudget(1024, [17, 17]), [512, 512]);
  t.same(splitMemoryBudget(100, [10, 30, 0]), [30, 50, 20]);
  for (const [budget, mins] of [
    [1024, [17, 17]],
    [1000, [1, 2, 3]],
    [7, [7]],
    [65536 * 2, [1, 1]],
  ] as const) {
    const maxima = splitMemoryBudget(budget, mins);
    t.ok(maxima.reduce((a, b) => a + b, 0) <= budget, `${budget} over ${mins.join('+')}`);
    maxima.forEach((max, i) => t.ok(max >= (mins[i] ?? 0) && max <= MAX_PAGES));
  }
  t.throws(() => splitMemoryBudget(10, [8, 8]), {
    name: 'RangeError',
    message: "the modules' memories start with 16 pages (64 KiB each), over the budget of 10 pages",
  });
});

t.test('each memory gets its own cap, keeping a lower maximum', async (t) => {
  t.same(definedMemories(twoMemories), [2, 3]);
  const capped = capMemory(twoMemories, (min, index) => (index === 0 ? 5 : 20));
  // memory 0: min 2 max 5 (flag 1); memory 1 keeps its own lower maximum 10.
  t.same([...capped.subarray(8)], [0x05, 0x07, 0x02, 0x01, 0x02, 0x05, 0x01, 0x03, 0x0a]);
});

t.test('value sizes count UTF-8 bytes and stop past the limit', async (t) => {
  t.equal(valueSize('abc', 100), 3);
  t.equal(valueSize('é€', 100), 5, 'UTF-8, not UTF-16');
  t.equal(valueSize(new Uint8Array(10), 100), 10);
  t.equal(valueSize({ ab: 'x', c: [1, 2] }, 100), 2 + 1 + 1 + 1 + 8 + 8);
  t.ok(valueSize('x'.repeat(1000), 10) > 10);
  const many = Array.from({ length: 1_000_000 }, () => 'x');
  t.ok(valueSize(many, 64) <= 64 + 8, 'stops soon after the limit');
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100_000; i += 1) deep = [deep];
  t.equal(valueSize(deep, Infinity), 100_000 + 4, 'deep values need no recursion');
});

t.test('JSON nests at most MAX_JSON_DEPTH levels', async (t) => {
  const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  t.doesNotThrow(() => parseJson(nested(MAX_JSON_DEPTH)));
  t.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), {
    name: 'SyntaxError',
    message: `invalid JSON at position ${MAX_JSON_DEPTH}: arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep`,
  });
  t.throws(() => parseJson(`{"a":${nested(100_000)}}`), { name: 'SyntaxError' });
  t.same(parseJson('{"a": [1, {"b": [2]}]}'), { a: [1, { b: [2] }] });
});
