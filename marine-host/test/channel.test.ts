// The service worker's call channel (service/channel.ts), both ends in this thread (a request is
// written before the worker end reads it, so its Atomics.wait returns at once), and against a
// worker thread for the wake-ups.
import t from 'tap';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHANNEL_DATA_BYTES,
  createChannelBuffer,
  HostChannel,
  WorkerChannel,
} from '../service/channel.js';
import { startWorker } from '../service/start-worker.js';

const here = dirname(fileURLToPath(import.meta.url));

function pair(onMessage: (m: unknown) => void = () => undefined) {
  const buffer = createChannelBuffer();
  const ports = new MessageChannel();
  const host = new HostChannel(buffer, ports.port1, onMessage);
  const worker = new WorkerChannel(buffer, ports.port2);
  return { host, worker, close: () => (ports.port1.close(), ports.port2.close()) };
}

const values: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['booleans', [true, false]],
  ['int32 edges', [0, 1, -1, 2147483647, -2147483648]],
  ['floats', [0.5, -0, 2 ** 53, -1e308, Infinity, -Infinity]],
  ['bigints', [0n, -1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n) - 1n, 10n ** 40n]],
  ['strings', ['', 'a', 'x'.repeat(64), 'x'.repeat(65), 'héllo wörld', '日本語', '😀'.repeat(40)]],
  [
    'typed arrays',
    [new Uint8Array([1, 2, 255]), new Float64Array([1.5, -2]), new BigInt64Array([-5n])],
  ],
  [
    'records and lists',
    {
      name: 'n',
      peerPk: 'p',
      list: [[{ a: 1 }], []],
      nested: { deeper: { x: 'y' } },
      opt: undefined,
    },
  ],
  ['a Map (V8-serialized)', new Map([['k', 1]])],
  ['a value over the buffer (by message)', { big: 'z'.repeat(CHANNEL_DATA_BYTES + 1) }],
];

t.test('values cross both ways unchanged', async (t) => {
  const { host, worker, close } = pair();
  t.teardown(close);
  for (const [what, value] of values) {
    host.send({ type: 'call', args: [value] });
    t.same(worker.next(), { type: 'call', args: [value] }, `request: ${what}`);
    worker.reply({ type: 'result', value });
    const outcome = await host.wait(5000);
    t.equal(outcome.kind, 'reply', `reply: ${what}`);
    if (outcome.kind === 'reply')
      t.same(outcome.value, { type: 'result', value }, `reply: ${what}`);
  }
  // NaN and -0 are kept exactly (t.same would not tell -0 from 0).
  host.send([NaN, -0]);
  const got = worker.next() as number[];
  t.ok(Number.isNaN(got[0]) && Object.is(got[1], -0), 'NaN and -0');
  worker.reply(null);
  await host.wait(5000);
});

t.test("the worker's log records come before its reply, in order", async (t) => {
  const seen: unknown[] = [];
  const { host, worker, close } = pair((m) => seen.push(m));
  t.teardown(close);
  for (const size of [10, CHANNEL_DATA_BYTES * 2]) {
    seen.length = 0;
    host.send('go');
    worker.next();
    worker.post({ type: 'log', n: 1 });
    worker.post({ type: 'log', n: 2 });
    worker.reply('r'.repeat(size));
    const outcome = await host.wait(5000);
    t.same(seen, [
      { type: 'log', n: 1 },
      { type: 'log', n: 2 },
    ]);
    t.equal(outcome.kind === 'reply' && (outcome.value as string).length, size);
  }
});

t.test('a wait ends at its time limit, or at once when stopped', async (t) => {
  const { host, close } = pair();
  t.teardown(close);
  // A pending Atomics.waitAsync does not keep Node's event loop alive (in a service the worker
  // thread does): this timer stands in for it.
  const alive = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(alive));
  host.send('never answered');
  const start = performance.now();
  t.same(await host.wait(50), { kind: 'timeout' });
  t.ok(performance.now() - start >= 45, 'waited about the limit');
  const waiting = host.wait(10000);
  host.stop();
  t.same(await waiting, { kind: 'woken' });
});

t.test(
  'poll returns a reply that is there, and nothing when none comes in its window',
  async (t) => {
    const { host, worker, close } = pair();
    t.teardown(close);
    host.send('first');
    t.equal(host.poll(0.05), undefined, 'no reply yet');
    // The request was there before the worker looked: next returns without watching or sleeping.
    t.equal(worker.next(0.2), 'first');
    worker.reply('answer');
    t.same(host.poll(0.05), { kind: 'reply', value: 'answer' });
  },
);

t.test('no wake-up is lost between a spinning or sleeping worker and host', async (t) => {
  const buffer = createChannelBuffer();
  const ports = new MessageChannel();
  const worker = startWorker(join(here, 'channel'), 'echo-worker', {
    workerData: { buffer, port: ports.port2 },
    transferList: [ports.port2],
    // Not the test runner's loaders: the worker starts in milliseconds without them.
    execArgv: [],
  });
  t.teardown(async () => {
    await worker.terminate();
    ports.port1.close();
  });
  await once(worker, 'online');
  const host = new HostChannel(buffer, ports.port1, () => undefined);
  // Back to back (the worker catches requests while watching), then with pauses longer than its
  // watch (it sleeps and must be woken), and with the host polling or waiting: a lost wake-up
  // would end a wait at its limit.
  let lost = 0;
  for (let i = 0; i < 3000; i += 1) {
    if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    host.send(i);
    const outcome = (i % 3 === 0 ? host.poll(0.1) : undefined) ?? (await host.wait(5000));
    if (outcome.kind !== 'reply' || outcome.value !== i) {
      lost += 1;
      t.comment(`call ${i}: ${JSON.stringify(outcome)} ${performance.now()}`);
    }
  }
  t.equal(lost, 0, 'every request answered, in order');
  host.send(null);
  t.same(await host.wait(5000), { kind: 'reply', value: null });
});
