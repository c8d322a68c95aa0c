// Semantic checks AquaVM's parser makes after the grammar: undefined variables and iterables,
// several `next` for one fold, nested folds reusing an iterator, `new` on an iterator, `fail`
// with code 0, and instructions after `next` in stream/map folds.
//
// The parser calls these hooks bottom-up (children before parents, left before right), the
// order in which AquaVM's LR parser reduces, so the after-next state machine below sees the
// same event sequence as the reference and reaches the same verdicts, quirks included.

import type { Span } from '../ast/types.js';
import type { ErrorSink } from './errors.js';

/** Kinds of events the after-next machine consumes. */
export const enum K {
  PivotalNext,
  Merging,
  PopStack1,
  PopStack2,
  Replacing,
  ReplacingWithCheck,
  Xoring,
  PopStack1ReplacingWithCheck,
  Simple,
}

/**
 * Tracks `(seq (next i) X)`-like shapes so a stream fold can reject work after its `next`.
 * The stack is two parallel arrays (kind, iterator name): it sees one event per instruction, and
 * an object per event was a measurable share of a large parse.
 */
export class AfterNextMachine {
  private kinds: K[] = [];
  private names: string[] = [];
  private potential = new Map<string, Span>();
  readonly malformed: Span[] = [];
  private enabled = true;

  private disable(): void {
    this.kinds = [];
    this.names = [];
    this.enabled = false;
  }

  private push(k: K, name: string): void {
    this.kinds.push(k);
    this.names.push(name);
  }

  /** Pops the top entry; its kind, or -1 when the stack is empty (its name is in `popped`). */
  private pop(): K | -1 {
    const k = this.kinds.pop();
    if (k === undefined) return -1;
    this.popped = this.names.pop() ?? '';
    return k;
  }
  private popped = '';

  /** Feeds one completed instruction of kind `k` (bottom-up order). */
  met(k: K, span: Span, name = ''): void {
    this.metAt(k, span.start, span.end, name);
  }

  /** {@link met} with the instruction's extent as two offsets. */
  metAt(k: K, start: number, end: number, name = ''): void {
    if (!this.enabled) return;
    switch (k) {
      case K.Replacing: {
        const child = this.pop();
        if (child === -1) this.disable();
        else if (child === K.PivotalNext) this.push(K.PivotalNext, this.popped);
        else this.push(k, '');
        return;
      }
      case K.Xoring:
      case K.Merging: {
        const right = this.pop();
        const rightName = this.popped;
        const left = this.pop();
        const leftName = this.popped;
        if (left === -1 || right === -1) return this.disable();
        const leftNext = left === K.PivotalNext;
        const rightNext = right === K.PivotalNext;
        if (k === K.Xoring) {
          if (leftNext && rightNext) return this.disable();
          if (leftNext) this.push(K.PivotalNext, leftName);
          else if (rightNext) this.push(K.PivotalNext, rightName);
          else this.push(K.Xoring, '');
          return;
        }
        if (leftNext && rightNext && leftName === rightName) {
          this.push(K.PivotalNext, leftName);
        } else if (leftNext) {
          this.push(K.Merging, '');
          if (!this.potential.has(leftName)) this.potential.set(leftName, { start, end });
        } else if (rightNext) {
          this.push(K.PivotalNext, rightName);
        } else {
          this.push(K.Merging, '');
        }
        return;
      }
      case K.ReplacingWithCheck:
        return this.replacingWithCheck(name, start, end, k);
      case K.PopStack1ReplacingWithCheck:
        this.pop();
        return this.replacingWithCheck(name, start, end, k);
      case K.PivotalNext:
      case K.Simple:
        this.push(k, name);
        return;
      case K.PopStack1:
        this.pop();
        this.push(k, name);
        return;
      case K.PopStack2:
        this.pop();
        this.pop();
        this.push(k, name);
        return;
    }
  }

  private check(iterator: string): void {
    const span = this.potential.get(iterator);
    if (span !== undefined) this.malformed.push(span);
  }

  private replacingWithCheck(iterator: string, start: number, end: number, k: K): void {
    const child = this.pop();
    if (child === -1) {
      this.enabled = false;
      return;
    }
    this.check(iterator);
    if (child === K.PivotalNext && this.popped === iterator) {
      this.potential.delete(iterator);
      this.push(K.Simple, '');
    } else if (child === K.PivotalNext) {
      this.push(K.PivotalNext, this.popped);
    } else {
      this.push(k, iterator);
    }
  }
}

/** A variable use: the name, where it is written, and the instruction using it (end once known). */
type Use = { name: string; span: Span; at: number; end?: number };

/** An open fold, as seen from inside its body. */
export interface OpenFold {
  readonly iterator: string;
  nexts: number;
  /** Where the iterator is written when an enclosing fold already uses the name (reported once the fold's span is known). */
  redefinedAt?: Span;
  /** The enclosing open fold with the same iterator, if any (open folds form a stack per name). */
  readonly outer: OpenFold | undefined;
}

/** Collects definitions and uses while parsing and reports the semantic errors at the end. */
export class Validator {
  /** Smallest start offset of an instruction defining each name (call/ap/canon outputs, new, fold iterators). */
  private readonly firstDefinition = new Map<string, number>();
  private readonly uses: Use[] = [];
  // The innermost open fold per iterator name; only open folds are kept (a compiled script has a
  // fresh iterator name per fold, and a table of every name ever seen was a large share of the
  // validator's work and memory).
  private readonly openFolds = new Map<string, OpenFold>();
  private readonly machine = new AfterNextMachine();
  /** Uses recorded since the last completed instruction: their instruction's end is the next hook's. */
  private awaitingEnd: Use[] = [];
  /** A `new` on an iterator, reported when its instruction completes (the next `replacing` hook). */
  private pendingNew: { name: string; span: Span } | undefined;
  /** Folds closed but not yet completed: a completed fold reports its redefinition with its span. */
  private readonly closedFolds: OpenFold[] = [];

  constructor(private readonly sink: ErrorSink) {}

  /** A name is defined by the instruction starting at `at`. */
  define(name: string, at: number): void {
    const prev = this.firstDefinition.get(name);
    if (prev === undefined || at < prev) this.firstDefinition.set(name, at);
  }

  /** A name is read by the instruction starting at `at`. */
  use(name: string, start: number, end: number, at: number): void {
    // Most uses follow their definition in the text; only the others wait for the end.
    const def = this.firstDefinition.get(name);
    if (def !== undefined && def < at) return;
    const u: Use = { name, span: { start, end }, at };
    this.uses.push(u);
    this.awaitingEnd.push(u);
  }

  /** An instruction spanning `span` completed: uses it made learn their instruction's extent. */
  private completed(start: number, end: number): void {
    if (this.awaitingEnd.length === 0) return;
    for (const u of this.awaitingEnd) if (u.at === start) u.end = end;
    this.awaitingEnd = this.awaitingEnd.filter((u) => u.end === undefined);
  }

  /** Reports redefinitions of folds that closed without completing (their frame failed to parse). */
  private flushClosedFolds(): void {
    if (this.closedFolds.length === 0) return;
    for (const fold of this.closedFolds) this.reportRedefinition(fold, undefined);
    this.closedFolds.length = 0;
  }

  private reportRedefinition(fold: OpenFold, span: Span | undefined): void {
    if (fold.redefinedAt === undefined) return;
    this.sink.add(
      'iterator-redefined',
      `iterator '${fold.iterator}' is already the iterator of an enclosing fold`,
      fold.redefinedAt,
      undefined,
      span === undefined ? { name: fold.iterator } : { name: fold.iterator, instructionSpan: span },
    );
  }

  /** A fold with this iterator opens (called once its iterator is read, before its body). */
  openFold(iterator: string, nameStart: number, nameEnd: number, at: number): OpenFold {
    const outer = this.openFolds.get(iterator);
    this.flushClosedFolds();
    const fold: OpenFold =
      outer !== undefined
        ? { iterator, nexts: 0, redefinedAt: { start: nameStart, end: nameEnd }, outer }
        : { iterator, nexts: 0, outer };
    this.openFolds.set(iterator, fold);
    this.define(iterator, at);
    return fold;
  }

  /** The fold opened last by {@link openFold} for this iterator closes. */
  closeFold(iterator: string): void {
    this.flushClosedFolds();
    const fold = this.openFolds.get(iterator);
    if (fold === undefined) return;
    if (fold.outer === undefined) this.openFolds.delete(iterator);
    else this.openFolds.set(iterator, fold.outer);
    this.closedFolds.push(fold);
  }

  /** Whether an enclosing fold iterates with this name. */
  isOpenIterator(name: string): boolean {
    return this.openFolds.has(name);
  }

  /** `(next name)` met inside whatever folds are open now. */
  next(name: string, nameStart: number, nameEnd: number, start: number, end: number): void {
    const fold = this.openFolds.get(name);
    const span = { start, end };
    if (fold === undefined) {
      this.sink.add(
        'undefined-iterable',
        `iterable '${name}' wasn't defined: no enclosing fold iterates with it`,
        { start: nameStart, end: nameEnd },
        undefined,
        { name, instructionSpan: span },
      );
    } else if (++fold.nexts > 1) {
      this.sink.add(
        'multiple-next',
        `a fold may have only one next for iterator '${name}'`,
        span,
        undefined,
        { name, instructionSpan: span },
      );
    }
    this.machine.metAt(K.PivotalNext, start, end, name);
  }

  /** `(new name ...)` completed. */
  newOn(name: string, nameStart: number, nameEnd: number): void {
    if (this.isOpenIterator(name))
      this.pendingNew = { name, span: { start: nameStart, end: nameEnd } };
  }

  /** `(fail 0 "...")`. */
  failCodeZero(start: number, end: number): void {
    const span = { start, end };
    this.sink.add(
      'fail-code-zero',
      'fail with error code 0 is not allowed (0 means no error)',
      span,
      undefined,
      { instructionSpan: span },
    );
  }

  /** A leaf instruction completed (call, ap, canon, fail, never, null). */
  simple(start: number, end: number): void {
    this.completed(start, end);
    this.machine.metAt(K.Simple, start, end);
  }
  /** seq or par completed. */
  merging(start: number, end: number): void {
    this.machine.metAt(K.Merging, start, end);
  }
  /** xor completed. */
  xoring(start: number, end: number): void {
    this.machine.metAt(K.Xoring, start, end);
  }
  /** match, mismatch or new completed. */
  replacing(start: number, end: number): void {
    this.completed(start, end);
    const pending = this.pendingNew;
    if (pending !== undefined) {
      this.pendingNew = undefined;
      this.sink.add(
        'new-on-iterator',
        `new can't be applied to '${pending.name}' because it's an iterator`,
        pending.span,
        undefined,
        { name: pending.name, instructionSpan: { start, end } },
      );
    }
    this.machine.metAt(K.Replacing, start, end);
  }
  /** A fold completed. */
  fold(scalar: boolean, hasLast: boolean, iterator: string, start: number, end: number): void {
    this.completed(start, end);
    const closed = this.closedFolds.pop();
    if (closed !== undefined) {
      if (closed.iterator === iterator) this.reportRedefinition(closed, { start, end });
      else this.closedFolds.push(closed);
    }
    this.flushClosedFolds();
    if (scalar) this.machine.metAt(hasLast ? K.PopStack2 : K.PopStack1, start, end);
    else
      this.machine.metAt(
        hasLast ? K.PopStack1ReplacingWithCheck : K.ReplacingWithCheck,
        start,
        end,
        iterator,
      );
  }

  /** Reports undefined variables and after-next violations. */
  finish(): void {
    this.flushClosedFolds();
    for (const u of this.uses) {
      const def = this.firstDefinition.get(u.name);
      if (def === undefined || !(def < u.at)) {
        this.sink.add(
          'undefined-variable',
          `variable '${u.name}' wasn't defined before this use`,
          u.span,
          undefined,
          u.end === undefined
            ? { name: u.name }
            : { name: u.name, instructionSpan: { start: u.at, end: u.end } },
        );
      }
    }
    for (const span of this.machine.malformed) {
      this.sink.add(
        'instruction-after-next',
        'a fold over a stream or stream map can not have instructions after next',
        span,
        undefined,
        { instructionSpan: span },
      );
    }
  }
}
