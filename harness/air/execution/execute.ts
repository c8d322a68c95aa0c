// The instruction dispatcher. Every instruction except `call` goes through here so that a
// catchable error sets `%last_error%` / `:error:` at the innermost failing instruction.
import type { Instruction } from '../ast/types.js';
import { UncatchableErrorCode } from '../errors/codes.js';
import { CatchableError, UncatchableError } from '../errors/execution-error.js';
import { executeAp, executeApMap } from './ap.js';
import { executeCall } from './call.js';
import { executeCanon } from './canon.js';
import type { ExecutionContext } from './context.js';
import { executeFail } from './fail.js';
import { executeFold } from './fold.js';
import { instructionText } from './instruction-text.js';
import { executeMatch } from './match.js';
import { executeNever } from './never.js';
import { executeNew } from './new.js';
import { executeNull } from './null.js';
import { executePar } from './par.js';
import { executeXor } from './xor.js';

/** Executes one instruction; errors propagate as exceptions (CatchableError / UncatchableError). */
export function execute(ctx: ExecutionContext, instr: Instruction): void {
  // The interruption point: a runaway script (nested folds, long recursion) stops here.
  ctx.budget.step();
  if (instr.kind === 'call') {
    executeCall(ctx, instr);
    return;
  }
  try {
    switch (instr.kind) {
      // seq and next run inline: every JS frame per fold iteration lowers the fold depth the stack allows.
      case 'seq':
        ctx.subgraphComplete = true;
        execute(ctx, instr.left);
        if (ctx.subgraphComplete) execute(ctx, instr.right);
        return;
      case 'par':
        return executePar(ctx, instr, execute);
      case 'xor':
        return executeXor(ctx, instr, execute);
      case 'match':
      case 'mismatch':
        return executeMatch(ctx, instr, execute);
      case 'fold':
        return executeFold(ctx, instr, execute);
      case 'next': {
        const e = ctx.lookup(instr.iterator.name);
        if (e.kind !== 'iterator') {
          throw new UncatchableError(
            UncatchableErrorCode.FoldStateNotFound,
            `fold state not found for this iterable '${instr.iterator.name}'`,
          );
        }
        e.binding.next();
        return;
      }
      case 'new':
        return executeNew(ctx, instr, execute);
      case 'ap':
        return executeAp(ctx, instr);
      case 'ap_map':
        return executeApMap(ctx, instr);
      case 'canon':
        return executeCanon(ctx, instr);
      case 'fail':
        return executeFail(ctx, instr);
      case 'never':
        return executeNever(ctx);
      case 'null':
        return executeNull();
    }
  } catch (e) {
    if (e instanceof CatchableError)
      ctx.setErrors(e, instructionText(instr), undefined, instr.kind === 'canon');
    throw e;
  }
}

/** Signature of the dispatcher, passed to instructions with sub-instructions. */
export type Execute = (ctx: ExecutionContext, instr: Instruction) => void;

/** Runs `body`, turning a joinable error (a value not set yet) into "subgraph incomplete". */
export function joinable<T>(ctx: ExecutionContext, body: () => T): T | undefined {
  try {
    return body();
  } catch (e) {
    if (e instanceof CatchableError && e.joinable) {
      ctx.makeIncomplete();
      return undefined;
    }
    throw e;
  }
}
