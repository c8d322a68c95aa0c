// `(never)`: the subgraph never completes.
import type { ExecutionContext } from './context.js';

/** Executes never. */
export function executeNever(ctx: ExecutionContext): void {
  ctx.makeIncomplete();
}
