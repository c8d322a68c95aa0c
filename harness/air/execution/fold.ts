// `(fold ITERABLE i BODY LAST?)` over scalars, canon streams, canon maps, `[]`, streams and stream maps.
// Scalar folds iterate a fixed array inline. Stream folds record a fold state with one subtrace
// per iterated value, and pick up values that arrive while they run (recursive streams).
import type { FoldInstruction } from '../ast/types.js';
import { canonicalJson, type JsonValue } from '../../protocol/index.js';
import { withLens } from '../../protocol/index.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import type { ExecutionContext } from './context.js';
import { joinable, type Execute } from './execute.js';
import { lensText } from '../lambda/apply.js';
import { resolveValue } from './resolve.js';
import { instructionText, valueText } from './instruction-text.js';
import type { TraceHandler } from '../trace/handler.js';
import type { StreamValue, ValueAggregate } from './values.js';

function scalarItems(
  ctx: ExecutionContext,
  instr: FoldInstruction,
): (ValueAggregate[] & { fromCanon?: boolean }) | undefined {
  const it = instr.iterable;
  if (it.kind === 'empty_array') return [];
  if (it.kind === 'canon_stream' || (it.kind === 'canon_map' && !it.lens)) {
    const e = ctx.lookup(it.name);
    if (e.kind !== 'canon')
      throw new CatchableError(
        CatchableErrorCode.VariableNotFound,
        `variable with name '${it.name}' wasn't defined during script execution`,
      );
    return Object.assign([...e.value.values], { fromCanon: true });
  }
  if (it.kind === 'scalar' && !it.lens) {
    const e = ctx.lookup(it.name);
    if (e.kind === 'canon') return Object.assign([...e.value.values], { fromCanon: true });
  }
  if (it.kind !== 'scalar' && it.kind !== 'canon_map') return undefined;
  const r = resolveValue(ctx, it);
  if (!Array.isArray(r.value)) {
    throw new CatchableError(
      CatchableErrorCode.FoldIteratesOverNonArray,
      // AquaVM names the lens alone when there is one, else the variable.
      `expression '${it.lens ? lensText(it.lens) : valueText(it)}' returned non-array value '${canonicalJson(r.value)}' for fold iterable`,
    );
  }
  const base = r.tetraplets[0] ?? ctx.literalTetraplet();
  return r.value.map((value: JsonValue, i) => ({
    value,
    // The iterable's tetraplet already carries its lens; each item adds its index.
    tetraplet: withLens(base, `.$.[${i}]`),
    provenance: r.provenance,
  }));
}

/** Executes fold. */
export function executeFold(ctx: ExecutionContext, instr: FoldInstruction, execute: Execute): void {
  if (instr.foldKind === 'scalar') return foldScalar(ctx, instr, execute);
  return foldStream(ctx, instr, execute);
}

function foldScalar(ctx: ExecutionContext, instr: FoldInstruction, execute: Execute): void {
  const items = joinable(ctx, () => scalarItems(ctx, instr));
  if (!items || items.length === 0) return;
  iterateScalar({ ctx, instr, execute, items, fromCanon: items.fromCanon === true }, 0);
}

/** What every iteration of one scalar fold shares. */
interface ScalarFoldRun {
  readonly ctx: ExecutionContext;
  readonly instr: FoldInstruction;
  readonly execute: Execute;
  readonly items: readonly ValueAggregate[];
  readonly fromCanon: boolean;
}

// A module-level function bound per iteration rather than a closure per fold: closures made per
// call cost a fresh function (and, under tsx, a name definition) every time they are created.
function iterateScalar(run: ScalarFoldRun, k: number): void {
  const { ctx, instr, execute } = run;
  const item = run.items[k];
  if (!item) {
    if (instr.last) {
      ctx.subgraphComplete = true;
      execute(ctx, instr.last);
    }
    return;
  }
  // Scope handling inline rather than through a callback: fold depth is bounded by the JS stack.
  ctx.pushIterator({
    name: instr.iterator.name,
    item,
    // Bound rather than an arrow: one is made per iteration (see par.ts on closures).
    next: iterateScalar.bind(undefined, run, k + 1),
    fromCanon: run.fromCanon,
  });
  try {
    execute(ctx, instr.body);
  } finally {
    ctx.popScope();
  }
}

// A stream fold iterates generation by generation: each generation gets its own chain of `next`s,
// and generations that appear while the fold runs (recursive streams) are iterated in later rounds.
function foldStream(ctx: ExecutionContext, instr: FoldInstruction, execute: Execute): void {
  const iterable = instr.iterable;
  if (iterable.kind !== 'stream' && iterable.kind !== 'stream_map') return;
  const stream = ctx.existingStream(iterable.name);
  if (!stream) {
    // A stream never met yet: wait for it rather than fold over nothing.
    ctx.makeIncomplete();
    return;
  }
  const fold = ctx.trace.enterFold(() => instructionText(instr));
  let complete = false;
  // AquaVM's recursive-stream cursor: each round folds the generations past the slot counts taken
  // when the previous round started, then opens a fresh generation for values the round produces.
  let groups = stream.generationsAfter({ prev: 0, current: 0, new: 0 });
  let cursor = stream.cursor();
  if (groups.length > 0) stream.openNewGeneration();
  while (groups.length > 0) {
    for (const group of groups) {
      const run: StreamGroupRun = { ctx, instr, execute, group, fold, backStarted: false };
      ctx.subgraphComplete = true;
      try {
        iterateStream(run, 0);
      } catch (e) {
        // Catchable errors inside a stream fold are dropped: rethrowing would make the outcome depend on arrival order.
        if (!(e instanceof CatchableError)) throw e;
      }
      complete ||= ctx.subgraphComplete;
    }
    groups = stream.generationsAfter(cursor);
    stream.dropEmptyLastNewGeneration();
    cursor = stream.cursor();
    stream.openNewGeneration();
  }
  ctx.subgraphComplete = complete;
}

/** What every iteration over one generation group of a stream fold shares. */
interface StreamGroupRun {
  readonly ctx: ExecutionContext;
  readonly instr: FoldInstruction;
  readonly execute: Execute;
  readonly group: readonly StreamValue[];
  readonly fold: ReturnType<TraceHandler['enterFold']>;
  backStarted: boolean;
}

function iterateStream(run: StreamGroupRun, k: number): void {
  const { ctx, instr, execute } = run;
  const v = run.group[k];
  if (!v) {
    if (instr.last) {
      ctx.subgraphComplete = true;
      execute(ctx, instr.last);
    } else if (!run.backStarted) {
      // Without a last instruction the end of a stream fold behaves like (never).
      run.backStarted = true;
      ctx.makeIncomplete();
    }
    return;
  }
  ctx.trace.enterIteration(run.fold, v.leaf);
  try {
    ctx.pushIterator({
      name: instr.iterator.name,
      item: v.aggregate,
      next: iterateStream.bind(undefined, run, k + 1),
    });
    try {
      execute(ctx, instr.body);
    } finally {
      ctx.popScope();
    }
  } finally {
    ctx.trace.exitIteration();
  }
}
