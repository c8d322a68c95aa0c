// A relay node against raw libp2p on the same connections, in the same run:
// - round trip client → relay → client (an Op.concat_strings on the relay, our VM at both ends)
//   against libp2p's ping on the same connection, one of each per round so load hits both alike;
// - particles/s through one relay (several clients, several particles in flight each) against
//   a raw libp2p exchange (a new stream, 1 KiB there and back) from the same clients, as many in
//   flight;
// - the real js-client 0.9.0's round trip of the same Aqua through the same node.
// Each figure is the best of 3 repetitions (medians for round trips).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import {
  connectRelayClient,
  libp2pNetwork,
  libp2pTransportOf,
  startNode,
  type RelayClient,
} from '../harness/node/index.js';
import { loadScript } from '../harness/aqua/index.js';
import { patchJsClientWebSocketFilter } from '../harness/transports/test/js-client-compat.js';
import { record } from './report.js';

const ROUNDS = 30;
const REPEATS = 3;
const CLIENTS = 4;
const IN_FLIGHT = 8;
const PER_CLIENT = 48;
// A raw libp2p message exchange for the rate's reference: one frame of a particle's size each way.
const ECHO = '/marine-ts/bench-echo/1.0.0';
const ECHO_BYTES = 1024;
const root = fileURLToPath(new URL('../', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// `count` calls of `fn`, at most `inFlight` at once; resolves to the time taken in ms.
async function pipelined(
  count: number,
  inFlight: number,
  fn: () => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        await fn();
      }
    }),
  );
}

function line(name: string, value: string): void {
  process.stdout.write(`${name.padEnd(60)} ${value}\n`);
}

/** Prints round trips (ms) and rates (particles/s) with their raw libp2p references. */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'marine-bench-node-'));
  const node = await startNode({ dataDir: dir, createNetwork: libp2pNetwork, vmWorkers: 2 });
  const clients: RelayClient[] = [];
  try {
    const ws = node.multiaddrs().find((a) => a.includes('/ws/'))!;
    const relayId = peerIdFromString(node.peerId);
    for (let i = 0; i < CLIENTS; i++) clients.push(await connectRelayClient(ws));
    const { script } = await loadScript(join(root, 'fixtures/node/relay.aqua'), {
      func: 'greetVia',
    });
    const particle = async (client: RelayClient): Promise<void> => {
      const o = await client.run(script, { args: { name: 'bench' }, ttl: 20_000 });
      if (o.status !== 'result') throw new Error(`${o.status}: ${o.message}`);
    };
    const ping = (client: RelayClient): Promise<number> =>
      client.transport.libp2p.services.ping.ping(relayId);
    // libp2p's ping allows one stream at a time per connection: the rate's reference is an echo.
    const relayLibp2p = libp2pTransportOf(node.network)!.libp2p;
    const streams = { maxInboundStreams: 4096, maxOutboundStreams: 4096 };
    await relayLibp2p.handle(
      ECHO,
      async (stream) => {
        const lp = lpStream(stream);
        await lp.write(await lp.read());
        await stream.close();
      },
      streams,
    );
    const payload = new Uint8Array(ECHO_BYTES).fill(7);
    const echo = async (client: RelayClient): Promise<void> => {
      const stream = await client.transport.libp2p.dialProtocol(relayId, ECHO, streams);
      const lp = lpStream(stream);
      await lp.write(payload);
      const back = await lp.read();
      if (back.byteLength !== ECHO_BYTES) throw new Error(`echo: ${back.byteLength} bytes back`);
      await stream.close();
    };

    // Round trip: one client, a particle then a ping each round.
    const one = clients[0]!;
    await particle(one);
    await ping(one);
    let bestParticle = Infinity;
    let bestPing = Infinity;
    for (let r = 0; r < REPEATS; r++) {
      const particles: number[] = [];
      const pings: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        particles.push(await timed(() => particle(one)));
        pings.push(await timed(() => ping(one)));
      }
      bestParticle = Math.min(bestParticle, median(particles));
      bestPing = Math.min(bestPing, median(pings));
    }
    line(
      'marine-ts client → relay → client (particle, WS), median',
      `${bestParticle.toFixed(2)} ms`,
    );
    line('raw libp2p ping, same connection, median', `${bestPing.toFixed(2)} ms`);
    line('ratio particle / raw (goal ≤ 2×)', `${(bestParticle / bestPing).toFixed(2)}×`);
    record('round trip client → relay → client vs libp2p ping', 'ms', bestParticle, bestPing);

    // Rate: every client keeps IN_FLIGHT particles (or pings) going.
    const total = CLIENTS * PER_CLIENT;
    let bestRate = 0;
    let bestPingRate = 0;
    for (let r = 0; r < REPEATS; r++) {
      const ms = await timed(() =>
        Promise.all(clients.map((c) => pipelined(PER_CLIENT, IN_FLIGHT, () => particle(c)))),
      );
      const pingMs = await timed(() =>
        Promise.all(clients.map((c) => pipelined(PER_CLIENT, IN_FLIGHT, () => echo(c)))),
      );
      bestRate = Math.max(bestRate, (total * 1000) / ms);
      bestPingRate = Math.max(bestPingRate, (total * 1000) / pingMs);
    }
    const shape = `${CLIENTS} clients × ${IN_FLIGHT} in flight`;
    line(`particles/s through one relay (${shape})`, bestRate.toFixed(0));
    line(`raw libp2p echoes/s (1 KiB), same connections (${shape})`, bestPingRate.toFixed(0));
    line('ratio particles / echoes', `${(bestRate / bestPingRate).toFixed(2)}×`);
    record(
      `particles/s through one relay vs pings/s (${shape})`,
      'per s',
      bestRate,
      bestPingRate,
      false,
    );
    for (const c of clients.splice(0)) await c.close();

    // The real js-client, with its WebSocket address filter mended for this npm tree.
    patchJsClientWebSocketFilter();
    const { createClient, v5_callFunction } = await import('@fluencelabs/js-client');
    const { compileFromPath } = await import('@fluencelabs/aqua-api');
    const compiled = await compileFromPath({
      filePath: join(root, 'fixtures/node/relay.aqua'),
      imports: [join(root, 'node_modules')],
    });
    const fn = compiled.functions.greetVia!;
    const js = await createClient(ws);
    try {
      const call = (): Promise<unknown> =>
        v5_callFunction([js, 'bench'] as never, fn.funcDef as never, fn.script);
      await call();
      let bestJs = Infinity;
      for (let r = 0; r < REPEATS; r++) {
        const times: number[] = [];
        for (let i = 0; i < ROUNDS; i++) times.push(await timed(call));
        bestJs = Math.min(bestJs, median(times));
      }
      line('js-client 0.9.0 → relay → js-client (particle, WS), median', `${bestJs.toFixed(2)} ms`);
      line('ratio marine-ts / js-client', `${(bestParticle / bestJs).toFixed(2)}×`);
      record(
        'round trip through a relay: marine-ts client vs js-client 0.9.0',
        'ms',
        bestParticle,
        bestJs,
      );
    } finally {
      await js.disconnect();
    }
  } finally {
    for (const c of clients) await c.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
