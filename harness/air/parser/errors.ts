// Parse and validation errors: what was found, what was expected, where, and a caret excerpt.

import { LineIndex } from '../ast/positions.js';
import type { Span } from '../ast/types.js';

/** Stable machine-readable codes for every error the parser and validator report. */
export type AirErrorCode =
  | 'unclosed-quote'
  | 'invalid-character'
  | 'empty-tagged-name'
  | 'empty-canon-name'
  | 'invalid-lens'
  | 'invalid-number'
  | 'float-too-long'
  | 'leading-dot'
  | 'unexpected-token'
  | 'unexpected-end'
  | 'extra-token'
  | 'lens-on-stream'
  | 'undefined-variable'
  | 'undefined-iterable'
  | 'multiple-next'
  | 'iterator-redefined'
  | 'new-on-iterator'
  | 'fail-code-zero'
  | 'instruction-after-next'
  | 'too-large'
  // Not the parser's: `marine air check` reports a script nested deeper than the VM runs.
  | 'nesting-too-deep';

/** One problem found in an AIR script. Offsets are UTF-16 indices; line and column are 1-based. */
export interface AirError {
  readonly code: AirErrorCode;
  /** What is wrong, in one sentence (without the location). */
  readonly message: string;
  readonly span: Span;
  readonly line: number;
  readonly column: number;
  /** The offending source text (shortened to 60 characters). */
  readonly found: string;
  /** What would have been accepted here, when that is known. */
  readonly expected?: readonly string[];
  /** For semantic errors: the whole instruction the error belongs to (AquaVM points at it). */
  readonly instructionSpan?: Span;
  /** For semantic errors: the variable or iterator the error is about. */
  readonly name?: string;
}

/** Extra facts a semantic error can carry (see {@link AirError}). */
export interface AirErrorDetails {
  readonly instructionSpan?: Span;
  readonly name?: string;
}

/** Error thrown by {@link parseAirOrThrow}: carries every error, its message is the printed report. */
export class AirParseError extends Error {
  override readonly name = 'AirParseError';
  /** Wraps the errors of one script; the message is {@link formatAirErrors} of them. */
  constructor(
    readonly errors: readonly AirError[],
    readonly source: string,
    readonly fileName = 'script.air',
  ) {
    super(formatAirErrors(errors, source, { fileName, color: false }));
  }
}

/** Shortens the offending text so huge tokens (an unclosed quote at the start of 100 MB) stay printable. */
export function shortText(text: string, max = 60): string {
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** Internal builder: fills line, column and found text from a span. */
export class ErrorSink {
  readonly errors: AirError[] = [];
  private index: LineIndex | undefined;
  /** Stops collecting after this many errors (random input can otherwise produce millions). */
  constructor(
    readonly source: string,
    readonly limit = 1000,
  ) {}

  /** Records one error unless the limit is reached. */
  add(
    code: AirErrorCode,
    message: string,
    span: Span,
    expected?: readonly string[],
    details?: AirErrorDetails,
  ): void {
    if (this.errors.length >= this.limit) return;
    this.index ??= new LineIndex(this.source);
    const pos = this.index.position(span.start);
    const base = {
      code,
      message,
      span,
      line: pos.line,
      column: pos.column,
      found: shortText(this.source.slice(span.start, Math.min(span.end, span.start + 200))),
    };
    const withExpected = expected === undefined ? base : { ...base, expected };
    this.errors.push(details === undefined ? withExpected : { ...withExpected, ...details });
  }

  /** Whether the limit has been reached. */
  get full(): boolean {
    return this.errors.length >= this.limit;
  }
}

/** Options for {@link formatAirErrors}. */
export interface FormatOptions {
  /** Name shown in the `-->` line. */
  readonly fileName?: string;
  /** ANSI colours (red carets). */
  readonly color?: boolean;
}

/** Prints errors like a compiler: message, `file:line:col`, the source line and a caret line. */
export function formatAirErrors(
  errors: readonly AirError[],
  source: string,
  options: FormatOptions = {},
): string {
  const fileName = options.fileName ?? 'script.air';
  const red = (s: string): string => (options.color ? `\u001b[31m${s}\u001b[0m` : s);
  const bold = (s: string): string => (options.color ? `\u001b[1m${s}\u001b[0m` : s);
  const index = new LineIndex(source);
  const out: string[] = [];
  for (const error of errors) {
    const start = index.position(error.span.start);
    const end = index.position(Math.max(error.span.start, error.span.end - 1));
    const lineText = index.lineText(start.line);
    // Long lines (minified AIR is one line) are cut to a window around the error.
    const windowStart = Math.max(0, start.column - 1 - 40);
    const shown = lineText.slice(windowStart, windowStart + 100);
    const prefix = windowStart > 0 ? '…' : '';
    const suffix = windowStart + 100 < lineText.length ? '…' : '';
    const caretStart = start.column - 1 - windowStart + prefix.length;
    const caretLen =
      end.line === start.line
        ? Math.max(
            1,
            Math.min(end.column - start.column + 1, shown.length - caretStart + prefix.length),
          )
        : 1;
    const gutter = String(start.line).length;
    const expected =
      error.expected !== undefined && error.expected.length > 0
        ? `; expected ${error.expected.join(' or ')}`
        : '';
    out.push(`${bold(red('error'))}${bold(`[${error.code}]: ${error.message}${expected}`)}`);
    out.push(`${' '.repeat(gutter)}--> ${fileName}:${start.line}:${start.column}`);
    out.push(`${' '.repeat(gutter)} |`);
    out.push(`${start.line} | ${prefix}${shown.replace(/\t/g, ' ')}${suffix}`);
    out.push(
      `${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, caretStart))}${red('^'.repeat(caretLen))}`,
    );
    out.push('');
  }
  return out.join('\n');
}
