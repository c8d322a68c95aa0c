import {
  createParticle,
  hasValidSignature,
  timeLeft,
  toBase64,
  type CallRequest,
  type CallResult,
  type KeyPair,
  type Particle,
} from '../protocol/index.js';
import { MemoryDataStore, type ParticleDataStore } from './data-store.js';
import { PeerEvents, type PeerEvent, type SizeLimitName } from './events.js';
import {
  ServiceRegistry,
  functionService,
  runHandlerChain,
  type CallHandler,
  type ServiceFunction,
} from './handlers.js';
import { nextTurn } from './schedule.js';
import type { Transport } from './transport.js';
import type { AirRunner, InvokeOutcome } from './vm-types.js';

/** What a peer is made of. */
export interface PeerInit {
  readonly keyPair: KeyPair;
  readonly vm: AirRunner;
  readonly transport: Transport;
  /** When set, every outgoing particle goes to this relay, whatever the VM's next peers (js-client). */
  readonly relayPeerId?: string;
  /** Services by id, builtins included (default: none). */
  readonly services?: ServiceRegistry;
  /** Where `prevData` lives between runs (default: memory). */
  readonly dataStore?: ParticleDataStore;
  /** Receives every event (the same as `peer.events.onAny`). */
  readonly onEvent?: (event: PeerEvent) => void;
  /**
   * Least time in ms between two sends of one particle from this peer (default 0: no pacing).
   * A send owed within that time of the last one waits for its end and carries the data of every
   * run made meanwhile (see #owe); the first send of a quiet particle goes out at once.
   */
  readonly sendIntervalMs?: number;
  /**
   * Least time in ms between two sends of one particle from this peer while calls of that
   * particle still run here (default 0: sendIntervalMs applies). Their results leave together
   * instead of one particle each; the send after the last of them goes at once.
   */
  readonly sendHoldMs?: number;
}

const EMPTY = new Uint8Array(0);

// How many runs in a row may hold back their sends while particles keep arriving (see #route).
const MAX_DEFERRED_RUNS = 16;

// One actor per particle (keyed like Nox, by id and signature): VM runs for a particle happen one
// at a time, with call results that arrived meanwhile batched into the next run.
interface ParticleActor {
  readonly key: string;
  readonly particle: Particle;
  readonly incoming: Uint8Array[];
  results: Map<number, CallResult>;
  running: boolean;
  // Aborted when the actor closes (expiry, or the peer stops): cancels its calls and sends.
  readonly abort: AbortController;
  readonly expiry: ReturnType<typeof setTimeout>;
  // Peers owed this particle, with the data of the latest run, until the paced send (#owe).
  readonly owed: Set<string>;
  owedData: Uint8Array;
  // When this particle was last sent (performance.now()), and the timer of a send held back.
  lastSentAt: number;
  sendTimer: ReturnType<typeof setTimeout> | undefined;
  // When the held send is due (performance.now() time).
  sendDue: number;
  // Calls of this particle running on this peer now (see #spacing).
  callsRunning: number;
}

/**
 * A peer: keeps `prevData` per particle, runs the VM, executes call requests through its handler
 * chain (per-particle handlers, then services by id, then catch-all handlers), and sends
 * particles on through its transport. `start` begins taking particles from the transport; `stop`
 * ends every particle and waits for work in progress.
 */
export class Peer {
  readonly peerId: string;
  /** Services by id and alias (builtins included). */
  readonly services: ServiceRegistry;
  /** Typed events: what `marine air run` prints and tests assert on. */
  readonly events = new PeerEvents();
  readonly #init: PeerInit;
  readonly #actors = new Map<string, ParticleActor>();
  readonly #handlers: CallHandler[] = [];
  readonly #particleHandlers = new Map<string, CallHandler[]>();
  readonly #store: ParticleDataStore;
  #unlisten: (() => void) | undefined;
  // Work in progress, so a network can tell exactly when everything has settled.
  #runningDrains = 0;
  #pendingCalls = 0;
  #scheduledDrains = 0;
  #heldSends = 0;

  constructor(init: PeerInit) {
    this.#init = init;
    this.peerId = init.keyPair.peerId;
    this.#store = init.dataStore ?? new MemoryDataStore();
    this.services = init.services ?? new ServiceRegistry();
    if (init.onEvent) this.events.onAny(init.onEvent);
  }

  /** Starts taking particles from the transport (idempotent). */
  start(): void {
    this.#unlisten ??= this.#init.transport.listen((particle, from) =>
      this.receive(particle, from),
    );
  }

  /** Stops taking particles, ends every particle (its calls and sends are aborted) and waits for runs in progress. */
  async stop(): Promise<void> {
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const key of [...this.#actors.keys()]) this.#closeActor(key);
    while (!this.idle) await new Promise<void>((resolve) => nextTurn(resolve));
  }

  /** Adds a catch-all handler, consulted after the services registered by id. */
  addHandler(handler: CallHandler): void {
    this.#handlers.push(handler);
  }

  /** Registers a JS service under `serviceId`. */
  registerService(serviceId: string, functions: Readonly<Record<string, ServiceFunction>>): void {
    this.services.register(serviceId, functionService(serviceId, functions));
  }

  /** Handlers that answer only calls of one particle, consulted first (js-client's per-particle services). */
  setParticleHandlers(particleId: string, handlers: CallHandler[]): void {
    this.#particleHandlers.set(particleId, handlers);
  }

  /** Whether this peer has no VM run, service call or scheduled run in progress. */
  get idle(): boolean {
    return (
      this.#runningDrains === 0 &&
      this.#pendingCalls === 0 &&
      this.#scheduledDrains === 0 &&
      this.#heldSends === 0
    );
  }

  /** Number of particles this peer currently keeps state for. */
  get activeParticles(): number {
    return this.#actors.size;
  }

  /** A new particle initiated and signed by this peer. */
  createParticle(
    script: string,
    options: { ttl?: number; timestamp?: number; id?: string } = {},
  ): Particle {
    return createParticle(this.#init.keyPair, script, options);
  }

  /** Starts a particle this peer initiated (it runs the VM on it first, with empty data). */
  initiate(particle: Particle): void {
    this.receive(particle, this.peerId);
  }

  /** Accepts a particle from the network (or from itself). */
  receive(particle: Particle, from: string): void {
    const drop = (reason: string): void =>
      this.#emit({ type: 'dropped', peerId: this.peerId, particleId: particle.id, reason });
    if (timeLeft(particle) <= 0) return drop('Particle is expired');
    if (!hasValidSignature(particle))
      return drop('particle signature is not valid for its init peer');
    this.#emit({ type: 'received', peerId: this.peerId, particleId: particle.id, from });
    const actor = this.#actorFor(particle);
    actor.incoming.push(particle.data);
    void this.#drain(actor);
  }

  /** The data this peer keeps for a particle it is working on (undefined once it expired). */
  async particleData(particleId: string): Promise<Uint8Array | undefined> {
    const actor = [...this.#actors.values()].find((a) => a.particle.id === particleId);
    return actor === undefined ? undefined : this.#store.read(actor.key);
  }

  #actorFor(particle: Particle): ParticleActor {
    const key = actorKey(particle);
    const existing = this.#actors.get(key);
    if (existing) return existing;
    const expiry = setTimeout(() => this.#closeActor(key), Math.max(0, timeLeft(particle)));
    (expiry as { unref?: () => void }).unref?.();
    const actor: ParticleActor = {
      key,
      particle,
      incoming: [],
      results: new Map(),
      running: false,
      abort: new AbortController(),
      expiry,
      owed: new Set(),
      owedData: EMPTY,
      lastSentAt: -Infinity,
      sendTimer: undefined,
      sendDue: Infinity,
      callsRunning: 0,
    };
    this.#actors.set(key, actor);
    return actor;
  }

  #closeActor(key: string): void {
    const actor = this.#actors.get(key);
    if (!actor) return;
    actor.abort.abort(new Error(`particle ${actor.particle.id} ended on ${this.peerId}`));
    clearTimeout(actor.expiry);
    this.#cancelHeldSend(actor);
    this.#actors.delete(key);
    this.#particleHandlers.delete(actor.particle.id);
    void this.#store.remove(key).catch(() => {});
  }

  async #drain(actor: ParticleActor): Promise<void> {
    if (actor.running) return;
    actor.running = true;
    this.#runningDrains += 1;
    // Runs whose sends waited for the particles queued here to be merged (see #route).
    let deferredRuns = 0;
    try {
      while (!actor.abort.signal.aborted && (actor.incoming.length > 0 || actor.results.size > 0)) {
        const data = actor.incoming.shift() ?? EMPTY;
        const results = actor.results;
        actor.results = new Map();
        const outcome = await this.#invoke(actor, data, results);
        if (outcome === undefined) return;
        try {
          await this.#store.write(actor.key, outcome.data);
        } catch (error) {
          // Without its data the particle cannot go on here; other particles are unaffected.
          this.#emit({
            type: 'dropped',
            peerId: this.peerId,
            particleId: actor.particle.id,
            reason: `cannot store particle data: ${messageOf(error)}`,
          });
          this.#closeActor(actor.key);
          return;
        }
        if (actor.abort.signal.aborted) {
          // The particle ended while its data was being written: nothing of it may stay behind.
          await this.#store.remove(actor.key).catch(() => {});
          const cutShort =
            outcome.callRequests.size > 0 || outcome.nextPeerPks.some((p) => p !== this.peerId);
          if (cutShort && timeLeft(actor.particle) <= 0) {
            // Its deadline passed during this run: say so, or its caller only sees the TTL.
            this.#emit({
              type: 'dropped',
              peerId: this.peerId,
              particleId: actor.particle.id,
              reason: 'Particle is expired: its deadline passed while this peer ran it',
            });
          }
          return;
        }
        this.#route(actor, outcome);
        if (
          actor.owed.size > 0 &&
          (actor.incoming.length === 0 || ++deferredRuns >= MAX_DEFERRED_RUNS)
        ) {
          this.#owe(actor);
          deferredRuns = 0;
        }
        for (const [callId, request] of outcome.callRequests) {
          void this.#execute(actor, callId, request);
        }
      }
    } finally {
      actor.running = false;
      this.#runningDrains -= 1;
    }
  }

  async #invoke(
    actor: ParticleActor,
    data: Uint8Array,
    results: Map<number, CallResult>,
  ): Promise<InvokeOutcome | undefined> {
    const { particle } = actor;
    try {
      // A store that cannot be read is a fault of this peer: the catch below drops the particle.
      const prevData = (await this.#store.read(actor.key)) ?? EMPTY;
      const outcome = await this.#init.vm.invoke(
        particle.script,
        prevData,
        data,
        {
          initPeerId: particle.initPeerId,
          currentPeerId: this.peerId,
          timestamp: particle.timestamp,
          ttl: particle.ttl,
          particleId: particle.id,
          secretKey: this.#init.keyPair.secretKey,
        },
        results,
      );
      this.#emit({
        type: 'invoked',
        peerId: this.peerId,
        particleId: particle.id,
        retCode: outcome.retCode,
        errorMessage: outcome.errorMessage,
        nextPeerPks: outcome.nextPeerPks,
        callRequests: outcome.callRequests.size,
        dataBytes: outcome.data.length,
      });
      const limits = exceededLimits(outcome);
      if (limits.length > 0) {
        this.#emit({
          type: 'size-limit-exceeded',
          peerId: this.peerId,
          particleId: particle.id,
          limits,
        });
      }
      return outcome;
    } catch (error) {
      // A VM fault loses this particle on this peer only; the peer keeps serving others.
      this.#emit({
        type: 'dropped',
        peerId: this.peerId,
        particleId: particle.id,
        reason: `VM failed: ${messageOf(error)}`,
      });
      this.#closeActor(actor.key);
      return undefined;
    }
  }

  // Next peers of a run: this peer's own share goes back into its queue; the others are added to
  // the actor's `owed`. While more particles wait in the queue, the sends wait too (up to
  // MAX_DEFERRED_RUNS runs) and go out once, with the data merged from all of them: data only
  // grows from run to run, so a peer owed an earlier state loses nothing by getting the later
  // one, and a relay that forwards 64 results arriving together sends a few particles instead of
  // 64, each of which its receiver would have had to run the VM on in turn.
  #route(actor: ParticleActor, outcome: InvokeOutcome): void {
    actor.owedData = outcome.data;
    for (const next of outcome.nextPeerPks) {
      if (next === this.peerId) actor.incoming.push(outcome.data);
      else actor.owed.add(this.#init.relayPeerId ?? next);
    }
  }

  // Sends what is owed now, or once the particle's spacing has passed since its last send:
  // results that arrive a few ms apart, not together, then still leave in one particle, and the
  // receiver runs its VM once for them. A particle sent rarely (a request, its answer) never
  // waits; the data sent is the latest, so waiting loses nothing.
  #owe(actor: ParticleActor): void {
    const due = actor.lastSentAt + this.#spacing(actor);
    if (actor.sendTimer !== undefined) {
      // The held send will carry this run's data. It may go sooner now: the calls it waited for
      // have ended.
      if (due >= actor.sendDue) return;
      this.#cancelHeldSend(actor);
    }
    const wait = due - performance.now();
    if (wait <= 0) {
      this.#flush(actor);
      return;
    }
    this.#heldSends += 1;
    actor.sendDue = due;
    actor.sendTimer = setTimeout(() => {
      actor.sendTimer = undefined;
      this.#heldSends -= 1;
      if (!actor.abort.signal.aborted) this.#flush(actor);
    }, wait);
  }

  // Least time between two sends of a particle: sendIntervalMs, or sendHoldMs while calls of it
  // still run here. Those calls' results will follow soon (a fan-out's share of calls on this
  // peer ends one by one), and each send costs its receiver a VM run, so they leave together; the
  // send after the last call is not held, so the end of a fan-out comes no later.
  #spacing(actor: ParticleActor): number {
    const interval = this.#init.sendIntervalMs ?? 0;
    return actor.callsRunning > 0 ? Math.max(interval, this.#init.sendHoldMs ?? 0) : interval;
  }

  #cancelHeldSend(actor: ParticleActor): void {
    if (actor.sendTimer === undefined) return;
    clearTimeout(actor.sendTimer);
    actor.sendTimer = undefined;
    this.#heldSends -= 1;
  }

  #flush(actor: ParticleActor): void {
    if (actor.owed.size === 0) return;
    actor.lastSentAt = performance.now();
    this.#send(actor, actor.owedData, actor.owed);
    actor.owed.clear();
  }

  #send(actor: ParticleActor, data: Uint8Array, targets: ReadonlySet<string>): void {
    // A fixed order (AquaVM's next-peer order varies from run to run) keeps runs reproducible.
    for (const to of [...targets].sort()) {
      const particleId = actor.particle.id;
      this.#emit({ type: 'sent', from: this.peerId, to, particleId });
      this.#init.transport
        .send(to, { ...actor.particle, data }, { signal: actor.abort.signal })
        .catch((error: unknown) =>
          this.#emit({
            type: 'dropped',
            peerId: this.peerId,
            particleId,
            reason: messageOf(error),
          }),
        );
    }
  }

  async #execute(actor: ParticleActor, callId: number, request: CallRequest): Promise<void> {
    this.#pendingCalls += 1;
    actor.callsRunning += 1;
    try {
      await this.#executeCall(actor, callId, request);
    } finally {
      this.#pendingCalls -= 1;
      actor.callsRunning -= 1;
    }
  }

  async #executeCall(actor: ParticleActor, callId: number, request: CallRequest): Promise<void> {
    const { particle } = actor;
    const handlers = [
      ...(this.#particleHandlers.get(particle.id) ?? []),
      this.services.asHandler(),
      ...this.#handlers,
    ];
    const result = await runHandlerChain(handlers, {
      serviceId: request.serviceId,
      functionName: request.functionName,
      args: request.arguments,
      tetraplets: request.tetraplets,
      peerId: this.peerId,
      particle: {
        particleId: particle.id,
        initPeerId: particle.initPeerId,
        timestamp: particle.timestamp,
        ttl: particle.ttl,
        signature: particle.signature,
      },
      signal: actor.abort.signal,
    });
    this.#emit({
      type: 'call',
      peerId: this.peerId,
      particleId: particle.id,
      callId,
      request,
      result,
    });
    if (actor.abort.signal.aborted) return;
    actor.results.set(callId, result);
    // Drain on a later turn so results that complete together reach the VM in one run, as Nox
    // batches them, instead of one VM run per result.
    this.#scheduledDrains += 1;
    nextTurn(() => {
      this.#scheduledDrains -= 1;
      void this.#drain(actor);
    });
  }

  #emit(event: PeerEvent): void {
    this.events.emit(event);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function exceededLimits(outcome: InvokeOutcome): SizeLimitName[] {
  const limits: SizeLimitName[] = [];
  if (outcome.airSizeLimitExceeded) limits.push('air');
  if (outcome.particleSizeLimitExceeded) limits.push('particle');
  if (outcome.callResultSizeLimitExceeded) limits.push('call-result');
  return limits;
}

function actorKey(particle: Particle): string {
  return `${particle.id}/${toBase64(particle.signature)}`;
}
