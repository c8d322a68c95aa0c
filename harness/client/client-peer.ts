// The client (`marine-ts/client`'s ClientPeer): one peer connected to one relay, with
// js-client's API, and the connection semantics js-client lacks: the dial timeout is honoured and
// errors name the address, every state change is reported (a relay that goes away included), the
// client reconnects with backoff and re-sends particles that have not expired, keeps the
// connection alive with pings, rejects a call at once when the relay reports its particle
// dropped, measures clock skew against the relay, and can trace every particle.
import { AquaVM } from '../air/index.js';
import { registerBuiltins } from '../builtins/index.js';
import {
  DEFAULT_TTL_MS,
  timeLeft,
  utf8Length,
  type KeyPair as ProtocolKeyPair,
  type Particle,
} from '../protocol/index.js';
import {
  Peer,
  ServiceRegistry,
  type AirRunner,
  type ParticleReceiver,
  type PeerEvent,
  type ServiceFunction,
  type Transport,
} from '../peer/index.js';
import { KeyPair, fromOpts, type KeyPairOptions } from './key-pair.js';
import { libp2pDialer } from './libp2p-dialer.js';
import {
  relayTarget,
  type RelayDiagnostic,
  type RelayDialer,
  type RelayLink,
  type RelayOptions,
  type RelayTarget,
} from './relay-link.js';
import { ParticleError, runScript, type CallOptions } from './run-script.js';

/** The states of the connection to the relay (js-client's four). */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';

/** How the client reconnects after losing its relay. */
export interface ReconnectOptions {
  /** First delay before a new dial (default 100 ms). */
  readonly initialDelayMs?: number;
  /** Longest delay between dials (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** Growth of the delay after each failed dial (default 2). */
  readonly factor?: number;
  /** Dials before giving up and staying disconnected (default unlimited). */
  readonly maxAttempts?: number;
}

/** Connection options: js-client's, plus reconnect and keep-alive. */
export interface ConnectionOptions {
  /** Give up dialing after this long (default 10000 ms); the error names the address. */
  readonly dialTimeoutMs?: number;
  /** Skip the round trip through the relay at connect (which also measures clock skew). */
  readonly skipCheckConnection?: boolean;
  /** Accepted for js-client compatibility; the transport decides stream limits. */
  readonly maxInboundStreams?: number;
  /** Accepted for js-client compatibility; the transport decides stream limits. */
  readonly maxOutboundStreams?: number;
  /** Reconnect after losing the relay (default on); false stays disconnected. */
  readonly reconnect?: ReconnectOptions | false;
  /** Ping the relay this often (default 5000 ms); false never pings. */
  readonly keepAliveMs?: number | false;
  /** A ping that takes longer than this means the connection is lost (default 10 000 ms). */
  readonly pingTimeoutMs?: number;
}

/** A particle's life as the client sees it (the opt-in trace). */
export interface TraceEvent {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly particleId: string;
  readonly kind:
    'sent' | 'received' | 'vm-run' | 'service-called' | 'result' | 'dropped' | 'resent';
  /** One line for people. */
  readonly detail: string;
}

/** A warning about the connection: clock skew that would expire particles early. */
export interface ClientWarning {
  readonly kind: 'clock-skew';
  readonly message: string;
  readonly skewMs: number;
}

/** The clock of the relay against ours, measured at connect. */
export interface ClockSkew {
  /** Relay clock minus ours (positive: the relay is ahead, particles lose that much TTL there). */
  readonly skewMs: number;
  /** The round trip it was measured over. */
  readonly rttMs: number;
}

/** The client's configuration: js-client's ClientConfig plus what this client adds. */
export interface ClientConfig {
  /** The key: js-client's options, or a KeyPair (default random). */
  readonly keyPair?: KeyPairOptions | KeyPair;
  readonly connectionOptions?: ConnectionOptions;
  /** TTL of particles the client starts (default 7000 ms, as js-client). */
  readonly defaultTtlMs?: number;
  /** Accepted for js-client compatibility (this client loads no Wasm from a CDN). */
  readonly CDNUrl?: string;
  readonly debug?: { readonly printParticleId?: boolean };
  /** How to reach the relay (default: the one set with `setDefaultDialer`). */
  readonly dialer?: RelayDialer;
  /** The AIR VM (default: marine-ts's AquaVM). */
  readonly vm?: AirRunner;
  /** Trace every particle: true keeps a log (`traceLog()`), a function also receives each event. */
  readonly trace?: boolean | ((event: TraceEvent) => void);
  /** Particles larger than this are refused before they are sent (default 4 MiB, what js-client accepts). */
  readonly maxParticleBytes?: number;
  /** Warn when the relay's clock is ahead by more than this share of the default TTL (default 0.1). */
  readonly clockSkewWarningRatio?: number;
}

/** Thrown when the client cannot connect; names the relay's address and why. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    message: string,
    readonly address: string,
  ) {
    super(message);
  }
}

/** Thrown when a call needs a connection and the client has none. */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}

// WebSockets through libp2p, as js-client connects; setDefaultDialer replaces it.
let defaultDialer: RelayDialer | undefined = libp2pDialer();

/** Sets the dialer clients use when their config names none (the package entry sets libp2p's). */
export function setDefaultDialer(dialer: RelayDialer | undefined): void {
  defaultDialer = dialer;
}

const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
const DEFAULT_KEEP_ALIVE_MS = 5000;
// Nox's outbound-substream timeout: a busy relay may take seconds to answer, and is not lost.
const DEFAULT_PING_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PARTICLE_BYTES = 4 * 1024 * 1024;
// Fields besides the script and data (id, peer id, signature, framing) in a frame, at most.
const PARTICLE_OVERHEAD_BYTES = 512;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** A client peer connected to one relay, with js-client's API. */
export class ClientPeer {
  /** The peer that runs particles (VM, services); every particle it sends goes to the relay. */
  readonly peer: Peer;
  readonly relay: RelayTarget;
  readonly keyPair: KeyPair;
  readonly config: ClientConfig;
  #state: ConnectionState = 'disconnected';
  #link: RelayLink | undefined;
  #linkGeneration = 0;
  #receive: ParticleReceiver | undefined;
  readonly #stateListeners = new Set<(state: ConnectionState) => void>();
  readonly #traceListeners = new Set<(event: TraceEvent) => void>();
  readonly #warningListeners = new Set<(warning: ClientWarning) => void>();
  readonly #trace: TraceEvent[] = [];
  readonly #warnings: ClientWarning[] = [];
  // The last particle sent per id: re-sent after a reconnect while it has not expired.
  readonly #lastSent = new Map<string, Particle>();
  // Calls in progress: a relay's diagnostic for one of them ends it at once.
  readonly #pending = new Map<string, (message: string, detail?: unknown) => void>();
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectAttempt = 0;
  #wantConnected = false;
  #connecting: Promise<void> | undefined;
  #clockSkew: ClockSkew | undefined;

  constructor(relay: RelayOptions, keyPair: KeyPair, config: ClientConfig = {}) {
    this.relay = relayTarget(relay);
    this.keyPair = keyPair;
    this.config = config;
    const services = new ServiceRegistry();
    registerBuiltins(services, { node_version: 'marine-ts client' });
    const transport: Transport = {
      send: (_to, particle) => this.#sendToRelay(particle),
      listen: (receive) => {
        this.#receive = receive;
        return () => {
          if (this.#receive === receive) this.#receive = undefined;
        };
      },
    };
    this.peer = new Peer({
      keyPair: keyPair.protocolKeyPair,
      vm: config.vm ?? new AquaVM(),
      transport,
      services,
      relayPeerId: this.relay.peerId,
    });
    // A particle of a call in progress dropped here (expired before it left, a VM fault, a send
    // that failed) ends that call at once instead of at its TTL.
    this.peer.events.on('dropped', (event) => {
      if (event.peerId !== this.peer.peerId) return;
      this.#pending.get(event.particleId)?.(
        `particle dropped by client ${this.peer.peerId}: ${event.reason}`,
      );
    });
    if (config.trace !== undefined && config.trace !== false) {
      if (typeof config.trace === 'function') this.#traceListeners.add(config.trace);
      this.peer.events.onAny((event) => this.#traceFromPeer(event));
    }
    this.peer.start();
  }

  /** This client's peer id. */
  getPeerId(): string {
    return this.peer.peerId;
  }

  /** The relay's peer id. */
  getRelayPeerId(): string {
    return this.relay.peerId;
  }

  /** The connection state now. */
  get connectionState(): ConnectionState {
    return this.#state;
  }

  /** Calls `handler` on every state change; returns the state now (as js-client does). */
  onConnectionStateChange(handler: (state: ConnectionState) => void): ConnectionState {
    this.#stateListeners.add(handler);
    return this.#state;
  }

  /** Stops calling a state handler. */
  offConnectionStateChange(handler: (state: ConnectionState) => void): void {
    this.#stateListeners.delete(handler);
  }

  /** Calls `listener` for every trace event (needs `trace` in the config); returns the unsubscribe function. */
  onTrace(listener: (event: TraceEvent) => void): () => void {
    this.#traceListeners.add(listener);
    return () => this.#traceListeners.delete(listener);
  }

  /** The trace so far, one line per event. */
  traceLog(): string[] {
    return this.#trace.map(
      (e) => `${new Date(e.at).toISOString()} ${e.particleId} ${e.kind}: ${e.detail}`,
    );
  }

  /** The trace events so far. */
  get traceEvents(): readonly TraceEvent[] {
    return this.#trace;
  }

  /** Calls `listener` for every warning; returns the unsubscribe function. */
  onWarning(listener: (warning: ClientWarning) => void): () => void {
    this.#warningListeners.add(listener);
    return () => this.#warningListeners.delete(listener);
  }

  /** Warnings so far (e.g. clock skew found at connect). */
  get warnings(): readonly ClientWarning[] {
    return this.#warnings;
  }

  /** The relay's clock against ours, as measured at the last connect (unless skipped). */
  get clockSkew(): ClockSkew | undefined {
    return this.#clockSkew;
  }

  /** The TTL of particles this client starts. */
  get defaultTtlMs(): number {
    return this.config.defaultTtlMs ?? DEFAULT_TTL_MS;
  }

  /** Connects to the relay; rejects with a ConnectionError naming the address. */
  async connect(): Promise<void> {
    this.#wantConnected = true;
    if (this.#state === 'connected') return;
    this.#connecting ??= this.#dial().finally(() => {
      this.#connecting = undefined;
    });
    await this.#connecting;
  }

  /** Closes the connection and stops reconnecting; particles in flight end with their TTL. */
  async disconnect(): Promise<void> {
    this.#wantConnected = false;
    clearTimeout(this.#reconnectTimer);
    this.#stopKeepAlive();
    const link = this.#link;
    this.#link = undefined;
    this.#linkGeneration += 1;
    if (this.#state !== 'disconnected') this.#setState('disconnecting');
    await link?.close().catch(() => {});
    this.#setState('disconnected');
  }

  /** Disconnects and stops the peer (its particles end). */
  async stop(): Promise<void> {
    await this.disconnect();
    await this.peer.stop();
  }

  /**
   * Runs a compiled Aqua function with js-client's conventions: arguments through getDataSrv,
   * callbacks through callbackSrv, the result through callbackSrv.response. Rejects with a
   * ParticleError at once when the relay reports the particle dropped.
   */
  async callScript(
    script: string,
    args: Readonly<Record<string, unknown>>,
    options: CallOptions & {
      readonly fireAndForget?: boolean;
      readonly callbackServices?: Readonly<Record<string, ServiceFunction>>;
    } = {},
  ): Promise<unknown> {
    if (this.#state !== 'connected' && !this.#wantConnected) {
      throw new NotConnectedError(
        `the client is ${this.#state}: call connect() before calling Aqua functions (relay ${this.relay.multiaddr})`,
      );
    }
    let particleId: string | undefined;
    const outcome = await runScript(this.peer, this.relay.peerId, script, {
      ...options,
      ttl: options.ttl ?? this.defaultTtlMs,
      args,
      interrupt: (fail, id) => {
        particleId = id;
        this.#pending.set(id, fail);
      },
    });
    if (particleId !== undefined) {
      this.#pending.delete(particleId);
      this.#lastSent.delete(particleId);
    }
    if (outcome.status === 'result') return outcome.value;
    throw new ParticleError(
      outcome.message,
      outcome.particleId,
      outcome.status === 'error' ? outcome.detail : undefined,
    );
  }

  /** Registers a JS service (replacing one of the same id, as js-client does). */
  registerService(serviceId: string, functions: Readonly<Record<string, ServiceFunction>>): void {
    this.peer.services.remove(serviceId);
    this.peer.registerService(serviceId, functions);
  }

  /** Removes a JS service; whether it was there. */
  removeService(serviceId: string): boolean {
    return this.peer.services.remove(serviceId);
  }

  /** Creates a particle of this client (used by runScript through the peer). */
  createParticle(script: string, ttl: number = this.defaultTtlMs): Particle {
    return this.peer.createParticle(script, { ttl });
  }

  async #dial(): Promise<void> {
    const dialer = this.config.dialer ?? defaultDialer;
    const address = this.relay.multiaddr;
    if (dialer === undefined) {
      throw new ConnectionError(
        `no way to reach relay ${address}: pass a dialer in the config or call setDefaultDialer`,
        address,
      );
    }
    this.#setState('connecting');
    const timeoutMs = this.config.connectionOptions?.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    const abort = new AbortController();
    const generation = ++this.#linkGeneration;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ConnectionError(
          `could not connect to relay ${address}: no answer within the dial timeout of ${timeoutMs} ms`,
          address,
        );
        abort.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const started = Date.now();
    let link: RelayLink;
    try {
      const dialing = dialer(this.relay, {
        keyPair: this.keyPair.protocolKeyPair,
        signal: abort.signal,
        events: {
          onParticle: (particle) => {
            if (generation === this.#linkGeneration) this.#receive?.(particle, this.relay.peerId);
          },
          onDiagnostic: (diagnostic) => {
            if (generation === this.#linkGeneration) this.#onDiagnostic(diagnostic);
          },
          onClose: (reason) => {
            if (generation === this.#linkGeneration) this.#onLinkLost(reason);
          },
        },
      });
      // A dialer that finishes after the timeout must not leak its connection.
      dialing.then(
        (late) => {
          if (abort.signal.aborted) void late.close().catch(() => {});
        },
        () => {},
      );
      link = await Promise.race([dialing, timeout]);
    } catch (error) {
      this.#setState('disconnected');
      if (abort.signal.reason instanceof ConnectionError) throw abort.signal.reason;
      if (error instanceof ConnectionError) throw error;
      throw new ConnectionError(
        `could not connect to relay ${address} after ${Date.now() - started} ms: ${messageOf(error)}`,
        address,
      );
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.#linkGeneration || !this.#wantConnected) {
      // disconnect() was called while dialing.
      await link.close().catch(() => {});
      throw new ConnectionError(`connecting to relay ${address} was cancelled`, address);
    }
    this.#link = link;
    this.#reconnectAttempt = 0;
    this.#setState('connected');
    this.#startKeepAlive(link, generation);
    this.#resend(link);
    if (this.config.connectionOptions?.skipCheckConnection !== true) {
      await this.#checkConnection();
    }
  }

  // A round trip through the relay that reads its clock (`peer.timestamp_ms`): proves particles
  // flow both ways and measures how far the relay's clock is from ours.
  async #checkConnection(): Promise<void> {
    const relay = JSON.stringify(this.relay.peerId);
    const script = `(seq (call ${relay} ("peer" "timestamp_ms") [] t) (call %init_peer_id% ("callbackSrv" "response") [t]))`;
    const before = Date.now();
    const relayNow = Number(await this.callScript(script, {}));
    const after = Date.now();
    const skewMs = Math.round(relayNow - (before + after) / 2);
    this.#clockSkew = { skewMs, rttMs: after - before };
    const ratio = this.config.clockSkewWarningRatio ?? 0.1;
    if (skewMs > this.defaultTtlMs * ratio) {
      this.#warn({
        kind: 'clock-skew',
        skewMs,
        message: `relay ${this.relay.peerId}'s clock is ${skewMs} ms ahead of this client's: particles lose ${skewMs} ms of their ${this.defaultTtlMs} ms TTL there${skewMs >= this.defaultTtlMs ? ' and expire on arrival' : ''}`,
      });
    }
  }

  #warn(warning: ClientWarning): void {
    this.#warnings.push(warning);
    for (const listener of this.#warningListeners) {
      try {
        listener(warning);
      } catch {
        // Listeners observe; their faults are theirs.
      }
    }
  }

  async #sendToRelay(particle: Particle): Promise<void> {
    const size = utf8Length(particle.script) + particle.data.length + PARTICLE_OVERHEAD_BYTES;
    const limit = this.config.maxParticleBytes ?? DEFAULT_MAX_PARTICLE_BYTES;
    if (size > limit) {
      const reason = `particle is about ${size} bytes, over the limit of ${limit} bytes for relay ${this.relay.peerId}`;
      this.#onDiagnostic({ particleId: particle.id, kind: 'too-large', reason }, 'client');
      throw new Error(reason);
    }
    this.#pruneExpired();
    this.#lastSent.set(particle.id, particle);
    const link = this.#link;
    // Without a connection the particle waits in #lastSent and goes out after the reconnect.
    if (link === undefined) return;
    try {
      await link.send(particle);
    } catch (error) {
      if (this.#link === link && this.#state === 'connected') throw error;
    }
  }

  #pruneExpired(): void {
    for (const [id, particle] of this.#lastSent) {
      if (timeLeft(particle) <= 0) this.#lastSent.delete(id);
    }
  }

  #resend(link: RelayLink): void {
    this.#pruneExpired();
    for (const particle of this.#lastSent.values()) {
      this.#record(particle.id, 'resent', `re-sent to ${this.relay.peerId} after reconnecting`);
      void link.send(particle).catch(() => {});
    }
  }

  #onDiagnostic(diagnostic: RelayDiagnostic, source: 'relay' | 'client' = 'relay'): void {
    const where = source === 'relay' ? `relay ${this.relay.peerId}` : 'client';
    const reason = `${where}: ${diagnostic.kind}: ${diagnostic.reason}`;
    this.#record(diagnostic.particleId, 'dropped', reason);
    this.#pending.get(diagnostic.particleId)?.(`particle dropped by ${reason}`, diagnostic);
  }

  #onLinkLost(reason: string): void {
    const link = this.#link;
    this.#link = undefined;
    this.#linkGeneration += 1;
    this.#stopKeepAlive();
    void link?.close().catch(() => {});
    if (this.#state !== 'disconnected') this.#setState('disconnected');
    this.#lostReason = reason;
    if (this.#wantConnected) this.#scheduleReconnect();
  }

  #lostReason: string | undefined;

  /** Why the connection was last lost, if it was. */
  get lastDisconnectReason(): string | undefined {
    return this.#lostReason;
  }

  #scheduleReconnect(): void {
    const options = this.config.connectionOptions?.reconnect;
    if (options === false) return;
    const max = options?.maxAttempts ?? Infinity;
    if (this.#reconnectAttempt >= max) return;
    const initial = options?.initialDelayMs ?? 100;
    const delay = Math.min(
      options?.maxDelayMs ?? 5000,
      initial * (options?.factor ?? 2) ** this.#reconnectAttempt,
    );
    this.#reconnectAttempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#wantConnected || this.#state === 'connected') return;
      this.connect().catch(() => {
        if (this.#wantConnected && this.#state !== 'connected') this.#scheduleReconnect();
      });
    }, delay);
  }

  #startKeepAlive(link: RelayLink, generation: number): void {
    const every = this.config.connectionOptions?.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    if (every === false) return;
    const timeoutMs = this.config.connectionOptions?.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    this.#stopKeepAlive();
    this.#keepAlive = setInterval(() => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const timedOut = new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () =>
          reject(
            new Error(`no ping answer from relay ${this.relay.multiaddr} within ${timeoutMs} ms`),
          ),
        ),
      );
      Promise.race([link.ping(abort.signal), timedOut])
        .catch((error: unknown) => {
          if (generation === this.#linkGeneration) this.#onLinkLost(messageOf(error));
        })
        .finally(() => clearTimeout(timer));
    }, every);
    unref(this.#keepAlive);
  }

  #stopKeepAlive(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) {
      try {
        listener(state);
      } catch {
        // Listeners observe; their faults are theirs.
      }
    }
  }

  #record(particleId: string, kind: TraceEvent['kind'], detail: string): void {
    if (this.config.trace === undefined || this.config.trace === false) return;
    const event: TraceEvent = { at: Date.now(), particleId, kind, detail };
    this.#trace.push(event);
    for (const listener of this.#traceListeners) {
      try {
        listener(event);
      } catch {
        // Listeners observe; their faults are theirs.
      }
    }
  }

  #traceFromPeer(event: PeerEvent): void {
    switch (event.type) {
      case 'sent':
        return this.#record(event.particleId, 'sent', `to ${event.to}`);
      case 'received':
        return this.#record(event.particleId, 'received', `from ${event.from}`);
      case 'invoked':
        return this.#record(
          event.particleId,
          'vm-run',
          `ret code ${event.retCode}${event.errorMessage ? ` (${event.errorMessage})` : ''}, ${event.callRequests} call requests, next peers [${event.nextPeerPks.join(', ')}]`,
        );
      case 'call':
        this.#record(
          event.particleId,
          'service-called',
          `${event.request.serviceId}.${event.request.functionName} (call ${event.callId})`,
        );
        return this.#record(
          event.particleId,
          'result',
          `${event.request.serviceId}.${event.request.functionName}: ret code ${event.result.retCode}`,
        );
      case 'dropped':
        return this.#record(event.particleId, 'dropped', event.reason);
      default:
        return;
    }
  }
}

/** A key pair from the config (random by default). */
export async function keyPairOf(config: ClientConfig): Promise<KeyPair> {
  const option = config.keyPair;
  if (option instanceof KeyPair) return option;
  return fromOpts(option ?? { type: 'Ed25519', source: 'random' });
}

/** The protocol key pair of a client key (for dialers). */
export function protocolKeyOf(keyPair: KeyPair): ProtocolKeyPair {
  return keyPair.protocolKeyPair;
}
