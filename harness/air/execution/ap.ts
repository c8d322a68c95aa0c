// `(ap ARG DST)` and `(ap (KEY VALUE) %map)`: put a value into a scalar, a stream or a stream map.
import type { ApInstruction, ApMapInstruction } from '../ast/types.js';
import { isJsonInteger, type JsonValue } from '../../protocol/index.js';
import { literalTetraplet } from '../../protocol/index.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import type { InstructionText } from '../trace/debug.js';
import { newLeaf, type Met } from '../trace/handler.js';
import type { LoadedLeaf } from '../trace/tree.js';
import type { ExecutionContext } from './context.js';
import { joinable } from './execute.js';
import { instructionText } from './instruction-text.js';
import { resolveAggregate, resolveValue } from './resolve.js';
import type { Stream, ValueAggregate, ValueSource } from './values.js';

/** Adds a value to a stream through an ap state (merged with prev/current ap states). */
export function apToStream(
  ctx: ExecutionContext,
  stream: Stream,
  value: ValueAggregate,
  instruction: InstructionText,
  met: Met<LoadedLeaf> = ctx.trace.meetLeaf('ap', instruction),
): void {
  let source: ValueSource = 'new';
  let generation = stream.newGeneration;
  if (met.prev?.state.kind === 'ap') {
    source = 'prev';
    generation = met.prev.state.generation;
  } else if (met.current?.state.kind === 'ap') {
    source = 'current';
    generation = met.current.state.generation;
  }
  const leaf = newLeaf({ kind: 'ap', generation: 0 }, met);
  const sv = stream.add(value, source, generation, leaf);
  leaf.resolve = () => ({ kind: 'ap', generation: sv.finalGeneration });
  ctx.trace.write(leaf);
}

/**
 * The value as ap stores it. AquaVM rebuilds the aggregate from its provenance, and the
 * tetraplet goes with it: a literal keeps only its peer, a canon value its peer and lens, a
 * service result all of it (so an error raised from a service value keeps that value's tetraplet).
 */
export function appliedAggregate(value: ValueAggregate): ValueAggregate {
  const t = value.tetraplet;
  const kind = value.provenance.kind;
  if (kind !== 'literal' && kind !== 'canon') return value;
  // Most often the tetraplet is already what ap makes of it (a literal's, or a canon value's
  // without service and function): the value is kept as it is, tetraplet object and all, so
  // that its CID, kept per object, is not hashed again in every canon the value goes into.
  if (t.service_id === '' && t.function_name === '' && (kind === 'canon' || t.lens === ''))
    return value;
  if (kind === 'literal') return { ...value, tetraplet: literalTetraplet(t.peer_pk) };
  return { ...value, tetraplet: { ...literalTetraplet(t.peer_pk), lens: t.lens } };
}

/** Executes ap. */
export function executeAp(ctx: ExecutionContext, instr: ApInstruction): void {
  const value = joinable(ctx, () => appliedAggregate(resolveAggregate(ctx, instr.argument)));
  if (!value) return;
  if (instr.result.kind === 'scalar') ctx.setScalar(instr.result.name, value);
  else apToStream(ctx, ctx.stream(instr.result.name), value, () => instructionText(instr));
}

/** Executes the map form of ap. */
export function executeApMap(ctx: ExecutionContext, instr: ApMapInstruction): void {
  const value = joinable(ctx, () => appliedAggregate(resolveAggregate(ctx, instr.value)));
  if (!value) return;
  // AquaVM meets the ap state before it resolves the key, so a key that is not there yet, fails
  // its lens or has a bad type consumes that state and records none (peers that walk the trace
  // later then fail on it, as the reference does).
  const met = ctx.trace.meetLeaf('ap', () => instructionText(instr));
  const resolvedKey = joinable(ctx, () => ({ key: resolveValue(ctx, instr.key).value }));
  if (!resolvedKey) return;
  const key: JsonValue = resolvedKey.key;
  if (!(typeof key === 'string' || isJsonInteger(key))) {
    throw new CatchableError(
      CatchableErrorCode.StreamMapError,
      `unsupported type for ${instr.map.name} map's key`,
    );
  }
  const entry: ValueAggregate = { ...value, value: { key, value: value.value } };
  apToStream(ctx, ctx.stream(instr.map.name), entry, () => instructionText(instr), met);
}
