// Offsets in spans are UTF-16 indices; people read lines and columns.

/** 1-based line and column of an offset; `column` counts UTF-16 code units from the line start. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Maps offsets of one source text to lines and columns (line starts are computed once). */
export class LineIndex {
  private readonly starts: number[];

  /** Indexes the line starts of `source` (`\n` ends a line; `\r\n` counts as one break). */
  constructor(readonly source: string) {
    const starts = [0];
    let at = source.indexOf('\n');
    while (at !== -1) {
      starts.push(at + 1);
      at = source.indexOf('\n', at + 1);
    }
    this.starts = starts;
  }

  /** Line and column of `offset` (clamped into the source). */
  position(offset: number): SourcePosition {
    const clamped = Math.max(0, Math.min(offset, this.source.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.starts[lo] ?? 0;
    return { offset: clamped, line: lo + 1, column: clamped - lineStart + 1 };
  }

  /** The text of the 1-based line `line`, without its line break. */
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return '';
    const next = this.starts[line];
    let end = next === undefined ? this.source.length : next - 1;
    if (end > start && this.source.charCodeAt(end - 1) === 13) end -= 1;
    return this.source.slice(start, end);
  }
}

/** Line and column of one offset in `source` (builds a throwaway index; use LineIndex for many). */
export function sourcePosition(source: string, offset: number): SourcePosition {
  return new LineIndex(source).position(offset);
}
