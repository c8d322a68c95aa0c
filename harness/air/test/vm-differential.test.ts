// Differential conformance: each scenario runs on a three-peer in-process network once with our
// VM and once with the reference AquaVM; every service call (peer, service, function, arguments,
// tetraplets), every ret code and error message, and every hop must match.
import t from 'tap';
import { AquaVM } from '../vm.js';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import {
  runNetwork,
  type NetworkRun,
  scenarioServices,
  withScenarioPeers as withPeers,
  scenarioPeers,
  vmScenarios,
} from './vm-harness.js';

const scenarios = vmScenarios();
const peers = scenarioPeers;
const names: [string, string][] = [
  ['@A', peers[0].peerId],
  ['@B', peers[1].peerId],
  ['@C', peers[2].peerId],
];
const withNames = (text: string): string => names.reduce((s, [k, id]) => s.replaceAll(id, k), text);

function observable(run: NetworkRun): unknown {
  return JSON.parse(
    withNames(JSON.stringify({ calls: run.calls, outcomes: run.outcomes, hops: run.hops })),
  );
}

t.test('our VM matches the reference AquaVM on hand-written scenarios', async (t) => {
  const reference = await createReferenceAquaVM();
  const ours = new AquaVM();
  t.ok(scenarios.length >= 40, 'the suite has at least 40 scenarios');
  for (const scenario of scenarios) {
    const air = withPeers(scenario.air);
    for (const [order, duplicate] of [
      ['fifo', false],
      ['lifo', false],
      ['fifo', true],
    ] as const) {
      const options = { maxSteps: 3000, order, duplicate };
      const expected = observable(
        await runNetwork(reference, air, peers, peers[0], scenarioServices, options),
      );
      const actual = observable(
        await runNetwork(ours, air, peers, peers[0], scenarioServices, options),
      );
      t.same(
        actual,
        expected,
        `${scenario.name} (${order}${duplicate ? ', duplicated' : ''} delivery)`,
      );
    }
  }
});
