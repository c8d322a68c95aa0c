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

type Entry = { k: K; name: string; span: Span };

/** Tracks `(seq (next i) X)`-like shapes so a stream fold can reject work after its `next`. */
export class AfterNextMachine {
  private stack: Entry[] = [];
  private potential = new Map<string, Span>();
  readonly malformed: Span[] = [];
  private enabled = true;

  private disable(): void {
    this.stack = [];
    this.enabled = false;
  }

  /** Feeds one completed instruction of kind `k` (bottom-up order). */
  met(k: K, span: Span, name = ''): void {
    if (!this.enabled) return;
    switch (k) {
      case K.Replacing: {
        const child = this.stack.pop();
        if (child === undefined) this.disable();
        else
          this.stack.push(
            child.k === K.PivotalNext
              ? { k: K.PivotalNext, name: child.name, span }
              : { k, name: '', span },
          );
        return;
      }
      case K.Xoring: {
        const right = this.stack.pop();
        const left = this.stack.pop();
        if (left === undefined || right === undefined) return this.disable();
        if (left.k === K.PivotalNext && right.k === K.PivotalNext) return this.disable();
        if (left.k === K.PivotalNext) this.stack.push({ k: K.PivotalNext, name: left.name, span });
        else if (right.k === K.PivotalNext)
          this.stack.push({ k: K.PivotalNext, name: right.name, span });
        else this.stack.push({ k: K.Xoring, name: '', span });
        return;
      }
      case K.Merging: {
        const right = this.stack.pop();
        const left = this.stack.pop();
        if (left === undefined || right === undefined) return this.disable();
        if (left.k === K.PivotalNext && right.k === K.PivotalNext && left.name === right.name) {
          this.stack.push({ k: K.PivotalNext, name: left.name, span });
        } else if (left.k === K.PivotalNext) {
          this.stack.push({ k: K.Merging, name: '', span });
          if (!this.potential.has(left.name)) this.potential.set(left.name, span);
        } else if (right.k === K.PivotalNext) {
          this.stack.push({ k: K.PivotalNext, name: right.name, span });
        } else {
          this.stack.push({ k: K.Merging, name: '', span });
        }
        return;
      }
      case K.ReplacingWithCheck:
        return this.replacingWithCheck(name, span, k);
      case K.PopStack1ReplacingWithCheck:
        this.stack.pop();
        return this.replacingWithCheck(name, span, k);
      case K.PivotalNext:
      case K.Simple:
        this.stack.push({ k, name, span });
        return;
      case K.PopStack1:
        this.stack.pop();
        this.stack.push({ k, name, span });
        return;
      case K.PopStack2:
        this.stack.pop();
        this.stack.pop();
        this.stack.push({ k, name, span });
        return;
    }
  }

  private check(iterator: string): void {
    const span = this.potential.get(iterator);
    if (span !== undefined) this.malformed.push(span);
  }

  private replacingWithCheck(iterator: string, span: Span, k: K): void {
    const child = this.stack.pop();
    if (child === undefined) {
      this.enabled = false;
      return;
    }
    this.check(iterator);
    if (child.k === K.PivotalNext && child.name === iterator) {
      this.potential.delete(iterator);
      this.stack.push({ k: K.Simple, name: '', span });
    } else if (child.k === K.PivotalNext) {
      this.stack.push({ k: K.PivotalNext, name: child.name, span });
    } else {
      this.stack.push({ k, name: iterator, span });
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
}

/** Collects definitions and uses while parsing and reports the semantic errors at the end. */
export class Validator {
  /** Smallest start offset of an instruction defining each name (call/ap/canon outputs, new, fold iterators). */
  private readonly firstDefinition = new Map<string, number>();
  private readonly uses: Use[] = [];
  private readonly openFolds = new Map<string, OpenFold[]>();
  private readonly machine = new AfterNextMachine();
  /** Uses recorded since the last completed instruction: their instruction's end is the next hook's. */
  private awaitingEnd: Use[] = [];
  /** A `new` on an iterator, reported when its instruction completes (the next `replacing` hook). */
  private pendingNew: { name: string; span: Span } | undefined;
  /** Folds closed but not yet completed: a completed fold reports its redefinition with its span. */
  private closedFolds: OpenFold[] = [];

  constructor(private readonly sink: ErrorSink) {}

  /** A name is defined by the instruction starting at `at`. */
  define(name: string, at: number): void {
    const prev = this.firstDefinition.get(name);
    if (prev === undefined || at < prev) this.firstDefinition.set(name, at);
  }

  /** A name is read by the instruction starting at `at`. */
  use(name: string, span: Span, at: number): void {
    // Most uses follow their definition in the text; only the others wait for the end.
    const def = this.firstDefinition.get(name);
    if (def !== undefined && def < at) return;
    const u: Use = { name, span, at };
    this.uses.push(u);
    this.awaitingEnd.push(u);
  }

  /** An instruction spanning `span` completed: uses it made learn their instruction's extent. */
  private completed(span: Span): void {
    if (this.awaitingEnd.length === 0) return;
    for (const u of this.awaitingEnd) if (u.at === span.start) u.end = span.end;
    this.awaitingEnd = this.awaitingEnd.filter((u) => u.end === undefined);
  }

  /** Reports redefinitions of folds that closed without completing (their frame failed to parse). */
  private flushClosedFolds(): void {
    for (const fold of this.closedFolds) this.reportRedefinition(fold, undefined);
    this.closedFolds = [];
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
  openFold(iterator: string, iteratorSpan: Span, at: number): OpenFold {
    let folds = this.openFolds.get(iterator);
    if (folds === undefined) {
      folds = [];
      this.openFolds.set(iterator, folds);
    }
    this.flushClosedFolds();
    const fold: OpenFold =
      folds.length > 0 ? { iterator, nexts: 0, redefinedAt: iteratorSpan } : { iterator, nexts: 0 };
    folds.push(fold);
    this.define(iterator, at);
    return fold;
  }

  /** The fold opened last by {@link openFold} for this iterator closes. */
  closeFold(iterator: string): void {
    this.flushClosedFolds();
    const fold = this.openFolds.get(iterator)?.pop();
    if (fold !== undefined) this.closedFolds.push(fold);
  }

  /** Whether an enclosing fold iterates with this name. */
  isOpenIterator(name: string): boolean {
    return (this.openFolds.get(name)?.length ?? 0) > 0;
  }

  /** `(next name)` met inside whatever folds are open now. */
  next(name: string, nameSpan: Span, span: Span): void {
    const folds = this.openFolds.get(name);
    const fold = folds?.[folds.length - 1];
    if (fold === undefined) {
      this.sink.add(
        'undefined-iterable',
        `iterable '${name}' wasn't defined: no enclosing fold iterates with it`,
        nameSpan,
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
    this.machine.met(K.PivotalNext, span, name);
  }

  /** `(new name ...)` completed. */
  newOn(name: string, nameSpan: Span): void {
    if (this.isOpenIterator(name)) this.pendingNew = { name, span: nameSpan };
  }

  /** `(fail 0 "...")`. */
  failCodeZero(span: Span): void {
    this.sink.add(
      'fail-code-zero',
      'fail with error code 0 is not allowed (0 means no error)',
      span,
      undefined,
      { instructionSpan: span },
    );
  }

  /** A leaf instruction completed (call, ap, canon, fail, never, null). */
  simple(span: Span): void {
    this.completed(span);
    this.machine.met(K.Simple, span);
  }
  /** seq or par completed. */
  merging(span: Span): void {
    this.machine.met(K.Merging, span);
  }
  /** xor completed. */
  xoring(span: Span): void {
    this.machine.met(K.Xoring, span);
  }
  /** match, mismatch or new completed. */
  replacing(span: Span): void {
    this.completed(span);
    const pending = this.pendingNew;
    if (pending !== undefined) {
      this.pendingNew = undefined;
      this.sink.add(
        'new-on-iterator',
        `new can't be applied to '${pending.name}' because it's an iterator`,
        pending.span,
        undefined,
        { name: pending.name, instructionSpan: span },
      );
    }
    this.machine.met(K.Replacing, span);
  }
  /** A fold completed. */
  fold(scalar: boolean, hasLast: boolean, iterator: string, span: Span): void {
    this.completed(span);
    const closed = this.closedFolds.pop();
    if (closed !== undefined) {
      if (closed.iterator === iterator) this.reportRedefinition(closed, span);
      else this.closedFolds.push(closed);
    }
    this.flushClosedFolds();
    if (scalar) this.machine.met(hasLast ? K.PopStack2 : K.PopStack1, span);
    else
      this.machine.met(
        hasLast ? K.PopStack1ReplacingWithCheck : K.ReplacingWithCheck,
        span,
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
