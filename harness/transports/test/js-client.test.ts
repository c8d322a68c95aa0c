// The real @fluencelabs/js-client 0.9.0 (libp2p 1.2, noise 14, yamux 6, websockets 8) against a
// node-role Libp2pTransport (libp2p 3.3) over WebSockets: handshake and identify, a particle from
// js-client arriving decoded with a valid signature, and particles we encode (msgpack bin) that
// js-client accepts: it deserializes them with its zod schema and verifies their signatures
// before they reach its `particleSource`, which the test watches.
import t from 'tap';
import { peerIdFromString } from '@libp2p/peer-id';
import { webSockets } from '@libp2p/websockets';
import { KeyPair, createParticle, hasValidSignature, type Particle } from '../../protocol/index.js';
import { Libp2pTransport, PARTICLE_PROTOCOL, type ParticleDrop } from '../index.js';
import { patchJsClientWebSocketFilter } from './js-client-compat.js';

patchJsClientWebSocketFilter();
// js-client's marine worker must say hello within 10 s by default; on 2 shared cores it may not.
// The timeout is read when js-client's thread module loads, hence the import after setting it.
process.env.THREADS_WORKER_INIT_TIMEOUT ??= '120000';
const { createClient } = await import('@fluencelabs/js-client');

// What the test reads of js-client's internals (not part of its typed API).
interface JsClientParticle {
  readonly id: string;
  readonly script: string;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
}
interface JsClientInternals {
  readonly connection: {
    readonly particleSource: { subscribe(next: (p: JsClientParticle) => void): unknown };
  };
  readonly internals: {
    createNewParticle(script: string, ttl?: number): Promise<JsClientParticle>;
    initiateParticle(
      particle: JsClientParticle,
      onSuccess: (r: unknown) => void,
      onError: (e: Error) => void,
      fireAndForget?: boolean,
    ): void;
  };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('js-client 0.9.0 connects over WS, sends a particle and accepts ours', async (t) => {
  const keyPair = KeyPair.random();
  const drops: ParticleDrop[] = [];
  const relay = new Libp2pTransport({
    keyPair,
    transports: [webSockets()],
    listen: ['/ip4/127.0.0.1/tcp/0/ws'],
    onDrop: (d) => drops.push(d),
  });
  t.teardown(() => relay.stop());
  await relay.start();
  const received: Array<{ particle: Particle; from: string }> = [];
  relay.listen((particle, from) => received.push({ particle, from }));
  const relayAddr = relay.multiaddrs().find((a) => a.includes('/ws/'));
  t.ok(relayAddr, 'the relay listens on WS with /p2p/');

  const started = Date.now();
  const client = await createClient(relayAddr as string);
  t.teardown(() => client.disconnect());
  const connectMs = Date.now() - started;
  const clientId = client.getPeerId();
  t.comment(`createClient (wasm load + dial + noise + yamux + identify): ${connectMs} ms`);
  await until(() => relay.isConnected(clientId), 'the relay to see js-client');

  // Identify from js-client: it advertises the particle protocol (Nox needs that).
  let protocols: string[] = [];
  await until(() => {
    void relay.libp2p.peerStore
      .get(peerIdFromString(clientId))
      .then((p) => (protocols = p.protocols))
      .catch(() => undefined);
    return protocols.includes(PARTICLE_PROTOCOL);
  }, 'identify of js-client');
  t.ok(protocols.includes(PARTICLE_PROTOCOL));

  // js-client → relay: its AVM runs the script and sends the particle to the relay.
  const js = client as unknown as JsClientInternals;
  const accepted: JsClientParticle[] = [];
  js.connection.particleSource.subscribe((p) => accepted.push(p));
  const script = `(call "${relay.peerId}" ("op" "noop") [])`;
  const particle = await js.internals.createNewParticle(script, 20_000);
  const sent = new Promise<void>((resolve, reject) =>
    js.internals.initiateParticle(particle, () => resolve(), reject, true),
  );
  await sent;
  await until(() => received.length === 1, 'the particle from js-client');
  const got = received[0] as { particle: Particle; from: string };
  t.equal(got.from, clientId);
  t.equal(got.particle.id, particle.id);
  t.equal(got.particle.initPeerId, clientId);
  t.equal(got.particle.script, script);
  t.ok(hasValidSignature(got.particle), 'js-client signature verifies');
  t.ok(
    got.particle.data.length > 0,
    `AquaVM data after js-client's first run: ${got.particle.data.length} bytes`,
  );
  t.same(drops, []);

  // relay → js-client over its own connection: its particle back, then one of ours.
  await relay.send(clientId, got.particle);
  await until(() => accepted.length === 1, 'js-client to accept its particle back');
  t.equal(accepted[0]?.id, particle.id);
  t.same(Array.from(accepted[0]?.data ?? []), Array.from(got.particle.data));
  const ours = createParticle(keyPair, '(null)', { ttl: 20_000 });
  await relay.send(clientId, ours);
  await until(() => accepted.length === 2, 'js-client to accept a particle signed by the relay');
  t.equal(accepted[1]?.id, ours.id);

  // js-client does not speak the diag protocol: the send fails and the connection stays usable.
  await t.rejects(
    relay.sendDiagnostic(clientId, { peerId: clientId, reason: 'test', code: 'expired' }),
  );
  t.ok(relay.isConnected(clientId), 'still connected after the refused diag stream');
  const after = createParticle(keyPair, '(null)', { ttl: 20_000 });
  await relay.send(clientId, after);
  await until(() => accepted.length === 3, 'a particle after the diag attempt');

  // Identify said js-client lacks the diag protocol, so an undeliverable particle of its own is
  // recorded but not explained to it over a stream it would refuse.
  const connection = relay.libp2p.getConnections(peerIdFromString(clientId))[0];
  if (!connection) throw new Error('expected the connection of js-client');
  const opened: string[] = [];
  const newStream = connection.newStream.bind(connection);
  connection.newStream = (protocols, options) => {
    opened.push(String(protocols));
    return newStream(protocols, options);
  };
  const nowhere = KeyPair.random().peerId;
  await t.rejects(relay.send(nowhere, got.particle), { code: 'undeliverable' });
  t.match(drops.at(-1), { particleId: particle.id, peerId: nowhere, code: 'undeliverable' });
  await new Promise((r) => setTimeout(r, 200));
  t.same(opened, [], 'no diag stream to js-client');
});
