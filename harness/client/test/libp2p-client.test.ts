// The client over real libp2p on 127.0.0.1 (WebSockets, port 0), against a relay node in this
// process (Peer + builtins + the libp2p transport in node role): calls through the relay, and the
// failures js-client handles badly: a relay that accepts TCP and never speaks, a relay killed
// mid-session (state events, reconnect, resend), an unknown peer, a particle expired before it
// leaves, a particle too large.
import { createServer, type Server, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { webSockets } from '@libp2p/websockets';
import { AquaVM } from '../../air/index.js';
import { registerBuiltins } from '../../builtins/index.js';
import { Peer, ServiceRegistry } from '../../peer/index.js';
import { KeyPair as ProtocolKeyPair } from '../../protocol/index.js';
import { Libp2pTransport } from '../../transports/index.js';
import {
  ClientPeer,
  ConnectionError,
  KeyPair,
  ParticleError,
  createClient,
  type ConnectionState,
} from '../index.js';

interface Relay {
  readonly address: string;
  readonly peer: Peer;
  stop(): Promise<void>;
}

async function startRelay(t: Test, keyPair = ProtocolKeyPair.random(), port = 0): Promise<Relay> {
  const transport = new Libp2pTransport({
    keyPair,
    transports: [webSockets()],
    listen: [`/ip4/127.0.0.1/tcp/${port}/ws`],
    dialTimeoutMs: 2000,
  });
  await transport.start();
  const services = new ServiceRegistry();
  registerBuiltins(services);
  const peer = new Peer({ keyPair, vm: new AquaVM(), transport, services });
  peer.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await peer.stop();
    await transport.stop();
  };
  t.teardown(stop);
  const address = transport.multiaddrs().find((a) => a.includes('/ws/'));
  if (!address)
    throw new Error(
      `the relay listens on no WebSocket address: ${transport.multiaddrs().join(', ')}`,
    );
  return { address, peer, stop };
}

const respond = (body: string): string =>
  `(xor (seq (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-) ${body}) (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

async function waitFor(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('over WebSocket: connect, a call through the relay, the clock check, a ping', async (t) => {
  const relay = await startRelay(t);
  const client = await createClient(relay.address, { connectionOptions: { keepAliveMs: 300 } });
  t.teardown(() => client.stop());
  t.equal(client.getRelayPeerId(), relay.peer.peerId);
  t.equal(client.connectionState, 'connected');
  t.ok(client.clockSkew, 'the connection check went through the relay and back');
  const value = await client.callScript(
    respond(`(call -relay- ("op" "concat_strings") ["a" "b"] x)`),
    {},
  );
  t.equal(value, 'ab');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(client.connectionState, 'connected', 'keep-alive pings succeed');
});

t.test(
  'a relay that accepts TCP and never speaks: the dial timeout holds and names the address',
  async (t) => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    const port = (server.address() as { port: number }).port;
    const address = `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${ProtocolKeyPair.random().peerId}`;
    const started = Date.now();
    const error = await createClient(address, {
      connectionOptions: { dialTimeoutMs: 700, keepAliveMs: false },
    }).catch((e: unknown) => e);
    const took = Date.now() - started;
    t.type(error, ConnectionError);
    t.match((error as Error).message, `could not connect to relay ${address}`);
    t.match((error as Error).message, /dial timeout of 700 ms/);
    t.ok(took >= 650 && took < 3000, `gave up after ${took} ms (js-client: 30 s)`);
  },
);

t.test(
  'a relay killed mid-session: state events, reconnect with backoff, the call re-sent',
  async (t) => {
    const key = ProtocolKeyPair.random();
    const first = await startRelay(t, key);
    const port = Number(/\/tcp\/(\d+)\//.exec(first.address)?.[1]);
    const client = new ClientPeer(first.address, await KeyPair.randomEd25519(), {
      trace: true,
      connectionOptions: {
        keepAliveMs: 1000,
        pingTimeoutMs: 3000,
        dialTimeoutMs: 1000,
        reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
      },
    });
    t.teardown(() => client.stop());
    const states: ConnectionState[] = [];
    client.onConnectionStateChange((s) => states.push(s));
    await client.connect();
    await first.stop();
    await waitFor(() => states.includes('disconnected'), 'the client to notice');
    t.ok(client.lastDisconnectReason, `reason: ${client.lastDisconnectReason}`);
    const call = client.callScript(
      respond(`(call -relay- ("op" "identity") ["again"] x)`),
      {},
      { ttl: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    await startRelay(t, key, port);
    t.equal(await call, 'again', 'the particle sent while away went out after the reconnect');
    t.equal(client.connectionState, 'connected');
    t.ok(states.filter((s) => s === 'connecting').length >= 2, `states: ${states.join(' → ')}`);
  },
);

t.test(
  'an unknown peer: the relay says so and the call fails at once with the particle id',
  async (t) => {
    const relay = await startRelay(t);
    const client = await createClient(relay.address, {
      connectionOptions: { keepAliveMs: false },
      defaultTtlMs: 30_000,
    });
    t.teardown(() => client.stop());
    const stranger = ProtocolKeyPair.random().peerId;
    const started = Date.now();
    const error = await client
      .callScript(
        respond(
          `(seq (call -relay- ("op" "noop") []) (call "${stranger}" ("op" "identity") ["x"] x))`,
        ),
        {},
      )
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    t.type(error, ParticleError);
    t.match((error as Error).message, /undeliverable/);
    t.match((error as Error).message, stranger);
    t.match((error as ParticleError).particleId, /^[0-9a-f-]{36}$/);
    t.ok(took < 15_000, `rejected after ${took} ms, not after the 30 s TTL`);
  },
);

t.test('expired before it leaves, and too large: rejected at once, saying why', async (t) => {
  const relay = await startRelay(t);
  const client = await createClient(relay.address, {
    connectionOptions: { keepAliveMs: false },
    maxParticleBytes: 32 * 1024,
  });
  t.teardown(() => client.stop());
  let started = Date.now();
  const expired = await client
    .callScript(
      respond(`(call -relay- ("op" "identity") ["x"] x)`),
      {},
      // Past its deadline already: with a few ms left the race between the client's check and the
      // relay's (expired on arrival, also rejected at once) made the reporter vary.
      { timestamp: Date.now() - 7100 },
    )
    .catch((e: unknown) => e);
  t.type(expired, ParticleError);
  // Dropped by the client itself, not timed out: the message says who dropped it and why.
  t.match((expired as Error).message, /particle dropped by client 12D3Koo\w+: .*expired/i);
  t.ok(Date.now() - started < 5000, `in ${Date.now() - started} ms`);
  started = Date.now();
  const big = 'y'.repeat(64 * 1024);
  const tooLarge = await client
    .callScript(
      respond(
        `(seq (call %init_peer_id% ("getDataSrv" "big") [] big) (call -relay- ("op" "identity") [big] x))`,
      ),
      { big },
    )
    .catch((e: unknown) => e);
  t.type(tooLarge, ParticleError);
  t.match(
    (tooLarge as Error).message,
    /too-large: particle is about \d+ bytes, over the limit of 32768 bytes/,
  );
  t.ok(Date.now() - started < 5000, `in ${Date.now() - started} ms`);
});
