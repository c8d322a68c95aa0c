import t from 'tap';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';

await buildHostFixtures();
const root = resolve(import.meta.dirname, '../..');
const config = 'fixtures/configs/host/Config.toml';
const marine = (...args: string[]) =>
  execa('node', ['bin/marine.js', ...args], {
    cwd: root,
    reject: false,
    env: { MARINE_TS_FROM_SOURCE: '1' },
  });

t.test('marine call --json prints only the result, exact beyond 2^53', async (t) => {
  const r = await marine('call', config, 'add', '[18446744073709551000, 15]', '--json');
  t.equal(r.exitCode, 0);
  t.equal(r.stdout, '18446744073709551015');
  const rec = await marine(
    'call',
    config,
    'echo_record',
    '{"r": {"a": 1, "b": 12345678901234567890, "c": "q", "d": [7]}}',
    '--json',
  );
  t.equal(rec.stdout, '{"a":2,"b":12345678901234567890,"c":"qq","d":[8]}');
  const cp = await marine(
    'call',
    config,
    'who',
    '[]',
    '--json',
    '--call-params',
    '{"particle": {"id": "P", "init_peer_id": "I"}}',
    '--host-id',
    'H',
    '--service-id',
    'S',
  );
  t.equal(cp.stdout, '"P|I|S|H|"');
});

t.test('marine call errors go to stderr with exit code 1', async (t) => {
  const r = await marine('call', config, 'greeting', '[1]', '--json');
  t.equal(r.exitCode, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, 'error: function greeting: argument name: expected string, found 1');
  const bad = await marine('call', config, 'greeting', '[oops');
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /args: invalid JSON at position 1/);
});

t.test('marine validate: one line per finding, exit code 0/1', async (t) => {
  const ok = await marine('validate', config);
  t.equal(ok.exitCode, 0);
  const bad = await marine('validate', 'fixtures/configs/invalid/Config.toml');
  t.equal(bad.exitCode, 1);
  const lines = bad.stdout.split('\n');
  t.match(
    lines[0],
    /^error: .*invalid\/Config\.toml: module\[0\]: module "fx_facade" imports interface "fx-helper", but the service has no module/,
  );
  t.match(lines[1], /^error: .*: module\[0\]\.mounted_binaries: .*"echo"/);
  t.match(lines[2], /^warning: .*: module\[0\]\.mounted_binaries\.curl: /);
  const json = await marine('validate', 'fixtures/configs/invalid/bad-field.toml', '--json');
  t.equal(json.exitCode, 1);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; findings: { field: string }[] };
  t.equal(parsed.ok, false);
  t.same(
    parsed.findings.map((f) => f.field),
    ['total_memory_limit', 'module[0].logger_enabled'],
  );
});

t.test('marine it and marine aqua read the WIT without running code', async (t) => {
  const it = await marine('it', config, '--json');
  t.equal(it.exitCode, 0);
  const iface = JSON.parse(it.stdout) as { function_signatures: { name: string }[] };
  t.ok(iface.function_signatures.some((f) => f.name === 'write_file'));
  const aqua = await marine(
    'aqua',
    'fixtures/configs/host/artifacts/fx_facade.wasm',
    '--service-id',
    'fx',
  );
  const expected = [
    'data Rec:',
    '  a: u8',
    '  b: u64',
    '  c: string',
    '  d: []u32',
    '',
    'service FxFacade("fx"):',
    '  greeting(name: string) -> string',
  ];
  t.same(aqua.stdout.split('\n').slice(0, expected.length), expected);
});

t.test('marine test runs tap tests that load services with loadTestService', async (t) => {
  const dir = t.testdir({
    'broken.test.ts': "import t from 'tap';\nt.equal(1, 2, 'a failing user test');\n",
  });
  const failing = await marine('test', dir, '--no-build');
  t.equal(failing.exitCode, 1, 'a failing user test fails the command');
  // A failing file is shown with its output: the failed assertion by name.
  t.match(failing.stdout, /^FAIL broken\.test\.ts \(0 ok, 1 not ok\):$/m);
  t.match(failing.stdout, /not ok 1 - a failing user test/);
  const empty = await marine('test', t.testdir({}), '--no-build');
  t.equal(empty.exitCode, 1);
  t.match(
    empty.stderr,
    /no tests found under .*: expected \*\.test\.ts \/ \*\.test\.js files, or Rust sources with #\[marine_test\]/,
  );
  if (!existsSync(join(root, 'services-rs/artifacts/greeting.wasm'))) {
    t.comment(
      'greeting example not built (run `marine build services-rs/examples`): its test was not run',
    );
    return;
  }
  const example = await marine('test', 'fixtures/configs/examples/greeting', '--no-build');
  t.equal(example.exitCode, 0, example.stdout + example.stderr);
  // A passing file is one line.
  t.match(example.stdout, /^PASS test\/greeting\.test\.ts \(\d+ ok\)$/m);
  t.match(example.stdout, /^all 1 test file passed$/m);
});
