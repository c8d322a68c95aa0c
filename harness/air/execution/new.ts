// `(new VAR I)`: I runs with a fresh VAR (scalar, stream, stream map, canon stream or canon map).
import type { NewInstruction } from '../ast/types.js';
import type { ExecutionContext } from './context.js';
import type { Execute } from './execute.js';

/** Executes new. */
export function executeNew(ctx: ExecutionContext, instr: NewInstruction, execute: Execute): void {
  const v = instr.variable;
  if (v.kind === 'stream' || v.kind === 'stream_map')
    ctx.withNewStream(v.name, () => execute(ctx, instr.body));
  else ctx.withNewVariable(v.name, () => execute(ctx, instr.body));
}
