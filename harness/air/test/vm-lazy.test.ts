// The VM on lazy trees (parser/lazy.ts): every hand-written VM scenario must run the same (calls,
// ret codes, error messages, hops, and the data bytes each peer keeps) whether the VM parses the
// script whole or makes a lazy tree of it, with every compound instruction lazy or only large
// ones. Large scripts get lazy trees by default; here the threshold is lowered to reach them all.
import t from 'tap';
import { AquaVM, configureLazyTrees } from '../vm.js';
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

function observable(run: NetworkRun): unknown {
  return {
    calls: run.calls,
    outcomes: run.outcomes,
    hops: run.hops,
    data: [...run.data].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([p, d]) => [p, [...d]]),
  };
}

t.teardown(() => configureLazyTrees());

t.test('every VM scenario runs the same on a lazy tree', async (t) => {
  const vm = new AquaVM();
  t.ok(scenarios.length >= 40);
  for (const scenario of scenarios) {
    const air = withPeers(scenario.air);
    const options = { maxSteps: 3000 };
    configureLazyTrees({ minText: Infinity, eagerMax: 0 });
    const eager = observable(await runNetwork(vm, air, peers, peers[0], scenarioServices, options));
    for (const eagerMax of [0, 60]) {
      configureLazyTrees({ minText: 0, eagerMax });
      const lazy = observable(
        await runNetwork(vm, air, peers, peers[0], scenarioServices, options),
      );
      t.same(lazy, eager, `${scenario.name} (subtrees over ${eagerMax} characters lazy)`);
    }
  }
});

t.test('a large script gets a lazy tree and runs as parsed whole', async (t) => {
  const vm = new AquaVM();
  // 2000 calls in a right-nested par chain (all requested at once), then a fold over the
  // results of one of them: ~150 KB.
  const n = 2000;
  let air = '(seq (call %init_peer_id% ("arr" "f") [] xs) (fold xs x (seq (ap x $s) (next x))))';
  for (let i = n - 1; i >= 0; i--)
    air = `(par (call %init_peer_id% ("s${i % 5}" "f") [${i}] r${i}) ${air})`;
  t.ok(air.length > 64 * 1024, `${air.length} characters`);
  const run = async (): Promise<unknown> =>
    observable(await runNetwork(vm, air, peers, peers[0], scenarioServices, { maxSteps: 5000 }));
  configureLazyTrees();
  const lazy = await run();
  configureLazyTrees({ minText: Infinity, eagerMax: 0 });
  const eager = await run();
  t.same(lazy, eager);
  t.equal((lazy as { calls: unknown[] }).calls.length, n + 1);
});

t.test('an invalid large script reports the errors of parseAir', async (t) => {
  configureLazyTrees();
  const vm = new AquaVM();
  let air = '(call %init_peer_id% ("s" "f") [undefined_x])';
  for (let i = 0; i < 3000; i++) air = `(seq (call %init_peer_id% ("s" "f") [] r${i}) ${air})`;
  const out = vm.invoke(
    air,
    new Uint8Array(),
    new Uint8Array(),
    {
      initPeerId: peers[0].peerId,
      currentPeerId: peers[0].peerId,
      timestamp: 0,
      ttl: 0,
      particleId: 'p',
      secretKey: peers[0].seed,
    },
    new Map(),
  );
  t.equal(out.retCode, 1);
  t.match(out.errorMessage, /air can't be parsed/);
  t.match(out.errorMessage, /undefined_x/);
});
