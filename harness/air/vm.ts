// The AIR VM: AquaVM's invoke contract in TypeScript. A pure, synchronous function of its inputs:
// parse the script, load and check prev/current data, execute with trace merging, and return the
// new data with the call requests and next peers.
import type { Instruction } from './ast/types.js';
import { parseAir, formatAirErrorsAsAquaVM } from './parser/index.js';
import { parseAirLazy } from './parser/lazy.js';
import { encodeData, type DataFormat, type InterpreterData } from './data/interpreter-data.js';
import { loadData, rememberWritten } from './data/loaded-data.js';
import {
  callResultText,
  keyPairFromSeed,
  utf8Length,
  type CallRequest,
  type CallResult,
  type Ed25519KeyPair,
  type JsonValue,
  type RunParameters,
} from '../protocol/index.js';
import {
  checkCidsOnlyGrow,
  collectPeerCids,
  verifySignatures,
  withSignedPeers,
} from './data/peer-cids.js';
import { signCids } from './data/signatures.js';
import { emptyStores, type CidStores } from './data/stores.js';
import {
  PreparationErrorCode,
  RECURSION_TOO_DEEP,
  UNPROCESSED_CALL_RESULT,
  EXECUTION_BUDGET_EXCEEDED,
  MAX_AIR_DEPTH,
} from './errors/codes.js';
import { CatchableError, PreparationError, UncatchableError } from './errors/execution-error.js';
import {
  BudgetExceeded,
  ExecutionBudget,
  ExecutionContext,
  type HostCallResult,
} from './execution/context.js';
import { treeStats } from './ast/index.js';
import { execute } from './execution/execute.js';
import { TraceHandler } from './trace/handler.js';
import { flattenTrace, loadTrace } from './trace/tree.js';

// Re-exported for the area's own tests; the public surface is index.ts.
export type { SecurityTetraplet } from '../protocol/index.js';
export {
  PreparationErrorCode,
  CatchableErrorCode,
  UncatchableErrorCode,
  UNPROCESSED_CALL_RESULT,
  RECURSION_TOO_DEEP,
} from './errors/codes.js';
export { keyPairFromSeed, peerIdFromPublicKey, publicKeyFromPeerId } from '../protocol/index.js';
export { cidOf } from './data/cid.js';
export {
  JsonFloat,
  callResultText,
  jsonText,
  parseJson,
  JsonSyntaxError,
} from '../protocol/index.js';
export {
  decodeData,
  encodeData,
  type DataFormat,
  type InterpreterData,
} from './data/interpreter-data.js';
export {
  dumpInterpreterData,
  formatDataDump,
  type DataDump,
  type DumpedState,
} from './data/dump.js';

/** Run parameters of one invoke. */
export type AquaRunParameters = RunParameters;
/** A service call the host must make and answer through `callResults` on a later invoke. */
export type AquaCallRequest = CallRequest;
/** The answer to a call request. */
export type AquaCallResult = CallResult;

/** What invoke returns. */
export interface AquaInvokeOutcome {
  readonly retCode: number;
  readonly errorMessage: string;
  readonly data: Uint8Array;
  readonly nextPeerPks: string[];
  readonly callRequests: Map<number, AquaCallRequest>;
  /** The AIR script is over the AIR size limit (set in soft mode; see AquaVMOptions.hardLimits). */
  readonly airSizeLimitExceeded: boolean;
  /** The current data is over the particle size limit (set in soft mode). */
  readonly particleSizeLimitExceeded: boolean;
  /** Some call result's JSON text is over the call result size limit (set in both modes). */
  readonly callResultSizeLimitExceeded: boolean;
}

/** Size limits (AquaVM's defaults: AIR 16 MiB, particle data 64 MiB, call result 32 MiB). */
export interface AquaVMLimits {
  readonly airSize: number;
  readonly particleSize: number;
  readonly callResultSize: number;
}

/** Options of the VM. */
export interface AquaVMOptions {
  readonly limits?: Partial<AquaVMLimits>;
  /**
   * AquaVM's `hard_limit_enabled`: when true, input over a size limit fails the run with
   * preparation error 10. Default false (soft limits): the run goes on and the outcome's flags say
   * which limit was passed, so the host can record it. Soft is the default because it is what
   * AquaVM's hosts run with: Nox's `hard_limit_enabled` defaults to false and js-client always
   * passes false.
   */
  readonly hardLimits?: boolean;
  /**
   * Most instructions one invoke may execute (default 10 million); past it the run fails with
   * EXECUTION_BUDGET_EXCEEDED (40001) and the previous data. AquaVM has no such limit; it keeps a
   * runaway script (nested folds over long arrays) from holding the host.
   */
  readonly maxSteps?: number;
  /** Wall-clock limit of one invoke in ms (default 10 000); past it the run fails with 40001. */
  readonly timeLimitMs?: number;
  /**
   * The format of the data this VM writes: `aquavm` (default), AquaVM 0.62's own (format 0.17.2,
   * rkyv inner data), which every AquaVM peer (js-client, Nox) reads; or `marine-ts`, our earlier
   * msgpack format 1.1.0, for networks that still have peers running a marine-ts VM from before
   * AquaVM's format. Both are always read.
   */
  readonly dataFormat?: DataFormat;
}

/** Default instruction budget of one invoke. */
export const DEFAULT_MAX_STEPS = 10_000_000;
/** Default wall-clock limit of one invoke, ms. */
export const DEFAULT_TIME_LIMIT_MS = 10_000;

/** AquaVM's default size limits. */
export const DEFAULT_LIMITS: AquaVMLimits = {
  airSize: 16 * 1024 * 1024,
  particleSize: 64 * 1024 * 1024,
  callResultSize: 32 * 1024 * 1024,
};

/** `a` with `b`'s entries added (a new map: loaded stores are shared and never changed). */
function mergeMap<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): Map<string, V> {
  // Cloning a Map through its constructor is one native copy; the other map's entries follow.
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, v);
  return out;
}

function mergeStores(a: CidStores, b: CidStores): CidStores {
  return {
    values: mergeMap(a.values, b.values),
    tetraplets: mergeMap(a.tetraplets, b.tetraplets),
    canonElements: mergeMap(a.canonElements, b.canonElements),
    canonResults: mergeMap(a.canonResults, b.canonResults),
    serviceResults: mergeMap(a.serviceResults, b.serviceResults),
  };
}

// What the trace reaches of the stores, added to `out` (module functions rather than closures
// per run: this runs on every invoke).
function addTetraplet(out: CidStores, all: CidStores, cid: string): void {
  const t = all.tetraplets.get(cid);
  if (t) out.tetraplets.set(cid, t);
}

function addValue(out: CidStores, all: CidStores, cid: string): void {
  const v = all.values.get(cid);
  if (v !== undefined) out.values.set(cid, v);
}

function addServiceResult(out: CidStores, all: CidStores, cid: string): void {
  const r = all.serviceResults.get(cid);
  if (!r || out.serviceResults.has(cid)) return;
  out.serviceResults.set(cid, r);
  addValue(out, all, r.value_cid);
  addTetraplet(out, all, r.tetraplet_cid);
}

function addCanonResult(out: CidStores, all: CidStores, cid: string): void {
  const r = all.canonResults.get(cid);
  if (!r || out.canonResults.has(cid)) return;
  out.canonResults.set(cid, r);
  addTetraplet(out, all, r.tetraplet);
  for (const ecid of r.values) {
    const e = all.canonElements.get(ecid);
    if (!e) continue;
    out.canonElements.set(ecid, e);
    addValue(out, all, e.value);
    addTetraplet(out, all, e.tetraplet);
    if (e.provenance.kind === 'service_result') addServiceResult(out, all, e.provenance.cid);
    if (e.provenance.kind === 'canon') addCanonResult(out, all, e.provenance.cid);
  }
}

/** Keeps only the store entries the trace reaches, so dropped values do not travel on. */
function reachableStores(trace: InterpreterData['trace'], all: CidStores): CidStores {
  const out = emptyStores();
  for (const s of trace) {
    if (s.kind === 'call' && s.call.kind !== 'sent') addServiceResult(out, all, s.call.cid);
    if (s.kind === 'canon' && s.canon.kind === 'executed') addCanonResult(out, all, s.canon.cid);
  }
  return out;
}

/** Size in bytes of a string as UTF-8 (AquaVM measures Rust strings, which are UTF-8). */
function byteLength(text: string): number {
  // Counted without encoding: scripts and call results can be megabytes long.
  return utf8Length(text);
}

/** A script nested deeper than MAX_AIR_DEPTH (its depth is kept for the message). */
class NestingTooDeep extends Error {
  constructor(readonly depth: number) {
    super(`the script nests ${depth} instructions deep`);
  }
}

/** The outcome of a failed invoke: the previous data back, with the error and the limit flags. */
function failWithPrev(
  prevData: Uint8Array,
  flags: LimitFlags,
  retCode: number,
  errorMessage: string,
): AquaInvokeOutcome {
  return {
    retCode,
    errorMessage,
    data: prevData,
    nextPeerPks: [],
    callRequests: new Map(),
    ...flags,
  };
}

/** Which soft limits one invoke went over (AquaVM's SoftLimitsTriggering). */
interface LimitFlags {
  airSizeLimitExceeded: boolean;
  particleSizeLimitExceeded: boolean;
  callResultSizeLimitExceeded: boolean;
}

// Key pairs are remembered per seed for the whole process by keyPairFromSeed, so a peer's VM
// reuses the key its peer derived at start.
function keyPairOf(seed: Uint8Array): Ed25519KeyPair {
  try {
    return keyPairFromSeed(seed);
  } catch (e) {
    throw new PreparationError(
      PreparationErrorCode.MalformedKeyPairData,
      `malformed key pair: ${(e as Error).message}`,
    );
  }
}

// A peer runs the same few scripts on every hop of their particles, and VM instances come and go
// (one per peer in a CLI run or a test network): parsed scripts are kept for the whole process,
// keyed by their full text. An AST is never changed by a run, so sharing one is safe. Scripts
// over AST_CACHE_MAX_TEXT characters are parsed every time, so the cache stays small.
const AST_CACHE_MAX = 256;
const AST_CACHE_MAX_TEXT = 1024 * 1024;
const astCache = new Map<string, Instruction>();

// Scripts of at least LAZY_MIN_TEXT characters get a lazy tree (parser/lazy.ts): a validating
// pre-pass without AST objects, then nodes made as the run reaches them, so a run pays for the
// instructions it executes rather than for the whole tree. Smaller scripts are parsed whole, which
// is cheaper when most of a script runs.
const LAZY_MIN_TEXT = 64 * 1024;
let lazyMinText = LAZY_MIN_TEXT;
let lazyEagerMax: number | undefined;

/**
 * For the area's tests: from which script length the VM makes lazy trees, and up to which
 * subtree length they parse subtrees whole (undefined restores the defaults). Empties the cache.
 */
export function configureLazyTrees(options?: { minText: number; eagerMax: number }): void {
  lazyMinText = options?.minText ?? LAZY_MIN_TEXT;
  lazyEagerMax = options?.eagerMax;
  astCache.clear();
}

function parseCached(air: string): Instruction {
  const cached = astCache.get(air);
  if (cached) return cached;
  let ast: Instruction;
  let depth: number;
  const lazy = air.length >= lazyMinText ? parseAirLazy(air, lazyEagerMax) : undefined;
  if (lazy?.ok === true) {
    ast = lazy.ast;
    depth = lazy.depth;
  } else {
    // Small scripts, and invalid ones (parseAir reports the errors).
    const result = parseAir(air);
    if (!result.ok)
      throw new PreparationError(
        PreparationErrorCode.AirParseError,
        `air can't be parsed:\n${formatAirErrorsAsAquaVM(result.errors, air)}`,
      );
    ast = result.ast;
    depth = treeStats(ast).depth;
  }
  if (depth > MAX_AIR_DEPTH) throw new NestingTooDeep(depth);
  if (air.length <= AST_CACHE_MAX_TEXT) {
    if (astCache.size >= AST_CACHE_MAX) astCache.clear();
    astCache.set(air, ast);
  }
  return ast;
}

/** The AIR virtual machine. */
export class AquaVM {
  private readonly limits: AquaVMLimits;
  private readonly hardLimits: boolean;
  private readonly maxSteps: number;
  private readonly timeLimitMs: number;
  private readonly dataFormat: DataFormat;

  constructor(options: AquaVMOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.hardLimits = options.hardLimits ?? false;
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    this.timeLimitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    this.dataFormat = options.dataFormat ?? 'aquavm';
  }

  /** Runs `air` for the current peer; see AquaVM's invoke. Never throws for bad input: it returns a ret code. */
  invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: AquaRunParameters,
    callResults: ReadonlyMap<number, AquaCallResult>,
  ): AquaInvokeOutcome {
    const flags: LimitFlags = {
      airSizeLimitExceeded: false,
      particleSizeLimitExceeded: false,
      callResultSizeLimitExceeded: false,
    };
    try {
      return this.run(air, prevData, currentData, params, callResults, flags);
    } catch (e) {
      if (e instanceof PreparationError || e instanceof UncatchableError)
        return failWithPrev(prevData, flags, e.code, e.message);
      if (e instanceof BudgetExceeded)
        return failWithPrev(prevData, flags, EXECUTION_BUDGET_EXCEEDED, e.message);
      if (e instanceof NestingTooDeep) {
        return failWithPrev(
          prevData,
          flags,
          RECURSION_TOO_DEEP,
          `the script nests ${e.depth} instructions deep; this VM runs scripts nested at most ${MAX_AIR_DEPTH} deep`,
        );
      }
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        return failWithPrev(
          prevData,
          flags,
          RECURSION_TOO_DEEP,
          `the script nests deeper than the JavaScript stack allows: ${e.message}`,
        );
      }
      throw e;
    }
  }

  private parse(air: string): Instruction {
    return parseCached(air);
  }

  private keyPair(seed: Uint8Array): Ed25519KeyPair {
    return keyPairOf(seed);
  }

  private run(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: AquaRunParameters,
    callResults: ReadonlyMap<number, AquaCallResult>,
    flags: LimitFlags,
  ): AquaInvokeOutcome {
    // AquaVM's order: AIR and particle sizes first, then the data, then the AIR parse, then the
    // call result sizes, then the key. A hard AIR or particle limit reports no flags (AquaVM
    // drops them with the error); a hard call result limit keeps its flag.
    const airSize = byteLength(air);
    if (airSize > this.limits.airSize) {
      const message = `air size: ${airSize} bytes is bigger than the limit allowed: ${this.limits.airSize} bytes`;
      if (this.hardLimits)
        return failWithPrev(prevData, flags, PreparationErrorCode.SizeLimitsExceeded, message);
      flags.airSizeLimitExceeded = true;
    }
    if (currentData.length > this.limits.particleSize) {
      const message = `Current_data particle size: ${currentData.length} bytes is bigger than the limit allowed: ${this.limits.particleSize} bytes`;
      if (this.hardLimits)
        return failWithPrev(prevData, flags, PreparationErrorCode.SizeLimitsExceeded, message);
      flags.particleSizeLimitExceeded = true;
    }
    const prevLoaded = loadData(prevData, 'previous');
    const currentLoaded = loadData(currentData, 'current');
    const prev = prevLoaded.data;
    const current = currentLoaded.data;
    prevLoaded.checkStores('previous');
    currentLoaded.checkStores('current');
    const prevCids = withSignedPeers(prevLoaded.peerCids('previous'), prev);
    const currentCids = verifySignatures(
      current,
      params.particleId,
      'current',
      currentLoaded.peerCids('current'),
    );
    checkCidsOnlyGrow(prevCids, currentCids);
    const ast = this.parse(air);
    for (const r of callResults.values()) {
      // The size AquaVM sees is that of the JSON text the host sends, as callResultText writes it.
      if (byteLength(callResultText(r.result)) > this.limits.callResultSize) {
        flags.callResultSizeLimitExceeded = true;
        if (this.hardLimits) {
          return failWithPrev(
            prevData,
            flags,
            PreparationErrorCode.SizeLimitsExceeded,
            `Call result size is bigger than the limit allowed: ${this.limits.callResultSize} bytes`,
          );
        }
        break;
      }
    }
    const keyPair = this.keyPair(params.secretKey);
    if (keyPair.peerId !== params.currentPeerId) {
      throw new PreparationError(
        PreparationErrorCode.MalformedKeyPairData,
        `the secret key belongs to ${keyPair.peerId}, not to the current peer ${params.currentPeerId}`,
      );
    }

    const stores = mergeStores(prev.stores, current.stores);
    const trace = new TraceHandler(
      loadTrace(prev.trace, 'previous'),
      loadTrace(current.trace, 'current'),
    );
    const results = new Map<number, { retCode: number; result: unknown }>(
      callResults as Map<number, HostCallResult>,
    );
    const ctx = new ExecutionContext(
      {
        initPeerId: params.initPeerId,
        currentPeerId: params.currentPeerId,
        timestamp: params.timestamp,
        ttl: params.ttl,
        particleId: params.particleId,
      },
      stores,
      trace,
      results,
      prev.lcid,
      new ExecutionBudget(this.maxSteps, Date.now() + this.timeLimitMs),
    );

    let retCode = 0;
    let errorMessage = '';
    try {
      execute(ctx, ast);
    } catch (e) {
      if (!(e instanceof CatchableError)) throw e;
      retCode = e.code;
      errorMessage = e.message;
    }
    if (retCode === 0 && results.size > 0) {
      retCode = UNPROCESSED_CALL_RESULT;
      errorMessage = `call results [${[...results.keys()].join(', ')}] were not processed by any call`;
    }

    for (const s of ctx.allStreams) s.compact();
    const newTrace = flattenTrace(trace.root);
    const newStores = reachableStores(newTrace, stores);
    const finalCids = collectPeerCids(newTrace, newStores, 'new');
    // Every other peer seen in prev or current data keeps the signature that came with its larger
    // CID set (prev on a tie), as AquaVM's merged signature store does, even where the new trace
    // no longer holds all of that set; only the current peer signs anew.
    const signatures = new Map<string, Uint8Array>();
    // In the order the signatures came in, so merging data with itself gives the same bytes.
    const peers = new Set([
      ...prev.signatures.keys(),
      ...current.signatures.keys(),
      ...prevCids.keys(),
      ...currentCids.keys(),
    ]);
    for (const peer of peers) {
      const inPrev = prevCids.get(peer);
      const inCurrent = currentCids.get(peer);
      const fromCurrent =
        inPrev === undefined || (inCurrent !== undefined && inPrev.length < inCurrent.length);
      const sig = (fromCurrent ? current : prev).signatures.get(peer);
      if (sig) signatures.set(peer, sig);
    }
    // The current peer always signs, an empty list if it produced nothing, as AquaVM does.
    const mine = finalCids.get(params.currentPeerId) ?? [];
    signatures.set(params.currentPeerId, signCids(keyPair.signer, mine, params.particleId));
    const written: InterpreterData = {
      trace: newTrace,
      lcid: ctx.lcid,
      stores: newStores,
      signatures,
    };
    const data = encodeData(written, this.dataFormat);
    rememberWritten(data, written, finalCids);
    const callRequests = new Map<number, AquaCallRequest>();
    for (const [id, r] of ctx.callRequests) {
      callRequests.set(id, {
        serviceId: r.serviceId,
        functionName: r.functionName,
        arguments: r.arguments as JsonValue[],
        // Copies: the VM's own tetraplet objects live on in its caches (tetrapletCid, loaded
        // data), and a host that changed one would change them there.
        tetraplets: r.tetraplets.map((forArg) => forArg.map((t) => ({ ...t }))),
      });
    }
    return { retCode, errorMessage, data, nextPeerPks: ctx.nextPeers, callRequests, ...flags };
  }
}
