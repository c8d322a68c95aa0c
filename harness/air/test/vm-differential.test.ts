// Differential conformance: each scenario runs on a three-peer in-process network once with our
// VM and once with the reference AquaVM; every service call (peer, service, function, arguments,
// tetraplets), every ret code and error message, and every hop must match.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { AquaVM, type AquaCallRequest, type AquaCallResult } from '../vm.js';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { runNetwork, testPeer, type NetworkRun } from './vm-harness.js';

interface Scenario {
  readonly name: string;
  readonly air: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/air/vm-differential.json', import.meta.url), 'utf8'),
) as { scenarios: Scenario[] };
const peers = [testPeer(0), testPeer(1), testPeer(2)] as const;
const names: [string, string][] = [
  ['@A', peers[0].peerId],
  ['@B', peers[1].peerId],
  ['@C', peers[2].peerId],
];
const withPeers = (air: string): string =>
  names.reduce((s, [k, id]) => s.replaceAll(k, `"${id}"`), air);
const withNames = (text: string): string => names.reduce((s, [k, id]) => s.replaceAll(id, k), text);

function handler(_peer: string, call: AquaCallRequest): AquaCallResult {
  switch (call.serviceId) {
    case 'fail':
      return { retCode: 1, result: 'boom' };
    case 'arr':
      return { retCode: 0, result: [1, 2, 3] };
    case 'obj':
      return { retCode: 0, result: { a: { b: [5, 6] }, n: 'x' } };
    case 'inc':
      return { retCode: 0, result: (call.arguments[0] as number) + 1 };
    default:
      return { retCode: 0, result: [call.functionName, ...call.arguments] };
  }
}

function observable(run: NetworkRun): unknown {
  return JSON.parse(
    withNames(JSON.stringify({ calls: run.calls, outcomes: run.outcomes, hops: run.hops })),
  );
}

t.test('our VM matches the reference AquaVM on hand-written scenarios', async (t) => {
  const reference = await createReferenceAquaVM();
  const ours = new AquaVM();
  t.ok(fixture.scenarios.length >= 40, 'the suite has at least 40 scenarios');
  for (const scenario of fixture.scenarios) {
    const air = withPeers(scenario.air);
    for (const [order, duplicate] of [
      ['fifo', false],
      ['lifo', false],
      ['fifo', true],
    ] as const) {
      const options = { maxSteps: 3000, order, duplicate };
      const expected = observable(
        await runNetwork(reference, air, peers, peers[0], handler, options),
      );
      const actual = observable(await runNetwork(ours, air, peers, peers[0], handler, options));
      t.same(
        actual,
        expected,
        `${scenario.name} (${order}${duplicate ? ', duplicated' : ''} delivery)`,
      );
    }
  }
});
