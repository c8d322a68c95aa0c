// marine node as separate processes on 127.0.0.1 (port 0): the ready line, a client's particle
// routed through node A to node C found through the DHT, marine key new and marine run, /metrics
// moving, duplicated and reordered copies of a particle merged on A, a node killed mid-particle that picks the particle up after a restart with the same
// identity, and a graceful stop. Every process is killed by pid in a teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadScript } from '../../aqua/index.js';
import { AquaVM } from '../../air/index.js';
import { runScript } from '../../client/index.js';
import { Peer } from '../../peer/index.js';
import { KeyPair, toBase64, type Particle } from '../../protocol/index.js';
import { Libp2pTransport } from '../../transports/index.js';
import { connectRelayClient, nodeLibp2pTransports } from '../index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const marine = join(root, 'bin', 'marine.js');
const relayAqua = join(root, 'fixtures', 'node', 'relay.aqua');

interface Ready {
  event: 'ready';
  peerId: string;
  multiaddrs: string[];
  httpPort?: number;
}

interface NodeProcess {
  readonly child: ChildProcess;
  readonly ready: Ready;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
t.teardown(() => {
  for (const c of children) {
    // A child killed by a signal keeps exitCode null (signalCode says how it ended).
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // It ended between the check and the kill.
    }
  }
});

async function startNodeProcess(dataDir: string, ...extra: string[]): Promise<NodeProcess> {
  const child = spawn(
    process.execPath,
    [marine, 'node', '--data-dir', dataDir, '--json', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = await new Promise<Ready>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`no ready line in 120 s; stderr: ${stderr}`)),
      120_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const parsed = JSON.parse(line) as { event: string };
        if (parsed.event === 'ready') {
          clearTimeout(timer);
          resolve(parsed as Ready);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`node exited (${code}) before ready: ${stderr}`)));
  });
  return { child, ready, lines, exited };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [marine, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

// A copy's identity by content, to tell copies of one particle apart.
const dataKey = (p: Particle): string => toBase64(p.data);

const tcpOf = (ready: Ready): string => ready.multiaddrs.find((a) => !a.includes('/ws'))!;

t.test('nodes as processes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-nodes-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // B first; A and C join through B only, so A reaches C through the DHT.
  const b = await startNodeProcess(join(dir, 'b'), '--http-port', '0');
  const [a, c] = await Promise.all([
    startNodeProcess(join(dir, 'a'), '--bootstrap', tcpOf(b.ready), '--http-port', '0'),
    startNodeProcess(join(dir, 'c'), '--bootstrap', tcpOf(b.ready)),
  ]);

  t.test('the ready line', async (t) => {
    for (const n of [a, b, c]) {
      t.same(Object.keys(JSON.parse(n.lines[0]!) as object).slice(0, 3), [
        'event',
        'peerId',
        'multiaddrs',
      ]);
      t.match(n.ready.peerId, /^12D3KooW/);
      t.equal(n.ready.multiaddrs.length, 2, 'TCP and WebSocket');
      for (const addr of n.ready.multiaddrs) t.ok(addr.endsWith(`/p2p/${n.ready.peerId}`), addr);
      t.ok(n.ready.multiaddrs.some((m) => m.includes('/ws/')));
    }
  });

  t.test('a client reaches C through A, which finds C in the DHT', async (t) => {
    const client = await connectRelayClient(tcpOf(a.ready));
    t.teardown(() => client.close());
    const identify = await loadScript(relayAqua, { func: 'identifyPeer' });
    const outcome = await client.run(identify.script, {
      args: { peer: c.ready.peerId },
      ttl: 30_000,
    });
    t.equal(outcome.status, 'result', JSON.stringify(outcome));
    if (outcome.status === 'result') {
      t.same(
        (outcome.value as { external_addresses: string[] }).external_addresses,
        c.ready.multiaddrs,
        "C's own addresses",
      );
    }
    const unknown = '12D3KooWNphg8AfaCAEgF4y7YMLeyQXbRorEYEXvzDiMpEdnXS3J';
    const started = Date.now();
    const failed = await client.run(identify.script, { args: { peer: unknown }, ttl: 30_000 });
    t.equal(failed.status, 'error');
    t.match(failed.status === 'error' ? failed.message : '', /no address|not found|dial/i);
    t.ok(Date.now() - started < 25_000, 'the relay said why at once, not at the TTL');
  });

  t.test('marine key new and marine run', async (t) => {
    const keyFile = join(dir, 'client-key.json');
    const key = await runCli(['key', 'new', '--out', keyFile, '--json']);
    t.equal(key.code, 0, key.stderr);
    const { peerId } = JSON.parse(key.stdout) as { peerId: string };
    t.match(peerId, /^12D3KooW/);
    const run = await runCli([
      'run',
      relayAqua,
      '--func',
      'greetVia',
      '--args',
      '["marine"]',
      '--relay',
      a.ready.multiaddrs[1]!,
      '--secret-key',
      `@${keyFile}`,
      '--json',
    ]);
    t.equal(run.code, 0, run.stderr);
    t.equal(run.stdout.trim().split('\n').pop(), '"hello, marine"');
  });

  t.test('/metrics counters move', async (t) => {
    const metrics = await (await fetch(`http://127.0.0.1:${a.ready.httpPort}/metrics`)).text();
    t.match(metrics, /marine_particles_received_total [1-9]/);
    t.match(metrics, /marine_particles_sent_total [1-9]/);
    t.match(metrics, /marine_vm_run_seconds_count [1-9]/);
    t.match(metrics, /marine_connections [1-9]/);
  });

  t.test('duplicated and reordered copies of a particle merge on the node', async (t) => {
    // A client whose sends the test holds and replays: its Peer hands over each copy it sends to
    // A (its data after each of its runs), and the test delivers them duplicated and out of order.
    const keyPair = KeyPair.random();
    const transport = new Libp2pTransport({
      keyPair,
      role: 'client',
      relay: tcpOf(a.ready),
      transports: nodeLibp2pTransports(),
    });
    await transport.start();
    t.teardown(() => transport.stop());
    const held: Particle[] = [];
    const arrived: string[] = [];
    transport.listen((particle) => arrived.push(particle.id));
    const peer = new Peer({
      keyPair,
      vm: new AquaVM(),
      relayPeerId: a.ready.peerId,
      transport: {
        listen: (receive) => transport.listen(receive),
        send: async (_to, particle) => void held.push(particle),
      },
    });
    peer.start();
    t.teardown(() => peer.stop());
    const deliver = (particle: Particle): Promise<void> => transport.send(a.ready.peerId, particle);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    // Two branches on the client, each followed by a timestamp on A; A joins them.
    const script = `
    (seq
     (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
          (par (seq (call %init_peer_id% ("callbackSrv" "one") [] one)
                    (call relay ("peer" "timestamp_ms") [] t1))
               (seq (call %init_peer_id% ("callbackSrv" "two") [] two)
                    (call relay ("peer" "timestamp_ms") [] t2))))
     (seq (call relay ("op" "array") [one t1 two t2] all)
          (call %init_peer_id% ("callbackSrv" "response") [all])))`;
    const start = (): { result: Promise<unknown>; releaseTwo: () => void; id: () => string } => {
      let releaseTwo = (): void => {};
      const two = new Promise<string>((resolve) => (releaseTwo = () => resolve('two')));
      let id = '';
      const result = runScript(peer, a.ready.peerId, script, {
        ttl: 60_000,
        callbacks: { one: () => 'one', two: () => two },
        interrupt: (_fail, particleId) => (id = particleId),
      }).then((o) => (o.status === 'result' ? o.value : o));
      return { result, releaseTwo, id: () => id };
    };
    const copies = async (n: number): Promise<Particle[]> => {
      const deadline = Date.now() + 10_000;
      while (held.length < n) {
        if (Date.now() > deadline)
          throw new Error(`expected ${n} copies sent, found ${held.length}`);
        await sleep(10);
      }
      return held.splice(0, n);
    };

    // In order, the first copy twice: A runs t1 once, keeps it, and merges the second copy's
    // data (two) into it; one answer comes back.
    const first = start();
    const [d1] = await copies(1);
    const sentFirst = Date.now();
    await deliver(d1!);
    await sleep(300);
    await deliver(d1!);
    await sleep(300);
    first.releaseTwo();
    const [d2] = await copies(1);
    t.not(dataKey(d2!), dataKey(d1!), 'the second copy carries other data');
    t.equal(d2!.id, d1!.id);
    const sentSecond = Date.now();
    await deliver(d2!);
    const [one, t1, two, t2] = (await first.result) as [string, number, string, number];
    t.same([one, two], ['one', 'two'], "both branches' data reached the join on A");
    // Taken on the first copy or its duplicate, not again when the second copy came.
    t.ok(t1 >= sentFirst - 1000 && t1 < sentSecond, `t1 (${t1}) was kept from the first copy`);
    t.ok(t2 >= sentSecond - 1000, `t2 (${t2}) was taken on the second copy`);

    // Out of order: the later copy first. A has all it needs at once; the older copy that
    // arrives after it adds nothing and sends nothing.
    const second = start();
    const [older] = await copies(1);
    second.releaseTwo();
    const [newer] = await copies(1);
    await deliver(newer!);
    const [, u1, , u2] = (await second.result) as [string, number, string, number];
    t.ok(u1 > t2 && u2 > t2, 'both timestamps taken on the later copy');
    await deliver(older!);
    await sleep(1000);
    for (const id of [first.id(), second.id()]) {
      t.equal(arrived.filter((a) => a === id).length, 1, `one answer for particle ${id}`);
    }
  });

  t.test('a node killed mid-particle picks it up after a restart, same identity', async (t) => {
    const client = await connectRelayClient(tcpOf(a.ready));
    t.teardown(() => client.close());
    // C waits 6 s inside the particle; it is killed meanwhile and started again.
    const script = `
    (xor
     (seq
      (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
           (seq (call relay ("op" "noop") [])
                (call "${c.ready.peerId}" ("peer" "timeout") [6000 "survived"] r)))
      (seq (call relay ("op" "noop") [])
           (call %init_peer_id% ("callbackSrv" "response") [r])))
     (call %init_peer_id% ("errorHandlingSrv" "error") [%last_error% 1]))`;
    const pending = client.run(script, { ttl: 120_000 });
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(c.child.pid!, 'SIGKILL');
    await c.exited;
    const again = await startNodeProcess(join(dir, 'c'), '--bootstrap', tcpOf(a.ready));
    t.equal(again.ready.peerId, c.ready.peerId, 'same peer id from the same data dir');
    t.ok(
      again.lines.some((l) => l.includes('"recovered"')),
      'it picked up the stored particle',
    );
    const outcome = await pending;
    t.same(outcome.status === 'result' ? outcome.value : outcome, 'survived');
    // A graceful stop: SIGTERM, a stopped line, exit 0.
    process.kill(again.child.pid!, 'SIGTERM');
    t.equal(await again.exited, 0);
    t.match(again.lines.at(-1), /"event":"stopped"/);
  });
});
