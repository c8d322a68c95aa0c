// `marine test` on crates with #[marine_test] tests: the examples' Rust tests (typed records,
// `_cp` calls, the multi-service form on a function and on a module) build, run through this
// host and pass; cargo's summary is what `marine test` prints.
import t from 'tap';
import { cargoCounts, marineTest } from './rust-crates.js';

t.test('marine test runs the examples’ #[marine_test] tests with cargo', async (t) => {
  // With its build step (warm after `marine build services-rs/examples`), in the shared target dir.
  const r = await marineTest(t, 'services-rs/examples', { build: true });
  const out = r.out;
  if (r.code !== 0) t.comment(out.slice(-4000));
  t.equal(r.code, 0, 'marine test exits 0');
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
  t.comment(`marine test services-rs/examples took ${r.seconds} s`);
});
