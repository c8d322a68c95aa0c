// Differential conformance, hand-written AIR half: every scenario of fixtures/air/conformance runs
// on a local network once with the reference AquaVM and once with ours; how it ends, every peer's
// calls (arguments, tetraplets, results), VM failures and hops must match. Merge-order scenarios
// are run once per forced delivery order, and once more with every held particle delivered twice.
import t from 'tap';
import { AquaVM } from '../../air/index.js';
import type { AirRunner } from '../../peer/index.js';
import { createReferenceAquaVM } from '../reference-aquavm.js';
import {
  loadAirScenarios,
  permutations,
  runAirScenario,
  type AirScenario,
  type Delivery,
} from './conformance/air-scenarios.js';

const scenarios = loadAirScenarios();
// How long the network must stay silent before a run counts as finished; VM runs take a few ms.
const only = process.env['AIR_CONFORMANCE_ONLY'];

// The reference VM is slow to instantiate; a small pool shared round-robin keeps the run short.
// Peers sharing an instance is safe: AquaVM keeps no state between invocations.
const referencePool = await Promise.all(Array.from({ length: 3 }, () => createReferenceAquaVM()));
let next = 0;
const reference = (): AirRunner => referencePool[next++ % referencePool.length]!;

// AIR_CONFORMANCE_SELF=1 compares the reference with itself: a check that the harness is
// deterministic, so that every difference reported against our VM is the VM's.
const ours: () => AirRunner =
  process.env['AIR_CONFORMANCE_SELF'] === '1' ? reference : () => new AquaVM();

/** The delivery orders a scenario runs with: the natural one, or every permutation plus doubled. */
function deliveries(scenario: AirScenario): (Delivery | undefined)[] {
  if (!scenario.hold) return [undefined];
  const orders = permutations(scenario.hold.count);
  return [
    ...orders.map((order) => ({ order, duplicate: false })),
    { order: orders[orders.length - 1]!, duplicate: true },
  ];
}

t.test('the corpus covers every instruction with 60+ scenarios', async (t) => {
  t.ok(scenarios.length >= 60, `${scenarios.length} scenarios`);
  const air = scenarios.map((s) => s.air).join('\n');
  for (const keyword of [
    'call',
    'seq',
    'par',
    'xor',
    'match',
    'mismatch',
    'fold',
    'next',
    'new',
    'ap',
    'canon',
    'fail',
    'never',
    'null',
  ]) {
    t.match(air, new RegExp(`\\(${keyword}[\\s)]`), `uses ${keyword}`);
  }
  t.ok(new Set(scenarios.map((s) => s.name)).size === scenarios.length, 'names are unique');
});

// Known differences of our VM from the reference, each still run and reported as a TODO (they
// stay visible in every run, and turn into failures of nothing once fixed: remove them then).
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

for (const scenario of scenarios) {
  if (only !== undefined && !scenario.name.includes(only)) continue;
  const known = KNOWN_DIFFERENCES[scenario.name];
  for (const delivery of deliveries(scenario)) {
    const label =
      delivery === undefined
        ? ''
        : ` [order ${delivery.order.join('')}${delivery.duplicate ? ', twice' : ''}]`;
    t.test(`${scenario.file}: ${scenario.name}${label}`, async (t) => {
      // Both runs share one timestamp (values may contain it) taken now, so neither expires.
      const timestamp = Date.now();
      const options = { timestamp, ...(delivery ? { delivery } : {}) };
      const expected = await runAirScenario(scenario, reference, options);
      t.equal(
        (expected.end as { status: string }).status,
        scenario.ends,
        'the reference ends as the scenario says',
      );
      const actual = await runAirScenario(scenario, ours, options);
      const todo = known === undefined ? {} : { todo: known };
      t.same(actual.end, expected.end, 'same end (result or error)', todo);
      t.same(actual.calls, expected.calls, 'same calls on every peer', todo);
      t.same(actual.failures, expected.failures, 'same VM failures on every peer', todo);
      t.same(actual.hops, expected.hops, 'same hops', todo);
    });
  }
}
