import t from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceAquaVM } from '../reference-aquavm.js';
import { FileDataStore } from '../../node/index.js';
import { LocalNetwork } from '../index.js';
import { ParticleError } from '../../client/index.js';
import { type AirRunner, type PeerEvent } from '../../peer/index.js';

// The loop is exercised with the reference AquaVM so these tests check the loop, not our VM.
const pool = await Promise.all(Array.from({ length: 3 }, () => createReferenceAquaVM()));
let n = 0;
const vm = (): AirRunner => pool[n++ % pool.length]!;

const wrap = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

t.test('a particle hops to a peer, calls its service and comes back', async (t) => {
  const net = new LocalNetwork({ peers: 2, vm, clientViaRelay: false });
  const p1 = net.peers[0]!;
  p1.registerService('greeting', { greet: (args) => `Hi, ${String(args[0])}` });
  const result = await net.callAquaFunction(
    wrap(`(call "${p1.peerId}" ("greeting" "greet") ["Marine"] x)`),
    {},
  );
  t.equal(result, 'Hi, Marine');
  const hops = net.events.filter(
    (e): e is Extract<PeerEvent, { type: 'sent' }> => e.type === 'sent',
  );
  t.same(
    hops.map((h) => [h.from, h.to]),
    [
      [net.client.peerId, p1.peerId],
      [p1.peerId, net.client.peerId],
    ],
  );
  t.equal(p1.activeParticles, 1, 'the peer keeps prevData until the particle expires');
  net.stop();
  t.equal(p1.activeParticles, 0);
});

t.test('the client goes through its relay like js-client', async (t) => {
  const net = new LocalNetwork({ peers: 1, vm });
  const air = wrap(
    `(seq (call "${net.relay.peerId}" ("op" "noop") []) (seq (call "${net.peers[0]!.peerId}" ("peer" "timestamp_ms") [] ts) (seq (call "${net.relay.peerId}" ("op" "noop") []) (call %init_peer_id% ("op" "identity") ["done"] x))))`,
  );
  t.equal(await net.callAquaFunction(air, {}), 'done');
  t.ok(
    net.events.every(
      (e) => e.type !== 'sent' || e.from !== net.client.peerId || e.to === net.relay.peerId,
    ),
  );
  net.stop();
});

t.test('a service error reaches errorHandlingSrv and names the particle', async (t) => {
  const net = new LocalNetwork({ peers: 1, vm, clientViaRelay: false });
  const error = await net
    .callAquaFunction(wrap(`(call "${net.peers[0]!.peerId}" ("nowhere" "f") [] x)`), {})
    .catch((e: unknown) => e);
  t.type(error, ParticleError);
  t.match(
    (error as Error).message,
    /Service with id 'nowhere' not found \(function f\).*\(particle id: [0-9a-f-]{36}\)/s,
  );
  net.stop();
});

t.test('expired and forged particles are dropped; the peer keeps working', async (t) => {
  const net = new LocalNetwork({ peers: 1, vm, clientViaRelay: false });
  const target = net.peers[0]!;
  const expired = net.client.createParticle('(null)', {
    timestamp: Date.now() - 10_000,
    ttl: 1000,
  });
  target.receive(expired, net.client.peerId);
  const forged = { ...net.client.createParticle('(null)'), script: '(never)' };
  target.receive(forged, net.client.peerId);
  const drops = net.events
    .filter((e) => e.type === 'dropped')
    .map((e) => (e as { reason: string }).reason);
  t.same(drops, ['Particle is expired', 'particle signature is not valid for its init peer']);
  t.equal(target.activeParticles, 0);
  t.equal(
    await net.callAquaFunction(wrap(`(call "${target.peerId}" ("op" "identity") [1] x)`), {}),
    1,
  );
  net.stop();
});

t.test('a failing VM loses that particle on that peer only', async (t) => {
  let fail = true;
  const flaky = (): AirRunner => {
    const inner = vm();
    return {
      invoke: (...args) => {
        if (fail) {
          fail = false;
          throw new Error('VM crashed');
        }
        return inner.invoke(...args);
      },
    };
  };
  const net = new LocalNetwork({ peers: 1, vm: flaky, clientViaRelay: false });
  // The very first invocation (the client's, for the first particle) crashes.
  const first = await net
    .callAquaFunction(wrap('(call %init_peer_id% ("op" "identity") [1] x)'), {}, { ttl: 300 })
    .catch((e: unknown) => e);
  t.match(String(first), /expired/);
  t.ok(net.events.some((e) => e.type === 'dropped' && /VM failed: VM crashed/.test(e.reason)));
  t.equal(await net.callAquaFunction(wrap('(call %init_peer_id% ("op" "identity") [2] x)'), {}), 2);
  net.stop();
});

t.test('a particle delivered twice converges to one result', async (t) => {
  const net = new LocalNetwork({ peers: 1, vm, clientViaRelay: false });
  const target = net.peers[0]!;
  let calls = 0;
  target.registerService('count', { inc: () => ++calls });
  const air = wrap(`(call "${target.peerId}" ("count" "inc") [] x)`);
  // Every copy to the target is sent twice, as if it arrived over two paths.
  const original = net.send.bind(net);
  net.send = (from, to, particle) => {
    original(from, to, particle);
    if (to === target.peerId) original(from, to, particle);
  };
  t.equal(await net.callAquaFunction(air, {}), 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(calls, 1, 'the service ran once although the particle arrived twice');
  net.stop();
});

t.test('peers can keep particle data on disk; it is removed when the particle ends', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-peer-'));
  const net = new LocalNetwork({
    peers: 1,
    vm,
    clientViaRelay: false,
    dataStore: (name) => new FileDataStore(join(dir, name)),
  });
  const target = net.peers[0]!;
  t.equal(
    await net.callAquaFunction(wrap(`(call "${target.peerId}" ("op" "identity") [7] x)`), {}),
    7,
  );
  const files = await readdir(join(dir, 'p1'));
  t.equal(files.length, 1, 'the peer wrote its prevData for the particle');
  const stored = await readFile(join(dir, 'p1', files[0]!));
  t.ok(stored.length > 0);
  net.stop();
  await new Promise((r) => setTimeout(r, 50));
  t.same(await readdir(join(dir, 'p1')), [], 'stopping forgets the particle on disk too');
  await rm(dir, { recursive: true, force: true });
});
