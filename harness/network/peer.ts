import { builtinHandlers, type PeerIdentity } from './builtins.js';
import {
  runHandlerChain,
  serviceHandler,
  type CallHandler,
  type ServiceFunction,
} from './handlers.js';
import { MemoryDataStore, type ParticleDataStore } from './data-store.js';
import type { KeyPair } from './key-pair.js';
import { createParticle, hasValidSignature, timeLeft, type Particle } from './particle.js';
import type { AirRunner, CallRequest, CallResult, InvokeOutcome } from './vm-types.js';

/** A size limit the VM checks: the AIR script, the incoming particle data, a call result. */
export type SizeLimitName = 'air' | 'particle' | 'call-result';

/** Something a peer reports while it works: what `marine air run` prints and tests assert on. */
export type PeerEvent =
  | {
      readonly type: 'received';
      readonly peerId: string;
      readonly particleId: string;
      readonly from: string;
    }
  | {
      readonly type: 'invoked';
      readonly peerId: string;
      readonly particleId: string;
      readonly retCode: number;
      readonly errorMessage: string;
      readonly nextPeerPks: readonly string[];
      readonly callRequests: number;
      readonly dataBytes: number;
    }
  | {
      readonly type: 'call';
      readonly peerId: string;
      readonly particleId: string;
      readonly callId: number;
      readonly request: CallRequest;
      readonly result: CallResult;
    }
  | {
      readonly type: 'sent';
      readonly from: string;
      readonly to: string;
      readonly particleId: string;
    }
  | {
      readonly type: 'dropped';
      readonly peerId: string;
      readonly particleId: string;
      readonly reason: string;
    }
  | {
      /**
       * The VM flagged size limits in a run (soft limits: the run went on; hard: it failed with
       * error 10). Nox records such a run as an anomaly.
       */
      readonly type: 'size-limit-exceeded';
      readonly peerId: string;
      readonly particleId: string;
      readonly limits: readonly SizeLimitName[];
    };

/** How a peer hands a particle to another peer. */
export interface ParticleTransport {
  send(from: string, to: string, particle: Particle): void;
}

/** Options of a peer. */
export interface PeerOptions {
  readonly keyPair: KeyPair;
  readonly vm: AirRunner;
  readonly transport: ParticleTransport;
  /** When set, every outgoing particle goes to this relay, whatever the VM's next peers (js-client). */
  readonly relayPeerId?: string;
  readonly identity?: Partial<PeerIdentity>;
  /** Where `prevData` lives between runs (default: memory). */
  readonly dataStore?: ParticleDataStore;
  readonly onEvent?: (event: PeerEvent) => void;
}

const EMPTY = new Uint8Array(0);

// One actor per particle (keyed like Nox, by id and signature): VM runs for a particle happen one
// at a time, with call results that arrived meanwhile batched into the next run.
interface ParticleActor {
  readonly key: string;
  readonly particle: Particle;
  readonly incoming: Uint8Array[];
  results: Map<number, CallResult>;
  running: boolean;
  closed: boolean;
  readonly expiry: NodeJS.Timeout;
}

/** A peer: keeps `prevData` per particle, runs the VM, executes call requests, forwards particles. */
export class Peer {
  readonly peerId: string;
  readonly #options: PeerOptions;
  readonly #actors = new Map<string, ParticleActor>();
  readonly #services: CallHandler[] = [];
  readonly #particleHandlers = new Map<string, CallHandler[]>();
  readonly #builtins: CallHandler[];
  readonly #store: ParticleDataStore;
  // Work in progress, so a network can tell exactly when everything has settled.
  #runningDrains = 0;
  #pendingCalls = 0;
  #scheduledDrains = 0;

  constructor(options: PeerOptions) {
    this.#options = options;
    this.peerId = options.keyPair.peerId;
    this.#store = options.dataStore ?? new MemoryDataStore();
    this.#builtins = builtinHandlers({
      external_addresses: [],
      node_version: 'marine-ts',
      air_version: 'marine-ts',
      spell_version: 'none',
      allowed_binaries: [],
      ...options.identity,
    });
  }

  /** Adds a handler after the builtins and the services registered before it. */
  addHandler(handler: CallHandler): void {
    this.#services.push(handler);
  }

  /** Registers a JS service under `serviceId`. */
  registerService(serviceId: string, functions: Readonly<Record<string, ServiceFunction>>): void {
    this.addHandler(serviceHandler(serviceId, functions));
  }

  /** Handlers that answer only calls of one particle, consulted first (js-client's per-particle services). */
  setParticleHandlers(particleId: string, handlers: CallHandler[]): void {
    this.#particleHandlers.set(particleId, handlers);
  }

  /** Whether this peer has no VM run, service call or scheduled run in progress. */
  get idle(): boolean {
    return this.#runningDrains === 0 && this.#pendingCalls === 0 && this.#scheduledDrains === 0;
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
    return createParticle(this.#options.keyPair, script, options);
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

  /** Forgets every particle (their timers included). */
  stop(): void {
    for (const key of [...this.#actors.keys()]) this.#closeActor(key);
  }

  #actorFor(particle: Particle): ParticleActor {
    const key = actorKey(particle);
    const existing = this.#actors.get(key);
    if (existing) return existing;
    const expiry = setTimeout(() => this.#closeActor(key), Math.max(0, timeLeft(particle)));
    expiry.unref();
    const actor: ParticleActor = {
      key,
      particle,
      incoming: [],
      results: new Map(),
      running: false,
      closed: false,
      expiry,
    };
    this.#actors.set(key, actor);
    return actor;
  }

  #closeActor(key: string): void {
    const actor = this.#actors.get(key);
    if (!actor) return;
    actor.closed = true;
    clearTimeout(actor.expiry);
    this.#actors.delete(key);
    this.#particleHandlers.delete(actor.particle.id);
    void this.#store.remove(key).catch(() => {});
  }

  async #drain(actor: ParticleActor): Promise<void> {
    if (actor.running) return;
    actor.running = true;
    this.#runningDrains += 1;
    try {
      while (!actor.closed && (actor.incoming.length > 0 || actor.results.size > 0)) {
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
            reason: `cannot store particle data: ${error instanceof Error ? error.message : String(error)}`,
          });
          this.#closeActor(actor.key);
          return;
        }
        this.#route(actor, outcome);
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
      const outcome = await this.#options.vm.invoke(
        particle.script,
        prevData,
        data,
        {
          initPeerId: particle.initPeerId,
          currentPeerId: this.peerId,
          timestamp: particle.timestamp,
          ttl: particle.ttl,
          particleId: particle.id,
          secretKey: this.#options.keyPair.secretKey,
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
      const message = error instanceof Error ? error.message : String(error);
      this.#emit({
        type: 'dropped',
        peerId: this.peerId,
        particleId: particle.id,
        reason: `VM failed: ${message}`,
      });
      this.#closeActor(actorKey(particle));
      return undefined;
    }
  }

  #route(actor: ParticleActor, outcome: InvokeOutcome): void {
    const targets = new Set<string>();
    for (const next of outcome.nextPeerPks) {
      if (next === this.peerId) actor.incoming.push(outcome.data);
      else targets.add(this.#options.relayPeerId ?? next);
    }
    // A fixed order (AquaVM's next-peer order varies from run to run) keeps runs reproducible.
    for (const to of [...targets].sort()) {
      this.#emit({ type: 'sent', from: this.peerId, to, particleId: actor.particle.id });
      this.#options.transport.send(this.peerId, to, { ...actor.particle, data: outcome.data });
    }
  }

  async #execute(actor: ParticleActor, callId: number, request: CallRequest): Promise<void> {
    this.#pendingCalls += 1;
    try {
      await this.#executeCall(actor, callId, request);
    } finally {
      this.#pendingCalls -= 1;
    }
  }

  async #executeCall(actor: ParticleActor, callId: number, request: CallRequest): Promise<void> {
    const { particle } = actor;
    const handlers = [
      ...(this.#particleHandlers.get(particle.id) ?? []),
      ...this.#builtins,
      ...this.#services,
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
    });
    this.#emit({
      type: 'call',
      peerId: this.peerId,
      particleId: particle.id,
      callId,
      request,
      result,
    });
    if (actor.closed) return;
    actor.results.set(callId, result);
    // Drain on a later turn so results that complete together reach the VM in one run, as Nox
    // batches them, instead of one VM run per result.
    this.#scheduledDrains += 1;
    setImmediate(() => {
      this.#scheduledDrains -= 1;
      void this.#drain(actor);
    });
  }

  #emit(event: PeerEvent): void {
    this.#options.onEvent?.(event);
  }
}

function exceededLimits(outcome: InvokeOutcome): SizeLimitName[] {
  const limits: SizeLimitName[] = [];
  if (outcome.airSizeLimitExceeded) limits.push('air');
  if (outcome.particleSizeLimitExceeded) limits.push('particle');
  if (outcome.callResultSizeLimitExceeded) limits.push('call-result');
  return limits;
}

function actorKey(particle: Particle): string {
  return `${particle.id}/${Buffer.from(particle.signature).toString('base64')}`;
}
