import type { ServiceFunction } from '../peer/index.js';
import { arrayArg, checkedI64, expectArgs, integer, stringArg } from './args.js';

/** Nox's `array`: sums, set operations and slices. */
export const array: Record<string, ServiceFunction> = {
  sum: (args) =>
    checkedI64(
      arrayArg(args[0], 'array.sum').reduce<bigint>((s, v) => s + integer(v, 'array.sum'), 0n),
      'array.sum',
    ),
  dedup: (args) => [
    ...new Set(arrayArg(args[0], 'array.dedup').map((v) => stringArg(v, 'array.dedup'))),
  ],
  intersect: (args) => {
    const right = new Set(arrayArg(args[1], 'array.intersect'));
    return [...new Set(arrayArg(args[0], 'array.intersect'))].filter((v) => right.has(v));
  },
  diff: (args) => {
    const right = new Set(arrayArg(args[1], 'array.diff'));
    return [...new Set(arrayArg(args[0], 'array.diff'))].filter((v) => !right.has(v));
  },
  sdiff: (args) => {
    const left = new Set(arrayArg(args[0], 'array.sdiff'));
    const right = new Set(arrayArg(args[1], 'array.sdiff'));
    return [...[...left].filter((v) => !right.has(v)), ...[...right].filter((v) => !left.has(v))];
  },
  slice: (args) => {
    expectArgs(args, 3, 'array.slice');
    const arr = arrayArg(args[0], 'array.slice');
    const start = Number(integer(args[1], 'array.slice'));
    const end = Number(integer(args[2], 'array.slice'));
    if (start < 0 || end < start || end > arr.length) {
      throw new Error(`array.slice: bad range ${start}..${end} for an array of ${arr.length}`);
    }
    return arr.slice(start, end);
  },
  length: (args) => arrayArg(args[0], 'array.length').length,
};
