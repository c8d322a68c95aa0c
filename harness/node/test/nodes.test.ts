// marine node as separate processes on 127.0.0.1 (port 0): the ready line, a client's particle
// routed through node A to node C found through the DHT, marine key new and marine run, /metrics
// moving, a node killed mid-particle that picks the particle up after a restart with the same
// identity, and a graceful stop. Every process is killed by pid in a teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadScript } from '../../aqua/index.js';
import { connectRelayClient } from '../index.js';

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
