// Libp2pTransport with real js-libp2p nodes on 127.0.0.1, port 0, over TCP and WebSockets: peers
// running particles with our VM both ways, a DHT lookup then dial across a line of three, drops
// with diagnostics, big frames and the frame cap, and a client behind a relay.
import { createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { WebSocket as WsWebSocket } from 'ws';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { lpStream } from '@libp2p/utils';
import { peerIdFromString } from '@libp2p/peer-id';
import { AquaVM } from '../../air/index.js';
import { registerBuiltins } from '../../builtins/index.js';
import { runScript } from '../../client/index.js';
import { Peer, ServiceRegistry } from '../../peer/index.js';
import { KeyPair, createParticle, hasValidSignature, type Particle } from '../../protocol/index.js';
import {
  DIAGNOSTIC_PROTOCOL,
  Libp2pTransport,
  PARTICLE_PROTOCOL,
  ParticleSendError,
  encodeParticleFrame,
  type Diagnostic,
  type Libp2pTransportOptions,
  type ParticleDrop,
} from '../index.js';

// Node 20 has no global WebSocket; libp2p's websockets transport dials with it.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;

type Started = Libp2pTransport & { drops: ParticleDrop[]; diags: Diagnostic[] };

async function startTransport(
  t: Test,
  options: Partial<Libp2pTransportOptions> & { ws?: boolean } = {},
): Promise<Started> {
  const { ws, ...rest } = options;
  const drops: ParticleDrop[] = [];
  const diags: Diagnostic[] = [];
  const role = rest.role ?? 'node';
  const transport = new Libp2pTransport({
    keyPair: KeyPair.random(),
    transports: ws ? [webSockets()] : [tcp()],
    listen: role === 'node' ? [ws ? '/ip4/127.0.0.1/tcp/0/ws' : '/ip4/127.0.0.1/tcp/0'] : undefined,
    onDrop: (d) => drops.push(d),
    dialTimeoutMs: 5000,
    ...rest,
  } as Libp2pTransportOptions);
  transport.onDiagnostic((d) => diags.push(d));
  t.teardown(() => transport.stop());
  await transport.start();
  return Object.assign(transport, { drops, diags });
}

function peerOn(t: Test, transport: Libp2pTransport, keyPair?: KeyPair): Peer {
  const services = new ServiceRegistry();
  registerBuiltins(services);
  const peer = new Peer({
    keyPair: keyPair ?? keyPairOf(transport),
    vm: new AquaVM(),
    transport,
    services,
  });
  peer.start();
  t.teardown(() => peer.stop());
  return peer;
}

// The tests keep each transport's key pair so a Peer can share its identity.
const keyPairs = new WeakMap<Libp2pTransport, KeyPair>();
function keyPairOf(transport: Libp2pTransport): KeyPair {
  const kp = keyPairs.get(transport);
  if (!kp) throw new Error('no key pair recorded for this transport');
  return kp;
}
async function startWithKey(
  t: Test,
  options: Partial<Libp2pTransportOptions> & { ws?: boolean } = {},
): Promise<Started> {
  const keyPair = options.keyPair ?? KeyPair.random();
  const transport = await startTransport(t, { ...options, keyPair });
  keyPairs.set(transport, keyPair);
  return transport;
}

/** Waits until `check` holds, polling; fails the wait with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects the particles a transport receives. */
function inbox(transport: Libp2pTransport): Array<{ particle: Particle; from: string }> {
  const got: Array<{ particle: Particle; from: string }> = [];
  transport.listen((particle, from) => got.push({ particle, from }));
  return got;
}

/** Writes raw frame bytes on a new particle stream from `from` to `to`, bypassing send's checks. */
async function rawSend(from: Libp2pTransport, to: string, body: Uint8Array): Promise<void> {
  const stream = await from.libp2p.dialProtocol(peerIdFromString(to), PARTICLE_PROTOCOL);
  await lpStream(stream, { maxDataLength: 200 * 1024 * 1024 }).write(body);
  await stream.close();
}

const viaRelay = (what: string): string =>
  `(xor (seq (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay) (call relay ("op" "concat_strings") ["${what} at " relay] x)) (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

t.test(
  'the libp2p peer id is the key pair peer id; identify lists the particle protocol',
  async (t) => {
    const a = await startWithKey(t);
    const b = await startWithKey(t, { bootstrap: [] });
    t.equal(a.libp2p.peerId.toString(), a.peerId);
    t.match(a.multiaddrs()[0], new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peerId}$`));
    t.ok(a.libp2p.getProtocols().includes(PARTICLE_PROTOCOL));
    t.ok(a.libp2p.getProtocols().includes(DIAGNOSTIC_PROTOCOL));
    t.ok(a.libp2p.getProtocols().includes('/fluence/kad/marine-local/1.0.0'));
    const opened: string[] = [];
    b.on('connection:open', (p) => opened.push(p));
    t.equal(await b.connect(a.multiaddrs()[0] as string), a.peerId);
    await until(() => opened.includes(a.peerId), 'connection:open');
    t.ok(b.isConnected(a.peerId));
    t.same(b.connectedPeers(), [a.peerId]);
    // Identify has run once the peer store holds a's protocols.
    let protocols: string[] = [];
    await until(() => {
      void b.libp2p.peerStore
        .get(peerIdFromString(a.peerId))
        .then((p) => (protocols = p.protocols))
        .catch(() => undefined);
      return protocols.includes(PARTICLE_PROTOCOL);
    }, 'identify to show that a speaks particles');
    t.ok(protocols.includes('/fluence/kad/marine-local/1.0.0'), 'and kad');
    t.ok(
      b.getContact(a.peerId)?.addresses.some((x) => x.includes('/tcp/')),
      'b has a contact address of a',
    );
    t.equal(b.getContact(KeyPair.random().peerId), undefined);
  },
);

t.test('two peers run particles with our VM both ways over TCP', async (t) => {
  const a = await startWithKey(t);
  const b = await startWithKey(t, { bootstrap: [] });
  await b.connect(a.multiaddrs()[0] as string);
  // The dialer resolves first; the listener registers the connection a moment later.
  await until(() => a.isConnected(b.peerId), 'a to see the connection');
  const pa = peerOn(t, a);
  const pb = peerOn(t, b);
  const ab = await runScript(pa, b.peerId, viaRelay('from a'), { ttl: 10_000 });
  t.same(ab, { status: 'result', particleId: ab.particleId, value: `from a at ${b.peerId}` });
  const ba = await runScript(pb, a.peerId, viaRelay('from b'), { ttl: 10_000 });
  t.same(ba, { status: 'result', particleId: ba.particleId, value: `from b at ${a.peerId}` });
  t.same(a.drops, []);
  t.same(b.drops, []);
});

t.test('a line A–B–C: A finds C through the DHT, dials it and delivers', async (t) => {
  const c = await startWithKey(t);
  const b = await startWithKey(t, { bootstrap: c.multiaddrs() });
  const a = await startWithKey(t, { bootstrap: b.multiaddrs() });
  await until(() => b.isConnected(c.peerId) && a.isConnected(b.peerId), 'the line to form');
  t.notOk(a.isConnected(c.peerId), 'A starts without a connection to C');
  // The DHTs learn each other once identify has shown the kad protocol (the routing table is
  // not in kad-dht's typed API, hence the cast).
  const tableSize = (x: Libp2pTransport): number =>
    (x.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size;
  await until(() => tableSize(a) > 0 && tableSize(b) > 1, 'routing tables');
  const got = inbox(c);
  const particle = createParticle(keyPairOf(a), '(null)', { ttl: 20_000 });
  const started = Date.now();
  await a.send(c.peerId, particle);
  await until(() => got.length === 1, 'C to receive');
  t.comment(`DHT lookup + dial + delivery: ${Date.now() - started} ms`);
  t.equal(got[0]?.from, a.peerId);
  t.same(got[0]?.particle, particle);
  t.ok(a.isConnected(c.peerId), 'A dialled C');
  t.ok(a.getContact(c.peerId)?.addresses.length, 'A knows an address of C');
  const closest = await a.closestPeers(c.peerId, 5);
  t.ok(
    closest.includes(c.peerId),
    `kad neighbourhood of C seen from A includes C: ${closest.join(', ')}`,
  );
  // A peer nobody knows: the send fails at once, naming the peer and the reason.
  const nobody = KeyPair.random().peerId;
  await t.rejects(a.send(nobody, particle), {
    name: 'ParticleSendError',
    code: 'undeliverable',
    message: new RegExp(`particle ${particle.id} to ${nobody}: no address`),
  });
  t.match(a.drops.at(-1), { particleId: particle.id, peerId: nobody, code: 'undeliverable' });
});

t.test('a client behind a relay over WebSockets: both directions, drops explained', async (t) => {
  const relay = await startWithKey(t, { ws: true });
  const relayAddr = relay.multiaddrs().find((a) => a.includes('/ws/')) as string;
  t.match(relayAddr, /\/tcp\/\d+\/ws\/p2p\//);
  const client = await startWithKey(t, { ws: true, role: 'client', relay: relayAddr });
  t.equal(client.relayPeerId, relay.peerId);
  t.same(client.multiaddrs(), [], 'a client does not listen');
  t.equal(client.libp2p.services.dht, undefined, 'a client runs no kad');
  await until(() => relay.isConnected(client.peerId), 'the relay to see the client');

  // Client → relay: every particle goes to the relay, whatever peer it names.
  const atRelay = inbox(relay);
  const up = createParticle(keyPairOf(client), '(null)', { ttl: 10_000 });
  await client.send(KeyPair.random().peerId, up);
  await until(() => atRelay.length === 1, 'the relay to receive');
  t.equal(atRelay[0]?.from, client.peerId);
  t.ok(hasValidSignature(atRelay[0]?.particle as Particle));

  // Relay → client over the client's own connection (the client has no address to dial).
  const atClient = inbox(client);
  const down = createParticle(keyPairOf(relay), '(null)', { ttl: 10_000 });
  await relay.send(client.peerId, down);
  await until(() => atClient.length === 1, 'the client to receive');
  t.same(atClient[0], { particle: down, from: relay.peerId });

  // Expired at arrival: dropped at the relay, recorded, and the client is told why.
  const expired = createParticle(keyPairOf(client), '(null)', {
    ttl: 1000,
    timestamp: Date.now() - 5000,
  });
  await t.rejects(client.send(relay.peerId, expired), { code: 'expired' }, 'send checks expiry');
  await rawSend(client, relay.peerId, encodeParticleFrame(expired));
  await until(() => client.diags.length === 1, 'a diagnostic for the expired particle');
  t.match(relay.drops.at(-1), { particleId: expired.id, peerId: client.peerId, code: 'expired' });
  t.match(client.diags[0], {
    particleId: expired.id,
    peerId: client.peerId,
    code: 'expired',
    reason: /expired \d+ ms before it arrived/,
  });

  // A bad signature: same, with its own code.
  const forged = {
    ...createParticle(keyPairOf(client), '(null)', { ttl: 10_000 }),
    script: '(seq (null) (null))',
  };
  await rawSend(client, relay.peerId, encodeParticleFrame(forged));
  await until(() => client.diags.length === 2, 'a diagnostic for the forged particle');
  t.match(client.diags[1], { particleId: forged.id, code: 'bad-signature', reason: /signature/ });
  t.match(relay.drops.at(-1), { particleId: forged.id, code: 'bad-signature' });

  // Garbage: a decode error.
  await rawSend(client, relay.peerId, Uint8Array.from([0x81, 0x04, 0xc1]));
  await until(() => client.diags.length === 3, 'a diagnostic for garbage');
  t.match(client.diags[2], { code: 'decode-error', reason: /unused type byte 0xc1/ });
  t.equal(atRelay.length, 1, 'none of the dropped particles reached the receiver');

  // The relay cannot forward the client's particle: the client (init peer) hears why.
  const lost = createParticle(keyPairOf(client), '(null)', { ttl: 10_000 });
  const nowhere = KeyPair.random().peerId;
  await t.rejects(relay.send(nowhere, lost), { code: 'undeliverable' });
  await until(() => client.diags.length === 4, 'a diagnostic for the undeliverable particle');
  t.match(client.diags[3], { particleId: lost.id, peerId: nowhere, code: 'undeliverable' });
});

t.test('a 10 MiB particle is delivered; a frame over the cap is refused', async (t) => {
  const a = await startWithKey(t);
  const b = await startWithKey(t, { bootstrap: a.multiaddrs() });
  await until(() => b.isConnected(a.peerId), 'connection');
  const got = inbox(a);
  const big = {
    ...createParticle(keyPairOf(b), '(null)', { ttl: 60_000 }),
    data: Uint8Array.from({ length: 10 * 1024 * 1024 }, (_, i) => (i * 31) & 0xff),
  };
  const started = Date.now();
  await b.send(a.peerId, big);
  await until(() => got.length === 1, 'the 10 MiB particle', 30_000);
  t.comment(`10 MiB particle: ${Date.now() - started} ms`);
  t.equal(got[0]?.particle.data.length, big.data.length);
  t.same(Buffer.from(got[0]?.particle.data ?? []).equals(Buffer.from(big.data)), true);

  // A receiver with a 1 MiB cap resets the stream on a 2 MiB frame, without reading it.
  const small = await startWithKey(t, { maxFrameBytes: 1024 * 1024, bootstrap: b.multiaddrs() });
  await until(() => b.isConnected(small.peerId), 'connection');
  const smallGot = inbox(small);
  const twoMiB = { ...big, data: big.data.subarray(0, 2 * 1024 * 1024) };
  await b.send(small.peerId, twoMiB).catch(() => undefined);
  await until(() => small.drops.length === 1, 'the oversize drop');
  t.match(small.drops[0], {
    peerId: b.peerId,
    code: 'too-large',
    reason: /over the limit of 1048576 bytes/,
  });
  await until(() => b.diags.length === 1, 'the sender to be told');
  t.match(b.diags[0], { code: 'too-large' });
  t.equal(smallGot.length, 0);
  // The sender's own cap refuses before any byte is written.
  await t.rejects(small.send(b.peerId, twoMiB), ParticleSendError);
  t.match(small.drops.at(-1), { code: 'too-large', peerId: b.peerId, reason: /frame too large/ });
});

t.test('a lone node answers at once: empty neighbourhood, no address, aborted sends', async (t) => {
  const a = await startWithKey(t);
  const started = Date.now();
  t.same(await a.closestPeers(KeyPair.random().peerId, 3), []);
  const nobody = KeyPair.random().peerId;
  const particle = createParticle(keyPairOf(a), '(null)', { ttl: 20_000 });
  await t.rejects(a.send(nobody, particle), {
    code: 'undeliverable',
    message: `particle ${particle.id} to ${nobody}: no address: kad (/fluence/kad/marine-local/1.0.0) did not find it`,
  });
  t.ok(Date.now() - started < 3000, `both answered in ${Date.now() - started} ms, not a timeout`);
  // Kad is not asked again for a peer it just did not find (one lookup per result was most of
  // the nodes' CPU in bench scaling).
  await t.rejects(a.send(nobody, particle), {
    code: 'undeliverable',
    message: new RegExp(
      `particle ${particle.id} to ${nobody}: no address: kad \\(/fluence/kad/marine-local/1\\.0\\.0\\) did not find it \\d+ ms ago \\(not asked again for 5000 ms\\)$`,
    ),
  });
  await t.rejects(a.send(nobody, particle, { signal: AbortSignal.abort() }), {
    code: 'undeliverable',
  });
  await t.rejects(a.send('not-a-peer-id', particle), { message: /not a peer id/ });
});

t.test('round trips through a relay with our VM, TCP and WebSockets (figures)', async (t) => {
  for (const ws of [false, true]) {
    const relay = await startWithKey(t, { ws });
    const addr = relay.multiaddrs()[0] as string;
    const client = await startWithKey(t, { ws, role: 'client', relay: addr });
    const pr = peerOn(t, relay);
    const pc = new Peer({
      keyPair: keyPairOf(client),
      vm: new AquaVM(),
      transport: client,
      relayPeerId: relay.peerId,
    });
    pc.start();
    t.teardown(() => pc.stop());
    t.ok(pr.peerId === relay.peerId);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const outcome = await runScript(pc, relay.peerId, viaRelay(`call ${i}`), { ttl: 20_000 });
      times.push(performance.now() - started);
      if (outcome.status !== 'result') t.fail(`call ${i}: ${JSON.stringify(outcome)}`);
    }
    times.sort((x, y) => x - y);
    const at = (q: number): string => (times[Math.floor(q * (times.length - 1))] ?? 0).toFixed(1);
    t.comment(
      `${ws ? 'WS' : 'TCP'} client → relay (op.concat_strings) → client, 20 runs: min ${at(0)}, median ${at(0.5)}, p90 ${at(0.9)} ms`,
    );
    t.same(client.drops, []);
    t.same(relay.drops, []);
    await t.rejects(client.connect(KeyPair.random().peerId), /a client connects only to its relay/);
  }
});

t.test(
  'a client whose relay is down fails to start, naming the address, within its timeout',
  async (t) => {
    // A port that was just free: nothing listens there.
    const probe = await startWithKey(t);
    const addr = probe.multiaddrs()[0] as string;
    await probe.stop();
    const relayId = KeyPair.random().peerId;
    const dead = addr.replace(/\/p2p\/.*$/, `/p2p/${relayId}`);
    const client = new Libp2pTransport({
      keyPair: KeyPair.random(),
      transports: [tcp()],
      role: 'client',
      relay: dead,
      dialTimeoutMs: 2000,
    });
    t.teardown(() => client.stop());
    const started = Date.now();
    await t.rejects(client.start(), {
      message: new RegExp(`connecting to relay ${dead} failed: `),
    });
    t.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
    t.throws(
      () =>
        new Libp2pTransport({
          keyPair: KeyPair.random(),
          transports: [],
          role: 'client',
          relay: '/ip4/127.0.0.1/tcp/1',
        }),
      /expected the relay multiaddr to end in \/p2p\/<peer id>/,
    );
  },
);

t.test('dialTimeoutMs is honoured against a relay that accepts and never answers', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const relay = `/ip4/127.0.0.1/tcp/${port}/p2p/${KeyPair.random().peerId}`;
  const client = new Libp2pTransport({
    keyPair: KeyPair.random(),
    transports: [tcp()],
    role: 'client',
    relay,
    dialTimeoutMs: 1500,
  });
  t.teardown(() => client.stop());
  const started = Date.now();
  await t.rejects(client.start(), { message: new RegExp(`connecting to relay ${relay} failed`) });
  const took = Date.now() - started;
  t.ok(took >= 1400 && took < 6000, `gave up after ${took} ms (dialTimeoutMs 1500)`);
});

t.test('a client re-dials its relay on the next send after the relay restarts', async (t) => {
  const relayKey = KeyPair.random();
  const first = await startWithKey(t, { keyPair: relayKey });
  const addr = first.multiaddrs()[0] as string;
  const client = await startWithKey(t, { role: 'client', relay: addr });
  const closed: string[] = [];
  client.on('connection:close', (p) => closed.push(p));
  await first.stop();
  await until(() => closed.includes(relayKey.peerId), 'the client to see the relay go');
  t.notOk(client.isConnected(relayKey.peerId));
  // While the relay is down, a send fails at once and says where it tried.
  const early = createParticle(keyPairOf(client), '(null)', { ttl: 20_000 });
  await t.rejects(client.send(relayKey.peerId, early), {
    code: 'undeliverable',
    message: new RegExp(`dial failed: relay ${addr}`),
  });
  // The same relay identity back on the same address: the next send dials it again.
  const second = await startWithKey(t, {
    keyPair: relayKey,
    listen: [addr.replace(/\/p2p\/.*$/, '')],
  });
  const got = inbox(second);
  const later = createParticle(keyPairOf(client), '(null)', { ttl: 20_000 });
  await client.send(relayKey.peerId, later);
  await until(() => got.length === 1, 'the restarted relay to receive');
  t.equal(got[0]?.particle.id, later.id);
  t.ok(client.isConnected(relayKey.peerId));
});

t.test('a burst above the per-connection stream limit (1024) is queued, not lost', async (t) => {
  const a = await startWithKey(t);
  const b = await startWithKey(t, { bootstrap: a.multiaddrs() });
  await until(() => a.isConnected(b.peerId) && b.isConnected(a.peerId), 'connection');
  const got = inbox(a);
  const particle = createParticle(keyPairOf(b), '(null)', { ttl: 120_000 });
  const n = 1100;
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: n }, () => b.send(a.peerId, particle)),
  );
  await until(() => got.length === n, `${n} deliveries`, 60_000);
  const perSecond = Math.round(n / ((performance.now() - started) / 1000));
  t.comment(`${n} concurrent sends on one connection: ${perSecond} particles/s`);
  t.same(
    results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)),
    [],
    'no send failed',
  );
  t.same(b.drops, []);
});

t.test(
  'particle streams skip the negotiation round trip, and a refusal is still reported',
  async (t) => {
    const lazy = await startTransport(t);
    const full = await startTransport(t, { lazyNegotiation: false });
    const toFull = inbox(full);
    const toLazy = inbox(lazy);
    const me = KeyPair.random();
    const one = createParticle(me, '(null)', { ttl: 20_000 });
    const two = createParticle(me, '(null)', { ttl: 20_000 });
    await lazy.connect(full.multiaddrs()[0]!);
    // Lazy (header, protocol and frame in one write) into a peer that negotiates the usual way, and
    // back: both deliver, and the frame arrives whole.
    await lazy.send(full.peerId, { ...one, data: new Uint8Array(70_000).fill(3) });
    await until(() => toFull.length === 1, 'the lazy send');
    t.ok(full.isConnected(lazy.peerId), 'the connection is still open on the other side');
    await full.send(lazy.peerId, two);
    await until(() => toLazy.length === 1, 'the negotiated send');
    t.equal(toFull[0]!.particle.data.length, 70_000);
    t.equal(toFull[0]!.from, lazy.peerId);
    t.equal(toLazy[0]!.particle.id, two.id);
    t.same([...lazy.drops, ...full.drops], []);
    // A peer that does not speak the particle protocol answers "na": the send already resolved, so
    // the drop is reported when the answer comes.
    await full.libp2p.unhandle(PARTICLE_PROTOCOL);
    const three = createParticle(me, '(null)', { ttl: 20_000 });
    await lazy.send(full.peerId, three);
    await until(() => lazy.drops.length === 1, 'the refusal');
    t.equal(lazy.drops[0]!.particleId, three.id);
    t.equal(lazy.drops[0]!.code, 'undeliverable');
    t.match(lazy.drops[0]!.reason, /refused \/fluence\/particle\/2\.0\.0 \(answered "na"\)/);
    t.equal(toFull.length, 1, 'nothing more arrived');
  },
);
