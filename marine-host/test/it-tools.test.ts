// Every tool accepts Marine IT modules (#16): `marine call`, `it --json` (srv.get_interface's
// shape), `validate`, `repl` and `test` (a user's tap test with loadTestService) each run once on a
// service whose facade is the hand-written IT fixture module (test/it/fixture.ts). One service
// directory is shared; every CLI process is awaited (execa), so none outlives the test.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { buildFixture } from './it/fixture.js';

const root = resolve(import.meta.dirname, '../..');
const dir = t.testdir({});
writeFileSync(join(dir, 'fixture.wasm'), await buildFixture());
const config = join(dir, 'Config.toml');
writeFileSync(config, 'modules_dir = "."\n\n[[module]]\nname = "fixture"\n');
const marine = (args: string[], input?: string) =>
  execa('node', [join(root, 'bin/marine.js'), ...args], {
    cwd: root,
    reject: false,
    timeout: 120000,
    env: { MARINE_TS_FROM_SOURCE: '1' },
    ...(input === undefined ? {} : { input }),
  });

t.test('marine call runs a function of an IT module', async (t) => {
  const r = await marine(['call', config, 'greeting', '["IT"]', '--json']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, '"Hi, IT"');
  const bad = await marine(['call', config, 'inc', '[-1]']);
  t.equal(bad.exitCode, 1, 'an argument out of range fails the command');
  t.match(bad.stderr, /invalid value: integer `-1`, expected u32/);
});

t.test('marine it --json gives srv.get_interface for an IT module', async (t) => {
  const r = await marine(['it', join(dir, 'fixture.wasm'), '--json']);
  t.equal(r.exitCode, 0, r.stderr);
  const iface = JSON.parse(r.stdout) as {
    function_signatures: { name: string; arguments: [string, string][]; output_types: string[] }[];
    record_types: { name: string; id: number; fields: [string, string][] }[];
  };
  t.same(
    iface.function_signatures.find((f) => f.name === 'greeting'),
    {
      name: 'greeting',
      arguments: [['name', 'string']],
      output_types: ['string'],
    },
  );
  t.same(iface.function_signatures.find((f) => f.name === 'inc')?.arguments, [['x', 'u32']]);
  const inner = iface.record_types.find((r) => r.name === 'Inner');
  t.same(inner?.fields, [
    ['x', 'f64'],
    ['n', 'i8'],
  ]);
});

t.test('marine validate checks a service of IT modules', async (t) => {
  const ok = await marine(['validate', config]);
  t.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
  const broken = join(dir, 'Broken.toml');
  writeFileSync(broken, 'modules_dir = "."\n\n[[module]]\nname = "fixture"\nlogging_mask = "x"\n');
  const bad = await marine(['validate', broken, '--json']);
  t.equal(bad.exitCode, 1, 'a wrong config field is a finding');
});

t.test('marine repl calls an IT module', async (t) => {
  const r = await marine(['repl', config], 'greeting ["repl"]\ninterface\nadd64 [2, 3]\nquit\n');
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /"Hi, repl"/);
  t.match(r.stdout, /greeting\(name: string\) -> string/);
  t.match(r.stdout, /(^|> )5\n\(/m, 'add64 printed its result');
});

t.test('marine test runs a user test with loadTestService over an IT module', async (t) => {
  const tests = join(dir, 'test');
  mkdirSync(tests, { recursive: true });
  const testing = relative(tests, join(root, 'harness/testing/index.js'));
  writeFileSync(
    join(tests, 'fixture.test.ts'),
    [
      "import t from 'tap';",
      `import { loadTestService } from '${testing}';`,
      "t.test('the IT fixture answers', async (t) => {",
      "  const svc = await loadTestService('../Config.toml', { base: import.meta.url });",
      '  t.teardown(() => svc.$close());',
      "  t.equal(await svc['greeting']?.('user'), 'Hi, user');",
      "  t.equal(await svc['inc']?.(41), 42);",
      '});',
      '',
    ].join('\n'),
  );
  const r = await marine(['test', dir, '--no-build']);
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^PASS test\/fixture\.test\.ts \(\d+ ok\)$/m);
});
