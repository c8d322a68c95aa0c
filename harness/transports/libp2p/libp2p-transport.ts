// Fluence's particle protocol over js-libp2p 3.x: the peer's `Transport` for nodes (listening,
// kad-dht, dialing whom the DHT finds) and for clients (one relay, no listening, like js-client).
//
// Rules taken from Nox (fluence-wire §2.7) and js-client (§1.3–1.6): one frame per stream in
// each direction (Nox's OneShotHandler), a varint length prefix, a 100 MiB cap, the signature
// verified and `now > timestamp + ttl` checked at ingest; the particle handler registered before
// any dial, so identify advertises `/fluence/particle/2.0.0` (Nox drops peers that don't).
// Where Nox and js-client drop silently, this transport reports every drop (`onDrop`) and tells
// the sender or the particle's init peer why, over `/marine-ts/diag/1.0.0` (fluence-wire §5.2).
//
// Libp2p transports come from the caller: this module imports no `node:` module, so it bundles
// for browsers; TCP and the Node WebSocket global are the Node side's business. js-libp2p itself
// is imported on the first `start()` (load.ts): importing this module costs nothing of it.
import type { Identify } from '@libp2p/identify';
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import type { KadDHT } from '@libp2p/kad-dht';
import type { Ping } from '@libp2p/ping';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Libp2pOptions } from 'libp2p';
import {
  hasValidSignature,
  utf8Bytes,
  utf8Text,
  type KeyPair,
  type Particle,
} from '../../protocol/index.js';
import type { ParticleReceiver, Transport } from '../../peer/index.js';
import {
  MAX_PARTICLE_FRAME_BYTES,
  ParticleDecodeError,
  decodeParticleFrame,
  encodeParticleFrame,
} from './codec.js';
import { loadLibp2p, type Libp2pModules } from './load.js';
import { holdStreamErrorGuard } from './stream-error-guard.js';

/** Fluence's particle protocol id. */
export const PARTICLE_PROTOCOL = '/fluence/particle/2.0.0';
/** Our side protocol: why a particle was dropped, one JSON frame per stream. */
export const DIAGNOSTIC_PROTOCOL = '/marine-ts/diag/1.0.0';
/** How long a peer kad did not find is not looked up again, ms. */
const NOT_FOUND_TTL_MS = 5_000;
// Bounds the not-found map (a flood of made-up peer ids must not grow it without end).
const NOT_FOUND_MAX = 10_000;

/** The kad network name used when none is given. */
export const DEFAULT_NETWORK = 'marine-local';

/** The kad-dht protocol id of a Fluence network (`/fluence/kad/<network>/1.0.0`). */
export function kadProtocol(network: string): string {
  return `/fluence/kad/${network}/1.0.0`;
}

/**
 * Why a particle was dropped: the transport's own reasons, and `vm-error` for a node whose VM
 * failed the particle (the node reports it through the same diagnostics).
 */
export type DropCode =
  'decode-error' | 'too-large' | 'bad-signature' | 'expired' | 'undeliverable' | 'vm-error';

/** A dropped particle: which one (when known), the peer involved, why, and a stable code. */
export interface ParticleDrop {
  readonly particleId?: string;
  /** The peer the particle came from (inbound drops) or was meant for (undeliverable). */
  readonly peerId: string;
  readonly reason: string;
  readonly code: DropCode;
}

/** A diagnostic as it travels on `/marine-ts/diag/1.0.0` (same fields as a drop). */
export type Diagnostic = ParticleDrop;

/** Receives diagnostics; `from` is the peer that sent it. */
export type DiagnosticHandler = (diagnostic: Diagnostic, from: string) => void;

/** What a libp2p transport is made of. */
export interface Libp2pTransportOptions {
  /** The peer's identity: its libp2p key is derived from the same 32-byte Ed25519 seed. */
  readonly keyPair: KeyPair;
  /** Libp2p transports, e.g. `[tcp(), webSockets()]` on Node, `[webSockets()]` in a browser. */
  readonly transports: NonNullable<Libp2pOptions['transports']>;
  /** `node` listens and runs kad-dht; `client` only dials its relay (default `node`). */
  readonly role?: 'node' | 'client';
  /** Multiaddrs to listen on (nodes), e.g. `/ip4/127.0.0.1/tcp/0`. */
  readonly listen?: readonly string[];
  /** Multiaddrs with `/p2p/<id>` that a node dials at start (its kad bootstrap). */
  readonly bootstrap?: readonly string[];
  /** Kad network name: the DHT speaks `/fluence/kad/<network>/1.0.0` (default `marine-local`). */
  readonly network?: string;
  /** The relay of a client, a multiaddr ending in `/p2p/<id>`. */
  readonly relay?: string;
  /** How long a dial may take, in ms (default 10 000, Nox's upgrade timeout). */
  readonly dialTimeoutMs?: number;
  /** Largest frame body accepted or sent (default `MAX_PARTICLE_FRAME_BYTES`). */
  readonly maxFrameBytes?: number;
  /** Inbound connections per second per host before libp2p refuses (default 1000). */
  readonly inboundConnectionThreshold?: number;
  /**
   * Whether a particle's stream skips the round trip of protocol negotiation (writing the
   * protocol and the frame at once, checking the answer after); default true.
   */
  readonly lazyNegotiation?: boolean;
  /** Whether drops are reported to the sender or init peer over the diag protocol (default true). */
  readonly diagnostics?: boolean;
  /** Told of every dropped particle. */
  readonly onDrop?: (drop: ParticleDrop) => void;
}

/** A peer's contact: its id and the addresses it is known at. */
export interface Contact {
  readonly peerId: string;
  readonly addresses: string[];
}

/** Events of the transport's connections; the listener gets the remote peer id. */
export type ConnectionEventName = 'connection:open' | 'connection:close';

interface Services extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  dht?: KadDHT;
}

/** A send that failed: names the peer and the reason. */
export class ParticleSendError extends Error {
  override readonly name = 'ParticleSendError';
  constructor(
    message: string,
    readonly code: DropCode,
  ) {
    super(message);
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The peer id at the end of a multiaddr (`/p2p/<id>`), or undefined. */
function peerIdOf(ma: Multiaddr): string | undefined {
  const p2p = ma.getComponents().filter((c) => c.name === 'p2p');
  return p2p[p2p.length - 1]?.value;
}

/**
 * Fluence's particle protocol over js-libp2p: a `Transport` for `Peer`, plus what a node needs
 * (connect, contacts, kad neighbourhood, connection events) and a diagnostics side protocol.
 */
export class Libp2pTransport implements Transport {
  /** The local peer id (equal to `keyPair.peerId`). */
  readonly peerId: string;
  readonly #options: Libp2pTransportOptions;
  readonly #role: 'node' | 'client';
  readonly #maxFrame: number;
  readonly #dialTimeoutMs: number;
  readonly #receivers = new Set<ParticleReceiver>();
  readonly #dropHandlers = new Set<(drop: ParticleDrop) => void>();
  readonly #diagHandlers = new Set<DiagnosticHandler>();
  readonly #connectionHandlers = new Map<ConnectionEventName, Set<(peerId: string) => void>>();
  readonly #contacts = new Map<string, Set<string>>();
  readonly #outbound = new Map<string, StreamSlots>();
  // Kad lookups in flight, one per peer however many sends wait on it, and peers kad did not
  // find lately with when: a client behind another relay is a next peer of every particle that
  // returns to it, and asking the whole DHT again for each of them cost the network more CPU than
  // the particles themselves (bench scaling: 64 results, one lookup each, on every node).
  readonly #lookups = new Map<string, Promise<void>>();
  readonly #notFound = new Map<string, number>();
  // The relay as given (clients); parsed into #relay once libp2p is loaded, at start.
  readonly #relayText: string | undefined;
  readonly #relayPeerId: string | undefined;
  #relay: Multiaddr | undefined;
  #lib: Libp2pModules | undefined;
  #node: Libp2p<Services> | undefined;
  #releaseGuard: (() => void) | undefined;

  constructor(options: Libp2pTransportOptions) {
    this.#options = options;
    this.peerId = options.keyPair.peerId;
    this.#role = options.role ?? 'node';
    this.#maxFrame = options.maxFrameBytes ?? MAX_PARTICLE_FRAME_BYTES;
    this.#dialTimeoutMs = options.dialTimeoutMs ?? 10_000;
    if (options.onDrop) this.#dropHandlers.add(options.onDrop);
    if (this.#role === 'client') {
      if (options.relay === undefined) {
        throw new TypeError('a client-role Libp2pTransport needs a relay multiaddr, found none');
      }
      this.#relayText = options.relay;
      this.#relayPeerId = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)$/.exec(options.relay)?.[1];
      if (this.#relayPeerId === undefined) {
        throw new TypeError(
          `expected the relay multiaddr to end in /p2p/<peer id>, found ${options.relay}`,
        );
      }
    }
  }

  /** The libp2p node underneath (after `start`), for metrics and tests. */
  get libp2p(): Libp2p<Services> {
    if (!this.#node) throw new Error(`libp2p transport of ${this.peerId} is not started`);
    return this.#node;
  }

  /** The relay's peer id (clients), or undefined (nodes). */
  get relayPeerId(): string | undefined {
    return this.#relayPeerId;
  }

  /** Creates the libp2p node, registers the protocols, listens, then dials bootstrap or relay. */
  async start(): Promise<void> {
    if (this.#node) return;
    const lib = (this.#lib = await loadLibp2p());
    this.#releaseGuard ??= holdStreamErrorGuard();
    const {
      createLibp2p,
      generateKeyPairFromSeed,
      identify,
      kadDHT,
      multiaddr,
      noise,
      passthroughMapper,
      peerIdFromPrivateKey,
      ping,
      yamux,
    } = lib;
    if (this.#relayText !== undefined) this.#relay = multiaddr(this.#relayText);
    const privateKey = await generateKeyPairFromSeed('Ed25519', this.#options.keyPair.secretKey);
    const libp2pId = peerIdFromPrivateKey(privateKey).toString();
    if (libp2pId !== this.peerId) {
      throw new Error(
        `expected the libp2p peer id to equal the key pair's ${this.peerId}, found ${libp2pId}`,
      );
    }
    const isNode = this.#role === 'node';
    const services: Record<string, unknown> = { identify: identify(), ping: ping() };
    if (isNode) {
      services.dht = kadDHT({
        protocol: kadProtocol(this.#options.network ?? DEFAULT_NETWORK),
        peerInfoMapper: passthroughMapper,
        clientMode: false,
        // A lone node answers kad queries at once (empty) instead of waiting for a first peer.
        allowQueryWithZeroPeers: true,
      });
    }
    const node = await createLibp2p({
      start: false,
      privateKey,
      addresses: { listen: isNode ? [...(this.#options.listen ?? [])] : [] },
      transports: this.#options.transports,
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: {
        inboundConnectionThreshold: this.#options.inboundConnectionThreshold ?? 1000,
        dialTimeout: this.#dialTimeoutMs,
      },
      // Loopback and private addresses are where tests and local networks live.
      connectionGater: { denyDialMultiaddr: () => false },
      services: services as unknown as NonNullable<Libp2pOptions<Services>['services']>,
    });
    this.#node = node as Libp2p<Services>;
    // Registered before start and before any dial: identify then lists the particle protocol.
    const limits = { maxInboundStreams: 1024, maxOutboundStreams: 1024 };
    await node.handle(PARTICLE_PROTOCOL, (s, c) => void this.#onParticleStream(s, c), limits);
    await node.handle(DIAGNOSTIC_PROTOCOL, (s, c) => void this.#onDiagnosticStream(s, c), limits);
    node.addEventListener('connection:open', (e) => {
      // An inbound connection's remote address is an ephemeral port: not a contact address.
      const addresses = e.detail.direction === 'outbound' ? [e.detail.remoteAddr.toString()] : [];
      this.#remember(e.detail.remotePeer.toString(), addresses);
      this.#emit('connection:open', e.detail.remotePeer.toString());
    });
    node.addEventListener('connection:close', (e) => {
      this.#emit('connection:close', e.detail.remotePeer.toString());
    });
    node.addEventListener('peer:identify', (e) => {
      this.#remember(
        e.detail.peerId.toString(),
        e.detail.listenAddrs.map((a) => a.toString()),
      );
    });
    await node.start();
    const signal = AbortSignal.timeout(this.#dialTimeoutMs);
    if (this.#relay) {
      try {
        await node.dial(this.#relay, { signal });
      } catch (e) {
        await node.stop();
        this.#node = undefined;
        throw new Error(`connecting to relay ${this.#relay.toString()} failed: ${errorText(e)}`);
      }
    }
    // A bootstrap peer that is down is not fatal: a node starts and finds others later.
    await Promise.all(
      (this.#options.bootstrap ?? []).map((a) =>
        node.dial(multiaddr(a), { signal }).catch(() => undefined),
      ),
    );
  }

  /** Stops libp2p: closes every connection and listener. */
  async stop(): Promise<void> {
    const node = this.#node;
    this.#node = undefined;
    try {
      if (node) await node.stop();
    } finally {
      // Released after libp2p stopped: closing connections is when the stray writes happen.
      this.#releaseGuard?.();
      this.#releaseGuard = undefined;
    }
  }

  /** Addresses this peer listens on, each ending in `/p2p/<id>`. */
  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => {
      const s = a.toString();
      return peerIdOf(a) === undefined ? `${s}/p2p/${this.peerId}` : s;
    });
  }

  /** Whether an open connection to `peerId` exists. */
  isConnected(peerId: string): boolean {
    const node = this.#node;
    if (!node || !this.#lib) return false;
    let id: PeerId;
    try {
      id = this.#lib.peerIdFromString(peerId);
    } catch {
      return false;
    }
    return node.getConnections(id).some((c) => c.status === 'open');
  }

  /** Peer ids with an open connection. */
  connectedPeers(): string[] {
    return this.#node ? this.#node.getPeers().map((p) => p.toString()) : [];
  }

  /** Connects to a multiaddr (with `/p2p/<id>`) or a peer id (found through kad); resolves to its id. */
  async connect(target: string, options: { readonly signal?: AbortSignal } = {}): Promise<string> {
    const node = this.libp2p;
    if (target.startsWith('/')) {
      const ma = this.#libs().multiaddr(target);
      const connection = await node
        .dial(ma, { signal: this.#dialSignal(options.signal) })
        .catch((e: unknown) => {
          throw new Error(`dialing ${target} failed: ${errorText(e)}`);
        });
      return connection.remotePeer.toString();
    }
    if (this.#relay && target !== this.#relayPeerId && !this.isConnected(target)) {
      throw new Error(`a client connects only to its relay ${this.#relayPeerId}, not to ${target}`);
    }
    await this.#connectionTo(target, options.signal);
    return target;
  }

  /** The known addresses of `peerId` (from identify and connections), or undefined. */
  getContact(peerId: string): Contact | undefined {
    const addresses = this.#contacts.get(peerId);
    if (!addresses && !this.isConnected(peerId)) return undefined;
    return { peerId, addresses: [...(addresses ?? [])] };
  }

  /**
   * Up to `count` peers closest by kad distance (nodes only) to a DHT key's bytes, or to a peer id
   * (its multihash; other text as UTF-8 bytes).
   */
  async closestPeers(
    keyOrPeerId: string | Uint8Array,
    count: number,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<string[]> {
    const dht = this.libp2p.services.dht;
    if (!dht) throw new Error(`peer ${this.peerId} is a client: it has no kad`);
    let key: Uint8Array;
    if (typeof keyOrPeerId !== 'string') key = keyOrPeerId;
    else {
      try {
        key = this.#libs().peerIdFromString(keyOrPeerId).toMultihash().bytes;
      } catch {
        key = utf8Bytes(keyOrPeerId);
      }
    }
    const found: string[] = [];
    const signal = options.signal ?? AbortSignal.timeout(this.#dialTimeoutMs);
    for await (const event of dht.getClosestPeers(key, { signal })) {
      if (event.name === 'FINAL_PEER') {
        const id = event.peer.id.toString();
        this.#remember(
          id,
          event.peer.multiaddrs.map((a) => a.toString()),
        );
        if (!found.includes(id)) found.push(id);
      }
    }
    return found.slice(0, count);
  }

  /** Calls `listener` with the remote peer id on each connection opened or closed. */
  on(event: ConnectionEventName, listener: (peerId: string) => void): () => void {
    let set = this.#connectionHandlers.get(event);
    if (!set) this.#connectionHandlers.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls `handler` with every dropped particle; returns the function that stops it. */
  onDrop(handler: (drop: ParticleDrop) => void): () => void {
    this.#dropHandlers.add(handler);
    return () => this.#dropHandlers.delete(handler);
  }

  /** Calls `handler` with every diagnostic received; returns the function that stops it. */
  onDiagnostic(handler: DiagnosticHandler): () => void {
    this.#diagHandlers.add(handler);
    return () => this.#diagHandlers.delete(handler);
  }

  /** Sends one diagnostic to a peer we are connected to (it is never worth a dial). */
  async sendDiagnostic(peerId: string, diagnostic: Diagnostic): Promise<void> {
    const connection = this.#openConnection(peerId);
    if (!connection) {
      throw new Error(`cannot send a diagnostic to ${peerId}: not connected`);
    }
    const stream = await connection.newStream(DIAGNOSTIC_PROTOCOL, {
      signal: AbortSignal.timeout(this.#dialTimeoutMs),
    });
    await this.#writeOne(stream, utf8Bytes(JSON.stringify(diagnostic)));
  }

  /** The `Transport` side: `receive` gets every valid particle with the sender's peer id. */
  listen(receive: ParticleReceiver): () => void {
    this.#receivers.add(receive);
    return () => this.#receivers.delete(receive);
  }

  /**
   * Sends `particle` to `to` on a new stream: over an open connection when there is one, else
   * (node) through kad and a dial, or (client) through the relay. Rejects with a
   * `ParticleSendError` naming the peer and the reason.
   */
  async send(
    to: string,
    particle: Particle,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    const fail = (code: DropCode, why: string): never => {
      const reason = `particle ${particle.id} to ${to}: ${why}`;
      this.#drop({ particleId: particle.id, peerId: to, reason, code });
      this.#tellInitPeer(particle, to, code, reason);
      throw new ParticleSendError(reason, code);
    };
    const now = Date.now();
    if (now > particle.timestamp + particle.ttl) {
      fail('expired', `expired ${now - particle.timestamp - particle.ttl} ms ago`);
    }
    const body = encodeParticleFrame(particle);
    if (body.length > this.#maxFrame) {
      fail('too-large', `frame too large: ${body.length} bytes, the limit is ${this.#maxFrame}`);
    }
    // Both ends cap the streams open at once per connection (1024 here, in js-client and in
    // libp2p's defaults fewer): a burst waits for a slot rather than fail.
    let keepSlot = false;
    const slots = this.#slots(to);
    try {
      await slots.acquire(options.signal);
    } catch (e) {
      return fail('undeliverable', errorText(e));
    }
    try {
      let connection: Connection;
      try {
        connection = await this.#connectionTo(to, options.signal);
      } catch (e) {
        return fail('undeliverable', errorText(e));
      }
      const muxer = this.#options.lazyNegotiation === false ? undefined : muxerOf(connection);
      if (muxer) {
        let sent: { readonly ended: Promise<void> };
        try {
          sent = await this.#sendLazily(muxer, particle, to, body, options.signal);
        } catch (e) {
          return fail('undeliverable', `writing failed: ${errorText(e)}`);
        }
        // The stream keeps its slot until it ends (the peer's cap on open streams counts it).
        keepSlot = true;
        void sent.ended.finally(() => slots.release());
        return;
      }
      let stream: Stream;
      try {
        stream = await connection.newStream(PARTICLE_PROTOCOL, {
          signal: this.#dialSignal(options.signal),
        });
      } catch (e) {
        return fail('undeliverable', errorText(e));
      }
      try {
        await this.#writeOne(stream, body, options.signal);
      } catch (e) {
        fail('undeliverable', `writing failed: ${errorText(e)}`);
      }
    } finally {
      if (!keepSlot) slots.release();
    }
  }

  // One frame on a new stream without waiting for protocol negotiation: the multistream-select
  // header, the protocol and the frame go out in one write, and the answer is checked after (as
  // rust-libp2p's V1Lazy and js-libp2p before 3.0 with `negotiateFully: false`; libp2p 3.x always
  // waits a round trip per stream, a third of a particle's round trip through a relay). Any
  // multistream-select listener takes it: it hands the bytes after the protocol line to the
  // protocol's handler. Our side closes only once the answer came: libp2p 3's listener loses the
  // bytes after the protocol line when the stream's end arrived with them. Resolves once the
  // frame is written, with a promise of the stream's end (a peer that refused the protocol is
  // reported as a drop there).
  async #sendLazily(
    muxer: LazyMuxer,
    particle: Particle,
    to: string,
    body: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<{ readonly ended: Promise<void> }> {
    const stream = await muxer.createStream({ signal: this.#dialSignal(signal) });
    stream.protocol = PARTICLE_PROTOCOL;
    const lp = this.#libs().lpStream(stream, { maxDataLength: 1024 });
    const timeout = AbortSignal.timeout(Math.max(this.#dialTimeoutMs, 10_000));
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const abort = (e: unknown): void => stream.abort(e instanceof Error ? e : new Error(String(e)));
    try {
      await lp.writeV([MSS_HEADER, MSS_PARTICLE, body], { signal: both });
    } catch (e) {
      abort(e);
      throw e;
    }
    const ended = (async () => {
      const header = utf8Text((await lp.read({ signal: timeout })).subarray());
      const protocol =
        header === MSS_HEADER_TEXT
          ? utf8Text((await lp.read({ signal: timeout })).subarray())
          : header;
      if (protocol !== MSS_PARTICLE_TEXT) {
        const reason = `particle ${particle.id} to ${to}: the peer refused ${PARTICLE_PROTOCOL} (answered ${JSON.stringify(protocol.trim())})`;
        this.#drop({ particleId: particle.id, peerId: to, reason, code: 'undeliverable' });
        this.#tellInitPeer(particle, to, 'undeliverable', reason);
        abort(new Error(reason));
        return;
      }
      await stream.close({ signal: timeout });
    })().catch((e: unknown) => {
      // The stream went down before the answer (the peer read the frame and went away, or the
      // connection closed): nothing known to be lost.
      abort(e);
    });
    return { ended };
  }

  #slots(peerId: string): StreamSlots {
    let slots = this.#outbound.get(peerId);
    if (!slots) {
      slots = new StreamSlots(MAX_CONCURRENT_SENDS, () => this.#outbound.delete(peerId));
      this.#outbound.set(peerId, slots);
    }
    return slots;
  }

  // --- inbound ---------------------------------------------------------------------------

  async #onParticleStream(stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    let body: Uint8Array;
    try {
      body = await this.#readOne(stream);
    } catch (e) {
      // Over maxDataLength, or a length varint longer than that limit needs: refused unread.
      const tooLarge =
        e instanceof Error &&
        (e.name === 'InvalidDataLengthError' || e.name === 'InvalidDataLengthLengthError');
      stream.abort(e instanceof Error ? e : new Error(String(e)));
      if (tooLarge) {
        this.#dropInbound(from, {
          code: 'too-large',
          reason: `a particle frame from ${from} is over the limit of ${this.#maxFrame} bytes`,
        });
      } else if (!(e instanceof EmptyStreamError)) {
        this.#dropInbound(from, {
          code: 'decode-error',
          reason: `reading a particle frame from ${from} failed: ${errorText(e)}`,
        });
      }
      return;
    }
    let particle: Particle;
    try {
      particle = decodeParticleFrame(body, { maxBytes: this.#maxFrame });
    } catch (e) {
      const particleId = e instanceof ParticleDecodeError ? e.particleId : undefined;
      this.#dropInbound(from, {
        ...(particleId === undefined ? {} : { particleId }),
        code: 'decode-error',
        reason: `a particle frame from ${from} is invalid: ${errorText(e)}`,
      });
      return;
    }
    if (!hasValidSignature(particle)) {
      this.#dropInbound(from, {
        particleId: particle.id,
        code: 'bad-signature',
        reason: `particle ${particle.id} from ${from}: the signature of init peer ${particle.initPeerId} is invalid`,
      });
      return;
    }
    const now = Date.now();
    if (now > particle.timestamp + particle.ttl) {
      this.#dropInbound(from, {
        particleId: particle.id,
        code: 'expired',
        reason: `particle ${particle.id} from ${from} expired ${now - particle.timestamp - particle.ttl} ms before it arrived (timestamp ${particle.timestamp}, ttl ${particle.ttl} ms)`,
      });
      return;
    }
    if (this.#receivers.size === 0) {
      this.#dropInbound(from, {
        particleId: particle.id,
        code: 'undeliverable',
        reason: `particle ${particle.id} from ${from}: peer ${this.peerId} is not taking particles`,
      });
      return;
    }
    for (const receive of this.#receivers) {
      try {
        receive(particle, from);
      } catch {
        // A receiver's own failure is its business: the particle was delivered.
      }
    }
  }

  async #onDiagnosticStream(stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    let diagnostic: Diagnostic;
    try {
      const raw = JSON.parse(utf8Text(await this.#readOne(stream, 64 * 1024))) as unknown;
      diagnostic = asDiagnostic(raw);
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    for (const handler of this.#diagHandlers) {
      try {
        handler(diagnostic, from);
      } catch {
        // A faulty handler must not stop the others.
      }
    }
  }

  // One length-prefixed frame, then our side of the stream closes (Nox's OneShot rule).
  async #readOne(stream: Stream, max = this.#maxFrame): Promise<Uint8Array> {
    const lp = this.#libs().lpStream(stream, { maxDataLength: max, maxBufferSize: max + 16 });
    const signal = AbortSignal.timeout(Math.max(this.#dialTimeoutMs, 10_000));
    let frame;
    try {
      frame = await lp.read({ signal });
    } catch (e) {
      if (e instanceof Error && e.name === 'UnexpectedEOFError' && stream.readBufferLength === 0) {
        throw new EmptyStreamError();
      }
      throw e;
    }
    void stream.close().catch(() => undefined);
    return frame.subarray();
  }

  async #writeOne(stream: Stream, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(Math.max(this.#dialTimeoutMs, 10_000));
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const lp = this.#libs().lpStream(stream, { maxDataLength: this.#maxFrame });
      await lp.write(body, { signal: both });
      await stream.close({ signal: both });
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  // --- outbound routing -------------------------------------------------------------------

  // The libp2p functions, loaded by `start`.
  #libs(): Libp2pModules {
    if (!this.#lib) throw new Error(`libp2p transport of ${this.peerId} is not started`);
    return this.#lib;
  }

  #openConnection(peerId: string): Connection | undefined {
    const node = this.#node;
    if (!node || !this.#lib) return undefined;
    let id: PeerId;
    try {
      id = this.#lib.peerIdFromString(peerId);
    } catch {
      return undefined;
    }
    return node.getConnections(id).find((c) => c.status === 'open');
  }

  #dialSignal(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#dialTimeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  // A connection to `to`: an open one, else the relay (client), else kad + dial (node).
  async #connectionTo(to: string, signal: AbortSignal | undefined): Promise<Connection> {
    const node = this.libp2p;
    const open = this.#openConnection(to);
    if (open) return open;
    if (this.#relay) {
      const relayOpen = this.#relayPeerId ? this.#openConnection(this.#relayPeerId) : undefined;
      if (relayOpen) return relayOpen;
      return node.dial(this.#relay, { signal: this.#dialSignal(signal) }).catch((e: unknown) => {
        throw new Error(`dial failed: relay ${this.#relay?.toString()}: ${errorText(e)}`);
      });
    }
    let id: PeerId;
    try {
      id = this.#libs().peerIdFromString(to);
    } catch (e) {
      throw new Error(`not a peer id: ${errorText(e)}`);
    }
    const known = await node.peerStore.get(id).catch(() => undefined);
    if (!known || known.addresses.length === 0) await this.#lookUp(to, id, signal);
    return node.dial(id, { signal: this.#dialSignal(signal) }).catch((e: unknown) => {
      throw new Error(`dial failed: ${errorText(e)}`);
    });
  }

  // Finds `to` through kad (once for all concurrent sends to it) and remembers its addresses; a
  // peer kad did not find is not asked for again for NOT_FOUND_TTL_MS (a connection it opens
  // meanwhile is used at once: #connectionTo looks for open connections first).
  async #lookUp(to: string, id: PeerId, signal: AbortSignal | undefined): Promise<void> {
    const missed = this.#notFound.get(to);
    if (missed !== undefined) {
      const ago = Date.now() - missed;
      if (ago < NOT_FOUND_TTL_MS) {
        throw new Error(
          `no address: ${this.#notFoundText()} ${ago} ms ago (not asked again for ${NOT_FOUND_TTL_MS} ms)`,
        );
      }
      this.#notFound.delete(to);
    }
    let lookup = this.#lookups.get(to);
    if (lookup === undefined) {
      lookup = (async () => {
        try {
          const info = await this.libp2p.peerRouting.findPeer(id, {
            signal: this.#dialSignal(undefined),
          });
          this.#remember(
            to,
            info.multiaddrs.map((a) => a.toString()),
          );
          if (info.multiaddrs.length === 0) throw new Error('kad found it with no address');
        } catch (e) {
          const notFound = e instanceof Error && e.name === 'NotFoundError';
          if (notFound) {
            if (this.#notFound.size >= NOT_FOUND_MAX) this.#notFound.clear();
            this.#notFound.set(to, Date.now());
          }
          throw new Error(`no address: ${notFound ? this.#notFoundText() : errorText(e)}`);
        } finally {
          this.#lookups.delete(to);
        }
      })();
      this.#lookups.set(to, lookup);
    }
    // A sender that gives up stops waiting; the shared lookup goes on for the others.
    if (signal === undefined) return lookup;
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const abort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', abort, { once: true });
      lookup.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  }

  #notFoundText(): string {
    return `kad (${kadProtocol(this.#options.network ?? DEFAULT_NETWORK)}) did not find it`;
  }

  // --- drops and diagnostics --------------------------------------------------------------

  #drop(drop: ParticleDrop): void {
    for (const handler of this.#dropHandlers) {
      try {
        handler(drop);
      } catch {
        // A faulty drop listener must not hide the drop from the others.
      }
    }
  }

  // An inbound drop is recorded and, when enabled, explained to the sender.
  #dropInbound(from: string, drop: Omit<ParticleDrop, 'peerId'>): void {
    const full: ParticleDrop = { ...drop, peerId: from };
    this.#drop(full);
    this.#diagnose(from, full);
  }

  // Sends a diagnostic unless the peer is known (through identify) not to speak the protocol:
  // js-client and Nox don't, and a refused stream per drop is waste. Before identify completes
  // the protocols are unknown, so it is tried.
  #diagnose(peerId: string, diagnostic: Diagnostic): void {
    if (this.#options.diagnostics === false || !this.#node) return;
    const node = this.#node;
    void (async () => {
      const id = this.#libs().peerIdFromString(peerId);
      const known = await node.peerStore.get(id).catch(() => undefined);
      if (known && known.protocols.length > 0 && !known.protocols.includes(DIAGNOSTIC_PROTOCOL)) {
        return;
      }
      await this.sendDiagnostic(peerId, diagnostic);
    })().catch(() => undefined);
  }

  // A particle this peer could not pass on: its init peer hears why, if it is connected here.
  #tellInitPeer(particle: Particle, to: string, code: DropCode, reason: string): void {
    const initPeer = particle.initPeerId;
    if (initPeer === this.peerId || initPeer === to || !this.isConnected(initPeer)) return;
    this.#diagnose(initPeer, { particleId: particle.id, peerId: to, reason, code });
  }

  #remember(peerId: string, addresses: readonly string[]): void {
    let set = this.#contacts.get(peerId);
    if (!set) this.#contacts.set(peerId, (set = new Set()));
    for (const a of addresses) set.add(a);
  }

  #emit(event: ConnectionEventName, peerId: string): void {
    for (const listener of this.#connectionHandlers.get(event) ?? []) {
      try {
        listener(peerId);
      } catch {
        // A faulty listener must not stop libp2p's event dispatch.
      }
    }
  }
}

const MSS_HEADER_TEXT = '/multistream/1.0.0\n';
const MSS_PARTICLE_TEXT = `${PARTICLE_PROTOCOL}\n`;
const MSS_HEADER = utf8Bytes(MSS_HEADER_TEXT);
const MSS_PARTICLE = utf8Bytes(MSS_PARTICLE_TEXT);

// What lazy negotiation needs of a connection's stream muxer (a field of libp2p's Connection
// class, not of its interface: without it, sends negotiate the usual way).
interface LazyMuxer {
  createStream(options: { signal?: AbortSignal }): Promise<Stream>;
}

function muxerOf(connection: Connection): LazyMuxer | undefined {
  const muxer = (connection as unknown as { muxer?: { createStream?: unknown; status?: unknown } })
    .muxer;
  return typeof muxer?.createStream === 'function' && muxer.status === 'open'
    ? (muxer as LazyMuxer)
    : undefined;
}

/** Particle streams one transport keeps open at once towards one peer; more sends wait. */
export const MAX_CONCURRENT_SENDS = 128;

// A counting semaphore for a peer's outbound streams; tells its owner when it is idle.
class StreamSlots {
  #active = 0;
  readonly #waiting: Array<{ go: () => void; signal: AbortSignal | undefined }> = [];
  constructor(
    private readonly limit: number,
    private readonly onIdle: () => void,
  ) {}

  acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Error('aborted before sending'));
    if (this.#active < this.limit) {
      this.#active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#active += 1;
          resolve();
        },
        signal,
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new Error('aborted while waiting for a stream'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  release(): void {
    this.#active -= 1;
    const next = this.#waiting.shift();
    if (next) next.go();
    else if (this.#active === 0) this.onIdle();
  }
}

// A stream closed before any byte: a probe or a cancelled send, not a malformed particle.
class EmptyStreamError extends Error {
  override readonly name = 'EmptyStreamError';
}

const DROP_CODES: readonly string[] = [
  'decode-error',
  'too-large',
  'bad-signature',
  'expired',
  'undeliverable',
  'vm-error',
];

function asDiagnostic(raw: unknown): Diagnostic {
  if (typeof raw !== 'object' || raw === null) {
    throw new Error('expected a diagnostic object');
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.peerId !== 'string' || typeof o.reason !== 'string') {
    throw new Error('expected a diagnostic with string peerId and reason');
  }
  if (typeof o.code !== 'string' || !DROP_CODES.includes(o.code)) {
    throw new Error(`expected a diagnostic code of ${DROP_CODES.join(', ')}`);
  }
  return {
    ...(typeof o.particleId === 'string' ? { particleId: o.particleId } : {}),
    peerId: o.peerId,
    reason: o.reason,
    code: o.code as DropCode,
  };
}
