// Services run inline (ServiceOptions.execution 'inline'): the guest runs in the host's thread,
// metered, and must keep the isolation a worker gives: a runaway call is stopped at its limit and
// fails alone, a trap or a memory bomb fails only its call, the service then works, its files
// are closed, and other services are untouched. Each case runs against the same fixture the
// worker tests use, and the results are compared with the worker's.
import t from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  CallTimeoutError,
  GuestTrapError,
  MemoryLimitError,
  loadService,
} from '../service/index.js';

const artifacts = await buildHostFixtures();
const fixtureConfig = resolve(artifacts, '../Config.toml');

t.test('an inline service answers as the worker does', async (t) => {
  const inline = await loadService(fixtureConfig, { execution: 'inline', serviceId: 'same' });
  const worker = await loadService(fixtureConfig, { serviceId: 'same' });
  t.teardown(() => Promise.all([inline.close(), worker.close()]));
  const calls: [string, unknown][] = [
    ['greeting', ['world']],
    ['greeting', { name: 'x'.repeat(100_000) }],
    ['add', ['18446744073709551000', 15]],
    ['shout', ['quiet']],
    ['echo_record', [7, '12', 'ab', [1, 2, 3]]],
    ['who', []],
    ['env', ['GREETING']],
  ];
  for (const [fn, args] of calls) {
    const a = await inline.call(fn, args as never).catch((e: Error) => `error: ${e.message}`);
    const b = await worker.call(fn, args as never).catch((e: Error) => `error: ${e.message}`);
    t.same(a, b, `${fn}: the same as in a worker`);
  }
  t.same(inline.getInterface(), worker.getInterface());
  t.ok(inline.memoryByModule['fx_facade'], 'memory by module is known');
});

t.test('a runaway guest is stopped at its limit, and fails only its own call', async (t) => {
  const service = await loadService(fixtureConfig, { execution: 'inline' });
  const other = await loadService(fixtureConfig, { execution: 'inline' });
  t.teardown(() => Promise.all([service.close(), other.close()]));
  t.equal(await service.call('write-file', ['/data/inline-k', 'v']), 'ok');
  const starts = service.starts;
  const began = performance.now();
  await t.rejects(
    service.call('spin', [], undefined, { timeoutMs: 300 }),
    CallTimeoutError,
    'stopped with a timeout error',
  );
  const took = performance.now() - began;
  t.ok(took >= 300 && took < 1500, `stopped near its limit (${took.toFixed(0)} ms for 300)`);
  t.equal(await service.call('greeting', ['after']), 'Hi, after', 'the service works after it');
  t.equal(service.starts, starts + 1, 'its modules were instantiated again');
  t.equal(await other.call('greeting', ['other']), 'Hi, other', 'another service is untouched');
  // A call queued behind the runaway one runs after it, on the new instance.
  const [first, second] = await Promise.allSettled([
    service.call('spin', [], undefined, { timeoutMs: 100 }),
    service.call('add', [2, 3]),
  ]);
  t.equal(first.status, 'rejected');
  t.same(second, { status: 'fulfilled', value: 5 }, 'the queued call ran afterwards');
});

t.test('a trap and a memory bomb fail their call; the service works after each', async (t) => {
  const service = await loadService(fixtureConfig, { execution: 'inline' });
  t.teardown(() => service.close());
  await t.rejects(service.call('trap'), GuestTrapError);
  t.equal(await service.call('add', [1, 2]), 3);
  // total_memory_limit is 64 MiB: the cap written into the module stops the allocation.
  await t.rejects(service.call('grow', [200]), MemoryLimitError);
  t.equal(await service.call('grow', [1]), 1, 'memory is back after the restart');
});

t.test('a mounted binary says it needs a worker', async (t) => {
  const service = await loadService(fixtureConfig, { execution: 'inline' });
  t.teardown(() => service.close());
  const out = (await service.call('run-echo', ['hi'])) as string;
  t.match(out, /run only in a service's worker/, out);
});

t.test('files a stopped inline guest held open are closed', async (t) => {
  const dir = t.testdir({ data: {} });
  const file = join(dir, 'Config.toml');
  writeFileSync(
    file,
    `modules_dir = ${JSON.stringify(artifacts)}
[[module]]
name = "fx_attack"
[module.wasi]
mapped_dirs = { "/data" = "./data" }
[module.mounted_binaries]
stubborn = "/bin/true"
`,
  );
  const svc = await loadService(file, { execution: 'inline', callTimeoutMs: 2000 });
  t.teardown(() => svc.close());
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  t.equal(await svc.call('ping'), 'pong');
  const before = openFds();
  await t.rejects(svc.call('attack', ['hold-files', '100:spin']), CallTimeoutError);
  t.equal(await svc.call('ping'), 'pong');
  t.ok(openFds() - before < 50, `a stopped guest's files were closed (${before} → ${openFds()})`);
  await t.rejects(svc.call('attack', ['hold-files', '100:trap']));
  t.equal(await svc.call('ping'), 'pong');
  t.ok(openFds() - before < 50, `a trapped guest's files were closed (${before} → ${openFds()})`);
});

const sleeperConfig = resolve(
  import.meta.dirname,
  '../../services-rs/examples/sleeper/Config.toml',
);
const sleeperBuilt = existsSync(
  resolve(import.meta.dirname, '../../services-rs/artifacts/sleeper.wasm'),
);

t.test(
  "a guest's sleep cannot outlast its call's limit",
  { skip: sleeperBuilt ? false : 'run `marine build services-rs/examples` first' },
  async (t) => {
    const service = await loadService(sleeperConfig, { execution: 'inline' });
    t.teardown(() => service.close());
    t.equal(await service.call('sleep_ms', [30]), 30, 'a short sleep sleeps');
    const began = performance.now();
    await t.rejects(
      service.call('sleep_ms', [60_000], undefined, { timeoutMs: 300 }),
      CallTimeoutError,
    );
    const took = performance.now() - began;
    t.ok(took >= 290 && took < 1500, `woken at its limit (${took.toFixed(0)} ms for 300)`);
    t.equal(await service.call('sleep_ms', [1]), 1, 'the service works afterwards');
  },
);
