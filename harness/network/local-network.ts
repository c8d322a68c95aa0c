import { callResultText } from '../air/index.js';
import { ok, serviceError, type CallHandler, type ServiceCall } from './handlers.js';
import { KeyPair } from './key-pair.js';
import { DEFAULT_TTL_MS, type Particle } from './particle.js';
import type { ParticleDataStore } from './data-store.js';
import { Peer, type PeerEvent, type ParticleTransport } from './peer.js';
import type { AirRunner } from './vm-types.js';

/** Thrown when a particle started by `callAquaFunction` fails; the message names the particle. */
export class ParticleError extends Error {
  constructor(
    message: string,
    readonly particleId: string,
    readonly detail?: unknown,
  ) {
    super(`${message} (particle id: ${particleId})`);
    this.name = 'ParticleError';
  }
}

/** Options of an in-process network. */
export interface LocalNetworkOptions {
  /** Peers besides the relay and the client. Default 3. */
  readonly peers?: number;
  /** Makes the VM each peer runs (one instance per peer, as each Nox peer has its own). */
  readonly vm: () => AirRunner;
  /** Services to install on every peer (client included), e.g. test services. */
  readonly services?: (peer: Peer) => void;
  /** Deterministic identities: peer i gets a seed derived from this byte. */
  readonly seed?: number;
  /**
   * Whether the client sends every particle to the relay, as js-client does (default true).
   * Compiled Aqua routes through the relay itself; hand-written AIR that names peers directly
   * needs a client that reaches every peer (false).
   */
  readonly clientViaRelay?: boolean;
  /** Where each peer keeps particle data, by peer name (relay, p1…, client); default memory. */
  readonly dataStore?: (peerName: string) => ParticleDataStore;
}

/** How `callAquaFunction` runs one compiled Aqua function. */
export interface CallOptions {
  readonly ttl?: number;
  /** The particle's timestamp (default now); fixed timestamps make runs comparable. */
  readonly timestamp?: number;
  /** Callback arguments (`callbackSrv.<name>`), by argument name. */
  readonly callbacks?: Readonly<Record<string, (...args: unknown[]) => unknown>>;
}

/** Options of `runScript`: those of a call, the arguments, and an idle cut-off. */
export interface RunScriptOptions extends CallOptions {
  readonly args?: Readonly<Record<string, unknown>>;
  /** Settle as 'idle' once nothing is left to do anywhere (for AIR that sends no response). */
  readonly settleWhenIdle?: boolean;
}

/** How a script started by `runScript` ended. */
export type RunOutcome =
  | { readonly status: 'result'; readonly particleId: string; readonly value: unknown }
  | {
      readonly status: 'error';
      readonly particleId: string;
      readonly message: string;
      readonly detail?: unknown;
    }
  | { readonly status: 'expired' | 'idle'; readonly particleId: string; readonly message: string };

/**
 * An in-process network: a relay, N peers and a client connected to the relay, passing
 * particles through an asynchronous in-memory transport. Used by tests, `marine air run` and demos.
 */
export class LocalNetwork implements ParticleTransport {
  readonly relay: Peer;
  readonly peers: readonly Peer[];
  readonly client: Peer;
  readonly events: PeerEvent[] = [];
  readonly #byId = new Map<string, Peer>();
  // Peer id ↔ name (relay, p1…, client), the names scripts, specs and reports use.
  readonly #names = new Map<string, string>();
  readonly #ids = new Map<string, string>();
  readonly #listeners = new Set<(event: PeerEvent) => void>();
  readonly #clientViaRelay: boolean;
  #inTransit = 0;

  constructor(options: LocalNetworkOptions) {
    const count = options.peers ?? 3;
    const keyPair = (i: number): KeyPair =>
      options.seed === undefined
        ? KeyPair.random()
        : KeyPair.fromSecretKey(
            new Uint8Array(32).fill(options.seed).map((b, j) => (j === 0 ? i : b)),
          );
    this.#clientViaRelay = options.clientViaRelay !== false;
    const onEvent = (event: PeerEvent): void => this.#emit(event);
    const make = (i: number, name: string, relayPeerId?: string): Peer => {
      const peer = new Peer({
        keyPair: keyPair(i),
        vm: options.vm(),
        transport: this,
        onEvent,
        ...(relayPeerId === undefined ? {} : { relayPeerId }),
        ...(options.dataStore === undefined ? {} : { dataStore: options.dataStore(name) }),
      });
      this.#byId.set(peer.peerId, peer);
      this.#names.set(peer.peerId, name);
      this.#ids.set(name, peer.peerId);
      options.services?.(peer);
      return peer;
    };
    this.relay = make(0, 'relay');
    this.peers = Array.from({ length: count }, (_, i) => make(i + 1, `p${i + 1}`));
    this.client = make(count + 1, 'client', this.#clientViaRelay ? this.relay.peerId : undefined);
  }

  /** Every peer: relay, peers, client. */
  get all(): readonly Peer[] {
    return [this.relay, ...this.peers, this.client];
  }

  /** The name of a peer (relay, p1…, client); the id itself for a peer outside the network. */
  nameOf(peerId: string): string {
    return this.#names.get(peerId) ?? peerId;
  }

  /** The id of the peer with this name, if there is one. */
  peerIdOf(name: string): string | undefined {
    return this.#ids.get(name);
  }

  /** A JSON value with every string "$name" naming a peer (e.g. "$p1") replaced by its id. */
  withPeerIds(value: unknown): unknown {
    if (typeof value === 'string' && value.startsWith('$'))
      return this.#ids.get(value.slice(1)) ?? value;
    return Array.isArray(value) ? value.map((v) => this.withPeerIds(v)) : value;
  }

  /** AIR with every string literal "$name" replaced by that peer's id; an unknown name is an error. */
  withPeerIdsInAir(script: string): string {
    return script.replace(/"\$([a-z0-9]+)"/g, (_whole, name: string) => {
      const id = this.#ids.get(name);
      if (id === undefined) {
        throw new Error(
          `the script names peer "$${name}"; the network has ${[...this.#ids.keys()].join(', ')}`,
        );
      }
      return `"${id}"`;
    });
  }

  /** Text with every peer id replaced by `<name>`, for reports that must not depend on keys. */
  withPeerNames(text: string): string {
    let out = text;
    for (const [id, name] of this.#names) out = out.split(id).join(`<${name}>`);
    return out;
  }

  /** The peer with this id, if it is part of the network. */
  peer(peerId: string): Peer | undefined {
    return this.#byId.get(peerId);
  }

  /** Subscribes to every peer's events; returns the unsubscribe function. */
  onEvent(listener: (event: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** ParticleTransport: delivers on a later turn of the event loop, like a network would. */
  send(from: string, to: string, particle: Particle): void {
    const target = this.#byId.get(to);
    // A js-client-style client is connected to its relay only: other peers cannot reach it
    // (on a real network their attempt fails the same way).
    const unreachable =
      target === this.client && this.#clientViaRelay && from !== this.relay.peerId;
    this.#inTransit += 1;
    setImmediate(() => {
      this.#inTransit -= 1;
      if (target && !unreachable) {
        target.receive(particle, from);
        return;
      }
      this.#emit({
        type: 'dropped',
        peerId: from,
        particleId: particle.id,
        reason: unreachable
          ? `no route to the client ${to}: it is connected to its relay only`
          : `no route to peer ${to}`,
      });
    });
  }

  /**
   * Resolves once nothing is left to do anywhere: no particle in transit, no VM run, no service
   * call and no scheduled run on any peer. Exact, unlike waiting for a quiet period.
   */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#inTransit === 0 && this.all.every((peer) => peer.idle)) resolve();
        else setTimeout(check, 1);
      };
      setImmediate(check);
    });
  }

  /**
   * Runs a compiled Aqua function from the client with js-client's conventions: arguments from
   * `getDataSrv.<name>`, the relay from `getDataSrv.-relay-`, the result from
   * `callbackSrv.response`, errors from `errorHandlingSrv.error`. Resolves with the result
   * (null, the single value, or an array for several); rejects with a ParticleError.
   */
  async callAquaFunction(
    script: string,
    args: Readonly<Record<string, unknown>>,
    options: CallOptions = {},
  ): Promise<unknown> {
    const outcome = await this.runScript(script, { ...options, args });
    if (outcome.status === 'result') return outcome.value;
    throw new ParticleError(
      outcome.message,
      outcome.particleId,
      outcome.status === 'error' ? outcome.detail : undefined,
    );
  }

  /**
   * Starts a script from the client and reports how it ended: a result through
   * `callbackSrv.response`, an error (through `errorHandlingSrv.error`, or the client's VM
   * failing), expiry, or — with `settleWhenIdle` — the network running out of work with neither.
   */
  runScript(script: string, options: RunScriptOptions = {}): Promise<RunOutcome> {
    const ttl = options.ttl ?? DEFAULT_TTL_MS;
    const args = options.args ?? {};
    const particle = this.client.createParticle(script, {
      ttl,
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    });
    const particleId = particle.id;
    return new Promise((resolve) => {
      let settled = false;
      const expiryTimer = setTimeout(
        () =>
          settle({
            status: 'expired',
            particleId,
            message: `Particle expired after ttl of ${ttl} ms`,
          }),
        ttl,
      );
      const settle = (outcome: RunOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(expiryTimer);
        unsubscribe();
        resolve(outcome);
      };
      const handler: CallHandler = (call: ServiceCall) => {
        if (call.serviceId === 'getDataSrv') {
          if (call.functionName === '-relay-') return ok(this.relay.peerId);
          if (Object.hasOwn(args, call.functionName)) return ok(args[call.functionName]);
          return serviceError(`no argument named '${call.functionName}' was given`);
        }
        if (call.serviceId === 'callbackSrv') {
          if (call.functionName === 'response') {
            const value =
              call.args.length === 0
                ? null
                : call.args.length === 1
                  ? call.args[0]
                  : [...call.args];
            settle({ status: 'result', particleId, value });
            return ok('');
          }
          const callback = options.callbacks?.[call.functionName];
          if (callback) return ok(callback(...call.args));
          return undefined;
        }
        if (call.serviceId === 'errorHandlingSrv' && call.functionName === 'error') {
          const detail = call.args[0];
          const message =
            detail !== null && typeof detail === 'object' && 'message' in detail
              ? String((detail as { message: unknown }).message)
              : callResultText(detail);
          settle({
            status: 'error',
            particleId,
            message: `Aqua function failed: ${message}`,
            detail,
          });
          return ok('');
        }
        return undefined;
      };
      const unsubscribe = this.onEvent((event) => {
        if (
          event.type === 'invoked' &&
          event.peerId === this.client.peerId &&
          event.particleId === particleId &&
          event.retCode !== 0
        ) {
          settle({
            status: 'error',
            particleId,
            message: `Script interpretation failed: ${event.errorMessage}`,
          });
        }
      });
      this.client.setParticleHandlers(particleId, [handler]);
      this.client.initiate(particle);
      if (options.settleWhenIdle) {
        void this.whenIdle().then(() =>
          settle({
            status: 'idle',
            particleId,
            message: 'the network ran out of work without a response',
          }),
        );
      }
    });
  }

  #emit(event: PeerEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** Forgets all particle state on every peer. */
  stop(): void {
    for (const peer of this.all) peer.stop();
  }
}
