// Mixed networks: every conformance scenario (hand-written AIR with held, reordered and doubled
// deliveries, and compiled Aqua programs) runs with peers alternating between our VM and the
// reference AquaVM, once with our VM on the first peer and once with the reference there. Data
// crosses between the two VMs at every hop, so each must read what the other writes; calls
// (arguments, tetraplets, results), errors, VM failures and hops must equal the all-reference run.
import t from 'tap';
import type { AirRunner } from '../../peer/index.js';
import { createReferenceAquaVM } from '../../testing/index.js';
import { AquaVM } from '../vm.js';
import {
  loadAirScenarios,
  permutations,
  runAirScenario,
  type AirScenario,
  type Delivery,
} from '../../testing/test/conformance/air-scenarios.js';
import { loadScenarios, runScenario } from '../../testing/test/conformance/scenarios.js';
import {
  runNetwork,
  type NetworkRun,
  type Runner,
  scenarioServices,
  withScenarioPeers as withPeers,
  scenarioPeers,
  vmScenarios,
} from './vm-harness.js';

const only = process.env['AIR_MIXED_ONLY'];
const referencePool = await Promise.all(Array.from({ length: 3 }, () => createReferenceAquaVM()));
let nextReference = 0;
const reference = (): AirRunner => referencePool[nextReference++ % referencePool.length]!;

/** A VM factory whose peers, in creation order, alternate: ours first or the reference first. */
function alternating(oursFirst: boolean): () => AirRunner {
  let n = 0;
  return () => ((n++ % 2 === 0) === oursFirst ? new AquaVM() : reference());
}

function deliveries(scenario: AirScenario): (Delivery | undefined)[] {
  if (!scenario.hold) return [undefined];
  const orders = permutations(scenario.hold.count);
  return [
    ...orders.map((order) => ({ order, duplicate: false })),
    { order: orders[orders.length - 1]!, duplicate: true },
  ];
}

for (const scenario of loadAirScenarios()) {
  if (only !== undefined && !scenario.name.includes(only)) continue;
  for (const delivery of deliveries(scenario)) {
    const label =
      delivery === undefined
        ? ''
        : ` [order ${delivery.order.join('')}${delivery.duplicate ? ', twice' : ''}]`;
    t.test(`AIR ${scenario.file}: ${scenario.name}${label}`, async (t) => {
      const timestamp = Date.now();
      const options = { timestamp, ...(delivery ? { delivery } : {}) };
      const expected = await runAirScenario(scenario, reference, options);
      for (const oursFirst of [true, false]) {
        const actual = await runAirScenario(scenario, alternating(oursFirst), options);
        const who = oursFirst ? 'ours first' : 'reference first';
        t.same(actual.end, expected.end, `${who}: same end`);
        t.same(actual.calls, expected.calls, `${who}: same calls on every peer`);
        t.same(actual.failures, expected.failures, `${who}: same VM failures`);
        t.same(actual.hops, expected.hops, `${who}: same hops`);
      }
    });
  }
}

for (const scenario of loadScenarios()) {
  if (only !== undefined && !scenario.file.includes(only)) continue;
  t.test(`Aqua ${scenario.file} ${JSON.stringify(scenario.args)}`, async (t) => {
    const timestamp = Date.now();
    const expected = await runScenario(scenario, reference, timestamp);
    const comparable = (result: unknown): unknown =>
      scenario.unordered && Array.isArray(result)
        ? [...result].map((v) => JSON.stringify(v)).sort()
        : result;
    for (const oursFirst of [true, false]) {
      const actual = await runScenario(scenario, alternating(oursFirst), timestamp);
      const who = oursFirst ? 'ours first' : 'reference first';
      t.same(comparable(actual.result), comparable(expected.result), `${who}: same result`);
      t.equal(actual.error, expected.error, `${who}: same error`);
      t.same(actual.calls, expected.calls, `${who}: same calls on every peer`);
    }
  });
}

// The VM differential corpus too (three peers, every delivery order the harness offers): peer 0
// and 2 on one VM, peer 1 on the other, both ways round.
const scenarios = vmScenarios();
const peers = scenarioPeers;
const observable = (run: NetworkRun): unknown => ({
  calls: run.calls,
  outcomes: run.outcomes,
  hops: run.hops,
});

t.test('VM differential corpus on mixed peers', async (t) => {
  const ours = new AquaVM();
  const oneReference = referencePool[0]!;
  for (const s of scenarios) {
    if (only !== undefined && !s.name.includes(only)) continue;
    for (const order of ['fifo', 'lifo'] as const) {
      const options = { maxSteps: 3000, order };
      const expected = observable(
        await runNetwork(
          oneReference,
          withPeers(s.air),
          peers,
          peers[0],
          scenarioServices,
          options,
        ),
      );
      for (const oursFirst of [true, false]) {
        const mixed: Runner = {
          invoke(air, prev, current, params, results) {
            const k = peers.findIndex((p) => p.peerId === params.currentPeerId);
            const runner = (k % 2 === 0) === oursFirst ? ours : oneReference;
            return runner.invoke(air, prev, current, params, results);
          },
        };
        const actual = observable(
          await runNetwork(mixed, withPeers(s.air), peers, peers[0], scenarioServices, options),
        );
        t.same(actual, expected, `${s.name} (${order}, ${oursFirst ? 'ours' : 'reference'} first)`);
      }
    }
  }
});
