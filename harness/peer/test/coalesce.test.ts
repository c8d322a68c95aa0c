// A peer that has several particles queued for one particle id merges them all before it sends:
// one particle to each next peer with the merged data, instead of one per arrival (what made a
// relay forward 64 results to a client one by one in bench scaling).
import t, { type Test } from 'tap';
import { AquaVM } from '../../air/index.js';
import { KeyPair, createParticle, type Particle } from '../../protocol/index.js';
import { Peer, functionService, type AirRunner } from '../index.js';

// A branch as Aqua compiles `on X` behind a relay: a call there, a hop through the relay (a canon
// it executes), then a call on the client.
function relayedBranch(relay: KeyPair, client: KeyPair, on: string, v: string): string {
  return `(seq (seq (call "${on}" ("op" "identity") ["${v}"] ${v}) (new $h (new #h (canon "${relay.peerId}" $h #h)))) (call "${client.peerId}" ("op" "noop") [${v}]))`;
}

// What peer `on` sends back for `particle`: its own call done with `value`, as its VM records it.
async function doneOn(
  vm: AquaVM,
  particle: Particle,
  on: KeyPair,
  value: string,
): Promise<Uint8Array> {
  const params = {
    initPeerId: particle.initPeerId,
    currentPeerId: on.peerId,
    timestamp: particle.timestamp,
    ttl: particle.ttl,
    particleId: particle.id,
    secretKey: on.secretKey,
  };
  const empty = new Uint8Array(0);
  const first = await vm.invoke(particle.script, empty, empty, params, new Map());
  const [callId] = [...first.callRequests.keys()];
  const done = await vm.invoke(
    particle.script,
    first.data,
    empty,
    params,
    new Map([[callId ?? 0, { retCode: 0, result: value }]]),
  );
  return done.data;
}

t.test('queued arrivals of one particle are merged, then sent once', async (t) => {
  const relay = KeyPair.random();
  const client = KeyPair.random();
  const [a, b] = [KeyPair.random(), KeyPair.random()];
  const vm = new AquaVM();
  let runs = 0;
  // The VM as it is, made slow enough that the second arrival queues behind the first run.
  const slow: AirRunner = {
    invoke: async (...args) => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 50));
      return vm.invoke(...args);
    },
  };
  const sent: { to: string; particle: Particle }[] = [];
  const peer = new Peer({
    keyPair: relay,
    vm: slow,
    transport: {
      send: (to, particle) => {
        sent.push({ to, particle });
        return Promise.resolve();
      },
      listen: () => () => undefined,
    },
  });
  t.teardown(() => peer.stop());
  // Two branches behind the relay; each of A's and B's data makes it name the client as next peer.
  const branch = (on: string, v: string) => relayedBranch(relay, client, on, v);
  const script = `(par ${branch(a.peerId, 'x')} ${branch(b.peerId, 'y')})`;
  const particle = createParticle(client, script, { ttl: 60000 });
  const fromA = { ...particle, data: await doneOn(vm, particle, a, 'a') };
  const fromB = { ...particle, data: await doneOn(vm, particle, b, 'b') };
  let naming = 0;
  peer.events.on('invoked', (e) => {
    if (e.nextPeerPks.includes(client.peerId)) naming += 1;
  });
  peer.receive(fromA, a.peerId);
  peer.receive(fromB, b.peerId);
  while (!peer.idle) await new Promise((r) => setTimeout(r, 10));
  t.equal(runs, 2, 'every arrival is run through the VM');
  t.equal(naming, 2, 'both runs name the client as next peer');
  const toClient = sent.filter((s) => s.to === client.peerId);
  t.equal(toClient.length, 1, 'but the client gets one particle');
  t.same(
    toClient[0]?.particle.data,
    await peer.particleData(particle.id),
    'with the data merged from both',
  );
});

t.test('with sendIntervalMs, results arriving apart leave in one paced send', async (t) => {
  const relay = KeyPair.random();
  const client = KeyPair.random();
  const targets = [KeyPair.random(), KeyPair.random(), KeyPair.random()];
  const vm = new AquaVM();
  const sent: { to: string; particle: Particle; at: number }[] = [];
  const peer = new Peer({
    keyPair: relay,
    vm,
    sendIntervalMs: 200,
    transport: {
      send: (to, particle) => {
        sent.push({ to, particle, at: performance.now() });
        return Promise.resolve();
      },
      listen: () => () => undefined,
    },
  });
  t.teardown(() => peer.stop());
  const branch = (on: string, v: string) => relayedBranch(relay, client, on, v);
  const script = `(par ${branch(targets[0]!.peerId, 'x')} (par ${branch(targets[1]!.peerId, 'y')} ${branch(targets[2]!.peerId, 'z')}))`;
  const particle = createParticle(client, script, { ttl: 60000 });
  const results = await Promise.all(targets.map((k, i) => doneOn(vm, particle, k, 'xyz'[i]!)));
  const settled = async (): Promise<void> => {
    while (!peer.idle) await new Promise((r) => setTimeout(r, 5));
  };
  // The first result goes out at once (nothing was sent lately); the next two, 20 ms apart and
  // each run as it comes, wait for the end of the interval and leave together.
  const start = performance.now();
  peer.receive({ ...particle, data: results[0]! }, targets[0]!.peerId);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(sent.length, 1, 'the first result was sent at once');
  t.ok(sent[0]!.at - start < 150, `at once: ${Math.round(sent[0]!.at - start)} ms`);
  peer.receive({ ...particle, data: results[1]! }, targets[1]!.peerId);
  await new Promise((r) => setTimeout(r, 20));
  peer.receive({ ...particle, data: results[2]! }, targets[2]!.peerId);
  t.notOk(peer.idle, 'a held send counts as work in progress');
  await settled();
  t.equal(sent.length, 2, 'two sends for three results');
  t.ok(
    sent[1]!.at - sent[0]!.at >= 195,
    `the second waited for the interval: ${Math.round(sent[1]!.at - sent[0]!.at)} ms`,
  );
  t.same(sent[1]!.particle.data, await peer.particleData(particle.id), 'with all three merged');
  t.ok(sent.every((s) => s.to === client.peerId));
});

// A peer serving its share of a fan-out: several calls of one particle run here and end one by
// one, each result bound for the client.
async function fanOutSends(
  t: Test,
  waits: readonly number[],
  sendHoldMs: number,
): Promise<{ at: number; data: Uint8Array }[]> {
  const client = KeyPair.random();
  const self = KeyPair.random();
  const sent: { at: number; data: Uint8Array }[] = [];
  const peer = new Peer({
    keyPair: self,
    vm: new AquaVM(),
    sendHoldMs,
    transport: {
      send: (to, particle) => {
        if (to === client.peerId) sent.push({ at: performance.now(), data: particle.data });
        return Promise.resolve();
      },
      listen: () => () => undefined,
    },
  });
  t.teardown(() => peer.stop());
  peer.services.register(
    'svc',
    functionService('svc', {
      wait: (args) => new Promise((r) => setTimeout(() => r(args[0] ?? null), Number(args[0]))),
    }),
  );
  const branch = (ms: number, v: string): string =>
    `(seq (call "${self.peerId}" ("svc" "wait") [${ms}] ${v}) (call "${client.peerId}" ("op" "noop") [${v}]))`;
  const names = waits.map((_, i) => `v${i}`);
  const script = waits.reduceRight(
    (rest, ms, i) =>
      rest === '' ? branch(ms, names[i]!) : `(par ${branch(ms, names[i]!)} ${rest})`,
    '',
  );
  const particle = createParticle(client, script, { ttl: 60000 });
  const start = performance.now();
  peer.receive(particle, client.peerId);
  while (!peer.idle) await new Promise((r) => setTimeout(r, 5));
  const last = sent.at(-1);
  t.same(last?.data, await peer.particleData(particle.id), 'the last send has every result');
  return sent.map((s) => ({ ...s, at: s.at - start }));
}

t.test('with sendHoldMs, results of calls still running here leave together', async (t) => {
  const waits = [30, 60, 90, 1500];
  const without = await fanOutSends(t, waits, 0);
  t.equal(without.length, 4, 'without a hold: one send per result');
  const held = await fanOutSends(t, waits, 200);
  const at = held.map((s) => Math.round(s.at));
  t.equal(held.length, 3, `with a 200 ms hold: three sends, at ${at.join(', ')} ms`);
  t.ok(held[0]!.at < 150, 'the first result goes at once');
  t.ok(
    held[1]!.at - held[0]!.at >= 195 && held[1]!.at < 1200,
    'the next two wait for the hold, while the 1500 ms call still runs, and leave together',
  );
  t.ok(held[2]!.at >= 1500, 'the last result goes when its call ends');
});

t.test('with sendHoldMs, the send after the last call is not held', async (t) => {
  const held = await fanOutSends(t, [30, 60, 90], 5000);
  const at = held.map((s) => Math.round(s.at));
  t.equal(held.length, 2, `two sends, at ${at.join(', ')} ms`);
  t.ok(held[1]!.at < 3000, 'the second left when the last call ended, not after the 5 s hold');
});
