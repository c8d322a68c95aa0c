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

/** Parses a flat trace into a tree; throws TraceError (20000) on inconsistent lengths or positions. */
export function loadTrace(trace: readonly ExecutedState[], label: string): LoadedNode[] {
  const leaves = new Map<number, LoadedLeaf>();
  const pendingFolds: {
    lore: { valuePos: number; states: LoadedNode[] }[];
    node: { iterations: LoadedIteration[] };
    pos: number;
  }[] = [];
  const parse = (from: number, to: number): LoadedNode[] => {
    const out: LoadedNode[] = [];
    let i = from;
    while (i < to) {
      const s = trace[i]!;
      if (s.kind === 'par') {
        const leftEnd = i + 1 + s.left;
        const end = leftEnd + s.right;
        if (end > to)
          corrupt(
            label,
            `par at ${i} spans ${s.left}+${s.right} states past its parent's end ${to}`,
          );
        out.push({
          kind: 'par',
          left: parse(i + 1, leftEnd),
          right: parse(leftEnd, end),
          pos: i,
          sizes: { left: s.left, right: s.right },
        });
        i = end;
      } else if (s.kind === 'fold') {
        const debugLore: FoldLoreDebug[] = [];
        const node: LoadedFold = { kind: 'fold', iterations: [], pos: i, lore: debugLore };
        const lore: { valuePos: number; states: LoadedNode[] }[] = [];
        let j = i + 1;
        for (const entry of s.lore) {
          const end = j + entry.length;
          if (end > to) corrupt(label, `fold at ${i} has an iteration past its parent's end ${to}`);
          lore.push({ valuePos: entry.valuePos, states: parse(j, end) });
          debugLore.push({ valuePos: entry.valuePos, begin: j, length: entry.length });
          j = end;
        }
        pendingFolds.push({ lore, node, pos: i });
        out.push(node);
        i = j;
      } else {
        const leaf: LoadedLeaf = { kind: 'leaf', state: s, pos: i };
        leaves.set(i, leaf);
        out.push(leaf);
        i++;
      }
    }
    return out;
  };
  const root = parse(0, trace.length);
  for (const f of pendingFolds) {
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
}

/** A stream fold being written. */
export interface NewFold {
  readonly kind: 'fold';
  readonly iterations: { readonly valueLeaf: NewLeaf; readonly states: NewNode[] }[];
}

/** A node of the new trace. */
export type NewNode = NewLeaf | NewPar | NewFold;

/** Flattens a new trace tree into the flat form that goes into interpreter data. */
export function flattenTrace(root: readonly NewNode[]): ExecutedState[] {
  const out: ExecutedState[] = [];
  const positions = new Map<NewLeaf, number>();
  const foldFixups: { index: number; fold: NewFold; lengths: number[] }[] = [];
  const emit = (nodes: readonly NewNode[]): void => {
    for (const n of nodes) {
      if (n.kind === 'leaf') {
        positions.set(n, out.length);
        out.push(n.resolve ? n.resolve() : n.state);
      } else if (n.kind === 'par') {
        const index = out.length;
        out.push({ kind: 'par', left: 0, right: 0 });
        emit(n.left);
        const left = out.length - index - 1;
        emit(n.right);
        out[index] = { kind: 'par', left, right: out.length - index - 1 - left };
      } else {
        const index = out.length;
        out.push({ kind: 'fold', lore: [] });
        const lengths: number[] = [];
        for (const it of n.iterations) {
          const start = out.length;
          emit(it.states);
          lengths.push(out.length - start);
        }
        foldFixups.push({ index, fold: n, lengths });
      }
    }
  };
  emit(root);
  for (const f of foldFixups) {
    out[f.index] = {
      kind: 'fold',
      lore: f.fold.iterations.map((it, k) => {
        const valuePos = positions.get(it.valueLeaf);
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
