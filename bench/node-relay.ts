// Particle round trip through a relay node (client → relay → client, an op.noop on the relay,
// our VM at both ends) against a raw libp2p round trip (ping) on the same connection, and the
// real js-client 0.9.0's round trip of the same Aqua through the same node, in the same run.
import { register } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerIdFromString } from '@libp2p/peer-id';
import { connectRelayClient, libp2pNetwork, startNode } from '../harness/node/index.js';
import { loadScript } from '../harness/aqua/index.js';

const ROUNDS = 20;
const root = fileURLToPath(new URL('../', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function times(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

/** Prints median round trips in ms. */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'marine-bench-node-'));
  const node = await startNode({ dataDir: dir, createNetwork: libp2pNetwork, vmWorkers: 2 });
  const rows: [string, number][] = [];
  try {
    const ws = node.multiaddrs().find((a) => a.includes('/ws/'))!;
    const client = await connectRelayClient(ws);
    const { script } = await loadScript(join(root, 'fixtures/node/relay.aqua'), {
      func: 'greetVia',
    });
    try {
      const particle = await times(async () => {
        const o = await client.run(script, { args: { name: 'bench' }, ttl: 20_000 });
        if (o.status !== 'result') throw new Error(o.message);
      });
      const ping = client.transport.libp2p.services.ping;
      const relayId = peerIdFromString(node.peerId);
      const raw = await times(() => ping.ping(relayId));
      rows.push(['marine-ts client → relay → client (particle, WS)', median(particle)]);
      rows.push(['raw libp2p ping, same connection', median(raw)]);
      rows.push(['ratio particle / raw', median(particle) / median(raw)]);
    } finally {
      await client.close();
    }
    // The real js-client (see harness/node/test/fixtures/mafmt-hook.mjs for why the hook).
    register('../harness/node/test/fixtures/mafmt-hook.mjs', import.meta.url);
    const { createClient, v5_callFunction } = await import('@fluencelabs/js-client');
    const { compileFromPath } = await import('@fluencelabs/aqua-api');
    const compiled = await compileFromPath({
      filePath: join(root, 'fixtures/node/relay.aqua'),
      imports: [join(root, 'node_modules')],
    });
    const fn = compiled.functions.greetVia!;
    const js = await createClient(ws);
    try {
      const jsTimes = await times(() =>
        v5_callFunction([js, 'bench'] as never, fn.funcDef as never, fn.script),
      );
      rows.push(['js-client 0.9.0 → relay → js-client (particle, WS)', median(jsTimes)]);
    } finally {
      await js.disconnect();
    }
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
  for (const [name, value] of rows) {
    process.stdout.write(
      `${name.padEnd(52)} ${value.toFixed(2)}${name.startsWith('ratio') ? '×' : ' ms'}\n`,
    );
  }
}
