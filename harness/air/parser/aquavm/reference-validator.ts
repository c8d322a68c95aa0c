// AquaVM's variable validator, replayed over the instructions its parser completes, so its
// findings and their order are AquaVM's.
import type { Span } from '../../ast/types.js';
import { AfterNextMachine, K } from '../validator.js';
import type { CodespanLabel } from './codespan.js';
import type { Frame, GTok } from './grammar.js';
import { byteOffset } from './words.js';

// Terminals whose names the validator checks as uses of a variable.
const USE_TERMS = new Set([
  'Scalar',
  'ScalarWithLambda',
  'CanonStream',
  'CanonStreamWithLambda',
  'CanonStreamMap',
  'CanonStreamMapWithLambda',
]);

/** Spans ordered like Rust's derived `Ord` on `Span { left, right }`. */
const before = (a: Span, b: Span): boolean =>
  a.start < b.start || (a.start === b.start && a.end < b.end);
const contains = (outer: Span, inner: Span): boolean =>
  outer.start <= inner.start && inner.end <= outer.end;

/** AquaVM's variable validator, fed the instructions its parser completes. */
export class ReferenceValidator {
  private readonly definitions = new Map<string, Span>();
  private readonly iterators = new Map<string, Span[]>();
  private readonly unresolved = new Map<string, Span[]>();
  private readonly iterables = new Map<string, Span[]>();
  private readonly notIterators: { name: string; span: Span }[] = [];
  private readonly zeroCodes: Span[] = [];
  private readonly machine = new AfterNextMachine();

  private defined(name: string, span: Span): boolean {
    const d = this.definitions.get(name);
    if (d !== undefined && before(d, span)) return true;
    return (this.iterators.get(name) ?? []).some((s) => before(s, span));
  }
  private useName(name: string, span: Span): void {
    if (this.defined(name, span)) return;
    const list = this.unresolved.get(name) ?? [];
    list.push(span);
    this.unresolved.set(name, list);
  }
  private use(tok: GTok | undefined, span: Span): void {
    if (tok === undefined || !USE_TERMS.has(tok.term)) return;
    this.useName(tok.name, span);
    if (tok.lens?.kind === 'path')
      for (const a of tok.lens.accessors) if (a.kind === 'by_scalar') this.useName(a.scalar, span);
  }
  private define(name: string, span: Span): void {
    const d = this.definitions.get(name);
    if (d === undefined || before(span, d)) this.definitions.set(name, span);
  }
  private defineIterator(name: string, span: Span): void {
    const list = this.iterators.get(name) ?? [];
    list.push(span);
    this.iterators.set(name, list);
  }

  /** One instruction completed: what AquaVM's `met_*` hook for it records. */
  completed(f: Frame, span: Span): void {
    if (f.kind === 'seq' || f.kind === 'par') return this.machine.met(K.Merging, span);
    const at = (state: number): GTok | undefined => {
      for (let i = 0; i < f.from.length; i++) if (f.from[i] === state) return f.toks[i];
      return undefined;
    };
    const all = (state: number): GTok[] => f.toks.filter((_, i) => f.from[i] === state);
    switch (f.kind) {
      case 'call': {
        this.use(at(0), span);
        this.use(at(2), span);
        this.use(at(3), span);
        for (const a of all(6)) this.use(a, span);
        this.machine.met(K.Simple, span);
        const out = at(8);
        if (out !== undefined) this.define(out.name, span);
        return;
      }
      case 'canon': {
        const target = at(2) ?? at(3);
        if (target !== undefined) this.define(target.name, span);
        this.machine.met(K.Simple, span);
        return;
      }
      case 'ap': {
        const key = at(4);
        if (key !== undefined) {
          this.use(key, span);
          const map = at(8);
          if (map !== undefined) this.define(map.name, span);
        } else {
          this.use(at(0), span);
          const result = at(2);
          if (result !== undefined) this.define(result.name, span);
        }
        this.machine.met(K.Simple, span);
        return;
      }
      case 'seq':
      case 'par':
        this.machine.met(K.Merging, span);
        return;
      case 'xor':
        this.machine.met(K.Xoring, span);
        return;
      case 'never':
      case 'null':
        this.machine.met(K.Simple, span);
        return;
      case 'new': {
        const target = at(0);
        if (target !== undefined) {
          this.notIterators.push({ name: target.name, span });
          this.define(target.name, span);
        }
        this.machine.met(K.Replacing, span);
        return;
      }
      case 'fail': {
        const code = at(0);
        if (code?.term === 'I64' && code.int === 0n) this.zeroCodes.push(span);
        this.machine.met(K.Simple, span);
        return;
      }
      case 'fold': {
        const iterable = at(0);
        const iterator = at(2)?.name ?? '';
        const stream = iterable?.term === 'Stream' || iterable?.term === 'StreamMap';
        if (stream) this.useName(iterable.name, span);
        else this.use(iterable, span);
        this.defineIterator(iterator, span);
        if (!stream) this.machine.met(f.hasLast ? K.PopStack2 : K.PopStack1, span);
        else
          this.machine.met(
            f.hasLast ? K.PopStack1ReplacingWithCheck : K.ReplacingWithCheck,
            span,
            iterator,
          );
        return;
      }
      case 'next': {
        const name = at(0)?.name ?? '';
        const list = this.iterables.get(name) ?? [];
        list.push(span);
        this.iterables.set(name, list);
        this.machine.met(K.PivotalNext, span, name);
        return;
      }
      case 'match_':
      case 'mismatch':
        this.use(at(0), span);
        this.use(at(2), span);
        this.machine.met(K.Replacing, span);
        return;
      default:
        return;
    }
  }

  private closestFold(name: string, span: Span): Span | undefined {
    const spans = this.iterators.get(name) ?? [];
    let found: Span | undefined;
    for (const s of spans) if (contains(s, span)) found = s;
    return found;
  }

  /** The validator's errors, in AquaVM's order, as labels (inexact when hash order matters). */
  finish(source: string): { labels: CodespanLabel[]; exact: boolean } {
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(source);
    const out: CodespanLabel[] = [];
    const push = (span: Span, message: string): void => {
      out.push({
        start: byteOffset(source, span.start, ascii),
        end: byteOffset(source, span.end, ascii),
        message,
      });
    };
    for (const spans of this.iterators.values())
      spans.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const [name, spans] of this.unresolved) {
      const first = spans[0];
      if (first !== undefined && !this.defined(name, first))
        push(first, `variable '${name}' wasn't defined`);
    }
    for (const [name, spans] of this.iterables) {
      const first = spans[0];
      if (first !== undefined && this.closestFold(name, first) === undefined)
        push(first, `iterable '${name}' wasn't defined`);
    }
    for (const [name, spans] of this.iterables) {
      const folds = new Set<string>();
      for (const span of spans) {
        const fold = this.closestFold(name, span);
        if (fold === undefined) continue;
        const key = `${fold.start}:${fold.end}`;
        if (folds.has(key))
          push(
            span,
            `multiple next instructions for iterator '${name}' found for one fold, that is prohibited`,
          );
        folds.add(key);
      }
    }
    for (const { name, span } of this.notIterators)
      if (this.closestFold(name, span) !== undefined)
        push(span, `new can't be applied to a '${name}' because it's an iterator`);
    for (const [name, spans] of this.iterators) {
      let prev: Span | undefined;
      for (const span of spans) {
        if (prev !== undefined && contains(prev, span))
          push(span, `multiple iterable values found for iterator name '${name}'`);
        else prev = span;
      }
    }
    for (const span of this.zeroCodes) push(span, 'error code 0 with fail is unsupported');
    for (const span of this.machine.malformed)
      push(span, 'fold can not have instructions after next');
    // Names come out in the order of hash maps AquaVM seeds randomly on every parse.
    const names = (kind: string): number =>
      new Set(
        out.filter((l) => l.message.startsWith(kind)).map((l) => /'([^']*)'/.exec(l.message)?.[1]),
      ).size;
    const exact =
      names('variable ') <= 1 &&
      names('iterable ') <= 1 &&
      names('multiple next') <= 1 &&
      names('multiple iterable') <= 1;
    return { labels: out, exact };
  }
}
