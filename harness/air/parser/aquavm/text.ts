// AquaVM's text for a script that does not parse: the errors laid out by codespan-reporting with
// the wording of AquaVM's lexer, grammar and validator, because callers compare error messages
// byte for byte. Offsets are UTF-8 byte offsets, as in Rust.
import type { AirError } from '../errors.js';
import { renderCodespan, type CodespanLabel } from './codespan.js';
import { grammarTokens, replayAquaVM } from './grammar.js';
import { VALIDATOR_ORDER, byteOffset, lexerLabel, validatorLabel } from './words.js';

/** AquaVM's text for some errors, and whether it is known to be exactly what AquaVM prints. */
export interface AquaVMTextResult {
  readonly text: string;
  /** True when every error was translated to AquaVM's exact wording and span. */
  readonly exact: boolean;
}

/** AquaVM's parse error text (what follows "air can't be parsed:\n") for these errors of `source`. */
export function formatAirErrorsAsAquaVM(errors: readonly AirError[], source: string): string {
  return describeAirErrorsAsAquaVM(errors, source).text;
}

/** {@link formatAirErrorsAsAquaVM}, telling whether the translation is believed exact. */
export function describeAirErrorsAsAquaVM(
  errors: readonly AirError[],
  source: string,
): AquaVMTextResult {
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(source);
  const labels: CodespanLabel[] = [];
  let exact = true;
  // AquaVM's lexer runs lazily under the parser and its first error aborts the parse, so a
  // lexer error anywhere (even past where our parser stopped) hides every other error; and
  // which grammar errors it reports depends on how its parser recovers, so that is replayed.
  let firstLexer: AirError | undefined;
  if (errors.some((e) => !VALIDATOR_ORDER.includes(e.code))) {
    const { tokens, failure } = grammarTokens(source);
    const replayed = replayAquaVM(source, tokens, failure !== undefined);
    if (replayed.lexerError !== true || failure === undefined)
      return { text: renderCodespan(source, replayed.labels), exact: replayed.exact };
    firstLexer = {
      ...failure,
      line: 0,
      column: 0,
      found: source.slice(failure.span.start, failure.span.end),
    };
  }
  if (firstLexer !== undefined) {
    const label = lexerLabel(firstLexer, source, ascii);
    if (label !== undefined) return { text: renderCodespan(source, [label]), exact: true };
    const at = byteOffset(source, firstLexer.span.start, ascii);
    return {
      text: renderCodespan(source, [
        {
          start: at,
          end: byteOffset(source, firstLexer.span.end, ascii),
          message: firstLexer.message,
        },
      ]),
      exact: false,
    };
  }

  for (const code of VALIDATOR_ORDER) {
    // AquaVM meets instructions as they complete (children first), so order uses by their end;
    // nested folds it reports outermost first (it sorts their spans).
    const key = (e: AirError): number =>
      code === 'iterator-redefined'
        ? (e.instructionSpan?.start ?? 0)
        : (e.instructionSpan?.end ?? 0);
    let ofKind = errors.filter((e) => e.code === code).sort((a, b) => key(a) - key(b));
    // AquaVM reports undefined names only at their first use.
    if (code === 'undefined-variable' || code === 'undefined-iterable') {
      const seen = new Set<string>();
      ofKind = ofKind.filter((e) => {
        const name = e.name ?? '';
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
    }
    // These kinds are grouped by name in a hash map AquaVM seeds randomly on every parse, so the
    // order of several names (which shows when their labels share a range or span lines) varies.
    if (
      code !== 'new-on-iterator' &&
      code !== 'fail-code-zero' &&
      code !== 'instruction-after-next'
    )
      if (new Set(ofKind.map((e) => e.name ?? '')).size > 1) exact = false;
    for (const e of ofKind) {
      const label = validatorLabel(e, source, ascii);
      if (label === undefined) {
        exact = false;
        continue;
      }
      labels.push(label);
    }
  }
  return { text: renderCodespan(source, labels), exact };
}
