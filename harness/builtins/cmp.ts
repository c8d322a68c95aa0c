import type { ServiceFunction } from '../peer/index.js';
import { compare, expectArgs, order } from './args.js';

/** Nox's `cmp`: comparisons, exact for integers past 2^53. */
export const cmp: Record<string, ServiceFunction> = {
  gt: compare('cmp.gt', (o) => o > 0),
  gte: compare('cmp.gte', (o) => o >= 0),
  lt: compare('cmp.lt', (o) => o < 0),
  lte: compare('cmp.lte', (o) => o <= 0),
  cmp: (args) => {
    expectArgs(args, 2, 'cmp.cmp');
    return order(args[0], args[1], 'cmp.cmp');
  },
};
