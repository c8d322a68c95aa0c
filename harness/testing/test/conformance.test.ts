// Differential conformance: every Aqua scenario runs on a local network once with the reference
// AquaVM and once with ours; results, errors and every peer's calls must match.
import t from 'tap';
import { AquaVM } from '../../air/index.js';
import type { AirRunner } from '../../peer/index.js';
import { createReferenceAquaVM } from '../reference-aquavm.js';
import { loadScenarios, runScenario } from './conformance/scenarios.js';

const scenarios = loadScenarios();

// The reference VM is slow to instantiate; a small pool shared round-robin keeps the run short.
// Peers sharing an instance is safe: AquaVM keeps no state between invocations.
const referencePool = await Promise.all(Array.from({ length: 5 }, () => createReferenceAquaVM()));
let next = 0;
const reference = (): AirRunner => referencePool[next++ % referencePool.length]!;

const ours = (): AirRunner => new AquaVM();

t.test('the corpus has at least 40 Aqua programs', async (t) => {
  t.ok(new Set(scenarios.map((s) => s.file)).size >= 40);
});

for (const scenario of scenarios) {
  t.test(`${scenario.file} ${JSON.stringify(scenario.args)}`, async (t) => {
    // Both runs share one timestamp (results may contain it) taken now, so neither expires early.
    const timestamp = Date.now();
    const expected = await runScenario(scenario, reference, timestamp);
    t.equal(
      expected.error !== undefined,
      scenario.expectError === true,
      'the reference fails only where expected',
    );
    const actual = await runScenario(scenario, ours, timestamp);
    const comparable = (result: unknown): unknown =>
      scenario.unordered && Array.isArray(result)
        ? [...result].map((v) => JSON.stringify(v)).sort()
        : result;
    t.same(comparable(actual.result), comparable(expected.result), 'same result');
    t.equal(actual.error, expected.error, 'same error');
    t.same(actual.calls, expected.calls, 'same calls on every peer');
  });
}
