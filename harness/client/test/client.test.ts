// The client against a relay in this process: js-client's API shape, and each thing it does
// better than js-client (state events, reconnect and resend, keep-alive, diagnostics that reject
// at once, clock skew, the trace, routing through the relay whatever the next-peer order).
import t from 'tap';
import { AquaVM } from '../../air/index.js';
import {
  ClientPeer,
  ConnectionError,
  Fluence,
  InProcessRelay,
  KeyPair,
  ParticleError,
  RelayAddressError,
  callAquaFunction,
  createClient,
  defaultTtlMs,
  fromBase58Sk,
  fromBase64Sk,
  type ClientConfig,
  type ConnectionState,
} from '../index.js';

function relayWith(
  options: Partial<ConstructorParameters<typeof InProcessRelay>[0]> = {},
): InProcessRelay {
  const relay = new InProcessRelay({ vm: () => new AquaVM(), ...options });
  return relay;
}

const quiet: ClientConfig['connectionOptions'] = { keepAliveMs: false };

const viaRelay = (relayId: string, body: string): string =>
  `(xor (seq (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-) ${body}) (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`.replace(
    '$RELAY',
    JSON.stringify(relayId),
  );

t.test(
  'js-client API shape: createClient, ids, state, KeyPair helpers, defaultTtlMs',
  async (t) => {
    const relay = relayWith();
    t.teardown(() => relay.stop());
    const seed = new Uint8Array(32).fill(7);
    const keyPair = await KeyPair.fromEd25519SK(seed);
    const client = await createClient(relay.multiaddr, {
      keyPair: { type: 'Ed25519', source: seed },
      dialer: relay.dialer,
      connectionOptions: quiet,
    });
    t.teardown(() => client.stop());
    t.equal(client.getPeerId(), keyPair.getPeerId());
    t.equal(client.getRelayPeerId(), relay.relay.peerId);
    t.equal(
      client.onConnectionStateChange(() => {}),
      'connected',
    );
    t.equal(defaultTtlMs, 7000);
    t.equal((await fromBase64Sk(keyPair.toBase64Sk())).getPeerId(), keyPair.getPeerId());
    t.equal((await fromBase58Sk(keyPair.toBase58Sk())).getPeerId(), keyPair.getPeerId());
    const signature = await keyPair.signBytes(new Uint8Array([1, 2, 3]));
    t.ok(await keyPair.verify(new Uint8Array([1, 2, 3]), signature));
    t.notOk(await keyPair.verify(new Uint8Array([1, 2, 4]), signature));
    t.same(keyPair.toEd25519PrivateKey(), seed);
    await t.rejects(
      KeyPair.fromEd25519SK(new Uint8Array(3)),
      /32-byte Ed25519 secret key, found 3 bytes/,
    );
    t.throws(
      () => new ClientPeer('/ip4/127.0.0.1/tcp/1/ws', keyPair),
      RelayAddressError,
      'a relay address without /p2p/ is refused up front',
    );
    t.ok(client.clockSkew, 'the connection check measured the relay clock');
    t.ok(Math.abs(client.clockSkew?.skewMs ?? 1e9) < 1000, 'same clock, small skew');
    const value = await client.callScript(
      viaRelay(relay.relay.peerId, `(call -relay- ("op" "concat_strings") ["a" "b"] x)`),
      {},
    );
    t.equal(value, 'ab');
    // js-client's low-level form, with a callback argument.
    const seen: unknown[] = [];
    const lowLevel = await callAquaFunction({
      script: viaRelay(
        relay.relay.peerId,
        `(seq (call %init_peer_id% ("getDataSrv" "a") [] a) (seq (call -relay- ("op" "concat_strings") [a "!"] y) (call %init_peer_id% ("callbackSrv" "cb") [y] x)))`,
      ),
      config: { ttl: 5000 },
      peer: client,
      args: { a: 'low', cb: (y: unknown) => (seen.push(y), `${String(y)}?`) },
    });
    t.equal(lowLevel, 'low!?');
    t.same(seen, ['low!']);
  },
);

t.test('Fluence default client: connect, getClient, state handler, disconnect', async (t) => {
  const relay = relayWith();
  t.teardown(() => relay.stop());
  const states: ConnectionState[] = [];
  t.equal(
    Fluence.onConnectionStateChange((s) => states.push(s)),
    'disconnected',
  );
  t.throws(() => Fluence.getClient(), /no default client/);
  await Fluence.connect(relay.multiaddr, { dialer: relay.dialer, connectionOptions: quiet });
  t.equal(Fluence.getClient().getRelayPeerId(), relay.relay.peerId);
  await Fluence.disconnect();
  t.same(states, ['disconnecting', 'disconnected']);
  t.equal(Fluence.defaultClient, undefined);
});

t.test(
  'state events on every change, including a relay that goes away; reconnect with backoff',
  async (t) => {
    const relay = relayWith();
    t.teardown(() => relay.stop());
    const client = new ClientPeer(relay.multiaddr, await KeyPair.randomEd25519(), {
      dialer: relay.dialer,
      connectionOptions: { keepAliveMs: false, reconnect: { initialDelayMs: 20, maxDelayMs: 80 } },
    });
    t.teardown(() => client.stop());
    const states: ConnectionState[] = [];
    client.onConnectionStateChange((s) => states.push(s));
    await client.connect();
    t.same(states, ['connecting', 'connected']);
    relay.kill();
    await waitFor(() => states.includes('disconnected'));
    t.match(client.lastDisconnectReason, /relay closed the connection/);
    // Refused dials while the relay is down: the client keeps trying, each try is a state change.
    await waitFor(() => states.filter((s) => s === 'connecting').length >= 3);
    relay.revive();
    await waitFor(() => client.connectionState === 'connected');
    t.equal(states.at(-1), 'connected');
    t.ok(states.filter((s) => s === 'connecting').length >= 3, `retried: ${states.join(' → ')}`);
    const value = await client.callScript(
      viaRelay(relay.relay.peerId, `(call -relay- ("op" "identity") ["back"] x)`),
      {},
    );
    t.equal(value, 'back', 'calls work after the reconnect');
  },
);

t.test('particles sent while the relay was away are re-sent after the reconnect', async (t) => {
  const relay = relayWith();
  t.teardown(() => relay.stop());
  const client = new ClientPeer(relay.multiaddr, await KeyPair.randomEd25519(), {
    dialer: relay.dialer,
    trace: true,
    connectionOptions: { keepAliveMs: false, reconnect: { initialDelayMs: 200, maxDelayMs: 200 } },
  });
  t.teardown(() => client.stop());
  await client.connect();
  relay.kill();
  await waitFor(() => client.connectionState !== 'connected');
  const call = client.callScript(
    viaRelay(relay.relay.peerId, `(call -relay- ("op" "identity") ["resent"] x)`),
    {},
    { ttl: 5000 },
  );
  await new Promise((r) => setTimeout(r, 50));
  relay.revive();
  t.equal(await call, 'resent');
  t.ok(
    client.traceEvents.some((e) => e.kind === 'resent'),
    'the trace shows the re-send',
  );
});

t.test('keep-alive: a relay that stops answering pings is noticed and redialed', async (t) => {
  const relay = relayWith();
  t.teardown(() => relay.stop());
  const client = new ClientPeer(relay.multiaddr, await KeyPair.randomEd25519(), {
    dialer: relay.dialer,
    connectionOptions: {
      keepAliveMs: 50,
      pingTimeoutMs: 50,
      dialTimeoutMs: 100,
      reconnect: { initialDelayMs: 20, maxDelayMs: 40 },
    },
  });
  t.teardown(() => client.stop());
  const states: ConnectionState[] = [];
  client.onConnectionStateChange((s) => states.push(s));
  await client.connect();
  relay.mute();
  await waitFor(() => states.includes('disconnected'));
  t.match(client.lastDisconnectReason, /no ping answer from relay .*memory\/relay.* within 50 ms/);
  relay.revive();
  await waitFor(() => client.connectionState === 'connected');
  t.pass(`states: ${states.join(' → ')}`);
});

t.test('the dial timeout is honoured and the error names the address', async (t) => {
  const relay = relayWith();
  t.teardown(() => relay.stop());
  relay.mute();
  const started = Date.now();
  const error = await createClient(relay.multiaddr, {
    dialer: relay.dialer,
    connectionOptions: { dialTimeoutMs: 150, keepAliveMs: false },
  }).catch((e: unknown) => e);
  const took = Date.now() - started;
  t.type(error, ConnectionError);
  t.match((error as Error).message, `could not connect to relay ${relay.multiaddr}`);
  t.match((error as Error).message, /dial timeout of 150 ms/);
  t.ok(took >= 140 && took < 1000, `gave up after ${took} ms`);
});

t.test(
  'diagnostics reject at once: unknown peer, expired on arrival, VM error on the relay',
  async (t) => {
    const relay = relayWith({ latencyMs: 150 });
    t.teardown(() => relay.stop());
    const client = await createClient(relay.multiaddr, {
      dialer: relay.dialer,
      connectionOptions: quiet,
      defaultTtlMs: 20_000,
    });
    t.teardown(() => client.stop());
    const stranger = (await KeyPair.randomEd25519()).getPeerId();

    let started = Date.now();
    const unknown = await client
      .callScript(
        viaRelay(
          relay.relay.peerId,
          `(seq (call -relay- ("op" "noop") []) (call "${stranger}" ("op" "identity") ["x"] x))`,
        ),
        {},
      )
      .catch((e: unknown) => e);
    t.type(unknown, ParticleError);
    t.match((unknown as Error).message, /undeliverable: peer 12D3Koo\w+ could not be reached/);
    t.match((unknown as Error).message, stranger);
    t.match((unknown as ParticleError).particleId, /^[0-9a-f-]{36}$/);
    t.ok(Date.now() - started < 2000, `rejected in ${Date.now() - started} ms, not after the TTL`);

    started = Date.now();
    const expired = await client
      .callScript(
        viaRelay(relay.relay.peerId, `(call -relay- ("op" "identity") ["x"] x)`),
        {},
        {
          // Created as if by a clock 19.9 s behind: 100 ms left, and 150 ms to reach the relay.
          timestamp: Date.now() - 19_900,
        },
      )
      .catch((e: unknown) => e);
    t.type(expired, ParticleError);
    t.match(
      (expired as Error).message,
      /dropped by relay 12D3Koo\w+: expired: Particle is expired/,
    );
    t.ok(Date.now() - started < 2000, `rejected in ${Date.now() - started} ms`);

    started = Date.now();
    // An uncaught failure on the relay (no xor around it): the relay's run ends with a ret code.
    const vmError = await client
      .callScript(
        `(seq (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-) (seq (call -relay- ("op" "noop") []) (fail 7 "boom on the relay")))`,
        {},
      )
      .catch((e: unknown) => e);
    t.type(vmError, ParticleError);
    t.match(
      (vmError as Error).message,
      /vm-error: AIR failed on the relay with ret code \d+: .*boom on the relay/,
    );
    t.ok(Date.now() - started < 2000, `rejected in ${Date.now() - started} ms`);
  },
);

t.test('a particle too large is refused before sending, naming the limit', async (t) => {
  const relay = relayWith();
  t.teardown(() => relay.stop());
  const client = await createClient(relay.multiaddr, {
    dialer: relay.dialer,
    connectionOptions: quiet,
    maxParticleBytes: 4096,
  });
  t.teardown(() => client.stop());
  const big = 'x'.repeat(8000);
  const started = Date.now();
  const error = await client
    .callScript(
      viaRelay(relay.relay.peerId, `(call -relay- ("op" "identity") [big] x)`).replace(
        '(call -relay- ("op" "identity") [big] x)',
        `(seq (call %init_peer_id% ("getDataSrv" "big") [] big) (call -relay- ("op" "identity") [big] x))`,
      ),
      { big },
    )
    .catch((e: unknown) => e);
  t.type(error, ParticleError);
  t.match(
    (error as Error).message,
    /too-large: particle is about \d+ bytes, over the limit of 4096 bytes/,
  );
  t.ok(Date.now() - started < 2000);
});

t.test('every particle goes to the relay whatever the order of next peers', async (t) => {
  const relay = relayWith({ peers: 1 });
  t.teardown(() => relay.stop());
  const client = await createClient(relay.multiaddr, {
    dialer: relay.dialer,
    connectionOptions: quiet,
    trace: true,
  });
  t.teardown(() => client.stop());
  const other = relay.peers[0]?.peerId ?? '';
  // Next peers [other, relay] in this order: js-client 0.9.0 refuses to send this one.
  const script = viaRelay(
    relay.relay.peerId,
    `(seq (par (call "${other}" ("op" "noop") []) (call -relay- ("op" "noop") [])) (seq (call -relay- ("op" "noop") []) (call -relay- ("op" "identity") ["done"] x)))`,
  );
  t.equal(await client.callScript(script, {}), 'done');
  const sent = client.traceEvents.filter((e) => e.kind === 'sent');
  t.ok(sent.length > 0);
  t.ok(
    sent.every((e) => e.detail === `to ${relay.relay.peerId}`),
    'all sends went to the relay',
  );
});

t.test(
  'clock skew against the relay is measured and reported when it would expire particles early',
  async (t) => {
    const relay = relayWith({
      services: (peer, index) => {
        if (index !== 0) return;
        peer.services.remove('peer');
        peer.registerService('peer', { timestamp_ms: () => Date.now() + 3000 });
      },
    });
    t.teardown(() => relay.stop());
    const client = await createClient(relay.multiaddr, {
      dialer: relay.dialer,
      connectionOptions: quiet,
    });
    t.teardown(() => client.stop());
    const skew = client.clockSkew?.skewMs ?? 0;
    t.ok(skew > 2800 && skew < 3200, `skew ${skew} ms`);
    t.equal(client.warnings.length, 1);
    t.match(
      client.warnings[0]?.message,
      /clock is \d+ ms ahead .* particles lose \d+ ms of their 7000 ms TTL/,
    );
  },
);

t.test(
  'the opt-in trace: events and a log of sent, received, service called, result, dropped',
  async (t) => {
    const relay = relayWith();
    t.teardown(() => relay.stop());
    const seen: string[] = [];
    const client = await createClient(relay.multiaddr, {
      dialer: relay.dialer,
      connectionOptions: quiet,
      trace: (e) => seen.push(e.kind),
    });
    t.teardown(() => client.stop());
    await client.callScript(
      viaRelay(relay.relay.peerId, `(call -relay- ("op" "identity") ["t"] x)`),
      {},
    );
    for (const kind of ['sent', 'received', 'service-called', 'result', 'vm-run']) {
      t.ok(seen.includes(kind), `trace has ${kind}`);
    }
    t.match(client.traceLog().join('\n'), /\d{4}-\d\d-\d\dT.*Z [0-9a-f-]{36} sent: to 12D3Koo/);
    const quietClient = await createClient(relay.multiaddr, {
      dialer: relay.dialer,
      connectionOptions: quiet,
    });
    t.teardown(() => quietClient.stop());
    t.same(quietClient.traceLog(), [], 'no trace unless asked for');
  },
);

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
