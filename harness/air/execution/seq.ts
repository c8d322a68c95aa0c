// `(seq A B)`: B runs only if A completed.
import type { SeqInstruction } from '../ast/types.js';
import type { ExecutionContext } from './context.js';
import type { Execute } from './execute.js';

/** Executes seq. */
export function executeSeq(ctx: ExecutionContext, instr: SeqInstruction, execute: Execute): void {
  ctx.subgraphComplete = true;
  execute(ctx, instr.left);
  if (ctx.subgraphComplete) execute(ctx, instr.right);
}
