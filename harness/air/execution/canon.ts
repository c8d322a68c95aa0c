// `(canon PEER $s #c)`, `(canon PEER %m #%c)`, `(canon PEER %m scalar)`: freeze a stream on PEER.
// Only PEER computes the canon; everyone else takes the recorded result, so all see the same.
import type { CanonInstruction } from '../ast/types.js';
import type { JsonValue } from '../../protocol/index.js';
import { literalTetraplet } from '../../protocol/index.js';
import { UncatchableErrorCode } from '../errors/codes.js';
import { UncatchableError } from '../errors/execution-error.js';
import {
  canonMergeDetail,
  parametersMismatchMessage,
  tetrapletDebug,
  traceHandlerError,
  type InstructionText,
} from '../trace/debug.js';
import { newLeaf } from '../trace/handler.js';
import type { CanonState } from '../trace/states.js';
import type { ExecutionContext } from './context.js';
import { joinable } from './execute.js';
import { instructionText } from './instruction-text.js';
import { resolveString } from './resolve.js';
import type { CanonValue, ValueAggregate } from './values.js';

/** The object of a stream map's values: each key with its first value (keys as strings). */
function uniqueKeyObject(values: readonly ValueAggregate[]): JsonValue {
  const obj: { [k: string]: JsonValue } = {};
  for (const v of values) {
    const kv = v.value as { key: JsonValue; value: JsonValue };
    const k = String(kv.key);
    if (!Object.hasOwn(obj, k)) obj[k] = kv.value;
  }
  return obj;
}

function mergeCanon(
  prev: CanonState | undefined,
  current: CanonState | undefined,
  instruction: InstructionText,
): CanonState | undefined {
  if (prev?.kind === 'executed' && current?.kind === 'executed' && prev.cid !== current.cid)
    throw traceHandlerError(instruction, canonMergeDetail(prev, current));
  if (prev?.kind === 'executed') return prev;
  if (current?.kind === 'executed') return current;
  return prev ?? current;
}

/** Executes canon (all three forms). */
export function executeCanon(ctx: ExecutionContext, instr: CanonInstruction): void {
  const text = instructionText(instr);
  // AquaVM meets the canon state before it resolves the peer: a peer that fails to resolve has
  // consumed that state all the same. Only a canon met for the first time waits for its peer.
  const met = ctx.trace.meetLeaf('canon', text);
  const merged = mergeCanon(
    met.prev?.state.kind === 'canon' ? met.prev.state.canon : undefined,
    met.current?.state.kind === 'canon' ? met.current.state.canon : undefined,
    text,
  );
  const peer =
    merged === undefined
      ? joinable(ctx, () => resolveString(ctx, instr.peer))
      : resolveString(ctx, instr.peer);
  if (peer === undefined) return;
  const isMap = instr.form !== 'stream';
  let canon: CanonValue;
  if (merged?.kind === 'executed') {
    canon = ctx.canonResult(merged.cid, isMap);
    if (canon.tetraplet.peer_pk !== peer) {
      throw new UncatchableError(
        UncatchableErrorCode.InstructionParametersMismatch,
        parametersMismatchMessage(
          'canon tetraplet',
          tetrapletDebug(literalTetraplet(peer)),
          tetrapletDebug(canon.tetraplet),
        ),
      );
    }
    ctx.trace.write(newLeaf({ kind: 'canon', canon: merged }, met));
  } else if (peer === ctx.params.currentPeerId) {
    const streamValues =
      ctx.existingStream(instr.source.name)?.values.map((v) => v.aggregate) ?? [];
    const tetraplet = literalTetraplet(peer);
    // Canon to a scalar records, as AquaVM does, one element: the object of the map's first
    // value per key, a literal of the canon peer. Other peers take that object as it is, so both
    // VMs read each other's canon.
    const values: readonly ValueAggregate[] =
      instr.form === 'map_to_scalar'
        ? [{ value: uniqueKeyObject(streamValues), tetraplet, provenance: { kind: 'literal' } }]
        : streamValues;
    const cid = ctx.putCanonResult(tetraplet, values);
    canon = { values, tetraplet, cid, isMap };
    ctx.trace.write(newLeaf({ kind: 'canon', canon: { kind: 'executed', cid } }, met));
  } else {
    // Forward only the first time; a recorded `sent` state means the particle already went there.
    if (!merged) ctx.addNextPeer(peer);
    ctx.makeIncomplete();
    ctx.trace.write(
      newLeaf(
        { kind: 'canon', canon: merged ?? { kind: 'sent', peer: ctx.params.currentPeerId } },
        met,
      ),
    );
    return;
  }
  if (instr.form === 'map_to_scalar') {
    const first = canon.values[0];
    if (first === undefined)
      throw new UncatchableError(
        UncatchableErrorCode.CanonStreamMapError,
        'there is no data to produce a scalar from the canon stream map',
      );
    ctx.setScalar(instr.target.name, {
      value: first.value,
      tetraplet: canon.tetraplet,
      provenance: { kind: 'canon', cid: canon.cid },
    });
  } else {
    ctx.setCanon(instr.target.name, canon);
  }
}
