// `marine air run` and `marine air data` as a user runs them: through bin/marine.js.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseJson } from '../../protocol/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);

async function marine(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(root, 'bin', 'marine.js'), ...args],
      {
        cwd: root,
        env: process.env,
        maxBuffer: 16 << 20,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const dir = await mkdtemp(join(tmpdir(), 'marine-air-run-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const air = join(dir, 'greet.air');
await writeFile(
  air,
  '(seq (call "$p1" ("greeting" "greet") ["Marine"] x) (call %init_peer_id% ("callbackSrv" "response") [x]))',
);
const services = join(dir, 'services.json');
await writeFile(
  services,
  JSON.stringify([
    { peers: ['p1'], serviceId: 'greeting', functions: { greet: { value: 'Hi, Marine' } } },
  ]),
);

interface Report {
  outcome: { status: string; value?: unknown };
  hops: { from: string; to: string }[];
  calls: { peer: string; service: string; function: string; args: unknown[]; result: unknown }[];
}

t.test(
  'an AIR script runs on peers with scripted services; --json reports calls and hops',
  async (t) => {
    const { code, stdout } = await marine(
      'air',
      'run',
      air,
      '--services',
      services,
      '--peers',
      '2',
      '--json',
    );
    t.equal(code, 0);
    const report = JSON.parse(stdout) as Report;
    t.same(report.outcome.status, 'result');
    t.equal(report.outcome.value, 'Hi, Marine');
    t.same(report.hops, [
      { from: 'client', to: 'p1' },
      { from: 'p1', to: 'client' },
    ]);
    t.match(report.calls, [
      {
        peer: 'p1',
        service: 'greeting',
        function: 'greet',
        args: ['Marine'],
        result: 'Hi, Marine',
      },
    ]);
  },
);

t.test('the same run on the reference AquaVM gives the same result', async (t) => {
  const { code, stdout } = await marine(
    'air',
    'run',
    air,
    '--services',
    services,
    '--vm',
    'reference',
    '--json',
  );
  t.equal(code, 0);
  t.equal((JSON.parse(stdout) as Report).outcome.value, 'Hi, Marine');
});

t.test('--save-data writes each peer’s data and air data reads it', async (t) => {
  const out = join(dir, 'data');
  t.equal((await marine('air', 'run', air, '--services', services, '--save-data', out)).code, 0);
  const dump = await marine('air', 'data', join(out, 'client.data'), '--json');
  t.equal(dump.code, 0);
  const parsed = JSON.parse(dump.stdout) as { trace: unknown[] };
  t.equal(parsed.trace.length, 2, 'two call states: the greeting and the response');
  const human = await marine('air', 'data', join(out, 'p1.data'));
  t.match(
    human.stdout,
    /trace \(2 states\):\n.*call scalar "Hi, Marine".*greeting\.greet\)\n.*call sent by/,
  );
  const bad = await marine('air', 'data', services);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /is not interpreter data/);
});

t.test('air data names the version of data it refuses instead of calling it no data', async (t) => {
  const fixture = JSON.parse(
    await readFile(join(root, 'fixtures/air/data-compat-1.0.0-sorted-cids.json'), 'utf8'),
  ) as { data: string };
  const old = join(dir, 'old.data');
  await writeFile(old, Buffer.from(fixture.data, 'base64'));
  const { code, stderr } = await marine('air', 'data', old);
  t.equal(code, 1);
  t.match(
    stderr,
    /^error: .*old\.data: dumped data: format 1\.0\.0 \(interpreter 0\.1\.0\) was written by marine-ts before 68a4cda/,
  );
  t.notMatch(stderr, /is not interpreter data/);
});

t.test(
  'Aqua runs with Marine services from a Config.toml',
  {
    skip:
      !existsSync(join(root, 'services-rs', 'artifacts', 'greeting.wasm')) &&
      'build the examples first (marine build services-rs/examples)',
  },
  async (t) => {
    const { code, stdout, stderr } = await marine(
      'air',
      'run',
      'fixtures/demo/hello.aqua',
      '--peers',
      '2',
      '--json',
      '--args',
      '{"name": "Marine", "peers": ["$p1", "$p2"]}',
      '--services',
      'fixtures/demo/services.json',
    );
    t.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as Report;
    t.same(report.outcome.value, ['Hi, Marine', 'Hi, Marine']);
    t.same(
      report.calls
        .filter((c) => c.service === 'greeting')
        .map((c) => c.peer)
        .sort(),
      ['p1', 'p2'],
    );
  },
);

t.test('--json prints a u64 past 2^53 from a services spec as an exact JSON number', async (t) => {
  const bigAir = join(dir, 'big.air');
  await writeFile(
    bigAir,
    '(seq (call "$p1" ("big" "get") [] x) (call %init_peer_id% ("callbackSrv" "response") [x]))',
  );
  const bigSpec = join(dir, 'big.json');
  // Written as text: JSON.stringify could not write these numbers.
  await writeFile(
    bigSpec,
    '[{"peers": ["p1"], "serviceId": "big", "functions": {"get": {"value": {"u64": 18446744073709551615, "i64": -9223372036854775808}}}}]',
  );
  const { code, stdout, stderr } = await marine(
    'air',
    'run',
    bigAir,
    '--services',
    bigSpec,
    '--peers',
    '1',
    '--json',
  );
  t.equal(code, 0, stderr);
  t.match(stdout, /"u64": 18446744073709551615,/, 'a number with every digit, not a string');
  const report = parseJson(stdout) as unknown as Report;
  t.same(report.outcome.value, { i64: -(2n ** 63n), u64: 2n ** 64n - 1n });
  t.same(report.calls[0]?.result, { u64: 2n ** 64n - 1n, i64: -(2n ** 63n) });
  const human = await marine('air', 'run', bigAir, '--services', bigSpec, '--peers', '1');
  t.equal(human.code, 0, human.stderr);
  t.match(human.stdout, /^result: \{"i64":-9223372036854775808,"u64":18446744073709551615\}$/m);
});

t.test('runs over a size limit are reported in the human report and in --json', async (t) => {
  const args = ['air', 'run', air, '--services', services, '--call-result-limit', '5'];
  const json = await marine(...args, '--json');
  t.equal(json.code, 0, 'a soft limit lets the particle complete');
  const report = JSON.parse(json.stdout) as Report & {
    sizeLimitsExceeded: { peer: string; limits: string[] }[];
  };
  t.same(report.sizeLimitsExceeded, [{ peer: 'p1', limits: ['call-result'] }]);
  const human = await marine(...args);
  t.match(human.stdout, /^size limit exceeded on p1: call-result$/m);
  const within = await marine('air', 'run', air, '--services', services, '--json');
  t.same((JSON.parse(within.stdout) as typeof report).sizeLimitsExceeded, []);
  const bad = await marine(...args.slice(0, -1), 'lots');
  t.match(
    bad.stderr,
    /--call-result-limit: expected a whole number in 0\.\.9007199254740991, found "lots"/,
  );
});

t.test('bad input gets a clear error and exit code 1', async (t) => {
  const badArgs = await marine('air', 'run', 'fixtures/demo/hello.aqua', '--args', '{not json');
  t.equal(badArgs.code, 1);
  t.match(badArgs.stderr, /--args: expected JSON/);
  const missing = await marine('air', 'run', 'fixtures/demo/hello.aqua', '--args', '{"name": "x"}');
  t.match(missing.stderr, /the function takes \(name, peers\); missing: peers/);
  const unknownPeer = join(dir, 'unknown-peer.json');
  await writeFile(
    unknownPeer,
    JSON.stringify([{ peers: ['p9'], serviceId: 's', functions: { f: { echo: true } } }]),
  );
  const peer = await marine('air', 'run', air, '--services', unknownPeer);
  t.match(peer.stderr, /names unknown peers p9/);
  const spec = join(dir, 'bad-spec.json');
  await writeFile(
    spec,
    JSON.stringify([{ peers: 'all', serviceId: 's', functions: { f: { sometimes: 1 } } }]),
  );
  const badSpec = await marine('air', 'run', air, '--services', spec);
  t.match(badSpec.stderr, /\[0\]\.functions\.f: expected \{"value": …\}/);
  const badVm = await marine('air', 'run', air, '--vm', 'other');
  t.match(badVm.stderr, /--vm: expected "ours" or "reference", found "other"/);
});

t.test(
  '@fluencelabs/aqua-lib imports resolve with nothing installed beside the file',
  async (t) => {
    // The temp dir has no node_modules: the toolkit's own aqua-lib must be found.
    const aqua = join(dir, 'relay-time.aqua');
    await writeFile(
      aqua,
      [
        'aqua RelayTime',
        '',
        'import "@fluencelabs/aqua-lib/builtin.aqua"',
        '',
        'export relayTime',
        '',
        'func relayTime() -> u64:',
        '    on HOST_PEER_ID:',
        '        t <- Peer.timestamp_ms()',
        '    <- t',
        '',
      ].join('\n'),
    );
    const before = Date.now();
    const { code, stdout, stderr } = await marine('air', 'run', aqua, '--json');
    t.equal(code, 0, stderr);
    const report = parseJson(stdout) as unknown as Report;
    t.equal(report.outcome.status, 'result');
    t.ok(Number(report.outcome.value) >= before, 'the relay answered with its clock');
    t.ok(
      report.calls.some(
        (c) => c.peer === 'relay' && c.service === 'peer' && c.function === 'timestamp_ms',
      ),
      'Peer.timestamp_ms ran on the relay',
    );
  },
);

t.test(
  'peers that send past the relay to the client are a note, not drops, on a successful run',
  async (t) => {
    const hello = join(dir, 'hello.aqua');
    await writeFile(
      hello,
      [
        'aqua Hello declares *',
        '',
        'export hello',
        '',
        'service Greeting("greeting"):',
        '  greet(name: string) -> string',
        '',
        'func hello(peers: []string) -> []string:',
        '  answers: *string',
        '  for p <- peers par:',
        '    on p:',
        '      answers <- Greeting.greet("Marine")',
        '  join answers[peers.length - 1]',
        '  <- answers',
        '',
      ].join('\n'),
    );
    const spec = join(dir, 'greet-both.json');
    await writeFile(
      spec,
      JSON.stringify([
        { peers: ['p1', 'p2'], serviceId: 'greeting', functions: { greet: { value: 'Hi' } } },
      ]),
    );
    const args = ['air', 'run', hello, '--peers', '2', '--services', spec];
    const text = await marine(...args, '--args', '{"peers": ["$p1", "$p2"]}');
    t.equal(text.code, 0, text.stderr);
    t.match(text.stdout, /^result: \["Hi","Hi"\]/);
    t.notMatch(text.stdout, /dropped on/);
    t.match(text.stdout, /note: p1, p2 also sent straight to the client|note: p2, p1 also/);
    const json = await marine(...args, '--args', '{"peers": ["$p1", "$p2"]}', '--json');
    const report = parseJson(json.stdout) as unknown as Report & {
      dropped: unknown[];
      sentPastRelay: string[];
    };
    t.same(report.dropped, []);
    t.same([...report.sentPastRelay].sort(), ['p1', 'p2']);
  },
);
