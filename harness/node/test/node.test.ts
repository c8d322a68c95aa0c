// startNode in process, over an in-memory network that stands for libp2p: identity kept in the
// data dir, relay builtins answering a client's particles, the protected peer.connect, anomaly
// records that replay, metrics over HTTP, particles picked up after a restart, the periodic sweep
// of expired particle files, and kad.neighborhood's DHT key with and without already_hashed.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { base58btc } from 'multiformats/bases/base58';
import { AquaVM } from '../../air/index.js';
import { callAquaFunction, runScript } from '../../client/index.js';
import { Peer, ServiceRegistry } from '../../peer/index.js';
import { KeyPair, createParticle } from '../../protocol/index.js';
import { MemoryNetwork } from '../../transports/index.js';
import {
  KAD_KEY_CODE,
  NodeParticleStore,
  PROTECTED_ERROR,
  kadLookupKey,
  nodeConfigFromTable,
  particleKey,
  readAnomaly,
  replayAnomaly,
  startNode,
  type NetworkFactory,
  type NodeEvent,
  type NodeNetwork,
} from '../index.js';

// Every peer of the memory network reaches every other; "addresses" are made up but stable.
function memoryFactory(memory: MemoryNetwork, known: Set<string>): NetworkFactory {
  return async ({ keyPair }) => {
    known.add(keyPair.peerId);
    const transport = memory.connect(keyPair.peerId);
    const net: NodeNetwork = {
      ...transport,
      multiaddrs: () => [`/memory/${keyPair.peerId}/p2p/${keyPair.peerId}`],
      isConnected: (peerId) => known.has(peerId),
      connect: async () => {},
      getContact: (peerId) =>
        known.has(peerId) ? { peerId, addresses: [`/memory/${peerId}`] } : undefined,
      closestPeers: async (_key, count) =>
        [...known].filter((p) => p !== keyPair.peerId).slice(0, count),
      connectedPeers: () => [...known].filter((p) => p !== keyPair.peerId),
      stop: async () => {
        known.delete(keyPair.peerId);
      },
    };
    return net;
  };
}

function client(memory: MemoryNetwork, known: Set<string>, keyPair = KeyPair.random()): Peer {
  known.add(keyPair.peerId);
  const peer = new Peer({
    keyPair,
    vm: new AquaVM(),
    transport: memory.connect(keyPair.peerId),
    services: new ServiceRegistry(),
  });
  peer.start();
  return peer;
}

const onRelay = (call: string, result = 'r') => `
(xor
 (seq
  (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
       (call relay ${call} ${result}))
  (call %init_peer_id% ("callbackSrv" "response") [${result}]))
 (call %init_peer_id% ("errorHandlingSrv" "error") [%last_error% 1]))`;

t.test('a node keeps its identity and answers relay builtins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  const events: NodeEvent[] = [];
  const node = await startNode({
    dataDir: dir,
    createNetwork: memoryFactory(memory, known),
    onEvent: (e) => events.push(e),
    httpPort: 0,
    anomalySlowRunMs: 10_000,
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : node.stop()));
  const keyMode = (await stat(join(dir, 'key.json'))).mode & 0o777;
  t.equal(keyMode, 0o600, 'the key file is private');
  t.match(events[0], {
    event: 'ready',
    peerId: node.peerId,
    multiaddrs: [`/memory/${node.peerId}/p2p/${node.peerId}`],
  });

  const me = client(memory, known);
  t.teardown(() => me.stop());
  const identity = (await callAquaFunction(
    me,
    node.peerId,
    onRelay('("peer" "identify") []'),
    {},
  )) as Record<string, unknown>;
  t.same(identity.external_addresses, node.multiaddrs(), 'identify reports the real addresses');
  t.ok('allowed_effectors' in identity && 'spell_version' in identity);
  t.equal(
    await callAquaFunction(
      me,
      node.peerId,
      onRelay(`("peer" "is_connected") ["${me.peerId}"]`),
      {},
    ),
    true,
  );
  t.same(
    await callAquaFunction(me, node.peerId, onRelay(`("peer" "get_contact") ["${me.peerId}"]`), {}),
    [{ peer_id: me.peerId, addresses: [`/memory/${me.peerId}`] }],
  );
  t.same(
    await callAquaFunction(
      me,
      node.peerId,
      onRelay(`("kad" "neighborhood") ["${node.peerId}" [] []]`),
      {},
    ),
    [me.peerId],
  );
  const merge = `
  (seq
   (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
        (seq (call relay ("op" "array") ["${me.peerId}" "${node.peerId}"] left)
             (call relay ("op" "array") ["${me.peerId}"] right)))
   (seq (call relay ("kad" "merge") ["${node.peerId}" left right []] r)
        (call %init_peer_id% ("callbackSrv" "response") [r])))`;
  const merged = await callAquaFunction(me, node.peerId, merge, {});
  t.same(merged, [node.peerId, me.peerId], 'merge sorts by distance (the target first) and dedups');
  const denied = await runScript(
    me,
    node.peerId,
    onRelay(`("peer" "connect") ["${me.peerId}" []]`),
  );
  t.equal(denied.status, 'error');
  t.match(
    denied.status === 'error' ? denied.message : '',
    PROTECTED_ERROR,
    "peer.connect is the host's or its manager's",
  );
  const unknown = await runScript(me, node.peerId, onRelay('("kad2" "x") []'));
  t.match(
    unknown.status === 'error' ? unknown.message : '',
    "Service with id 'kad2' not found (function x)",
  );

  const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
  t.match(metrics, /marine_particles_received_total [1-9]/);
  t.match(metrics, /marine_particles_sent_total [1-9]/);
  t.match(metrics, /marine_vm_run_seconds_count [1-9]/);
  t.match(metrics, /marine_service_call_seconds_count [1-9]/);
  const health = (await (await fetch(`http://127.0.0.1:${node.httpPort}/health`)).json()) as {
    status: string;
    peerId: string;
  };
  t.same([health.status, health.peerId], ['ok', node.peerId]);

  const firstId = node.peerId;
  await node.stop();
  stopped = true;
  const again = await startNode({ dataDir: dir, createNetwork: memoryFactory(memory, known) });
  t.teardown(() => again.stop());
  t.equal(again.peerId, firstId, 'a restart from the same data dir keeps the peer id');
});

t.test('a failing run on the node leaves an anomaly record that replays', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  const events: NodeEvent[] = [];
  const node = await startNode({
    dataDir: dir,
    createNetwork: memoryFactory(memory, known),
    onEvent: (e) => events.push(e),
    anomalySlowRunMs: 60_000,
  });
  t.teardown(() => node.stop());
  const me = client(memory, known);
  t.teardown(() => me.stop());
  // An uncatchable error on the relay: (fail) with a literal outside xor ends the run with a ret code.
  const script = `(seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay) (seq (call relay ("op" "noop") []) (fail 77 "deliberate")))`;
  void runScript(me, node.peerId, script, { ttl: 30_000 });
  const deadline = Date.now() + 25_000;
  while (!events.some((e) => e.event === 'anomaly') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const anomaly = events.find((e) => e.event === 'anomaly');
  t.ok(anomaly, 'an anomaly was recorded');
  if (anomaly?.event !== 'anomaly') return;
  t.same(anomaly.reasons, ['ret-code']);
  t.same(await readdir(join(dir, 'anomalies')), [anomaly.file.split('/').pop()]);
  const record = await readAnomaly(anomaly.file);
  t.equal(record.particle.current_peer_id, node.peerId);
  t.not(record.ret_code, 0);
  const replay = replayAnomaly(record, { secretKey: node.keyPair.secretKey });
  t.equal(replay.replayed.retCode, record.ret_code, 'the replay ends as the run did');
  t.equal(replay.replayed.errorMessage, record.error_message);
});

t.test('a restart picks up a particle whose deadline has not passed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  // First start only to create the identity; then a particle is left on disk as a crash would.
  const first = await startNode({ dataDir: dir, createNetwork: memoryFactory(memory, known) });
  const nodeId = first.peerId;
  await first.stop();
  const me = client(memory, known);
  t.teardown(() => me.stop());
  const result = new Promise<unknown>((resolve) => {
    me.registerService('callbackSrv', { response: (args) => resolve(args[0]) });
  });
  const script = `(seq (call "${nodeId}" ("op" "identity") ["picked up"] r) (call %init_peer_id% ("callbackSrv" "response") [r]))`;
  const particle = me.createParticle(script, { ttl: 10_000 });
  const expired = me.createParticle(script, { ttl: 1, timestamp: Date.now() - 1000 });
  const store = new NodeParticleStore(join(dir, 'particles'));
  await store.remember(particle);
  await store.remember(expired);
  const events: NodeEvent[] = [];
  const node = await startNode({
    dataDir: dir,
    createNetwork: memoryFactory(memory, known),
    onEvent: (e) => events.push(e),
  });
  t.teardown(() => node.stop());
  t.same(
    events.find((e) => e.event === 'recovered'),
    { event: 'recovered', particles: 1 },
  );
  t.equal(await result, 'picked up', 'the particle ran after the restart and came back');
  const left = (await readdir(join(dir, 'particles'))).filter((f) => f.endsWith('.particle'));
  t.equal(left.length, 1, 'the expired particle was removed, the live one kept until its deadline');
});

t.test('an AIR error nothing caught on the node is explained to its client at once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  const diagnostics: { to: string; particleId?: string; reason: string; code?: string }[] = [];
  const memoryNet = memoryFactory(memory, known);
  const node = await startNode({
    dataDir: dir,
    // The memory network stands for libp2p; its diagnostics are recorded instead of sent.
    createNetwork: async (init) => ({
      ...(await memoryNet(init)),
      sendDiagnostic: async (to, d) => {
        diagnostics.push({ to, ...d });
      },
    }),
    anomalySlowRunMs: 60_000,
  });
  t.teardown(() => node.stop());
  const me = client(memory, known);
  t.teardown(() => me.stop());
  const script = `(seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay) (seq (call relay ("op" "noop") []) (fail 77 "deliberate")))`;
  const run = runScript(me, node.peerId, script, { ttl: 60_000 });
  const deadline = Date.now() + 25_000;
  while (diagnostics.length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  t.equal(diagnostics.length, 1, 'one diagnostic, well before the TTL');
  t.match(diagnostics[0], {
    to: me.peerId,
    peerId: node.peerId,
    code: 'vm-error',
    reason: /^VM error on 12D3\w+: ret \d+: .*deliberate/,
  });
  me.stop();
  await run;
});

t.test('a running node sweeps the files of expired particles now and then', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.same(nodeConfigFromTable({ particle_sweep_interval_ms: 250 }, 'node.toml'), {
    particleSweepIntervalMs: 250,
  });
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  const events: NodeEvent[] = [];
  const node = await startNode({
    dataDir: dir,
    createNetwork: memoryFactory(memory, known),
    particleSweepIntervalMs: 250,
    onEvent: (e) => events.push(e),
  });
  t.teardown(() => node.stop());
  // Left behind as a crash or an actor that ended elsewhere would leave them, after the start's
  // own clean-up: one that expires soon, one that lives on, and a stray temporary file.
  const particles = join(dir, 'particles');
  const me = KeyPair.random();
  const store = new NodeParticleStore(particles);
  const soon = createParticle(me, '(null)', { ttl: 400 });
  const later = createParticle(me, '(null)', { ttl: 60_000 });
  await store.remember(soon);
  await store.remember(later);
  await store.write(particleKey(soon), new Uint8Array([1, 2, 3]));
  await store.flush();
  await writeFile(join(particles, 'particle_0123.particle.1-0.tmp'), 'cut short');
  const swept = (): number =>
    events.reduce((n, e) => n + (e.event === 'swept' ? e.particles : 0), 0);
  const deadline = Date.now() + 10_000;
  while (swept() < 2) {
    if (Date.now() > deadline) throw new Error(`swept ${swept()} of 2 within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(swept(), 2, 'the expired particle and the stray file');
  const left = await readdir(particles);
  t.same(
    left,
    [left.find((f) => f.endsWith('.particle'))],
    `only a record is left: ${left.join(', ')}`,
  );
  const [live] = await store.recover();
  t.equal(live?.id, later.id);
});

t.test('kad.neighborhood builds its DHT key as Nox does, already_hashed or not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const memory = new MemoryNetwork();
  const known = new Set<string>();
  const memoryNet = memoryFactory(memory, known);
  const looked: Uint8Array[] = [];
  const node = await startNode({
    dataDir: dir,
    // The memory network records the keys the node looks up.
    createNetwork: async (init) => {
      const net = await memoryNet(init);
      return {
        ...net,
        closestPeers: (key, count) => {
          looked.push(typeof key === 'string' ? new Uint8Array() : key);
          return net.closestPeers(key, count);
        },
      };
    },
  });
  t.teardown(() => node.stop());
  const me = client(memory, known);
  t.teardown(() => me.stop());
  // already_hashed and count as Aqua passes optionals: arrays of zero or one value.
  const call = (key: string, hashed = '', count = ''): Promise<unknown> =>
    callAquaFunction(
      me,
      node.peerId,
      `
      (xor
       (seq
        (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
             (seq (seq (call relay ("op" "array") [${hashed}] h) (call relay ("op" "array") [${count}] c))
                  (call relay ("kad" "neighborhood") ["${key}" h c] r)))
        (call %init_peer_id% ("callbackSrv" "response") [r]))
       (call %init_peer_id% ("errorHandlingSrv" "error") [%last_error% 1]))`,
      {},
    );
  const raw = base58btc.baseDecode(me.peerId);

  // Not hashed (absent or false): the key's own bytes wrapped as a multihash of code 0x12.
  t.same(await call(me.peerId), [me.peerId]);
  t.same(await call(me.peerId, 'false', '1'), [me.peerId]);
  const wrapped = Uint8Array.from([0x12, raw.length, ...raw]);
  t.same(looked.splice(0), [wrapped, wrapped]);
  t.same(kadLookupKey(me.peerId, false), wrapped);
  t.equal(KAD_KEY_CODE, 0x12);

  // Already hashed: the bytes are a multihash and are looked up as they are (here the sha2-256
  // multihash op.sha256_string makes, and a peer id, whose bytes are an identity multihash).
  const digest = (await callAquaFunction(
    me,
    node.peerId,
    onRelay(`("op" "sha256_string") ["marine"]`),
    {},
  )) as string;
  t.same(await call(digest, 'true'), [me.peerId]);
  t.same(await call(me.peerId, 'true'), [me.peerId]);
  t.same(looked.splice(0), [base58btc.baseDecode(digest), raw]);

  // Already hashed but not a multihash, or too long to wrap: an error the Aqua can catch.
  const notMultihash = base58btc.baseEncode(Uint8Array.from([0x12, 32, 1, 2, 3]));
  await t.rejects(call(notMultihash, 'true'), {
    message:
      /already_hashed is true, so the key must be a multihash in base58: the digest length says 32 bytes, 3 follow/,
  });
  const long = base58btc.baseEncode(new Uint8Array(65).fill(9));
  await t.rejects(call(long), { message: /at most 64 bytes to wrap.*found 65 bytes/ });
  t.same(looked, [], 'nothing was looked up for the refused keys');
});
