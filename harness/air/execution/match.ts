// `(match L R I)` / `(mismatch L R I)`: I runs iff the values are equal / differ.
import type { MatchInstruction, MismatchInstruction } from '../ast/types.js';
import { jsonEqual } from '../../protocol/index.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import type { ExecutionContext } from './context.js';
import { joinable, type Execute } from './execute.js';
import { resolveValue } from './resolve.js';

/** Executes match or mismatch. */
export function executeMatch(
  ctx: ExecutionContext,
  instr: MatchInstruction | MismatchInstruction,
  execute: Execute,
): void {
  const values = joinable(
    ctx,
    () => [resolveValue(ctx, instr.left).value, resolveValue(ctx, instr.right).value] as const,
  );
  if (!values) return;
  const equal = jsonEqual(values[0], values[1]);
  if (instr.kind === 'match' && !equal)
    throw new CatchableError(
      CatchableErrorCode.MatchValuesNotEqual,
      'compared values do not match',
    );
  if (instr.kind === 'mismatch' && equal)
    throw new CatchableError(
      CatchableErrorCode.MismatchValuesEqual,
      'compared values do not mismatch',
    );
  execute(ctx, instr.body);
}
