// A lazy AST over a skeleton (skeleton.ts): nodes are made when first read, so a run touches
// only the instructions it executes, as V8 compiles only the functions it calls. A subtree of at
// most `eagerMax` characters (and every instruction without sub-instructions) is parsed whole by
// parseAir on its range of the source; a larger seq/par/xor/match/mismatch/new/fold becomes a
// node whose sub-instructions and operands are made on first access and then kept. Nodes have
// the kinds and field names of ast/types.ts, so code reading an Instruction works on either tree,
// and a lazy tree read to its leaves equals parseAir's tree (test/parser-lazy.test.ts).

import type {
  ArgumentValue,
  FoldIterable,
  FoldKind,
  Instruction,
  NewTarget,
  PlainScalar,
  Value,
} from '../ast/types.js';
import { walkInstructions } from '../ast/walk.js';
import { parseAir, parseHeadValues } from './parser.js';
import { Op, OP_KINDS, scanAir, type Skeleton } from './skeleton.js';

/** Subtrees up to this many characters are parsed whole when first reached (by default). */
export const DEFAULT_EAGER_MAX = 2048;

/** A source, its skeleton, and the rule for which subtrees are parsed whole. */
class LazyTree {
  constructor(
    readonly source: string,
    readonly sk: Skeleton,
    readonly eagerMax: number,
  ) {}

  /** The node of instruction `i` of the skeleton. */
  node(i: number): Instruction {
    const sk = this.sk;
    const op = sk.op[i] as Op;
    const start = sk.start[i] as number;
    const end = sk.end[i] as number;
    switch (op) {
      case Op.Seq:
      case Op.Par:
      case Op.Xor:
        if (end - start > this.eagerMax) return new LazyBranch(this, i) as unknown as Instruction;
        break;
      case Op.Match:
      case Op.Mismatch:
        if (end - start > this.eagerMax) return new LazyMatch(this, i) as unknown as Instruction;
        break;
      case Op.New:
        if (end - start > this.eagerMax) return new LazyNew(this, i) as unknown as Instruction;
        break;
      case Op.Fold:
        if (end - start > this.eagerMax) return new LazyFold(this, i) as unknown as Instruction;
        break;
      default:
        break;
    }
    const r = parseAir(this.source, { from: start, to: end, validate: false });
    if (!r.ok) throw new Error(`lazy AIR tree: instruction at ${start} does not parse again`);
    return r.ast;
  }

  /** The operands of instruction `i`'s head (the text before its first sub-instruction). */
  head(i: number): Value[] {
    return parseHeadValues(this.source, this.sk.start[i] as number, this.sk.start[i + 1] as number);
  }
}

/** Base of the lazy node classes: position and kind come from the skeleton at once. */
abstract class LazyNode {
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  constructor(
    protected readonly tree: LazyTree,
    protected readonly index: number,
  ) {
    this.kind = OP_KINDS[tree.sk.op[index] as Op];
    this.start = tree.sk.start[index] as number;
    this.end = tree.sk.end[index] as number;
  }
}

/** A large `seq`, `par` or `xor`. */
class LazyBranch extends LazyNode {
  private l: Instruction | undefined;
  private r: Instruction | undefined;
  get left(): Instruction {
    return (this.l ??= this.tree.node(this.index + 1));
  }
  get right(): Instruction {
    return (this.r ??= this.tree.node(this.tree.sk.second[this.index] as number));
  }
}

/** A large `match` or `mismatch`. */
class LazyMatch extends LazyNode {
  private operands: Value[] | undefined;
  private b: Instruction | undefined;
  get left(): ArgumentValue {
    return (this.operands ??= this.tree.head(this.index))[0] as ArgumentValue;
  }
  get right(): ArgumentValue {
    return (this.operands ??= this.tree.head(this.index))[1] as ArgumentValue;
  }
  get body(): Instruction {
    return (this.b ??= this.tree.node(this.index + 1));
  }
}

/** A large `new`. */
class LazyNew extends LazyNode {
  private v: NewTarget | undefined;
  private b: Instruction | undefined;
  get variable(): NewTarget {
    return (this.v ??= this.tree.head(this.index)[0] as NewTarget);
  }
  get body(): Instruction {
    return (this.b ??= this.tree.node(this.index + 1));
  }
}

/** A large `fold`. */
class LazyFold extends LazyNode {
  private operands: Value[] | undefined;
  private b: Instruction | undefined;
  private l: Instruction | undefined;
  get iterable(): FoldIterable {
    return (this.operands ??= this.tree.head(this.index))[0] as FoldIterable;
  }
  get iterator(): PlainScalar {
    return (this.operands ??= this.tree.head(this.index))[1] as PlainScalar;
  }
  get foldKind(): FoldKind {
    const k = this.iterable.kind;
    return k === 'stream' ? 'stream' : k === 'stream_map' ? 'stream_map' : 'scalar';
  }
  get body(): Instruction {
    return (this.b ??= this.tree.node(this.index + 1));
  }
  get last(): Instruction | undefined {
    const second = this.tree.sk.second[this.index] as number;
    if (second === -1) return undefined;
    return (this.l ??= this.tree.node(second));
  }
}

/** Whether `node` is a node of a lazy tree whose parts are made on access. */
export function isLazyNode(node: Instruction): boolean {
  return (node as unknown) instanceof LazyNode;
}

/** The root of a lazy tree over a valid script's skeleton. */
export function lazyRoot(
  source: string,
  skeleton: Skeleton,
  eagerMax = DEFAULT_EAGER_MAX,
): Instruction {
  return new LazyTree(source, skeleton, eagerMax).node(0);
}

/** Result of {@link parseAirLazy}. */
export type LazyParseResult =
  { readonly ok: true; readonly ast: Instruction; readonly depth: number } | { readonly ok: false };

/**
 * Checks `source` as parseAir does, without building its tree: on success, a lazy tree and the
 * nesting depth. On failure nothing more; parseAir gives the errors.
 */
export function parseAirLazy(source: string, eagerMax = DEFAULT_EAGER_MAX): LazyParseResult {
  const sk = scanAir(source);
  if (sk === undefined) return { ok: false };
  return { ok: true, ast: lazyRoot(source, sk, eagerMax), depth: sk.depth };
}

/**
 * Makes every node of a tree (lazy or not) by reading all of its instructions and their
 * operands, as a run that executes the whole script would; returns the number of instructions.
 */
export function materializeAll(root: Instruction): number {
  let count = 0;
  walkInstructions(root, (instr) => {
    count++;
    switch (instr.kind) {
      case 'match':
      case 'mismatch':
        void instr.left;
        void instr.right;
        return;
      case 'new':
        void instr.variable;
        return;
      case 'fold':
        void instr.iterable;
        void instr.iterator;
        void instr.foldKind;
        return;
      default:
        return;
    }
  });
  return count;
}
