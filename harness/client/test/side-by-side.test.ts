// The same Aqua functions through the real @fluencelabs/js-client 0.9.0 and through
// marine-ts/client, against the same node (a relay Peer with builtins on libp2p over WebSocket):
// the same results. js-client runs AquaVM on its side, the node runs ours.
import t from 'tap';
import { webSockets } from '@libp2p/websockets';
import { compileFromString } from '@fluencelabs/aqua-api';
import { AquaVM } from '../../air/index.js';
import { registerBuiltins } from '../../builtins/index.js';
import { Peer, ServiceRegistry } from '../../peer/index.js';
import { KeyPair } from '../../protocol/index.js';
import { Libp2pTransport } from '../../transports/index.js';
import { patchJsClientWebSocketFilter } from '../../transports/test/js-client-compat.js';
import { createClient } from '../index.js';
import { resolve } from 'node:path';

// This install's js-client cannot dial WebSocket addresses without it (see the patch).
patchJsClientWebSocketFilter();
// js-client's marine worker must say hello within 10 s by default; on 2 shared cores it may not.
process.env.THREADS_WORKER_INIT_TIMEOUT ??= '120000';
const js = await import('@fluencelabs/js-client');

const root = resolve(import.meta.dirname, '../../..');

const AQUA = `aqua SideBySide declares *

export hello, lengths, maybe

import "@fluencelabs/aqua-lib/builtin.aqua"

func hello(name: string) -> string:
  on HOST_PEER_ID:
    res <- Op.concat_strings("Hello, ", name)
  <- res

func lengths(xs: []string) -> u32, []string:
  on HOST_PEER_ID:
    n <- Op.array_length(xs)
  <- n, xs

func maybe(x: ?string) -> ?string:
  on HOST_PEER_ID:
    r <- Op.identity(x)
  <- r
`;

const CALLS: [string, Record<string, unknown>][] = [
  ['hello', { name: 'side by side' }],
  ['lengths', { xs: ['a', 'bc'] }],
  ['maybe', { x: ['q'] }],
  ['maybe', { x: [] }],
];

t.test('js-client and marine-ts/client give the same results against the same node', async (t) => {
  const compiled = await compileFromString({ code: AQUA, imports: [`${root}/node_modules`] });
  t.same(compiled.errors, []);
  const keyPair = KeyPair.random();
  const transport = new Libp2pTransport({
    keyPair,
    transports: [webSockets()],
    listen: ['/ip4/127.0.0.1/tcp/0/ws'],
  });
  await transport.start();
  t.teardown(() => transport.stop());
  const services = new ServiceRegistry();
  registerBuiltins(services);
  const node = new Peer({ keyPair, vm: new AquaVM(), transport, services });
  node.start();
  t.teardown(() => node.stop());
  const relay = transport.multiaddrs().find((a) => a.includes('/ws/'));
  if (!relay) throw new Error('the node listens on no WebSocket address');

  const ours = await createClient(relay, { connectionOptions: { keepAliveMs: false } });
  t.teardown(() => ours.stop());
  const theirs = await js.createClient(relay, { connectionOptions: { skipCheckConnection: true } });
  t.teardown(() => theirs.disconnect());

  for (const [name, args] of CALLS) {
    const fn = compiled.functions[name];
    if (!fn) throw new Error(`no compiled function ${name}`);
    const viaOurs = await ours.callScript(fn.script, args, { ttl: 20_000 });
    const viaTheirs = await js.callAquaFunction({
      script: fn.script,
      config: { ttl: 20_000 },
      peer: theirs as unknown as Parameters<typeof js.callAquaFunction>[0]['peer'],
      args: args as Parameters<typeof js.callAquaFunction>[0]['args'],
      fireAndForget: false,
    });
    t.same(
      normalise(viaOurs),
      normalise(viaTheirs),
      `${name}(${JSON.stringify(args)}) → ${JSON.stringify(normalise(viaTheirs))}`,
    );
  }
});

// Our client keeps exact numbers (a u64 may arrive as a bigint); js-client gives plain numbers.
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}
