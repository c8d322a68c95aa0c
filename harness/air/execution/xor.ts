// `(xor A B)`: B runs iff A raised a catchable error, with `:error:` set to that error.
import type { XorInstruction } from '../ast/types.js';
import { CatchableError } from '../errors/execution-error.js';
import { noError, type ExecutionContext } from './context.js';
import type { Execute } from './execute.js';

/** Executes xor. */
export function executeXor(ctx: ExecutionContext, instr: XorInstruction, execute: Execute): void {
  ctx.subgraphComplete = true;
  try {
    execute(ctx, instr.left);
    return;
  } catch (e) {
    if (!(e instanceof CatchableError)) throw e;
    ctx.subgraphComplete = true;
    ctx.lastErrorCanBeSet = true;
    ctx.error = { ...ctx.error, original: e };
    ctx.errorCanBeSet = true;
  }
  try {
    execute(ctx, instr.right);
  } finally {
    if (ctx.errorCanBeSet) ctx.error = noError();
  }
  ctx.errorCanBeSet = true;
}
