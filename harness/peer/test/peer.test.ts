// The particle loop on its own: a Peer with a service registry, typed events, an AbortSignal per
// particle and an async transport that may fail; start/stop.
import t from 'tap';
import { AquaVM } from '../../air/index.js';
import { KeyPair, type Particle } from '../../protocol/index.js';
import { registerBuiltins } from '../../builtins/index.js';
import { runScript } from '../../client/index.js';
import { MemoryNetwork } from '../../transports/index.js';
import {
  Peer,
  ServiceExistsError,
  ServiceRegistry,
  functionService,
  type PeerEvent,
  type Transport,
} from '../index.js';

const respond = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

function lonePeer(transport?: Transport): Peer {
  const keyPair = KeyPair.random();
  const services = new ServiceRegistry();
  registerBuiltins(services);
  const peer = new Peer({
    keyPair,
    vm: new AquaVM(),
    transport: transport ?? new MemoryNetwork().connect(keyPair.peerId),
    services,
  });
  peer.start();
  return peer;
}

t.test('services are found by id and by alias; a taken id is an error', async (t) => {
  const registry = new ServiceRegistry();
  registry.register('greeting', functionService('greeting', { hi: (a) => `hi ${String(a[0])}` }));
  t.throws(
    () => registry.register('greeting', functionService('greeting', {})),
    ServiceExistsError,
  );
  registry.alias('hello', 'greeting');
  t.ok(registry.has('hello'));
  t.throws(() => registry.alias('x', 'missing'), /no service with id 'missing'/);
  t.same(registry.ids(), ['greeting']);
  const peer = lonePeer();
  t.teardown(() => peer.stop());
  peer.services.register(
    'greeting',
    functionService('greeting', { hi: (a) => `hi ${String(a[0])}` }),
  );
  peer.services.alias('hello', 'greeting');
  const outcome = await runScript(
    peer,
    peer.peerId,
    respond(`(call %init_peer_id% ("hello" "hi") ["you"] x)`),
  );
  t.match(outcome, { status: 'result', value: 'hi you' });
  t.ok(registry.remove('greeting'));
  t.notOk(registry.has('hello'), 'aliases go with their service');
});

t.test('typed events: a listener of one kind sees only that kind', async (t) => {
  const peer = lonePeer();
  t.teardown(() => peer.stop());
  const calls: string[] = [];
  const all: PeerEvent['type'][] = [];
  peer.events.on('call', (e) => calls.push(`${e.request.serviceId}.${e.request.functionName}`));
  const off = peer.events.onAny((e) => all.push(e.type));
  peer.events.on('invoked', () => {
    throw new Error('a faulty listener cannot stop the peer');
  });
  const outcome = await runScript(
    peer,
    peer.peerId,
    respond(`(call %init_peer_id% ("op" "identity") [1] x)`),
  );
  t.match(outcome, { status: 'result', value: 1 });
  // The response's own call event follows once its handler has answered.
  while (!peer.idle) await new Promise((r) => setImmediate(r));
  t.same(calls, ['op.identity', 'callbackSrv.response']);
  t.ok(all.includes('received') && all.includes('invoked') && all.includes('call'));
  off();
});

t.test('stop aborts the calls of every particle and waits for the peer to be idle', async (t) => {
  const peer = lonePeer();
  let aborted: unknown;
  peer.registerService('slow', {
    wait: (_args, call) =>
      new Promise((resolve, reject) => {
        call.signal.addEventListener('abort', () => {
          aborted = call.signal.reason;
          reject(new Error('aborted'));
        });
        setTimeout(resolve, 60_000).unref();
      }),
  });
  const started = runScript(
    peer,
    peer.peerId,
    respond(`(call %init_peer_id% ("slow" "wait") [] x)`),
    {
      ttl: 60_000,
    },
  );
  await new Promise((r) => setTimeout(r, 200));
  t.equal(peer.activeParticles, 1);
  const before = Date.now();
  await peer.stop();
  t.ok(Date.now() - before < 5_000, 'stop did not wait for the service to finish on its own');
  t.ok(peer.idle);
  t.equal(peer.activeParticles, 0);
  t.match(String(aborted), /particle .* ended/);
  void started;
});

t.test('a transport that cannot deliver makes the particle dropped, with its reason', async (t) => {
  const sent: string[] = [];
  const failing: Transport = {
    send: async (to: string, _particle: Particle) => {
      sent.push(to);
      throw new Error(`connection to ${to} refused`);
    },
    listen: () => () => {},
  };
  const peer = lonePeer(failing);
  t.teardown(() => peer.stop());
  const other = KeyPair.random().peerId;
  const dropped: string[] = [];
  peer.events.on('dropped', (e) => dropped.push(e.reason));
  const outcome = await runScript(peer, peer.peerId, `(call "${other}" ("op" "noop") [])`, {
    idle: () => new Promise((r) => setTimeout(r, 300)),
  });
  t.equal(outcome.status, 'idle');
  t.same(sent, [other]);
  t.same(dropped, [`connection to ${other} refused`]);
});

t.test('runScript gives up when its signal aborts', async (t) => {
  const peer = lonePeer();
  t.teardown(() => peer.stop());
  const controller = new AbortController();
  const pending = runScript(
    peer,
    peer.peerId,
    `(call "${KeyPair.random().peerId}" ("op" "noop") [])`,
    {
      signal: controller.signal,
    },
  );
  controller.abort();
  t.match(await pending, { status: 'aborted' });
});
