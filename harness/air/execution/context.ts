// Everything one invoke works on: run parameters, the CID stores, variables, error descriptors,
// the trace handler and what the run produces (call requests, next peers).
import { canonicalJson, parseJson, type JsonValue } from '../../protocol/index.js';
import { cidOfJsonText } from '../data/cid.js';
import {
  canonElementCid,
  canonResultCid,
  serviceResultCid,
  tetrapletCid,
} from '../data/interpreter-data.js';
import type {
  CanonElement,
  CanonResult,
  CidStores,
  Provenance,
  ServiceResult,
} from '../data/stores.js';
import { literalTetraplet, type SecurityTetraplet } from '../../protocol/index.js';
import { CatchableErrorCode, UncatchableErrorCode } from '../errors/codes.js';
import { CatchableError, UncatchableError } from '../errors/execution-error.js';
import type { TraceHandler } from '../trace/handler.js';
import { rustDebugString } from '../trace/debug.js';
import { Stream, type CanonValue, type IteratorBinding, type ValueAggregate } from './values.js';

/** A call request the VM hands to the host. */
export interface PendingCallRequest {
  readonly serviceId: string;
  readonly functionName: string;
  readonly arguments: JsonValue[];
  readonly tetraplets: SecurityTetraplet[][];
}

/** A host's answer to a call request. */
export interface HostCallResult {
  readonly retCode: number;
  readonly result: unknown;
}

/** An error object as `%last_error%` / `:error:` see it. */
export interface InstructionErrorState {
  readonly error: JsonValue;
  readonly tetraplet: SecurityTetraplet | undefined;
  readonly provenance: Provenance;
  /** The catchable error `(fail :error:)` re-raises. */
  readonly original?: CatchableError;
}

/** AquaVM's no-error object. */
export function noError(): InstructionErrorState {
  return {
    error: { error_code: 0, message: '' },
    tetraplet: undefined,
    provenance: { kind: 'literal' },
  };
}

type ScopeEntry =
  | { readonly kind: 'scalar'; readonly value: ValueAggregate }
  | { readonly kind: 'canon'; readonly value: CanonValue }
  | { readonly kind: 'iterator'; readonly binding: IteratorBinding }
  | { readonly kind: 'uninit' };

/** What a variable name resolves to. */
export type VariableLookup = Exclude<ScopeEntry, { kind: 'uninit' }>;

/** Run parameters as the interpreter needs them. */
export interface ExecutionParams {
  readonly initPeerId: string;
  readonly currentPeerId: string;
  readonly timestamp: number;
  readonly ttl: number;
  readonly particleId: string;
}

/** How much work one invoke may do: instructions, and a wall-clock deadline. */
export class ExecutionBudget {
  #steps = 0;
  constructor(
    readonly maxSteps: number,
    /** Date.now() past which the run stops. */
    readonly deadline: number,
  ) {}

  /** Counts one instruction; throws once the budget is spent (the clock is read every 1024). */
  step(): void {
    this.#steps++;
    if (this.#steps > this.maxSteps) {
      throw new BudgetExceeded(
        `the run executed more than ${this.maxSteps} instructions (AquaVMOptions.maxSteps)`,
      );
    }
    if ((this.#steps & 1023) === 0 && Date.now() > this.deadline) {
      throw new BudgetExceeded(
        `the run went past its deadline after ${this.#steps} instructions (AquaVMOptions.timeLimitMs, or the particle's expiry)`,
      );
    }
  }
}

/** Thrown when an invoke's execution budget is spent; the VM turns it into error 40001. */
export class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
}

/** The state of one invoke. */
export class ExecutionContext {
  /** False once the current subgraph cannot go on (remote call, missing result, never, join). */
  subgraphComplete = true;
  readonly callRequests = new Map<number, PendingCallRequest>();
  readonly nextPeers: string[] = [];
  private readonly nextPeerSet = new Set<string>();
  lastError: InstructionErrorState = noError();
  lastErrorCanBeSet = true;
  error: InstructionErrorState = noError();
  errorCanBeSet = true;
  private readonly scopes: Map<string, ScopeEntry>[] = [new Map()];
  private readonly streams = new Map<string, Stream[]>();
  /** Every stream created in this run (compacted at the end). */
  readonly allStreams: Stream[] = [];
  private literal: SecurityTetraplet | undefined;
  /**
   * Canon element CIDs of the values this run canonicalized (their entries are in the stores).
   * A stream canonicalized again and again, as a growing one is, hashes only its new values.
   */
  private readonly canonElementCids = new Map<ValueAggregate, string>();

  constructor(
    readonly params: ExecutionParams,
    readonly stores: CidStores,
    readonly trace: TraceHandler,
    readonly callResults: Map<number, HostCallResult>,
    public lcid: number,
    readonly budget: ExecutionBudget = new ExecutionBudget(Infinity, Infinity),
  ) {}

  /** Marks the current subgraph incomplete. */
  makeIncomplete(): void {
    this.subgraphComplete = false;
  }

  /** Adds a peer to next_peer_pks (deduplicated, first-seen order). */
  addNextPeer(peer: string): void {
    if (!this.nextPeerSet.has(peer)) {
      this.nextPeerSet.add(peer);
      this.nextPeers.push(peer);
    }
  }

  // ----- variables

  /** Looks a scalar, canon or iterator up by name (innermost scope first). */
  lookup(name: string): VariableLookup {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const e = this.scopes[i]!.get(name);
      if (!e) continue;
      if (e.kind === 'uninit') {
        throw new CatchableError(
          CatchableErrorCode.VariableWasNotInitializedAfterNew,
          `variable with name '${name}' was cleared by new and then wasn't set`,
        );
      }
      return e;
    }
    throw new CatchableError(
      CatchableErrorCode.VariableNotFound,
      `variable with name '${name}' wasn't defined during script execution`,
    );
  }

  /** Checks that a call/ap/canon may write scalar `name` here (20004 / 20007 otherwise). */
  checkScalarWritable(name: string): void {
    const inner = this.scopes[this.scopes.length - 1]!.get(name);
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const e = this.scopes[i]!.get(name);
      if (e?.kind === 'iterator')
        throw new UncatchableError(
          UncatchableErrorCode.IterableShadowing,
          `variable with name '${name}' can't be shadowed, shadowing isn't supported for iterables`,
        );
      if (e) break;
    }
    if (inner && inner.kind !== 'uninit') {
      throw new UncatchableError(
        UncatchableErrorCode.ShadowingIsNotAllowed,
        `trying to shadow variable '${name}', but shadowing is allowed only inside fold blocks`,
      );
    }
  }

  /** Binds a scalar in the innermost scope. */
  setScalar(name: string, value: ValueAggregate): void {
    this.checkScalarWritable(name);
    this.scopes[this.scopes.length - 1]!.set(name, { kind: 'scalar', value });
  }

  /** Binds a canon stream or canon map in the innermost scope. */
  setCanon(name: string, value: CanonValue): void {
    this.checkScalarWritable(name);
    this.scopes[this.scopes.length - 1]!.set(name, { kind: 'canon', value });
  }

  /** Runs `body` in a fresh scope holding the iterator binding (one fold iteration). */
  withIterator<T>(binding: IteratorBinding, body: () => T): T {
    this.pushIterator(binding);
    try {
      return body();
    } finally {
      this.popScope();
    }
  }

  /** Opens a fold iteration scope holding the iterator (pair with popScope; used where stack depth matters). */
  pushIterator(binding: IteratorBinding): void {
    // Set directly: a Map built from an array of entries goes through the iterator protocol.
    const scope = new Map<string, ScopeEntry>();
    scope.set(binding.name, { kind: 'iterator', binding });
    this.scopes.push(scope);
  }

  /** Closes the innermost fold iteration scope. */
  popScope(): void {
    this.scopes.pop();
  }

  /** Runs `body` with scalar/canon `name` cleared (the `new` instruction), restoring it afterwards. */
  withNewVariable<T>(name: string, body: () => T): T {
    const scope = this.scopes[this.scopes.length - 1]!;
    const saved = scope.get(name);
    scope.set(name, { kind: 'uninit' });
    try {
      return body();
    } finally {
      if (saved) scope.set(name, saved);
      else scope.delete(name);
    }
  }

  /** The stream (or stream map) in scope under `name`, created at top level on first use. */
  stream(name: string): Stream {
    let stack = this.streams.get(name);
    if (!stack) {
      stack = [];
      this.streams.set(name, stack);
    }
    if (stack.length === 0) {
      const s = new Stream(name);
      this.allStreams.push(s);
      stack.push(s);
    }
    return stack[stack.length - 1]!;
  }

  /** The stream in scope if it was ever met, without creating it. */
  existingStream(name: string): Stream | undefined {
    const stack = this.streams.get(name);
    return stack && stack.length > 0 ? stack[stack.length - 1] : undefined;
  }

  /** Runs `body` with a fresh stream named `name` (the `new` instruction). */
  withNewStream<T>(name: string, body: () => T): T {
    let stack = this.streams.get(name);
    if (!stack) {
      stack = [];
      this.streams.set(name, stack);
    }
    const s = new Stream(name);
    this.allStreams.push(s);
    stack.push(s);
    try {
      return body();
    } finally {
      stack.pop();
    }
  }

  // ----- errors

  /** Records a catchable error into `%last_error%` and `:error:` as AquaVM does at the failing instruction. */
  setErrors(
    e: CatchableError,
    text: string,
    tetraplet: SecurityTetraplet | undefined,
    withPeerId: boolean,
  ): void {
    const lastPeer = tetraplet && withPeerId ? tetraplet.peer_pk : this.params.currentPeerId;
    const affectsLast =
      e.code !== CatchableErrorCode.MatchValuesNotEqual &&
      e.code !== CatchableErrorCode.MismatchValuesEqual;
    if (this.lastErrorCanBeSet && affectsLast) {
      this.lastError = {
        error: { error_code: e.code, instruction: text, message: e.message, peer_id: lastPeer },
        tetraplet,
        provenance: { kind: 'literal' },
      };
      this.lastErrorCanBeSet = false;
    }
    if (this.errorCanBeSet) {
      const error: { [k: string]: JsonValue } = {
        error_code: e.code,
        instruction: text,
        message: e.message,
      };
      if (withPeerId) error['peer_id'] = lastPeer;
      this.error = { error, tetraplet, provenance: { kind: 'literal' } };
    }
    this.errorCanBeSet = false;
  }

  // ----- stores

  /** Stores a JSON value, returning its CID. */
  putValue(value: JsonValue): string {
    const text = canonicalJson(value);
    const cid = cidOfJsonText(text);
    this.stores.values.set(cid, text);
    return cid;
  }

  /** Stores a tetraplet, returning its CID. */
  putTetraplet(t: SecurityTetraplet): string {
    const cid = tetrapletCid(t);
    this.stores.tetraplets.set(cid, t);
    return cid;
  }

  /** Stores a service result aggregate, returning its CID. */
  putServiceResult(value: JsonValue, tetraplet: SecurityTetraplet, argumentHash: string): string {
    const r: ServiceResult = {
      value_cid: this.putValue(value),
      argument_hash: argumentHash,
      tetraplet_cid: this.putTetraplet(tetraplet),
    };
    const cid = serviceResultCid(r);
    this.stores.serviceResults.set(cid, r);
    return cid;
  }

  /** Stores a canon result built from values, returning its CID. */
  putCanonResult(tetraplet: SecurityTetraplet, values: readonly ValueAggregate[]): string {
    const elements = values.map((v) => {
      let cid = this.canonElementCids.get(v);
      if (cid !== undefined) return cid;
      const e: CanonElement = {
        value: this.putValue(v.value),
        tetraplet: this.putTetraplet(v.tetraplet),
        provenance: v.provenance,
      };
      cid = canonElementCid(e);
      this.stores.canonElements.set(cid, e);
      this.canonElementCids.set(v, cid);
      return cid;
    });
    const r: CanonResult = { tetraplet: this.putTetraplet(tetraplet), values: elements };
    const cid = canonResultCid(r);
    this.stores.canonResults.set(cid, r);
    return cid;
  }

  private missing(what: string, cid: string): never {
    throw new UncatchableError(
      UncatchableErrorCode.ValueForCidNotFound,
      `${what} for CID ${rustDebugString(cid)} not found`,
    );
  }

  /** The JSON value of a value CID (20010 if absent). */
  value(cid: string): JsonValue {
    const text = this.stores.values.get(cid);
    if (text === undefined) this.missing('value', cid);
    // A stored value is read back as AquaVM reads it from data, floats included (serde_json).
    return parseJson(text, { aquaFloats: true });
  }

  /** The tetraplet of a tetraplet CID (20010 if absent). */
  tetraplet(cid: string): SecurityTetraplet {
    return this.stores.tetraplets.get(cid) ?? this.missing('tetraplet', cid);
  }

  /** A service result with its value and tetraplet resolved (20010 if anything is absent). */
  serviceResult(cid: string): {
    aggregate: ServiceResult;
    value: JsonValue;
    tetraplet: SecurityTetraplet;
  } {
    const aggregate =
      this.stores.serviceResults.get(cid) ?? this.missing('service result aggregate', cid);
    return {
      aggregate,
      value: this.value(aggregate.value_cid),
      tetraplet: this.tetraplet(aggregate.tetraplet_cid),
    };
  }

  /** A canon result resolved into a canon value (20010 if anything is absent). */
  canonResult(cid: string, isMap: boolean): CanonValue {
    const r = this.stores.canonResults.get(cid) ?? this.missing('canon result aggregate', cid);
    const values = r.values.map((ecid) => {
      const e = this.stores.canonElements.get(ecid) ?? this.missing('canon aggregate', ecid);
      return {
        value: this.value(e.value),
        tetraplet: this.tetraplet(e.tetraplet),
        provenance: e.provenance,
      };
    });
    return { values, tetraplet: this.tetraplet(r.tetraplet), cid, isMap };
  }

  /**
   * The literal tetraplet (init peer, no service, no function): one object per run, so that its
   * CID is hashed once (tetrapletCid keeps CIDs per object) however many literals the run uses.
   */
  literalTetraplet(): SecurityTetraplet {
    return (this.literal ??= literalTetraplet(this.params.initPeerId));
  }
}
