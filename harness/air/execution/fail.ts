// `(fail ...)`: raise a catchable user error (10006), or re-raise the caught one with `(fail :error:)`.
import type { FailInstruction } from '../ast/types.js';
import {
  canonicalJson,
  isJsonI64,
  isJsonObject,
  jsonInteger,
  type JsonValue,
} from '../../protocol/index.js';
import type { Provenance } from '../data/stores.js';
import type { SecurityTetraplet } from '../../protocol/index.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import type { ExecutionContext } from './context.js';
import { instructionText } from './instruction-text.js';
import { resolveAggregate } from './resolve.js';

function invalid(message: string): CatchableError {
  return new CatchableError(CatchableErrorCode.InvalidErrorObjectError, message);
}

/** Checks that a value is an error object: integer non-zero `error_code` and string `message` (10008). */
export function checkErrorObject(v: JsonValue): void {
  if (!isJsonObject(v)) {
    throw invalid(
      `scalar should have an object type to be converted into error object, but '${canonicalJson(v)}' doesn't have`,
    );
  }
  if (!Object.hasOwn(v, 'error_code'))
    throw invalid(`scalar '${canonicalJson(v)}' must have field with name 'error_code'`);
  const code = v['error_code'];
  if (!isJsonI64(code ?? null))
    throw invalid(`error_code of scalar '${canonicalJson(v)}' must have integer type`);
  if (code === 0) throw invalid('error code must be non-zero, but it is zero');
  if (!Object.hasOwn(v, 'message'))
    throw invalid(`scalar '${canonicalJson(v)}' must have field with name 'message'`);
  if (typeof v['message'] !== 'string')
    throw invalid(`message of scalar '${canonicalJson(v)}' must have string type`);
}

function raise(
  ctx: ExecutionContext,
  error: JsonValue,
  tetraplet: SecurityTetraplet | undefined,
  provenance: Provenance,
): never {
  ctx.lastError = { error, tetraplet, provenance };
  ctx.lastErrorCanBeSet = false;
  ctx.makeIncomplete();
  throw new CatchableError(
    CatchableErrorCode.UserError,
    `fail with '${canonicalJson(error)}' is used without corresponding xor`,
  );
}

/** Executes fail. */
export function executeFail(ctx: ExecutionContext, instr: FailInstruction): void {
  switch (instr.form) {
    case 'literal': {
      const error = {
        error_code: jsonInteger(instr.code.value),
        instruction: instructionText(instr),
        message: instr.message.value,
        peer_id: ctx.params.initPeerId,
      };
      return raise(ctx, error, ctx.literalTetraplet(), { kind: 'literal' });
    }
    case 'value': {
      const agg = resolveAggregate(ctx, instr.value);
      checkErrorObject(agg.value);
      return raise(ctx, agg.value, agg.tetraplet, agg.provenance);
    }
    case 'last_error': {
      const e = ctx.lastError;
      checkErrorObject(e.error);
      return raise(ctx, e.error, e.tetraplet, e.provenance);
    }
    case 'error': {
      const e = ctx.error;
      checkErrorObject(e.error);
      try {
        raise(ctx, e.error, e.tetraplet, e.provenance);
      } catch (userError) {
        ctx.errorCanBeSet = false;
        throw e.original ?? userError;
      }
    }
  }
}
