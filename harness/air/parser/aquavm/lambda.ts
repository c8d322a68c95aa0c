import { utf8Length } from '../../../protocol/index.js';
import { rustDebugString } from '../../trace/debug.js';
import { isAirAlphanumeric } from '../lexer.js';

// ---- AquaVM's lens ("lambda") parser: its errors are printed as Rust Debug dumps ----

/** A token of AquaVM's lambda lexer: byte offsets in the lens and its Debug form. */
interface LambdaToken {
  readonly term: string;
  readonly start: number;
  readonly end: number;
  readonly debug: string;
}

const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9';

/**
 * AquaVM's message for a lens its lambda parser rejects (a lalrpop `ParseError` or the recovered
 * errors, as `{:?}`), or undefined when the lens parses.
 */
export function lambdaParserMessage(lambda: string): string | undefined {
  const bytes = utf8Length(lambda);
  if (bytes === 0) return undefined;
  const tokens: LambdaToken[] = [];
  let rest: string;
  let offset: number;
  if (lambda === '.length') return undefined;
  if (lambda.startsWith('.$')) {
    tokens.push({ term: '".$"', start: 0, end: 2, debug: 'ValuePathStarter' });
    rest = lambda.slice(2);
    offset = 2;
  } else return `User { error: UnexpectedSymbol(0, ${bytes}) }`;
  const chars = [...rest];
  for (let i = 0; i < chars.length;) {
    const ch = chars[i] ?? '';
    const start = offset;
    const single = (term: string, debug: string): void => {
      tokens.push({ term, start, end: start + 1, debug });
      offset += 1;
      i++;
    };
    if (ch === '[') single('"["', 'OpenSquareBracket');
    else if (ch === ']') single('"]"', 'CloseSquareBracket');
    else if (ch === '.') single('"."', 'ValuePathSelector');
    else if (ch === '!') single('"!"', 'FlatteningSign');
    else if (isDigit(ch)) {
      let j = i;
      while (j < chars.length && isDigit(chars[j] ?? '')) j++;
      const digits = chars.slice(i, j).join('');
      const end = start + digits.length;
      const value = BigInt(digits);
      if (value > 0xffffffffn)
        return `User { error: ParseIntError(${start}, ${end}, ParseIntError { kind: PosOverflow }) }`;
      tokens.push({ term: 'number_accessor', start, end, debug: `NumberAccessor(${value})` });
      offset = end;
      i = j;
    } else if (isAirAlphanumeric(ch.codePointAt(0) ?? 0)) {
      let j = i;
      while (j < chars.length && isAirAlphanumeric(chars[j]?.codePointAt(0) ?? 0)) j++;
      const name = chars.slice(i, j).join('');
      const end = start + utf8Length(name);
      tokens.push({
        term: 'string_accessor',
        start,
        end,
        debug: `StringAccessor(${rustDebugString(name)})`,
      });
      offset = end;
      i = j;
    } else return `User { error: UnexpectedSymbol(${start}, ${start + 1}) }`;
  }

  // The grammar: ".$" accessor*, an accessor being "."? "[" (number|string) "]" "!"? or
  // "." string "!"?. States: list (after ".$" or an accessor), dot, bracket, index, done (an
  // accessor that may take "!" or end).
  const NEXT: Record<string, Record<string, string>> = {
    list: { '"."': 'dot', '"["': 'bracket' },
    dot: { '"["': 'bracket', string_accessor: 'done' },
    bracket: { number_accessor: 'index', string_accessor: 'index' },
    index: { '"]"': 'done' },
    done: { '"!"': 'list', '"."': 'dot', '"["': 'bracket' },
  };
  const ENDS = new Set(['list', 'done']);
  const recovered: string[] = [];
  let state = 'list';
  let accessors = 0;
  let lastEnd = 2;
  const quoted = (terms: readonly string[]): string =>
    `[${[...terms].sort().map(rustDebugString).join(', ')}]`;
  const tokenDebug = (t: LambdaToken): string => `(${t.start}, ${t.debug}, ${t.end})`;
  for (let k = 1; ;) {
    const tok = tokens[k];
    const next = tok === undefined ? undefined : NEXT[state]?.[tok.term];
    if (tok !== undefined && next !== undefined) {
      if (next === 'done' || (state === 'done' && next !== 'list')) accessors++;
      state = next;
      lastEnd = tok.end;
      k++;
      continue;
    }
    if (tok === undefined && ENDS.has(state)) break;
    const expected = quoted(Object.keys(NEXT[state] ?? {}));
    const error =
      tok === undefined
        ? `UnrecognizedEof { location: ${lastEnd}, expected: ${expected} }`
        : `UnrecognizedToken { token: ${tokenDebug(tok)}, expected: ${expected} }`;
    // Recovery: an error accessor fits where an accessor may start, and is followed by "." "[" or
    // the end; tokens that cannot follow are dropped.
    const dropped: string[] = [];
    let j = k;
    for (;;) {
      const t = tokens[j];
      if (t === undefined || t.term === '"."' || t.term === '"["') break;
      dropped.push(tokenDebug(t));
      lastEnd = t.end;
      j++;
    }
    recovered.push(`ErrorRecovery { error: ${error}, dropped_tokens: [${dropped.join(', ')}] }`);
    state = 'list';
    k = j;
    if (tokens[k] === undefined) break;
  }
  if (recovered.length > 0) return `[${recovered.join(', ')}]`;
  if (accessors === 0) return "provided lambda expression doesn't contain any accessor";
  return undefined;
}
