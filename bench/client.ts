// The client against js-client 0.9.0, in the same run: the bytes a browser loads (our esbuild
// bundle of the example page, client + VM + libp2p, against js-client's browser build, the
// marine worker it starts and the two Wasm files it fetches), and the time to a first result
// (create a client, connect over WebSocket to a node in this process, run one Aqua call through
// it). js-client is measured against the same node when it can connect to it; when it cannot,
// the line says why instead of printing a ratio.
import '../harness/transports/libp2p/polyfill.js';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { webSockets } from '@libp2p/websockets';
import { bundleBrowserExample } from '../examples/browser/bundle.js';
import { AquaVM } from '../harness/air/index.js';
import { registerBuiltins } from '../harness/builtins/index.js';
import { createClient } from '../harness/client/index.js';
import { Peer, ServiceRegistry } from '../harness/peer/index.js';
import { KeyPair } from '../harness/protocol/index.js';
import { Libp2pTransport } from '../harness/transports/index.js';
import { patchJsClientWebSocketFilter } from '../harness/transports/test/js-client-compat.js';
import { record } from './report.js';

const ROUNDS = 3;
const root = resolve(import.meta.dirname, '..');
const SCRIPT = `(xor (seq (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-) (call -relay- ("op" "concat_strings") ["a" "b"] r)) (call %init_peer_id% ("callbackSrv" "response") [r])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function sizes(files: readonly string[]): Promise<{ raw: number; gzip: number }> {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const body = await readFile(file);
    raw += (await stat(file)).size;
    gzip += gzipSync(body).length;
  }
  return { raw, gzip };
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Prints bundle sizes and time to first result, ours and js-client's, with ratios. */
export async function run(): Promise<void> {
  const bundle = await bundleBrowserExample(join(tmpdir(), 'marine-ts-bench-browser'));
  const ours = await sizes([join(bundle.dir, 'bundle.js')]);
  const fl = join(root, 'node_modules/@fluencelabs');
  const theirs = await sizes([
    join(fl, 'js-client/dist/browser/index.min.js'),
    join(fl, 'marine-worker/dist/browser/marine-worker.umd.cjs'),
    join(fl, 'avm/dist/avm.wasm'),
    join(fl, 'marine-js/dist/marine-js.wasm'),
  ]);
  record('browser bundle bytes (js-client: its four files)', 'bytes', ours.raw, theirs.raw);
  record('browser bundle bytes, gzip', 'bytes', ours.gzip, theirs.gzip);
  process.stdout.write('| what a browser loads | bytes | gzip |\n|---|---|---|\n');
  process.stdout.write(
    `| marine-ts/client (client + AIR VM + libp2p, one bundle) | ${kb(ours.raw)} | ${kb(ours.gzip)} |\n`,
  );
  process.stdout.write(
    `| js-client 0.9.0 (index.min.js + marine worker + avm.wasm + marine-js.wasm) | ${kb(theirs.raw)} | ${kb(theirs.gzip)} |\n`,
  );
  process.stdout.write(
    `| ratio ours / js-client | ${(ours.raw / theirs.raw).toFixed(3)} | ${(ours.gzip / theirs.gzip).toFixed(3)} |\n\n`,
  );

  // One node for both clients: a Peer with builtins on libp2p over WebSocket.
  const keyPair = KeyPair.random();
  const transport = new Libp2pTransport({
    keyPair,
    transports: [webSockets()],
    listen: ['/ip4/127.0.0.1/tcp/0/ws'],
  });
  await transport.start();
  const services = new ServiceRegistry();
  registerBuiltins(services);
  const node = new Peer({ keyPair, vm: new AquaVM(), transport, services });
  node.start();
  const relay = transport.multiaddrs().find((a) => a.includes('/ws/'));
  try {
    if (!relay) throw new Error('the node listens on no WebSocket address');
    const oursMs: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const started = performance.now();
      const client = await createClient(relay, {
        connectionOptions: { skipCheckConnection: true, keepAliveMs: false },
      });
      await client.callScript(SCRIPT, {});
      oursMs.push(performance.now() - started);
      await client.stop();
    }
    let theirsLine: string;
    let theirsMedian = NaN;
    try {
      // This install's js-client cannot dial any WebSocket address without the patch (see it).
      patchJsClientWebSocketFilter();
      process.env.THREADS_WORKER_INIT_TIMEOUT ??= '120000';
      const js = await import('@fluencelabs/js-client');
      const jsMs: number[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        const started = performance.now();
        const client = await withTimeout(
          js.createClient(relay, { connectionOptions: { skipCheckConnection: true } }),
          90_000,
          'js-client createClient',
        );
        try {
          await withTimeout(
            js.callAquaFunction({
              script: SCRIPT,
              config: { ttl: 7000 },
              peer: client as unknown as Parameters<typeof js.callAquaFunction>[0]['peer'],
              args: {},
              fireAndForget: false,
            }),
            20_000,
            'js-client first call',
          );
        } finally {
          await client.disconnect();
        }
        jsMs.push(performance.now() - started);
      }
      theirsMedian = median(jsMs);
      theirsLine = `${theirsMedian.toFixed(0)} ms`;
    } catch (error) {
      theirsLine = `not measured: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    }
    const oursMedian = median(oursMs);
    record(
      'time to first result (create, connect over WS, one call; median of 3)',
      'ms',
      oursMedian,
      Number.isFinite(theirsMedian) ? theirsMedian : undefined,
    );
    process.stdout.write(
      '| time to first result (create, connect over WS, one call through the node; median of 3, Node) | ms |\n|---|---|\n',
    );
    process.stdout.write(`| marine-ts/client | ${oursMedian.toFixed(0)} ms |\n`);
    process.stdout.write(`| js-client 0.9.0 | ${theirsLine} |\n`);
    if (Number.isFinite(theirsMedian)) {
      process.stdout.write(
        `| ratio ours / js-client | ${(oursMedian / theirsMedian).toFixed(3)} |\n`,
      );
    }
  } finally {
    await node.stop();
    await transport.stop();
  }
}
