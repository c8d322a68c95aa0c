// `(next i)`: runs the next iteration of the fold that owns iterator `i`.
import type { NextInstruction } from '../ast/types.js';
import { UncatchableErrorCode } from '../errors/codes.js';
import { UncatchableError } from '../errors/execution-error.js';
import type { ExecutionContext } from './context.js';

/** Executes next. */
export function executeNext(ctx: ExecutionContext, instr: NextInstruction): void {
  const e = ctx.lookup(instr.iterator.name);
  if (e.kind !== 'iterator') {
    throw new UncatchableError(
      UncatchableErrorCode.FoldStateNotFound,
      `fold state not found for iterable '${instr.iterator.name}'`,
    );
  }
  e.binding.next();
}
