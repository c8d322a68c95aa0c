import type { ServiceFunction } from '../peer/index.js';
import { binary, checkedI64, expectArgs, integer, number } from './args.js';

/** Nox's `math`: exact i64 arithmetic (overflow is an error, as in Nox). */
export const math: Record<string, ServiceFunction> = {
  add: binary('math.add', (a, b) => a + b),
  sub: binary('math.sub', (a, b) => a - b),
  mul: binary('math.mul', (a, b) => a * b),
  fmul: (args) => {
    expectArgs(args, 2, 'math.fmul');
    return checkedI64(
      BigInt(Math.floor(number(args[0], 'math.fmul') * number(args[1], 'math.fmul'))),
      'math.fmul',
    );
  },
  div: binary('math.div', (a, b) => {
    if (b === 0n) throw new Error('math.div: division by zero');
    return a / b;
  }),
  rem: binary('math.rem', (a, b) => {
    if (b === 0n) throw new Error('math.rem: division by zero');
    return a % b;
  }),
  pow: binary('math.pow', (a, b) => {
    if (b < 0n || b > 0xffffffffn) throw new Error('math.pow: exponent must be a u32');
    return a ** b;
  }),
  log: (args) => {
    expectArgs(args, 2, 'math.log');
    const base = integer(args[0], 'math.log');
    let x = integer(args[1], 'math.log');
    if (base < 2n || x < 1n) throw new Error('math.log: base must be ≥ 2 and the value ≥ 1');
    let result = 0;
    while (x >= base) {
      x /= base;
      result += 1;
    }
    return result;
  },
};
