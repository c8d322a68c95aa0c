// The real @fluencelabs/js-client 0.9.0 uses a `marine node` (a separate process) as its relay
// over WebSocket and runs Aqua compiled with aqua-api on our VM at both ends' formats: relay
// builtins, kad, a second node reached through the relay, a service error caught in Aqua, and a
// service registered in one js-client called from another.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const marine = join(root, 'bin', 'marine.js');

interface Ready {
  peerId: string;
  multiaddrs: string[];
}

const children = new Set<ChildProcess>();
t.teardown(() => {
  for (const c of children)
    if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
});

async function startNodeProcess(dataDir: string, ...extra: string[]): Promise<Ready> {
  const child = spawn(
    process.execPath,
    [marine, 'node', '--data-dir', dataDir, '--json', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<Ready>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no ready line in 120 s: ${stderr}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"event":"ready"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Ready);
      }
    });
    child.on('exit', (code) => reject(new Error(`node exited (${code}) before ready: ${stderr}`)));
  });
}

const wsOf = (ready: Ready): string => ready.multiaddrs.find((a) => a.includes('/ws/'))!;

t.test('js-client 0.9.0 through a marine node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-js-client-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = await startNodeProcess(join(dir, 'a'));
  const tcpA = a.multiaddrs.find((m) => !m.includes('/ws'))!;
  const b = await startNodeProcess(join(dir, 'b'), '--bootstrap', tcpA);
  // js-client in its own process, started through tsx as bin/marine.js starts the CLI.
  const runner = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'harness/node/test/fixtures/js-client-run.ts'),
      wsOf(a),
      a.peerId,
      b.peerId,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: root },
  );
  children.add(runner);
  let out = '';
  let err = '';
  runner.stdout.on('data', (d: Buffer) => (out += d.toString()));
  runner.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => runner.on('exit', resolve));
  t.equal(code, 0, err);
  type Result = { ok?: unknown; error?: string };
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, Result> & {
    client: string;
    ms: number;
  };
  t.same(
    (r.identifyRelay?.ok as { external_addresses?: string[] })?.external_addresses,
    a.multiaddrs,
    'peer.identify on the relay gives its real addresses',
  );
  t.ok(Math.abs(Number(r.relayTime?.ok) - Date.now()) < 120_000, 'peer.timestamp_ms on the relay');
  t.ok(
    (r.neighbours?.ok as string[]).includes(b.peerId),
    'kad.neighborhood on the relay knows the second node',
  );
  t.same(
    (r.identifyPeer?.ok as { external_addresses?: string[] })?.external_addresses,
    b.multiaddrs,
    'a second node reached through the relay',
  );
  t.match(r.tryUnknown?.ok, /Service with id 'missing' not found/, 'an error caught in Aqua');
  t.equal(
    r.callGreeter?.ok,
    'hi one, from two',
    'a service registered in one js-client, called from another',
  );
  t.comment(`js-client: six calls in ${r.ms} ms`);
});
