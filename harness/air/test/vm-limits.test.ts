// Size limits, differential: each limit (AIR, particle data, call result) set small, in soft and
// in hard mode, on a two-peer network once with our VM and once with the reference AquaVM. Ret
// codes, messages and the three outcome flags must match at every step; in soft mode the run must
// also go exactly as it goes without limits.
import t from 'tap';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import {
  AquaVM,
  PreparationErrorCode,
  type AquaCallRequest,
  type AquaCallResult,
  type AquaInvokeOutcome,
  type AquaVMLimits,
  type AquaVMOptions,
} from '../vm.js';
import { runNetwork, testPeer, type NetworkRun, type Runner } from './vm-harness.js';

const A = testPeer(0);
const B = testPeer(1);
const LIMIT = 100;

// A's call result (150 bytes of JSON) and the data B receives (signatures alone pass 100 bytes)
// are both over the limit; the script is over it through the peer ids.
const AIR = `
(seq
  (call "${A.peerId}" ("svc" "get") [] x)
  (seq
    (call "${B.peerId}" ("svc" "put") [x "é"] y)
    (call "${A.peerId}" ("svc" "done") [y])))`;

function handler(_peer: string, call: AquaCallRequest): AquaCallResult {
  if (call.functionName === 'get') return { retCode: 0, result: 'x'.repeat(148) };
  return { retCode: 0, result: call.functionName };
}

interface Flags {
  readonly air: boolean;
  readonly particle: boolean;
  readonly callResult: boolean;
}

/** Wraps a VM so every outcome's flags are recorded in order. */
function recording(vm: Runner): { runner: Runner; flags: Flags[] } {
  const flags: Flags[] = [];
  return {
    flags,
    runner: {
      async invoke(air, prev, current, params, results) {
        const o: AquaInvokeOutcome = await vm.invoke(air, prev, current, params, results);
        flags.push({
          air: o.airSizeLimitExceeded,
          particle: o.particleSizeLimitExceeded,
          callResult: o.callResultSizeLimitExceeded,
        });
        return o;
      },
    },
  };
}

// The two VMs write different data formats, so only the particle size in a message may differ.
function observable(run: NetworkRun): unknown {
  const outcomes = run.outcomes.map((o) => ({
    ...o,
    errorMessage: o.errorMessage.replace(/^(Current_data particle size: )\d+/, '$1N'),
  }));
  return { calls: run.calls, outcomes, hops: run.hops };
}

const cases: { limit: keyof AquaVMLimits; flag: keyof Flags; message: RegExp }[] = [
  {
    limit: 'airSize',
    flag: 'air',
    message: /^air size: \d+ bytes is bigger than the limit allowed: 100 bytes$/,
  },
  {
    limit: 'particleSize',
    flag: 'particle',
    message: /^Current_data particle size: \d+ bytes is bigger than the limit allowed: 100 bytes$/,
  },
  {
    limit: 'callResultSize',
    flag: 'callResult',
    message: /^Call result size is bigger than the limit allowed: 100 bytes$/,
  },
];

async function runBoth(options: AquaVMOptions): Promise<{
  ours: NetworkRun;
  ourFlags: Flags[];
  reference: NetworkRun;
  referenceFlags: Flags[];
}> {
  const ours = recording(new AquaVM(options));
  const reference = recording(await createReferenceAquaVM(options));
  return {
    ours: await runNetwork(ours.runner, AIR, [A, B], A, handler),
    ourFlags: ours.flags,
    reference: await runNetwork(reference.runner, AIR, [A, B], A, handler),
    referenceFlags: reference.flags,
  };
}

t.test('without limits the scenario runs to the end and sets no flag', async (t) => {
  const { ours, ourFlags, reference, referenceFlags } = await runBoth({});
  t.same(observable(ours), observable(reference));
  t.same(
    ours.calls.map((c) => c.functionName),
    ['get', 'put', 'done'],
  );
  t.same(ourFlags, referenceFlags);
  t.ok(ourFlags.every((f) => !f.air && !f.particle && !f.callResult));
});

for (const { limit, flag, message } of cases) {
  t.test(`soft ${limit} limit: flags like the reference, the run goes on unchanged`, async (t) => {
    const options: AquaVMOptions = { limits: { [limit]: LIMIT } };
    const { ours, ourFlags, reference, referenceFlags } = await runBoth(options);
    t.same(observable(ours), observable(reference), 'same calls, ret codes, messages, hops');
    t.same(ourFlags, referenceFlags, 'same flags at every step');
    t.ok(
      ourFlags.some((f) => f[flag]),
      `the ${flag} flag is set at least once`,
    );
    t.ok(
      ourFlags.every((f) => Object.entries(f).every(([k, v]) => k === flag || !v)),
      'no other flag is set',
    );
    const unlimited = await runNetwork(new AquaVM(), AIR, [A, B], A, handler);
    t.same(observable(ours), observable(unlimited), 'the run is the one without limits');
    t.same(ours.data, unlimited.data, 'the data is the one without limits');
  });

  t.test(`hard ${limit} limit: error 10 like the reference`, async (t) => {
    const options: AquaVMOptions = { limits: { [limit]: LIMIT }, hardLimits: true };
    const { ours, ourFlags, reference, referenceFlags } = await runBoth(options);
    t.same(observable(ours), observable(reference), 'same calls, ret codes, messages, hops');
    t.same(ourFlags, referenceFlags, 'same flags at every step');
    const failed = ours.outcomes.filter(
      (o) => o.retCode === PreparationErrorCode.SizeLimitsExceeded,
    );
    t.ok(failed.length > 0, 'a run fails with SizeLimitsExceeded');
    for (const o of failed) t.match(o.errorMessage, message);
    t.ok(ours.calls.length < 3, 'the scenario does not reach its end');
  });
}

t.test('all limits at once: soft flags together, hard stops at the AIR limit', async (t) => {
  const limits = { airSize: LIMIT, particleSize: LIMIT, callResultSize: LIMIT };
  const soft = await runBoth({ limits });
  t.same(observable(soft.ours), observable(soft.reference));
  t.same(soft.ourFlags, soft.referenceFlags);
  t.ok(soft.ourFlags.some((f) => f.air && f.particle));
  t.ok(soft.ourFlags.some((f) => f.air && f.callResult));
  const hard = await runBoth({ limits, hardLimits: true });
  t.same(observable(hard.ours), observable(hard.reference));
  t.same(hard.ourFlags, hard.referenceFlags);
  t.same(hard.ours.outcomes.length, 1, 'the first run already fails');
  t.match(hard.ours.outcomes[0]?.errorMessage, /^air size/);
});

t.test('the AIR size is counted in UTF-8 bytes, as AquaVM counts it', async (t) => {
  const air = `(call %init_peer_id% ("svc" "f") ["${'é'.repeat(30)}"])`;
  const bytes = Buffer.byteLength(air);
  t.ok(air.length <= 70 && bytes > 70, 'fewer characters than the limit, more bytes');
  const options: AquaVMOptions = { limits: { airSize: 70 }, hardLimits: true };
  const ours = recording(new AquaVM(options));
  const reference = recording(await createReferenceAquaVM(options));
  const expected = await runNetwork(reference.runner, air, [A], A, handler);
  const actual = await runNetwork(ours.runner, air, [A], A, handler);
  t.same(observable(actual), observable(expected));
  t.equal(
    actual.outcomes[0]?.errorMessage,
    `air size: ${bytes} bytes is bigger than the limit allowed: 70 bytes`,
  );
});
