// Walks prev and current traces in lock-step with execution and writes the new trace.
// Each side has a stack of cursors (one per par branch or fold iteration being executed); the
// writer has a matching stack of output lists.
import { incompatibleStatesDetail, traceHandlerError, type InstructionText } from './debug.js';
import {
  loadedNodeDebug,
  type LoadedFold,
  type LoadedLeaf,
  type LoadedNode,
  type LoadedPar,
  type NewFold,
  type NewLeaf,
  type NewNode,
  type NewPar,
} from './tree.js';

interface Cursor {
  readonly nodes: readonly LoadedNode[];
  index: number;
}

/** The prev and current nodes met at one point of the walk. */
export interface Met<T> {
  readonly prev?: T;
  readonly current?: T;
}

/** Throws AquaVM's error for met states that are not of the `expected` kind (if any is not). */
function checkKinds(
  met: Met<LoadedNode>,
  ok: (n: LoadedNode) => boolean,
  expected: string,
  instruction: InstructionText,
): void {
  const prevBad = met.prev !== undefined && !ok(met.prev);
  const currentBad = met.current !== undefined && !ok(met.current);
  if (!prevBad && !currentBad) return;
  throw traceHandlerError(
    instruction,
    incompatibleStatesDetail(
      met.prev && loadedNodeDebug(met.prev),
      met.current && loadedNodeDebug(met.current),
      expected,
    ),
  );
}

/** What a list of the new trace being written belongs to. */
type Frame =
  | { readonly kind: 'root' }
  | { readonly kind: 'par'; readonly node: NewPar; readonly branch: 'left' | 'right' }
  | { readonly kind: 'iteration'; readonly fold: NewFold };

/** Lock-step reader of prev/current trees and writer of the new tree. */
export class TraceHandler {
  private readonly prevStack: Cursor[];
  private readonly currentStack: Cursor[];
  private readonly writerStack: NewNode[][];
  /** What each writer list belongs to, in step with writerStack. */
  private readonly frames: Frame[] = [{ kind: 'root' }];
  /** The new trace being written. */
  readonly root: NewNode[] = [];

  constructor(prev: readonly LoadedNode[], current: readonly LoadedNode[]) {
    this.prevStack = [{ nodes: prev, index: 0 }];
    this.currentStack = [{ nodes: current, index: 0 }];
    this.writerStack = [this.root];
  }

  private static take(stack: Cursor[]): LoadedNode | undefined {
    const c = stack[stack.length - 1]!;
    if (c.index >= c.nodes.length) return undefined;
    return c.nodes[c.index++];
  }

  private takeBoth(): Met<LoadedNode> {
    const prev = TraceHandler.take(this.prevStack);
    const current = TraceHandler.take(this.currentStack);
    const met: { prev?: LoadedNode; current?: LoadedNode } = {};
    if (prev) met.prev = prev;
    if (current) met.current = current;
    return met;
  }

  /**
   * Takes the next leaf of the given state kind from both sides (a different kind is a
   * TraceError); `instruction` is the instruction's text, as AquaVM names it in the message.
   */
  meetLeaf(kind: 'call' | 'ap' | 'canon', instruction: InstructionText): Met<LoadedLeaf> {
    const met = this.takeBoth();
    checkKinds(met, (n) => n.kind === 'leaf' && n.state.kind === kind, kind, instruction);
    return met as Met<LoadedLeaf>;
  }

  /** Writes a state into the current output list. */
  write(node: NewNode): void {
    this.writerStack[this.writerStack.length - 1]!.push(node);
  }

  /** Starts a par: returns the met par states and enters its left branch. */
  enterPar(): { met: Met<LoadedPar>; node: NewPar } {
    const met = this.takeBoth();
    checkKinds(met, (n) => n.kind === 'par', 'par', 'par');
    const node: NewPar = { kind: 'par', left: [], right: [] };
    this.write(node);
    const m = met as Met<LoadedPar>;
    this.prevStack.push({ nodes: m.prev?.left ?? [], index: 0 });
    this.currentStack.push({ nodes: m.current?.left ?? [], index: 0 });
    this.writerStack.push(node.left);
    this.frames.push({ kind: 'par', node, branch: 'left' });
    return { met: m, node };
  }

  /** Ends one par branch and, for the left one, enters the right. */
  endParBranch(par: { met: Met<LoadedPar>; node: NewPar }, branch: 'left' | 'right'): void {
    this.popCursors();
    this.writerStack.pop();
    this.frames.pop();
    if (branch === 'left') {
      this.prevStack.push({ nodes: par.met.prev?.right ?? [], index: 0 });
      this.currentStack.push({ nodes: par.met.current?.right ?? [], index: 0 });
      this.writerStack.push(par.node.right);
      this.frames.push({ kind: 'par', node: par.node, branch: 'right' });
    }
  }

  /** Leaves a par branch after an uncatchable error (no consumption checks). */
  abandon(depth: number): void {
    while (this.writerStack.length > depth) {
      this.writerStack.pop();
      this.frames.pop();
      this.prevStack.pop();
      this.currentStack.pop();
    }
  }

  /** Current nesting depth (for abandon). */
  get depth(): number {
    return this.writerStack.length;
  }

  private popCursors(): void {
    // Recorded states a branch or iteration did not meet are dropped, not an error: AquaVM moves
    // its sliders past a finished subgraph unchecked (e.g. a recursive fold that stops early on
    // a receiving peer leaves the sender's later iterations and what follows them unmet).
    this.prevStack.pop();
    this.currentStack.pop();
  }

  /** Starts a stream fold: returns the met fold states; iterations are entered per value. */
  enterFold(instruction: InstructionText): { met: Met<LoadedFold>; node: NewFold } {
    const met = this.takeBoth();
    checkKinds(met, (n) => n.kind === 'fold', 'fold', instruction);
    const node: NewFold = { kind: 'fold', iterations: [] };
    this.write(node);
    return { met: met as Met<LoadedFold>, node };
  }

  /** Enters the iteration of a fold over the value produced by `valueLeaf`. */
  enterIteration(fold: { met: Met<LoadedFold>; node: NewFold }, valueLeaf: NewLeaf): void {
    const prevIt = valueLeaf.prev
      ? fold.met.prev?.iterations.find((it) => it.valueLeaf === valueLeaf.prev)
      : undefined;
    const curIt = valueLeaf.current
      ? fold.met.current?.iterations.find((it) => it.valueLeaf === valueLeaf.current)
      : undefined;
    const states: NewNode[] = [];
    fold.node.iterations.push({ valueLeaf, states });
    // A `next` inside the right branch of pars of this fold's previous iteration: AquaVM runs this
    // iteration inside those branches, and its pars count its states (see NewPar.nestedInRight).
    const inside: NewPar[] = [];
    for (let k = this.frames.length - 1; k >= 0; k--) {
      const f = this.frames[k]!;
      if (f.kind === 'iteration') {
        if (f.fold === fold.node) for (const p of inside) (p.nestedInRight ??= []).push(states);
        break;
      }
      if (f.kind !== 'par' || f.branch !== 'right') break;
      inside.push(f.node);
    }
    this.prevStack.push({ nodes: prevIt?.states ?? [], index: 0 });
    this.currentStack.push({ nodes: curIt?.states ?? [], index: 0 });
    this.writerStack.push(states);
    this.frames.push({ kind: 'iteration', fold: fold.node });
  }

  /** Leaves a fold iteration. */
  exitIteration(): void {
    this.popCursors();
    this.writerStack.pop();
    this.frames.pop();
  }
}

/** Type guard helper for leaf creation. */
export function newLeaf(state: NewLeaf['state'], met: Met<LoadedLeaf>): NewLeaf {
  const leaf: { kind: 'leaf'; state: NewLeaf['state']; prev?: LoadedLeaf; current?: LoadedLeaf } = {
    kind: 'leaf',
    state,
  };
  if (met.prev) leaf.prev = met.prev;
  if (met.current) leaf.current = met.current;
  return leaf;
}
