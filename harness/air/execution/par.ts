// `(par A B)`: both branches run; par completes if either completes and fails only if both fail.
import type { Instruction, ParInstruction } from '../ast/types.js';
import { CatchableError } from '../errors/execution-error.js';
import type { ExecutionContext } from './context.js';
import type { Execute } from './execute.js';

// A module function rather than a closure per par: closures made on every execution are a cost
// of their own in a hot path (and tsx names each one at run time).
function runBranch(
  ctx: ExecutionContext,
  branch: Instruction,
  execute: Execute,
): { complete: boolean; error?: CatchableError } {
  // A branch that is just `(next i)` inherits completeness so a par-fold completes only after its last iteration.
  if (branch.kind !== 'next') ctx.subgraphComplete = true;
  try {
    execute(ctx, branch);
    return { complete: ctx.subgraphComplete };
  } catch (e) {
    if (e instanceof CatchableError) {
      ctx.makeIncomplete();
      return { complete: false, error: e };
    }
    throw e;
  }
}

/** Executes par. */
export function executePar(ctx: ExecutionContext, instr: ParInstruction, execute: Execute): void {
  const par = ctx.trace.enterPar();
  const left = runBranch(ctx, instr.left, execute);
  ctx.trace.endParBranch(par, 'left');
  const right = runBranch(ctx, instr.right, execute);
  ctx.trace.endParBranch(par, 'right');
  ctx.subgraphComplete = left.complete || right.complete;
  if (left.error && right.error) throw right.error;
  ctx.lastErrorCanBeSet = true;
}
