// Attacks on the host's ingress and limits (issue #17: H1-H4, M1, M7, L1, L2, L4, L6, exit;
// stack exhaustion, in a worker and inline).
// Each test runs the attack against a real service, the guest side written in Rust
// (fixtures/configs/host/fx-ingress and fx-hog), asserts that it fails the way it should, and
// then that the host keeps serving: another call succeeds afterwards.
import t, { type Test } from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  ArgumentError,
  CallParametersError,
  ConfigError,
  GuestTrapError,
  MemoryLimitError,
  ModuleExitError,
  PolicyError,
  Service,
  TetrapletCheckError,
  ValueSizeLimitError,
  loadService,
  parseTetrapletPolicy,
  type ServiceOptions,
} from '../service/index.js';

const artifacts = await buildHostFixtures();
const root = resolve(import.meta.dirname, '../..');
const marine = (args: string[], input?: string) =>
  execa('node', ['bin/marine.js', ...args], {
    cwd: root,
    reject: false,
    env: { MARINE_TS_FROM_SOURCE: '1' },
    ...(input !== undefined ? { input } : {}),
  });

/** Writes the attack service's Config.toml (fx_hog, then the facade fx_ingress). */
function attackConfig(dir: string, memory = '64 MiB'): string {
  const file = join(dir, 'Config.toml');
  writeFileSync(
    file,
    `modules_dir = ${JSON.stringify(artifacts)}\ntotal_memory_limit = ${JSON.stringify(memory)}\n[[module]]\nname = "fx_hog"\n[[module]]\nname = "fx_ingress"\n`,
  );
  return file;
}

const identity = { serviceId: 'svc', owner: 'owner-peer', hostId: 'host-peer' };
const ownerOnly = parseTetrapletPolicy({
  functions: {
    wipe: { owner_only: true },
    echo: { arguments: { s: { peer_pk: '%host%' } } },
  },
});

async function attackService(
  t: Test,
  options: ServiceOptions = {},
  memory?: string,
): Promise<Service> {
  const svc = await loadService(attackConfig(t.testdir({}), memory), options);
  t.teardown(() => svc.close());
  return svc;
}

/** The host still serves this service: a plain call answers. */
async function stillServes(t: Test, svc: Service): Promise<void> {
  t.equal(await svc.call('echo', ['alive'], hostTetraplet), 'alive', 'the host still serves');
}
const hostTetraplet = { tetraplets: [[{ peer_pk: 'host-peer' }]] };

t.test('H1: call parameters cannot forge the owner, the host or the service id', async (t) => {
  const svc = await attackService(t, { ...identity, policy: ownerOnly });
  t.equal(
    await svc.call('whoami', [], { particle: { init_peer_id: 'client' } }),
    'svc|owner-peer|host-peer|host-peer|client',
    'the guest is told the identity given at load',
  );
  // Claiming to be the owner, to bypass owner_only.
  await t.rejects(
    svc.call('wipe', [], {
      particle: { init_peer_id: 'attacker' },
      service_creator_peer_id: 'attacker',
    }),
    {
      name: 'CallParametersError',
      message:
        /^call parameters: service_creator_peer_id: the call claims "attacker", but this service's is "owner-peer"/,
    },
  );
  await t.rejects(
    svc.call('wipe', [], { particle: { init_peer_id: 'attacker' } }),
    TetrapletCheckError,
  );
  // Claiming to be the host, to pass a %host% requirement with a value the attacker made.
  await t.rejects(
    svc.call('echo', ['forged'], { host_id: 'attacker', tetraplets: [[{ peer_pk: 'attacker' }]] }),
    { name: 'CallParametersError', message: /host_id: the call claims "attacker"/ },
  );
  await t.rejects(
    svc.call('echo', ['forged'], { tetraplets: [[{ peer_pk: 'attacker' }]] }),
    TetrapletCheckError,
  );
  await t.rejects(svc.call('whoami', [], { service_id: 'another' }), CallParametersError);
  t.equal(await svc.call('wipe', [], { particle: { init_peer_id: 'owner-peer' } }), 'wiped');
  await stillServes(t, svc);
});

t.test('H1 through the CLI: marine call --call-params and the repl', async (t) => {
  const dir = t.testdir({
    'policy.json': JSON.stringify({ functions: { wipe: { owner_only: true } } }),
  });
  const config = attackConfig(dir);
  const base = [
    '--policy',
    join(dir, 'policy.json'),
    '--owner',
    'owner-peer',
    '--host-id',
    'host-peer',
  ];
  const forged = await marine([
    'call',
    config,
    'wipe',
    '[]',
    ...base,
    '--call-params',
    '{"particle": {"init_peer_id": "attacker"}, "service_creator_peer_id": "attacker"}',
  ]);
  t.not(forged.exitCode, 0);
  t.match(forged.stderr, /service_creator_peer_id: the call claims "attacker"/);
  t.notMatch(forged.stdout, /wiped/);
  const owner = await marine([
    'call',
    config,
    'wipe',
    '[]',
    ...base,
    '--json',
    '--call-params',
    '{"particle": {"init_peer_id": "owner-peer"}}',
  ]);
  t.equal(owner.stdout, '"wiped"');
  const repl = await marine(
    ['repl', config, ...base],
    [
      'wipe [] {"particle": {"init_peer_id": "attacker"}, "service_creator_peer_id": "attacker"}',
      'whoami [] {"host_id": "attacker"}',
      'wipe [] {"particle": {"init_peer_id": "attacker"}}',
      'wipe [] {"particle": {"init_peer_id": "owner-peer"}}',
      'quit',
      '',
    ].join('\n'),
  );
  // Each answer follows the prompt `> `.
  const lines = repl.stdout.split('\n').map((l) => l.replace(/^(> )+/, ''));
  t.match(
    lines.filter((l) => l.startsWith('error: ')),
    [
      /service_creator_peer_id: the call claims "attacker"/,
      /host_id: the call claims "attacker"/,
      /may be called only by the service owner "owner-peer"/,
    ],
  );
  t.ok(lines.includes('"wiped"'), 'the owner, and only the owner, wiped');
  t.equal(lines.filter((l) => l === '"wiped"').length, 1);
});

t.test('H2: results and arguments over the size limit fail the call, not the host', async (t) => {
  // No memory budget that would stop the guest first: the result limit must do it. Three guests
  // build 100 MiB at once: on a loaded 2-core machine that outlasted the default 10 s limit
  // (a CallTimeoutError instead of the size error under test), so the limit here is generous.
  const generous = { ...identity, callTimeoutMs: 120_000 };
  const services = await Promise.all([1, 2, 3].map(() => attackService(t, generous, '1 GiB')));
  const heapBefore = process.memoryUsage().heapUsed;
  const results = await Promise.allSettled(services.map((s) => s.call('huge', [100])));
  for (const r of results) {
    t.equal(r.status, 'rejected');
    if (r.status === 'rejected') {
      t.type(r.reason, ValueSizeLimitError);
      t.match(
        (r.reason as Error).message,
        /the result of huge is larger than the value size limit of 32 MiB/,
      );
    }
  }
  t.ok(
    process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024,
    'the 300 MiB never reached the host heap',
  );
  for (const s of services) {
    t.equal(((await s.call('huge', [1])) as string).length, 1024 * 1024, 'a 1 MiB result passes');
    await stillServes(t, s);
  }
  const [first] = services as [Service];
  t.equal(
    ((await first.call('huge', [20])) as string).length,
    20 * 1024 * 1024,
    'a 20 MiB result is under the 32 MiB limit',
  );
  const starts = first.starts;
  await t.rejects(first.call('echo', ['y'.repeat(33 * 1024 * 1024)], hostTetraplet), {
    name: 'ValueSizeLimitError',
    message: /function echo: the arguments are larger than the value size limit of 32 MiB/,
  });
  t.equal(first.starts, starts, 'refused before the guest, which was not restarted');

  const small = await attackService(t, { ...identity, valueSizeLimit: 2 * 1024 * 1024 }, '1 GiB');
  await t.rejects(small.call('huge', [3]), { message: /value size limit of 2 MiB/ });
  t.equal(((await small.call('huge', [1])) as string).length, 1024 * 1024);
});

t.test('H3: the url-downloader example fetches only http(s) URLs', async (t) => {
  const example = join(root, 'services-rs/examples/url-downloader/Config.toml');
  if (!existsSync(join(root, 'services-rs/artifacts/curl_adapter.wasm'))) {
    t.fail('example artifacts missing: run `marine build services-rs/examples`');
    return;
  }
  const svc = await loadService(example);
  t.teardown(() => svc.close());
  const outside = join(t.testdir({}), 'written-by-curl');
  for (const url of [
    'file:///etc/passwd',
    'FILE:///etc/passwd',
    `-o${outside}`,
    `--output=${outside}`,
    'ftp://127.0.0.1/x',
    'dict://127.0.0.1:1/',
  ]) {
    const out = (await svc.call('get_n_save', [url, 'stolen'])) as string;
    t.notMatch(out, /root:/, `${url}: no host file`);
    const stored = (await svc.call('load', ['stolen'])) as string;
    t.match(
      stored,
      /^refused .*only http:\/\/ and https:\/\/ URLs can be downloaded/,
      `${url}: refused`,
    );
    t.notMatch(stored, /root:/);
  }
  t.notOk(existsSync(outside), 'curl never took a URL as -o');
  const server = createServer((req, res) => res.end(`page ${req.url ?? ''}`));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  const { port } = server.address() as AddressInfo;
  await svc.call('get_n_save', [`http://127.0.0.1:${port}/ok`, 'page']);
  t.equal(await svc.call('load', ['page']), 'page /ok', 'http still works');
});

t.test('H4: owner_only with no owner or no init peer denies', async (t) => {
  const unowned = await attackService(t, {
    serviceId: 'svc',
    hostId: 'host-peer',
    policy: ownerOnly,
  });
  await t.rejects(unowned.call('wipe', []), {
    name: 'TetrapletCheckError',
    message: /the service has no owner/,
  });
  await t.rejects(
    unowned.call('wipe', [], { particle: { init_peer_id: '' } }),
    TetrapletCheckError,
  );
  const owned = await attackService(t, { ...identity, policy: ownerOnly });
  await t.rejects(owned.call('wipe', []), { message: /the particle has no init peer id/ });
  await stillServes(t, unowned);
  await stillServes(t, owned);
});

t.test('M1: total_memory_limit is one budget for all modules, during the call', async (t) => {
  const svc = await attackService(t, identity, '64 MiB');
  // Before: each module could grow to nearly the whole limit, so two held 80 MiB under 64.
  await t.rejects(svc.call('hold_both', [40, 40]), MemoryLimitError);
  await t.rejects(svc.call('hold_both', [0, 60]), MemoryLimitError);
  t.equal(await svc.call('hold_both', [20, 20]), 40, 'what fits in the budget still runs');
  await stillServes(t, svc);
});

t.test('M7: a policy naming a function the service lacks is a load error', async (t) => {
  for (const name of ['wipe_all', 'hold-both', 'holdBoth']) {
    await t.rejects(
      attackService(t, {
        ...identity,
        policy: parseTetrapletPolicy({ functions: { [name]: { owner_only: true } } }),
      }),
      {
        name: 'PolicyError',
        message: new RegExp(
          `policy: functions\\.${name}: the service has no function "${name}".*; its functions: echo, whoami, wipe, huge, hold_both, quit$`,
        ),
      },
    );
  }
  await t.rejects(
    attackService(t, {
      policy: parseTetrapletPolicy({ functions: { echo: { arguments: { text: {} } } } }),
    }),
    PolicyError,
  );
  await stillServes(t, await attackService(t, { ...identity, policy: ownerOnly }));
});

t.test('L1: numeric CLI options are checked against their range', async (t) => {
  const config = attackConfig(t.testdir({}));
  for (const bad of ['1e400', '2147483648', '0', '1.5']) {
    const r = await marine(['call', config, 'whoami', '[]', '--timeout', bad]);
    t.not(r.exitCode, 0, `--timeout ${bad}`);
    t.match(
      r.stderr,
      `--timeout (milliseconds): expected a whole number in 1..2147483647, found "${bad}"`,
    );
  }
  for (const [flag, bad, range] of [
    ['--peers', '1e6', '0..1000'],
    ['--ttl', '1e400', '1..4294967295'],
  ] as const) {
    const air = await marine(['air', 'run', 'fixtures/demo/hello.air', flag, bad]);
    t.not(air.exitCode, 0);
    t.match(air.stderr, `${flag}: expected a whole number in ${range}, found "${bad}"`);
  }
  const r = await marine(['call', config, 'whoami', '[]', '--timeout', '2147483647', '--json']);
  t.equal(r.exitCode, 0, 'the largest value is accepted');
  t.match(r.stdout, /\|local\|local\|"$/);
  await t.rejects(loadService(config, { callTimeoutMs: Number('1e400') }), RangeError);
  const svc = await attackService(t);
  await t.rejects(svc.call('whoami', [], undefined, { timeoutMs: 2 ** 31 }), {
    message: 'timeoutMs: expected whole milliseconds in 1..2147483647, found 2147483648',
  });
  t.match(await svc.call('whoami', []), /^.*\|local\|local\|$/);
});

t.test('L2: a Config.toml nested 100k deep is a finding that names the file', async (t) => {
  const dir = t.testdir({ 'Config.toml': `a${'.a'.repeat(99999)} = 1\n` });
  const file = join(dir, 'Config.toml');
  await t.rejects(loadService(file), {
    name: 'ConfigError',
    message: `${file}: (toml): tables or arrays nest more than 32 levels deep (e.g. a long dotted key); a Config.toml needs at most a few`,
  });
  t.type(await loadService(file).catch((e: unknown) => e), ConfigError);
  const r = await marine(['validate', file, '--json']);
  t.equal(r.exitCode, 1);
  const out = JSON.parse(r.stdout) as { ok: boolean; findings: { file: string; field: string }[] };
  t.equal(out.ok, false);
  t.match(out.findings, [{ file, field: '(toml)' }]);
  const missing = await marine(['validate', join(dir, 'nothing', 'Config.toml'), '--json']);
  t.equal((JSON.parse(missing.stdout) as { ok: boolean }).ok, false, 'a missing file is JSON too');
  const usage = await marine(['validate', '--json']);
  t.equal(usage.exitCode, 1);
  t.match(JSON.parse(usage.stdout), {
    ok: false,
    findings: [{ field: '(command line)', message: "missing required argument 'config'" }],
  });
  await stillServes(t, await attackService(t, identity));
});

t.test('L4: arguments nested 10k deep are a named argument error', async (t) => {
  const svc = await attackService(t, identity);
  let deep: unknown = [];
  for (let i = 0; i < 10000; i += 1) deep = [deep];
  await t.rejects(svc.call('echo', [deep], hostTetraplet), {
    name: 'ArgumentError',
    message: 'function echo: argument s: expected string, found an array nested too deeply to show',
  });
  t.type(await svc.call('echo', [deep], hostTetraplet).catch((e: unknown) => e), ArgumentError);
  const r = await marine([
    'call',
    attackConfig(t.testdir({})),
    'echo',
    `${'['.repeat(10000)}${']'.repeat(10000)}`,
  ]);
  t.not(r.exitCode, 0);
  t.match(
    r.stderr,
    /^error: args: invalid JSON at position 1000: arrays and objects nest more than 1000 levels deep/,
  );
  t.notMatch(r.stderr, /RangeError|call stack/);
  await stillServes(t, svc);
});

t.test('L6: call parameters are validated at ingress, without a guest restart', async (t) => {
  const svc = await attackService(t, identity);
  await svc.call('whoami', []);
  const starts = svc.starts;
  await t.rejects(
    svc.call('whoami', [], { tetraplets: 'xy' } as never),
    new CallParametersError(
      'call parameters: tetraplets: expected an array with one list of tetraplets per argument, found "xy"',
    ),
  );
  await t.rejects(svc.call('whoami', [], { particle: { timestamp: 'now' } } as never), {
    message: /particle\.timestamp: expected milliseconds since the epoch/,
  });
  await t.rejects(svc.call('whoami', [], { particle: { signature: 'sig' } } as never), {
    message: /particle\.signature: expected an array of bytes, found "sig"/,
  });
  t.equal(svc.starts, starts, 'the guest was never restarted');
  await stillServes(t, svc);
});

t.test('exit(0) in a guest is reported as an exit, not a trap', async (t) => {
  const svc = await attackService(t, identity);
  await t.rejects(svc.call('quit', [0]), {
    name: 'ModuleExitError',
    message: /the module called exit\(0\) during the call/,
  });
  await t.rejects(svc.call('quit', [3]), ModuleExitError);
  await t.rejects(svc.call('quit', [3]), {
    message: /the module called exit with a non-zero status during the call/,
  });
  await stillServes(t, svc);
});

for (const execution of ['worker', 'inline'] as const) {
  t.test(
    `stack exhaustion: a guest recursing without end fails its call (${execution})`,
    async (t) => {
      const svc = await attackService(t, { ...identity, execution });
      t.equal(await svc.call('recurse', [1000], undefined, { module: 'fx_hog' }), 1000);
      const error = (await svc.call('recurse', [100_000_000], undefined, { module: 'fx_hog' }).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error | undefined;
      t.ok(error instanceof Error, 'the call fails');
      t.match(error?.message ?? '', /the guest overflowed its call stack \(recursion too deep/);
      t.ok(error instanceof GuestTrapError, 'a trap of the guest');
      await stillServes(t, svc);
      t.equal(
        await svc.call('recurse', [1000], undefined, { module: 'fx_hog' }),
        1000,
        'the module answers again after its restart',
      );
    },
  );
}

for (const execution of ['worker', 'inline'] as const) {
  t.test(
    `a module that never finishes starting fails its load at the limit (${execution})`,
    async (t) => {
      // Every fixture module spins in _initialize when FX_STUCK_AT_START is in its environment.
      const dir = t.testdir({});
      const file = join(dir, 'Config.toml');
      writeFileSync(
        file,
        `modules_dir = ${JSON.stringify(artifacts)}\n[[module]]\nname = "fx_hog"\n[module.wasi]\nenvs = { FX_STUCK_AT_START = "1" }\n`,
      );
      const began = performance.now();
      await t.rejects(
        loadService(file, { execution, startTimeoutMs: 1500 }),
        /instantiation did not finish within 1500 ms \(a module's start code, its constructors or main, ran too long\); it was stopped/,
      );
      const took = performance.now() - began;
      t.ok(took >= 1500 && took < 6000, `refused at its limit (${took.toFixed(0)} ms)`);
      const svc = await attackService(t, { ...identity, execution });
      await stillServes(t, svc);
    },
  );
}
