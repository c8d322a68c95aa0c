// Trace states printed the way Rust's `{:?}` prints AquaVM's ExecutedState, and the trace
// handler's error messages built from them: AquaVM's ret code 20000 messages embed these dumps,
// and callers compare error messages byte for byte.
import { UncatchableErrorCode } from '../errors/codes.js';
import { UncatchableError } from '../errors/execution-error.js';
import type { CallState, CanonState, ExecutedState } from './states.js';

/** Rust's `Debug` of a `str`: quoted, with `"`, `\` and control characters escaped. */
export function rustDebugString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

const cid = (value: string): string => `CID(${rustDebugString(value)})`;

/** `{:?}` of a SecurityTetraplet. */
export function tetrapletDebug(t: {
  readonly peer_pk: string;
  readonly service_id: string;
  readonly function_name: string;
  readonly lens: string;
}): string {
  return (
    `SecurityTetraplet { peer_pk: ${rustDebugString(t.peer_pk)}, service_id: ${rustDebugString(t.service_id)}, ` +
    `function_name: ${rustDebugString(t.function_name)}, lens: ${rustDebugString(t.lens)} }`
  );
}

/** AquaVM's InstructionParametersMismatch text (its trailing space included). */
export function parametersMismatchMessage(param: string, expected: string, stored: string): string {
  return `${param} doesn't match expected parameters: expected ${expected}, got ${stored} `;
}

/** A fold's lore as AquaVM keeps it: per value, its position and the subtrace before `next`. */
export interface FoldLoreDebug {
  readonly valuePos: number;
  readonly begin: number;
  readonly length: number;
}

/** `{:?}` of a ValueRef (the executed part of a call state). */
export function valueRefDebug(state: CallState): string {
  switch (state.kind) {
    case 'scalar':
      return `Scalar(${cid(state.cid)})`;
    case 'stream':
      return `Stream { cid: ${cid(state.cid)}, generation: ${state.generation} }`;
    case 'unused':
    case 'legacy_unused':
      return `Unused(${cid(state.cid)})`;
    default:
      return callResultDebug(state);
  }
}

/** `{:?}` of a CallResult. */
export function callResultDebug(state: CallState): string {
  switch (state.kind) {
    case 'sent':
      return state.sender.callId === undefined
        ? `RequestSentBy(PeerId(${rustDebugString(state.sender.peer)}))`
        : `RequestSentBy(PeerIdWithCallId { peer_id: ${rustDebugString(state.sender.peer)}, call_id: ${state.sender.callId} })`;
    case 'failed':
      return `Failed(${cid(state.cid)})`;
    default:
      return `Executed(${valueRefDebug(state)})`;
  }
}

/** `{:?}` of a CanonResult. */
export function canonResultDebug(state: CanonState): string {
  return state.kind === 'sent'
    ? `RequestSentBy(${rustDebugString(state.peer)})`
    : `Executed(${cid(state.cid)})`;
}

/**
 * `{:?}` of an ExecutedState. A fold state needs its lore with the positions of each value's
 * subtrace (`lore`); without it the positions are computed as if the fold started at `foldPos`.
 */
export function executedStateDebug(
  state: ExecutedState,
  fold?: { readonly lore: readonly FoldLoreDebug[] },
): string {
  switch (state.kind) {
    case 'par':
      return `Par(ParResult { left_size: ${state.left}, right_size: ${state.right} })`;
    case 'call':
      return `Call(${callResultDebug(state.call)})`;
    case 'ap':
      return `Ap(ApResult { res_generations: [${state.generation}] })`;
    case 'canon':
      return `Canon(${canonResultDebug(state.canon)})`;
    case 'fold': {
      const lore = fold?.lore ?? [];
      // AquaVM splits each value's subtrace at `next`. The parts after `next` are written as the
      // recursion unwinds, after every iteration's first part; a stream fold records nothing
      // there (instructions after `next` are rejected), so they are empty and all start at the end.
      const last = lore[lore.length - 1];
      const end = last === undefined ? 0 : last.begin + last.length;
      const entries = lore.map(
        (e) =>
          `FoldSubTraceLore { value_pos: ${e.valuePos}, subtraces_desc: [` +
          `SubTraceDesc { begin_pos: ${e.begin}, subtrace_len: ${e.length} }, ` +
          `SubTraceDesc { begin_pos: ${end}, subtrace_len: 0 }] }`,
      );
      return `Fold(FoldResult { lore: [${entries.join(', ')}] })`;
    }
  }
}

/** An instruction's text, or a function giving it (only errors need it, so it is built lazily). */
export type InstructionText = string | (() => string);

/** A trace handler failure (ret code 20000), worded as AquaVM words it for `instruction`. */
export function traceHandlerError(instruction: InstructionText, detail: string): UncatchableError {
  const text = typeof instruction === 'string' ? instruction : instruction();
  return new UncatchableError(
    UncatchableErrorCode.TraceError,
    `on instruction '${text}' trace handler encountered an error: ${detail}`,
  );
}

/**
 * AquaVM's MergeError for states of the wrong kind: both sides present gives "incompatible
 * states", one side gives "state from previous/current ... is incompatible with expected ...".
 */
export function incompatibleStatesDetail(
  prev: string | undefined,
  current: string | undefined,
  expected: string,
): string {
  if (prev !== undefined && current !== undefined)
    return `previous and current data have incompatible states: '${prev}' '${current}'`;
  if (current !== undefined)
    return `state from current \`${current}\` is incompatible with expected ${expected}`;
  return `state from previous \`${prev ?? ''}\` is incompatible with expected ${expected}`;
}

/** AquaVM's CallResultError when prev and current results of one call disagree (undefined if they merge). */
export function callMergeDetail(prev: CallState, current: CallState): string | undefined {
  if (prev.kind === 'sent' || current.kind === 'sent') return undefined;
  const executed = (s: CallState): boolean => s.kind !== 'failed';
  if (executed(prev) && executed(current)) {
    if (prev.kind === current.kind && prev.cid === current.cid) return undefined;
    return `values in call results are not equal: ${valueRefDebug(prev)} != ${valueRefDebug(current)}`;
  }
  if (prev.kind === 'failed' && current.kind === 'failed' && prev.cid === current.cid)
    return undefined;
  return `previous and current call results are incompatible: '${callResultDebug(prev)}' '${callResultDebug(current)}'`;
}

/** AquaVM's CanonResultError for two different executed canon results. */
export function canonMergeDetail(prev: CanonState, current: CanonState): string {
  return `canon results ${canonResultDebug(prev)} ${canonResultDebug(current)} points to incompatible execution states`;
}
