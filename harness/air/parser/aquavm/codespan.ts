// codespan-reporting's layout (0.11, default config, no colour) of one error diagnostic: the
// source lines around its labels, carets and messages, as AquaVM prints a parse error.
// Offsets are UTF-8 byte offsets, as in Rust.
import { utf8Bytes, utf8Length, utf8Text } from '../../../protocol/index.js';
import { utf8Len } from '../lexer.js';

/** One primary label of a diagnostic: a byte range of the source and the text printed beside it. */
export interface CodespanLabel {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

type Multi =
  | { readonly index: number; readonly kind: 'top'; readonly at: number }
  | { readonly index: number; readonly kind: 'left' }
  | {
      readonly index: number;
      readonly kind: 'bottom';
      readonly at: number;
      readonly message: string;
    };

type Single = { readonly start: number; readonly end: number; readonly message: string };

interface Line {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  readonly singles: Single[];
  readonly multis: Multi[];
  mustRender: boolean;
}

/** A character of a rendered line: its byte offset in the line, its text and its display width. */
interface Cell {
  readonly byte: number;
  readonly bytes: number;
  readonly ch: string;
  readonly width: number;
}

const START_CONTEXT_LINES = 3;
const END_CONTEXT_LINES = 1;
const TAB_WIDTH = 4;

// Display width as the unicode-width crate sees it: controls 0, combining marks 0, wide CJK 2.
const COMBINING = /^[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]$/u;
function charWidth(cp: number, ch: string): number {
  if (cp === 0) return 0;
  if (cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (COMBINING.test(ch)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** The cells of `text` (tabs widened against the running column, like codespan). */
function cells(text: string): Cell[] {
  const out: Cell[] = [];
  let byte = 0;
  let column = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const width = ch === '\t' ? TAB_WIDTH - (column % TAB_WIDTH) : charWidth(cp, ch);
    const bytes = utf8Len(cp);
    out.push({ byte, bytes, ch, width });
    byte += bytes;
    column += width;
  }
  return out;
}

const overlaps = (a0: number, a1: number, b0: number, b1: number): boolean =>
  Math.max(a0, b0) < Math.min(a1, b1);

function countDigits(n: number): number {
  return String(n).length;
}

/** Rust's `binary_search_by` as compiled into AquaVM (returns the first equal probe it meets). */
function insertionIndex(list: readonly Single[], start: number, end: number): number {
  let size = list.length;
  let left = 0;
  let right = size;
  while (left < right) {
    const mid = left + Math.floor(size / 2);
    const probe = list[mid];
    if (probe === undefined) break;
    const cmp = probe.start !== start ? Math.sign(probe.start - start) : Math.sign(probe.end - end);
    if (cmp < 0) left = mid + 1;
    else if (cmp > 0) right = mid;
    else return mid;
    size = right - left;
  }
  return left;
}

/** The source as UTF-8 with its line starts, so byte offsets can be mapped like codespan's SimpleFile. */
class ByteSource {
  readonly bytes: Uint8Array;
  readonly starts: number[] = [0];
  constructor(source: string) {
    this.bytes = utf8Bytes(source);
    let at = this.bytes.indexOf(10);
    while (at !== -1) {
      this.starts.push(at + 1);
      at = this.bytes.indexOf(10, at + 1);
    }
  }
  lineIndex(byte: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= byte) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  lineStart(index: number): number {
    return index < this.starts.length ? (this.starts[index] ?? 0) : this.bytes.length;
  }
  text(start: number, end: number): string {
    return utf8Text(this.bytes.subarray(Math.min(start, this.bytes.length), end));
  }
  /** 1-based column: the number of characters before `byte` on its line, plus one. */
  column(line: number, byte: number): number {
    const start = this.lineStart(line);
    const end = Math.min(byte, this.lineStart(line + 1), this.bytes.length);
    let count = 0;
    for (let b = start; b < end; b++) {
      const next = this.bytes[b + 1];
      // A byte ends a character when the next byte does not continue it (or the text ends).
      if (next === undefined || (next & 0xc0) !== 0x80) count++;
    }
    return count + 1;
  }
}

/** Renders one error diagnostic with these labels over `source`, as codespan-reporting prints it. */
export function renderCodespan(
  source: string,
  labels: readonly CodespanLabel[],
  fileName = 'script.air',
): string {
  const src = new ByteSource(source);
  const lines = new Map<number, Line>();
  let padding = 0;
  let numMulti = 0;
  let locus: { start: number; line: number; column: number } | undefined;

  const lineAt = (index: number): Line => {
    let line = lines.get(index);
    if (line === undefined) {
      line = {
        number: index + 1,
        start: src.lineStart(index),
        end: src.lineStart(index + 1),
        singles: [],
        multis: [],
        mustRender: false,
      };
      lines.set(index, line);
    }
    return line;
  };

  for (const label of labels) {
    const startLine = src.lineIndex(label.start);
    const endLine = src.lineIndex(label.end);
    padding = Math.max(padding, countDigits(startLine + 1), countDigits(endLine + 1));
    if (locus === undefined || locus.start > label.start)
      locus = {
        start: label.start,
        line: startLine + 1,
        column: src.column(startLine, label.start),
      };
    if (startLine === endLine) {
      const line = lineAt(startLine);
      const s = label.start - line.start;
      const e = Math.max(label.end - line.start, s + 1);
      line.singles.splice(insertionIndex(line.singles, s, e), 0, {
        start: s,
        end: e,
        message: label.message,
      });
      line.mustRender = true;
    } else {
      const index = numMulti++;
      const first = lineAt(startLine);
      first.multis.push({ index, kind: 'top', at: label.start - first.start });
      first.mustRender = true;
      for (let i = startLine + 1; i < endLine; i++) {
        padding = Math.max(padding, countDigits(i + 1));
        const line = lineAt(i);
        line.multis.push({ index, kind: 'left' });
        line.mustRender ||=
          i - startLine <= START_CONTEXT_LINES || endLine - i <= END_CONTEXT_LINES;
      }
      const last = lineAt(endLine);
      last.multis.push({
        index,
        kind: 'bottom',
        at: label.end - last.start,
        message: label.message,
      });
      last.mustRender = true;
    }
  }

  const out: string[] = ['error: \n'];
  if (locus === undefined) return out.join('') + '\n';
  const outer = ' '.repeat(padding) + ' ';

  const innerGutter = (multis: readonly Multi[]): string => {
    let s = '';
    let k = 0;
    for (let column = 0; column < numMulti; column++) {
      const m = multis[k];
      if (m !== undefined && m.index === column) {
        s += m.kind === 'top' ? '  ' : ' │';
        k++;
      } else s += '  ';
    }
    return s;
  };

  const sourceLine = (line: Line, singles: readonly Single[], multis: readonly Multi[]): void => {
    const raw = src.text(line.start, line.end);
    const text = raw.replace(/[\n\r\0]+$/u, '');
    const lead = utf8Length(text) - utf8Length(text.trimStart());
    // Printable ASCII (the usual case, and minified scripts are one huge line): one byte and one
    // column per character, so rows are computed without a cell per character.
    const plain = /^[\x20-\x7e]*$/.test(text);
    let cellCache: Cell[] | undefined;
    const textCells = (): Cell[] => (cellCache ??= cells(text));
    const textBytes = plain ? text.length : utf8Length(text);
    /** Display columns of the characters starting before byte `limit`. */
    const columnsBefore = (limit: number): number => {
      if (plain) return Math.max(0, Math.min(limit, text.length));
      let n = 0;
      for (const c of textCells()) if (c.byte < limit) n += c.width;
      return n;
    };

    let s = String(line.number).padStart(padding, ' ') + ' │';
    let k = 0;
    for (let column = 0; column < numMulti; column++) {
      const m = multis[k];
      if (m !== undefined && m.index === column) {
        if (m.kind === 'top') s += m.at <= lead ? ' ╭' : '  ';
        else s += ' │';
        k++;
      } else s += '  ';
    }
    s += ' ';
    if (plain) s += text;
    else for (const c of textCells()) s += c.ch === '\t' ? ' '.repeat(c.width) : c.ch;
    out.push(s + '\n');

    if (singles.length > 0) {
      let numMessages = 0;
      let maxStart = 0;
      let maxEnd = 0;
      let trailing: number | undefined;
      singles.forEach((label, i) => {
        if (label.message !== '') numMessages++;
        maxStart = Math.max(maxStart, label.start);
        maxEnd = Math.max(maxEnd, label.end);
        if (label.end === maxEnd) trailing = label.message === '' ? undefined : i;
      });
      if (trailing !== undefined) {
        const t = singles[trailing];
        if (
          t !== undefined &&
          singles.some((l, i) => i !== trailing && overlaps(t.start, t.end, l.start, l.end))
        )
          trailing = undefined;
      }
      const gutter = outer + '│' + innerGutter(multis) + ' ';
      let carets = gutter;
      if (plain) {
        // Byte i is column i; the text ends with one placeholder column after its last byte.
        const row: string[] = new Array<string>(Math.min(maxEnd, textBytes + 1)).fill(' ');
        for (const l of singles)
          row.fill('^', Math.min(l.start, row.length), Math.min(l.end, row.length));
        carets += row.join('');
      } else {
        const all = [...textCells(), { byte: textBytes, bytes: 1, ch: '\0', width: 1 }];
        for (const c of all) {
          const covered = singles.some((l) => overlaps(l.start, l.end, c.byte, c.byte + c.bytes));
          if (covered) carets += '^'.repeat(c.width);
          else if (c.byte < maxEnd) carets += ' '.repeat(c.width);
        }
      }
      const trailingLabel = trailing === undefined ? undefined : singles[trailing];
      if (trailingLabel !== undefined) carets += ' ' + trailingLabel.message;
      out.push(carets + '\n');

      if (numMessages > (trailingLabel === undefined ? 0 : 1)) {
        const hanging = singles.filter((l, i) => l.message !== '' && i !== trailing);
        const pointers = (upTo: number): string => {
          if (plain) {
            // A pointer at each hanging label's start; spaces only up to the last label start.
            const end = Math.min(upTo, textBytes);
            const row: string[] = new Array<string>(Math.max(0, Math.min(end, maxStart + 1))).fill(
              ' ',
            );
            const marks = new Set(hanging.map((l) => l.start).filter((b) => b < end));
            let p = '';
            let from = 0;
            for (const b of [...marks].sort((x, y) => x - y)) {
              p += row.slice(from, Math.min(b, row.length)).join('') + '│';
              from = b + 1;
            }
            return p + row.slice(Math.min(from, row.length)).join('');
          }
          let p = '';
          for (const c of textCells()) {
            if (c.byte >= upTo) break;
            const hit = hanging.some((l) => c.byte <= l.start && l.start < c.byte + c.bytes);
            let spaces = c.width;
            if (hit) {
              p += '│';
              spaces = Math.max(0, c.width - 1);
            }
            if (c.byte <= maxStart) p += ' '.repeat(spaces);
          }
          return p;
        };
        out.push(gutter + pointers(Infinity) + '\n');
        for (let i = hanging.length - 1; i >= 0; i--) {
          const l = hanging[i];
          if (l !== undefined) out.push(gutter + pointers(l.start) + l.message + '\n');
        }
      }
    }

    multis.forEach((m, position) => {
      if (m.kind === 'left') return;
      if (m.kind === 'top' && m.at <= lead) return;
      let s = outer + '│';
      let underline: 'top' | 'bottom' | undefined;
      let k = 0;
      for (let column = 0; column < numMulti; column++) {
        const other = multis[k];
        if (other !== undefined && other.index === column) {
          const left = (): string => (underline === undefined ? ' │' : '─│');
          if (other.kind === 'left') s += left();
          else if (other.kind === 'top' && position > k) s += left();
          else if (other.kind === 'bottom' && position < k) s += left();
          else if (other.kind === 'top' && position === k) {
            underline = 'top';
            s += ' ╭';
          } else if (other.kind === 'bottom' && position === k) {
            underline = 'bottom';
            s += ' ╰';
          } else s += underline === undefined ? '  ' : '──';
          k++;
        } else s += underline === undefined ? '  ' : '──';
      }
      if (m.kind === 'top') {
        s += '─'.repeat(columnsBefore(m.at + 1));
        out.push(s + '^\n');
      } else {
        s += '─'.repeat(columnsBefore(m.at));
        out.push(s + '^' + (m.message === '' ? '' : ' ' + m.message) + '\n');
      }
    });
  };

  out.push(`${outer}┌─ ${fileName}:${locus.line}:${locus.column}\n`);
  out.push(outer + '│' + innerGutter([]) + '\n');
  const indices = [...lines.keys()].sort((a, b) => a - b);
  const shown = indices.filter((i) => lines.get(i)?.mustRender === true);
  shown.forEach((index, n) => {
    const line = lines.get(index);
    if (line === undefined) return;
    sourceLine(line, line.singles, line.multis);
    const next = shown[n + 1];
    if (next === undefined) return;
    if (next - index === 2) {
      const between = lines.get(index + 1);
      const filler: Line = between ?? {
        number: index + 2,
        start: src.lineStart(index + 1),
        end: src.lineStart(index + 2),
        singles: [],
        multis: [],
        mustRender: false,
      };
      sourceLine(filler, [], filler.multis);
    } else if (next - index > 2) {
      out.push(outer + '·' + innerGutter(line.multis) + '\n');
    }
  });
  out.push('\n');
  return out.join('');
}
