// `marine test` on crates with #[marine_test] tests: the examples' Rust tests (typed records,
// `_cp` calls, the multi-service form on a function and on a module) build, run through this
// host and pass; cargo's summary is what `marine test` prints.
import t from 'tap';
import { resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../../..');

/** Sums cargo's `test result:` lines. */
function cargoCounts(output: string): { passed: number; failed: number; results: number } {
  let passed = 0;
  let failed = 0;
  let results = 0;
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    results += 1;
  }
  return { passed, failed, results };
}

t.test('marine test runs the examples’ #[marine_test] tests with cargo', async (t) => {
  const started = Date.now();
  // Its own process group, so the teardown ends cargo and the services it started too.
  const child = execa('node', ['bin/marine.js', 'test', 'services-rs/examples'], {
    cwd: root,
    all: true,
    reject: false,
    detached: true,
  });
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const r = await child;
  const out = String(r.all);
  if (r.exitCode !== 0) t.comment(out.slice(-4000));
  t.equal(r.exitCode, 0, 'marine test exits 0');
  for (const name of [
    'tests::records_round_trip',
    'tests::scalars_and_options',
    'tests::services_together',
    'tests::sees_call_parameters',
    'tests::sees_tetraplets',
    'services_on_a_module::greets_the_init_peer',
  ])
    t.match(out, new RegExp(`test ${name} \\.\\.\\. ok`), `${name} passed`);
  t.same(cargoCounts(out), { passed: 6, failed: 0, results: 2 }, 'cargo: 6 passed in 2 crates');
  // The TypeScript tests of the same directory ran too.
  t.match(out, /PASS .*greeting\.test\.ts/);
  t.comment(`marine test services-rs/examples took ${Math.round((Date.now() - started) / 1000)} s`);
});
