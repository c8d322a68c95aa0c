// `(call PEER (SERVICE FUNCTION) [ARGS] OUTPUT?)`: on another peer, forward the particle there;
// on this peer, emit a call request and, once its result arrives, record and bind it. Results
// found in prev/current data are re-checked against the locally evaluated call (20017).
import type { CallInstruction } from '../ast/types.js';
import { cidOf } from '../data/cid.js';
import {
  callResultText,
  canonicalJson,
  serviceResultValue,
  sortedKeys,
  type JsonValue,
} from '../../protocol/index.js';
import type { SecurityTetraplet } from '../../protocol/index.js';
import { tetrapletCid } from '../data/interpreter-data.js';
import {
  CatchableErrorCode,
  INVALID_JSON_RESULT_RET_CODE,
  UncatchableErrorCode,
} from '../errors/codes.js';
import { CatchableError, UncatchableError } from '../errors/execution-error.js';
import {
  callMergeDetail,
  parametersMismatchMessage,
  tetrapletDebug,
  traceHandlerError,
  valueRefDebug,
  type InstructionText,
} from '../trace/debug.js';
import { newLeaf, type Met } from '../trace/handler.js';
import type { CallState } from '../trace/states.js';
import type { LoadedLeaf, NewLeaf } from '../trace/tree.js';
import type { ExecutionContext, HostCallResult } from './context.js';
import { instructionText } from './instruction-text.js';
import { resolveString, resolveValue } from './resolve.js';
import type { ValueSource } from './values.js';

function localServiceError(retCode: number, message: string): CatchableError {
  return new CatchableError(
    CatchableErrorCode.LocalServiceError,
    `Local service error, ret_code is ${retCode}, error message is '${message}'`,
  );
}

/** Merges the prev and current states of one call per AquaVM's rules; returns the winner and its source. */
export function mergeCallStates(
  prev: CallState | undefined,
  current: CallState | undefined,
  instruction: InstructionText = 'call',
): { state: CallState; source: ValueSource } | undefined {
  if (!prev && !current) return undefined;
  if (!prev) return { state: current!, source: 'current' };
  if (!current) return { state: prev, source: 'prev' };
  // Two requests: keep ours (it may carry our call id); senders are not compared (AquaVM #137).
  if (prev.kind === 'sent' && current.kind === 'sent') return { state: prev, source: 'prev' };
  if (prev.kind === 'sent') return { state: current, source: 'current' };
  if (current.kind === 'sent') return { state: prev, source: 'prev' };
  const disagreement = callMergeDetail(prev, current);
  if (disagreement !== undefined) throw traceHandlerError(instruction, disagreement);
  return { state: prev, source: 'prev' };
}

/** Executes call. */
export function executeCall(ctx: ExecutionContext, instr: CallInstruction): void {
  const text = instructionText(instr);
  let tetraplet: SecurityTetraplet | undefined;
  try {
    let peer: string;
    let service: string;
    let fn: string;
    try {
      peer = resolveString(ctx, instr.peer);
      service = resolveString(ctx, instr.service);
      fn = resolveString(ctx, instr.function);
      if (instr.output?.kind === 'scalar') ctx.checkScalarWritable(instr.output.name);
    } catch (e) {
      if (e instanceof CatchableError && e.joinable) {
        ctx.makeIncomplete();
        return;
      }
      throw e;
    }
    tetraplet = { peer_pk: peer, service_id: service, function_name: fn, lens: '' };
    executeResolvedCall(ctx, instr, tetraplet);
  } catch (e) {
    if (e instanceof CatchableError) ctx.setErrors(e, text, tetraplet, true);
    throw e;
  }
}

interface Args {
  readonly values: JsonValue[];
  readonly tetraplets: SecurityTetraplet[][];
}

function collectArgs(ctx: ExecutionContext, instr: CallInstruction): Args | undefined {
  try {
    const values: JsonValue[] = [];
    const tetraplets: SecurityTetraplet[][] = [];
    for (const a of instr.args) {
      const r = resolveValue(ctx, a);
      values.push(r.value);
      tetraplets.push(r.tetraplets);
    }
    return { values, tetraplets };
  } catch (e) {
    if (e instanceof CatchableError && e.joinable) return undefined;
    throw e;
  }
}

function executeResolvedCall(
  ctx: ExecutionContext,
  instr: CallInstruction,
  tetraplet: SecurityTetraplet,
): void {
  const args = collectArgs(ctx, instr);
  const text = instructionText(instr);
  const met = ctx.trace.meetLeaf('call', text);
  const merged = mergeCallStates(
    met.prev?.state.kind === 'call' ? met.prev.state.call : undefined,
    met.current?.state.kind === 'call' ? met.current.state.call : undefined,
    text,
  );
  const isLocal = tetraplet.peer_pk === ctx.params.currentPeerId;

  if (merged) {
    const state = merged.state;
    if (state.kind === 'sent') {
      if (state.sender.callId !== undefined && state.sender.peer === ctx.params.currentPeerId) {
        const result = ctx.callResults.get(state.sender.callId);
        if (result === undefined || args === undefined) {
          ctx.makeIncomplete();
          ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
          return;
        }
        ctx.callResults.delete(state.sender.callId);
        applyServiceResult(ctx, instr, tetraplet, cidOf(args.values), result, met);
        return;
      }
      if (!isLocal) {
        ctx.makeIncomplete();
        ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
        return;
      }
      // Sent to us by another peer and not executed yet: execute now.
    } else {
      if (args === undefined) {
        // Arguments not known here yet; keep the recorded state untouched and wait.
        ctx.makeIncomplete();
        ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
        return;
      }
      // The argument hash (a canonical JSON text and its CID) only where a result is checked or
      // recorded: a call forwarded to another peer or sent out as a request needs none.
      const argumentHash = cidOf(args.values);
      useRecordedResult(ctx, instr, tetraplet, argumentHash, state, merged.source, met);
      return;
    }
  }

  if (!isLocal) {
    ctx.addNextPeer(tetraplet.peer_pk);
    ctx.makeIncomplete();
    ctx.trace.write(
      newLeaf(
        { kind: 'call', call: { kind: 'sent', sender: { peer: ctx.params.currentPeerId } } },
        met,
      ),
    );
    return;
  }
  if (!args) {
    ctx.makeIncomplete();
    if (merged) ctx.trace.write(newLeaf({ kind: 'call', call: merged.state }, met));
    return;
  }
  const callId = ++ctx.lcid;
  // Arguments go out with sorted object keys, as AquaVM's serde_json maps have them.
  const argumentsOut = args.values.map(sortedKeys);
  ctx.callRequests.set(callId, {
    serviceId: tetraplet.service_id,
    functionName: tetraplet.function_name,
    arguments: argumentsOut,
    tetraplets: args.tetraplets,
  });
  ctx.makeIncomplete();
  ctx.trace.write(
    newLeaf(
      { kind: 'call', call: { kind: 'sent', sender: { peer: ctx.params.currentPeerId, callId } } },
      met,
    ),
  );
}

/**
 * Whether the tetraplet recorded under `cid` is `tetraplet`. Every store entry hashes to its CID
 * (checked when the data was loaded, or computed when put), so equal fields mean equal CIDs; the
 * call's tetraplet is a new object on every run, and comparing fields spares hashing its JSON.
 */
function recordedTetrapletIs(
  ctx: ExecutionContext,
  cid: string,
  tetraplet: SecurityTetraplet,
): boolean {
  const recorded = ctx.stores.tetraplets.get(cid);
  if (
    recorded !== undefined &&
    recorded.peer_pk === tetraplet.peer_pk &&
    recorded.service_id === tetraplet.service_id &&
    recorded.function_name === tetraplet.function_name &&
    recorded.lens === tetraplet.lens
  )
    return true;
  return cid === tetrapletCid(tetraplet);
}

function verifyRecorded(
  ctx: ExecutionContext,
  cid: string,
  tetraplet: SecurityTetraplet,
  argumentHash: string,
): JsonValue {
  const { aggregate, value } = ctx.serviceResult(cid);
  if (aggregate.argument_hash !== argumentHash) {
    throw new UncatchableError(
      UncatchableErrorCode.InstructionParametersMismatch,
      parametersMismatchMessage('call argument_hash', argumentHash, aggregate.argument_hash),
    );
  }
  if (!recordedTetrapletIs(ctx, aggregate.tetraplet_cid, tetraplet)) {
    throw new UncatchableError(
      UncatchableErrorCode.InstructionParametersMismatch,
      parametersMismatchMessage(
        'call tetraplet',
        tetrapletDebug(tetraplet),
        tetrapletDebug(ctx.tetraplet(aggregate.tetraplet_cid)),
      ),
    );
  }
  return value;
}

function useRecordedResult(
  ctx: ExecutionContext,
  instr: CallInstruction,
  tetraplet: SecurityTetraplet,
  argumentHash: string,
  state: Exclude<CallState, { kind: 'sent' }>,
  source: ValueSource,
  met: Met<LoadedLeaf>,
): void {
  const out = instr.output;
  if (state.kind === 'failed') {
    const value = verifyRecorded(ctx, state.cid, tetraplet, argumentHash);
    const failed = value as { ret_code?: unknown; message?: unknown };
    if (typeof failed.ret_code !== 'number' || typeof failed.message !== 'string') {
      throw new UncatchableError(
        UncatchableErrorCode.MalformedCallServiceFailed,
        `failed call result ${state.cid} is not {ret_code, message}: ${canonicalJson(value)}`,
      );
    }
    ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
    ctx.makeIncomplete();
    throw localServiceError(failed.ret_code, failed.message);
  }
  // The kinds must correspond before anything is checked against the store, as in AquaVM.
  const corresponds =
    (state.kind === 'scalar' && out?.kind === 'scalar') ||
    (state.kind === 'stream' && out?.kind === 'stream') ||
    ((state.kind === 'unused' || state.kind === 'legacy_unused') && out === undefined);
  if (!corresponds) {
    throw new UncatchableError(
      UncatchableErrorCode.CallResultNotCorrespondToInstr,
      `call result value ${valueRefDebug(state)} doesn't match with corresponding instruction`,
    );
  }
  // An unused value carries no arguments or tetraplet to check: AquaVM takes it as it is.
  if (state.kind === 'unused') {
    ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
    return;
  }
  const value = verifyRecorded(ctx, state.cid, tetraplet, argumentHash);
  const agg = { value, tetraplet, provenance: { kind: 'service_result' as const, cid: state.cid } };
  if (state.kind === 'scalar' && out?.kind === 'scalar') {
    ctx.setScalar(out.name, agg);
    ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
  } else if (state.kind === 'stream' && out?.kind === 'stream') {
    const leaf = newLeaf({ kind: 'call', call: state }, met);
    const sv = ctx.stream(out.name).add(agg, source, state.generation, leaf);
    leaf.resolve = () => ({
      kind: 'call',
      call: { kind: 'stream', cid: state.cid, generation: sv.finalGeneration },
    });
    ctx.trace.write(leaf);
  } else {
    // An unused value from format 1.0 data: checked like any service result, nothing to bind.
    ctx.trace.write(newLeaf({ kind: 'call', call: state }, met));
  }
}

/** Records a failed service call and raises it (a module function: no closure per call). */
function failCall(
  ctx: ExecutionContext,
  tetraplet: SecurityTetraplet,
  argumentHash: string,
  met: Met<LoadedLeaf>,
  retCode: number,
  message: string,
): never {
  const cid = ctx.putServiceResult({ ret_code: retCode, message }, tetraplet, argumentHash);
  ctx.trace.write(newLeaf({ kind: 'call', call: { kind: 'failed', cid } }, met));
  // A failure seen now leaves the subgraph complete (only a failure replayed from data does
  // not), as in AquaVM: observable when a stream fold swallows it and what follows runs on.
  throw localServiceError(retCode, message);
}

function applyServiceResult(
  ctx: ExecutionContext,
  instr: CallInstruction,
  tetraplet: SecurityTetraplet,
  argumentHash: string,
  result: HostCallResult,
  met: Met<LoadedLeaf>,
): void {
  if (result.retCode !== 0) {
    // Hosts hand AquaVM every result as JSON text (js-client, Nox), failures included, and the
    // error message is that text: a failing service's "boom" reads '"boom"'.
    failCall(ctx, tetraplet, argumentHash, met, result.retCode, callResultText(result.result));
  }
  let value: JsonValue;
  try {
    value = serviceResultValue(result.result);
  } catch (e) {
    return failCall(
      ctx,
      tetraplet,
      argumentHash,
      met,
      INVALID_JSON_RESULT_RET_CODE,
      `call_service result '${String(result.result)}' can't be serialized or deserialized with an error: ${(e as Error).message}`,
    );
  }
  const out = instr.output;
  if (out === undefined) {
    // AquaVM records only the value's CID and stores nothing: no aggregate, no signature.
    ctx.trace.write(newLeaf({ kind: 'call', call: { kind: 'unused', cid: cidOf(value) } }, met));
    return;
  }
  const cid = ctx.putServiceResult(value, tetraplet, argumentHash);
  const agg = { value, tetraplet, provenance: { kind: 'service_result' as const, cid } };
  if (out.kind === 'scalar') {
    ctx.setScalar(out.name, agg);
    ctx.trace.write(newLeaf({ kind: 'call', call: { kind: 'scalar', cid } }, met));
  } else {
    const leaf: NewLeaf = newLeaf(
      { kind: 'call', call: { kind: 'stream', cid, generation: 0 } },
      met,
    );
    const stream = ctx.stream(out.name);
    const sv = stream.add(agg, 'new', stream.newGeneration, leaf);
    leaf.resolve = () => ({
      kind: 'call',
      call: { kind: 'stream', cid, generation: sv.finalGeneration },
    });
    ctx.trace.write(leaf);
  }
}
