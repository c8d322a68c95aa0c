// scripts/test.sh counts tap's results with scripts/tap-summary.sh: these tests hold it to
// failing when tap fails, when nothing ran, and to keeping skipped and todo tests out of passes.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../../..');

async function summary(t: Test, log: string, status: number) {
  const dir = t.testdir({ 'log.txt': log });
  const r = await execa('bash', ['scripts/tap-summary.sh', join(dir, 'log.txt'), String(status)], {
    cwd: root,
    reject: false,
  });
  const [passed, failed, skipped] = r.stdout.trim().split(' ').map(Number);
  return { passed, failed, skipped, stderr: r.stderr };
}

t.test('a real tap run: pass, skip, failing todo and failure are told apart', async (t) => {
  const dir = t.testdir({
    // The inner tap's project root, so it keeps its `.tap/` state here: run from the repository
    // root it shared `.tap/processinfo` with the tap running this file, and the two raced on it
    // (ENOTEMPTY when one removed it while the other wrote there).
    'package.json': '{"private": true}',
    'sample.test.mjs': [
      "import t from 'tap';",
      "t.test('passes', async (t) => t.pass('yes'));",
      "t.test('skipped', { skip: 'not here' }, async (t) => t.pass('no'));",
      "t.test('failing todo', { todo: 'later' }, async (t) => t.fail('not yet'));",
      "t.test('fails', async (t) => t.fail('broken'));",
      '',
    ].join('\n'),
  });
  // A clean environment: this file itself runs under tap.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TAP') && k !== 'NODE_OPTIONS'),
  );
  const run = await execa(
    'npx',
    ['tap', '--reporter=tap', '--disable-coverage', 'sample.test.mjs'],
    { cwd: dir, reject: false, env, extendEnv: false, all: true },
  );
  t.not(run.exitCode, 0);
  t.match(run.all, /^ {4}ok 3 - failing todo # TODO later$/m, 'tap prints a failing todo as ok');
  const r = await summary(t, run.all ?? '', run.exitCode ?? 1);
  t.same([r.passed, r.failed, r.skipped], [1, 1, 2]);
  t.match(r.stderr, /1 skipped, 1 todo \(not counted as passed\)/);
});

t.test('tap failing without a failing test still fails the run', async (t) => {
  const r = await summary(t, 'ok 1 - a.test.ts\n    ok 1 - fine\n', 1);
  t.same([r.passed, r.failed], [1, 1]);
  t.match(r.stderr, /tap exited with status 1 but reported no failing test/);
});

t.test('nothing run is a failure, even when tap exits 0', async (t) => {
  for (const status of [0, 1]) {
    const r = await summary(t, '', status);
    t.same([r.passed, r.failed, r.skipped], [0, 1, 0]);
    t.match(r.stderr, status === 0 ? /no test ran/ : /tap exited with status 1/);
  }
});

t.test('a file that crashed before its subtests counts as a failure', async (t) => {
  const r = await summary(t, 'ok 1 - a.test.ts\n    ok 1 - fine\nnot ok 2 - b.test.ts\n', 1);
  t.same([r.passed, r.failed], [1, 1]);
});

t.test('test.sh reads tap exit status and ends with the summary line', async (t) => {
  const script = readFileSync(join(root, 'scripts/test.sh'), 'utf8');
  t.match(script, /status=\$\{PIPESTATUS\[0\]\}/);
  t.match(script, /bash scripts\/tap-summary\.sh "\$log" "\$status"/);
  t.match(
    script,
    /echo "\$passed passed, \$failed failed, \$skipped skipped"\n\[ "\$failed" -eq 0 \]\n$/,
  );
});
