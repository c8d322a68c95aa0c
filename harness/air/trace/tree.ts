// Traces as trees. The flat trace in interpreter data is parsed into a tree (par → two lists,
// stream fold → one list per iterated value) so merging can walk prev and current data in
// lock-step with the AST; the new trace is built as a tree and flattened at the end, which is
// when positions (fold value positions, par lengths) become known.
import { UncatchableErrorCode } from '../errors/codes.js';
import { UncatchableError } from '../errors/execution-error.js';
import { executedStateDebug, type FoldLoreDebug } from './debug.js';
import type { ExecutedState } from './states.js';

/** A call, ap or canon state of a loaded trace. */
export interface LoadedLeaf {
  readonly kind: 'leaf';
  readonly state: Exclude<ExecutedState, { kind: 'par' | 'fold' }>;
  readonly pos: number;
}

/** A par state of a loaded trace with its two subtraces. */
export interface LoadedPar {
  readonly kind: 'par';
  readonly left: LoadedNode[];
  readonly right: LoadedNode[];
  readonly pos: number;
  /** The recorded subtrace sizes (for error messages). */
  readonly sizes?: { readonly left: number; readonly right: number };
}

/** One iteration of a loaded stream fold: the producer of the value and the iteration's subtrace. */
export interface LoadedIteration {
  readonly valueLeaf: LoadedLeaf;
  readonly states: LoadedNode[];
}

/** A stream fold state of a loaded trace. */
export interface LoadedFold {
  readonly kind: 'fold';
  readonly iterations: LoadedIteration[];
  readonly pos: number;
  /** The recorded lore with each subtrace's start (for error messages). */
  readonly lore?: readonly FoldLoreDebug[];
}

/** A node of a loaded trace. */
export type LoadedNode = LoadedLeaf | LoadedPar | LoadedFold;

function corrupt(label: string, what: string): never {
  throw new UncatchableError(
    UncatchableErrorCode.TraceError,
    `${label} trace is malformed: ${what}`,
  );
}

/** A fold met while loading, whose iterations are linked to their values once all leaves are known. */
interface PendingFold {
  readonly lore: { valuePos: number; states: LoadedNode[] }[];
  readonly node: { iterations: LoadedIteration[] };
  readonly pos: number;
}

/**
 * One loading of a flat trace (a class rather than a recursive closure made per call: every
 * invoke loads two traces).
 */
class TraceLoader {
  readonly leaves = new Map<number, LoadedLeaf>();
  readonly pendingFolds: PendingFold[] = [];

  constructor(
    private readonly trace: readonly ExecutedState[],
    private readonly label: string,
  ) {}

  // `reach` is how far a par may extend: its parent's end, except inside a stream fold iteration,
  // where a par whose right branch holds `next` also counts the following iterations' states (as
  // AquaVM writes it); those states belong to their own iterations, so the branch is cut there.
  parse(from: number, to: number, reach: number = to): LoadedNode[] {
    const out: LoadedNode[] = [];
    let i = from;
    while (i < to) {
      const s = this.trace[i]!;
      if (s.kind === 'par') {
        const leftEnd = i + 1 + s.left;
        const end = leftEnd + s.right;
        if (end > reach || leftEnd > to)
          corrupt(
            this.label,
            `par at ${i} spans ${s.left}+${s.right} states past its parent's end ${to}`,
          );
        out.push({
          kind: 'par',
          left: this.parse(i + 1, leftEnd),
          right: this.parse(leftEnd, Math.min(end, to), end > to ? reach : end),
          pos: i,
          sizes: { left: s.left, right: s.right },
        });
        i = Math.min(end, to);
      } else if (s.kind === 'fold') {
        const debugLore: FoldLoreDebug[] = [];
        const node: LoadedFold = { kind: 'fold', iterations: [], pos: i, lore: debugLore };
        const lore: { valuePos: number; states: LoadedNode[] }[] = [];
        let j = i + 1;
        const foldEnd = j + s.lore.reduce((n, e) => n + e.length, 0);
        for (const entry of s.lore) {
          // AquaVM data that places a value's subtraces where no run puts them.
          if (entry.beforePos !== undefined || entry.afterLength !== undefined)
            corrupt(
              this.label,
              `fold at ${i} places the subtraces of value ${entry.valuePos} at ${entry.beforePos ?? j} (expected ${j}) with ${entry.afterLength ?? 0} states after next (expected none)`,
            );
          const end = j + entry.length;
          if (end > to)
            corrupt(this.label, `fold at ${i} has an iteration past its parent's end ${to}`);
          lore.push({ valuePos: entry.valuePos, states: this.parse(j, end, foldEnd) });
          debugLore.push({ valuePos: entry.valuePos, begin: j, length: entry.length });
          j = end;
        }
        this.pendingFolds.push({ lore, node, pos: i });
        out.push(node);
        i = j;
      } else {
        const leaf: LoadedLeaf = { kind: 'leaf', state: s, pos: i };
        this.leaves.set(i, leaf);
        out.push(leaf);
        i++;
      }
    }
    return out;
  }
}

/** Parses a flat trace into a tree; throws TraceError (20000) on inconsistent lengths or positions. */
export function loadTrace(trace: readonly ExecutedState[], label: string): LoadedNode[] {
  const loader = new TraceLoader(trace, label);
  const root = loader.parse(0, trace.length);
  const leaves = loader.leaves;
  for (const f of loader.pendingFolds) {
    for (const entry of f.lore) {
      const leaf = leaves.get(entry.valuePos);
      if (!leaf || (leaf.state.kind !== 'call' && leaf.state.kind !== 'ap')) {
        corrupt(
          label,
          `fold at ${f.pos} refers to position ${entry.valuePos}, which holds no stream value`,
        );
      }
      f.node.iterations.push({ valueLeaf: leaf, states: entry.states });
    }
  }
  return root;
}

/** `{:?}` of the state a loaded node was read from, as AquaVM prints it in trace errors. */
export function loadedNodeDebug(node: LoadedNode): string {
  switch (node.kind) {
    case 'leaf':
      return executedStateDebug(node.state);
    case 'par':
      return executedStateDebug({
        kind: 'par',
        left: node.sizes?.left ?? 0,
        right: node.sizes?.right ?? 0,
      });
    case 'fold':
      return executedStateDebug({ kind: 'fold', lore: [] }, { lore: node.lore ?? [] });
  }
}

/** A state being written into the new trace; `resolve` gives its final form at flatten time. */
export interface NewLeaf {
  readonly kind: 'leaf';
  state: Exclude<ExecutedState, { kind: 'par' | 'fold' }>;
  /** Recomputes the state at flatten time (stream generations are only final after compaction). */
  resolve?: () => Exclude<ExecutedState, { kind: 'par' | 'fold' }>;
  readonly prev?: LoadedLeaf;
  readonly current?: LoadedLeaf;
}

/** A par being written. */
export interface NewPar {
  readonly kind: 'par';
  readonly left: NewNode[];
  readonly right: NewNode[];
  /**
   * Iterations of a stream fold entered by a `next` inside this par's right branch. AquaVM runs
   * them inside that branch, so its par counts their states too (they follow the par's own states
   * in the trace); the fold's lore still gives each iteration only its own states.
   */
  nestedInRight?: NewNode[][];
}

/** A stream fold being written. */
export interface NewFold {
  readonly kind: 'fold';
  readonly iterations: { readonly valueLeaf: NewLeaf; readonly states: NewNode[] }[];
}

/** A node of the new trace. */
export type NewNode = NewLeaf | NewPar | NewFold;

/**
 * One flattening of a new trace tree (a class rather than recursive closures made per call:
 * every invoke flattens its trace once).
 */
class TraceFlattener {
  readonly out: ExecutedState[] = [];
  readonly positions = new Map<NewLeaf, number>();
  readonly foldFixups: { index: number; fold: NewFold; lengths: number[] }[] = [];
  // Pars whose right branch entered later iterations of a fold, fixed once those are written.
  readonly parFixups: { index: number; left: number; rightEnd: number; par: NewPar }[] = [];
  private readonly iterationEnds = new Map<readonly NewNode[], number>();
  private readonly parsInIteration = new Map<readonly NewNode[], number[]>();
  private iteration: NewNode[] | undefined;
  private readonly reached = new Map<number, number>();

  emit(nodes: readonly NewNode[]): void {
    for (const n of nodes) {
      if (n.kind === 'leaf') {
        this.positions.set(n, this.out.length);
        this.out.push(n.resolve ? n.resolve() : n.state);
      } else if (n.kind === 'par') {
        const index = this.out.length;
        this.out.push({ kind: 'par', left: 0, right: 0 });
        this.emit(n.left);
        const left = this.out.length - index - 1;
        this.emit(n.right);
        this.out[index] = { kind: 'par', left, right: this.out.length - index - 1 - left };
        if (n.nestedInRight !== undefined && n.nestedInRight.length > 0) {
          this.parFixups.push({ index, left, rightEnd: this.out.length, par: n });
          if (this.iteration !== undefined) {
            const list = this.parsInIteration.get(this.iteration) ?? [];
            list.push(this.parFixups.length - 1);
            this.parsInIteration.set(this.iteration, list);
          }
        }
      } else {
        const index = this.out.length;
        this.out.push({ kind: 'fold', lore: [] });
        const lengths: number[] = [];
        const outer = this.iteration;
        for (const it of n.iterations) {
          const start = this.out.length;
          this.iteration = it.states;
          this.emit(it.states);
          this.iterationEnds.set(it.states, this.out.length);
          lengths.push(this.out.length - start);
        }
        this.iteration = outer;
        this.foldFixups.push({ index, fold: n, lengths });
      }
    }
  }

  // A par's right branch reaches to the end of the iterations entered inside it, and of those
  // entered inside their own pars in turn.
  reachOfPar(k: number): number {
    const known = this.reached.get(k);
    if (known !== undefined) return known;
    const f = this.parFixups[k]!;
    let end = f.rightEnd;
    for (const states of f.par.nestedInRight ?? []) {
      end = Math.max(end, this.iterationEnds.get(states) ?? end);
      for (const inner of this.parsInIteration.get(states) ?? [])
        end = Math.max(end, this.reachOfPar(inner));
    }
    this.reached.set(k, end);
    return end;
  }
}

/** Flattens a new trace tree into the flat form that goes into interpreter data. */
export function flattenTrace(root: readonly NewNode[]): ExecutedState[] {
  const fl = new TraceFlattener();
  const out = fl.out;
  fl.emit(root);
  fl.parFixups.forEach((f, k) => {
    out[f.index] = { kind: 'par', left: f.left, right: fl.reachOfPar(k) - f.index - 1 - f.left };
  });
  for (const f of fl.foldFixups) {
    out[f.index] = {
      kind: 'fold',
      lore: f.fold.iterations.map((it, k) => {
        const valuePos = fl.positions.get(it.valueLeaf);
        if (valuePos === undefined)
          throw new UncatchableError(
            UncatchableErrorCode.TraceError,
            'a fold iterated a value whose producer is not in the new trace',
          );
        return { valuePos, length: f.lengths[k]! };
      }),
    };
  }
  return out;
}
