// Differential test of VM error messages, mostly the trace handler's (ret code 20000): a scenario
// makes a VM produce data with one script and then run another script (or the same one) over
// data it does not fit, as users hit it when a particle's script changes under recorded data or
// two copies of a particle carry different results. Both VMs make their own data (the formats
// differ), run the same steps, and must fail with the same ret code and message byte for byte.
import t from 'tap';
import { createReferenceAquaVM, type ReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { AquaVM, type AquaCallResult, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

interface Runner {
  invoke: AquaVM['invoke'];
}

const peers = [testPeer(0), testPeer(1), testPeer(2)] as const;
/** Run parameters on peer `n` (0, 1 or 2; peer 0 started the particle). */
function paramsOn(n: number): AquaRunParameters {
  const peer = peers[n] ?? peers[0];
  return {
    initPeerId: peers[0].peerId,
    currentPeerId: peer.peerId,
    timestamp: 1_700_000_000_000,
    ttl: 10_000,
    particleId: 'messages',
    secretKey: peer.seed,
  };
}
/** Writes peer ids for `@A`, `@B`, `@C`. */
const withPeers = (air: string): string =>
  air
    .replaceAll('@A', `"${peers[0].peerId}"`)
    .replaceAll('@B', `"${peers[1].peerId}"`)
    .replaceAll('@C', `"${peers[2].peerId}"`);
const EMPTY: Uint8Array = new Uint8Array();

/** The result a service gives: a value, or a failure with ret code 1. */
type Answer = { value: unknown } | { fails: string };

/** The call results for the requests of one invoke, taking answers in order from `answers[from]`. */
function answer(
  ids: Iterable<number>,
  answers: readonly Answer[],
  from: number,
): Map<number, AquaCallResult> {
  const results = new Map<number, AquaCallResult>();
  let next = from;
  for (const id of [...ids].sort((a, b) => a - b)) {
    const a = answers[next++] ?? { value: null };
    results.set(
      id,
      'fails' in a
        ? { retCode: 1, result: a.fails }
        : { retCode: 0, result: a.value as AquaCallResult['result'] },
    );
  }
  return results;
}

/** Runs a script on one peer until it asks for nothing more (or fails); returns the outcome. */
function run(
  vm: Runner,
  step: Step,
  prev: Uint8Array,
  current: Uint8Array,
): { data: Uint8Array; retCode: number; message: string } {
  const air = withPeers(step.air);
  let data = prev;
  let currentData = current;
  let results = new Map<number, AquaCallResult>();
  let used = 0;
  for (let i = 0; i < 8; i++) {
    const out = vm.invoke(air, data, currentData, paramsOn(step.peer ?? 0), results);
    if (out.retCode !== 0 || out.callRequests.size === 0)
      return { data: out.data, retCode: out.retCode, message: out.errorMessage };
    data = out.data;
    currentData = EMPTY;
    results = answer(out.callRequests.keys(), step.answers ?? [], used);
    used += results.size;
  }
  return { data, retCode: 0, message: '' };
}

/** One script run on one peer (0 unless said), answering its calls in order. */
interface Step {
  readonly air: string;
  readonly answers?: readonly Answer[];
  readonly peer?: number;
}

interface Scenario extends Step {
  readonly name: string;
  /** Scripts run first to make the previous and current data (empty when absent). */
  readonly prev?: Step;
  readonly current?: Step;
  /** Part of the expected message, so a scenario cannot pass by both VMs failing elsewhere. */
  readonly expect: string;
  /** A known difference still to fix (reported as a tap todo, not hidden). */
  readonly todo?: string;
}

const CALL = '(call %init_peer_id% ("s" "f") [] x)';
const one = (value: unknown): Answer[] => [{ value }];

const scenarios: Scenario[] = [
  {
    name: 'ap meets a call still waiting on its result (xor caught a bad map key)',
    air: `(seq
 (call %init_peer_id% ("data" "object") [] d)
 (xor
  (ap (d.$.t "bool key") %m)
  (call %init_peer_id% ("op" "identity") [:error:] r)))`,
    answers: one({ t: true }),
    expect: 'state from previous `Call(RequestSentBy(PeerIdWithCallId',
  },
  {
    name: 'previous data has an executed call where ap expects its state',
    prev: { air: CALL, answers: one(1) },
    air: '(ap 1 $s)',
    expect: 'state from previous `Call(Executed(Scalar(CID(',
  },
  {
    name: 'current data has an executed call where ap expects its state',
    current: { air: CALL, answers: one(1) },
    air: '(ap 1 $s)',
    expect: 'state from current `Call(Executed(Scalar(CID(',
  },
  {
    name: 'a call without output (unused value) where ap expects its state',
    prev: { air: '(call %init_peer_id% ("s" "f") [])', answers: one('v') },
    air: '(ap 1 $s)',
    expect: 'Call(Executed(Unused(CID(',
  },
  {
    name: 'two copies recorded different unused values for one call (unused values are not signed)',
    prev: { air: '(call %init_peer_id% ("s" "f") [])', answers: one(1) },
    current: { air: '(call %init_peer_id% ("s" "f") [])', answers: one(2) },
    air: '(call %init_peer_id% ("s" "f") [])',
    expect: 'values in call results are not equal: Unused(CID(',
  },
  {
    name: 'the script now gives a recorded call without output an output',
    prev: { air: '(call %init_peer_id% ("s" "f") [])', answers: one('v') },
    air: CALL,
    expect: 'call result value Unused(CID(',
  },
  {
    name: 'a recorded unused value is taken whatever the arguments and function now are',
    prev: { air: '(call %init_peer_id% ("s" "f") [1])', answers: one('v') },
    air: '(seq (call %init_peer_id% ("s" "g") [2]) (fail 42 "the call replayed"))',
    expect: 'the call replayed',
  },
  {
    name: 'a call into a stream where canon expects its state',
    prev: { air: '(call %init_peer_id% ("s" "f") [] $s)', answers: one([1, 2]) },
    air: '(canon %init_peer_id% $s #c)',
    expect: 'Call(Executed(Stream { cid: CID(',
  },
  {
    name: 'a failed call where ap expects its state',
    prev: { air: '(xor (call %init_peer_id% ("s" "f") [] x) (null))', answers: [{ fails: 'no' }] },
    air: '(ap 1 $s)',
    expect: 'Call(Failed(CID(',
  },
  {
    name: 'previous call and current ap where a call is expected',
    prev: { air: CALL, answers: one(1) },
    current: { air: '(ap 1 $s)' },
    air: CALL,
    expect: 'previous and current data have incompatible states',
  },
  {
    name: 'one execution of a call signed by its peer disagrees with a copy made elsewhere',
    prev: { air: CALL, answers: one(1) },
    current: { air: CALL, answers: one(2) },
    air: CALL,
    expect: 'inconsistent CID multisets on merge',
  },
  {
    name: 'two peers recorded different results for one call',
    prev: { air: '(call @A ("s" "f") [] x)', answers: one(1), peer: 0 },
    current: { air: '(call @B ("s" "f") [] x)', answers: one(2), peer: 1 },
    air: '(call @A ("s" "f") [] x)',
    peer: 2,
    expect: 'values in call results are not equal: Scalar(CID(',
  },
  {
    name: 'two peers recorded different stream results for one call',
    prev: { air: '(call @A ("s" "f") [] $s)', answers: one('a'), peer: 0 },
    current: { air: '(call @B ("s" "f") [] $s)', answers: one('b'), peer: 1 },
    air: '(call @A ("s" "f") [] $s)',
    peer: 2,
    expect: 'values in call results are not equal: Stream { cid: CID(',
  },
  {
    name: 'one peer recorded a result, another a failure',
    prev: { air: '(xor (call @A ("s" "f") [] x) (null))', answers: one(1), peer: 0 },
    current: { air: '(xor (call @B ("s" "f") [] x) (null))', answers: [{ fails: 'no' }], peer: 1 },
    air: '(xor (call @A ("s" "f") [] x) (null))',
    peer: 2,
    expect: 'previous and current call results are incompatible',
  },
  {
    name: 'a call where par expects its state',
    prev: { air: CALL, answers: one(1) },
    air: `(par ${CALL} (null))`,
    expect: 'is incompatible with expected par',
  },
  {
    name: 'a par where a call expects its state',
    prev: {
      air: `(par ${CALL} (call %init_peer_id% ("s" "g") [] y))`,
      answers: [...one(1), ...one(2)],
    },
    air: CALL,
    expect: 'Par(ParResult { left_size: 1, right_size: 1 })',
  },
  {
    name: 'a call where a stream fold expects its state',
    prev: { air: `(seq (ap 1 $s) ${CALL})`, answers: one(1) },
    air: '(seq (ap 1 $s) (fold $s i (next i)))',
    expect: 'is incompatible with expected fold',
  },
  {
    name: 'a stream fold (with its lore) where a call expects its state',
    prev: {
      air: `(seq (seq (ap 1 $s) (ap 2 $s))
  (fold $s i (seq (call %init_peer_id% ("s" "f") [i] $r) (next i))))`,
      answers: [...one('a'), ...one('b')],
    },
    air: `(seq (seq (ap 1 $s) (ap 2 $s)) ${CALL})`,
    expect: 'Fold(FoldResult { lore: [FoldSubTraceLore { value_pos: ',
  },
  {
    name: 'an ap where canon expects its state',
    prev: { air: '(seq (ap 1 $s) (ap 2 $s))' },
    air: '(seq (ap 1 $s) (canon %init_peer_id% $s #c))',
    expect: 'Ap(ApResult { res_generations: [',
  },
  {
    name: 'a canon where ap expects its state',
    prev: { air: '(seq (ap 1 $s) (canon %init_peer_id% $s #c))' },
    air: '(seq (ap 1 $s) (ap 2 $s))',
    expect: 'Canon(Executed(CID(',
  },
  {
    name: 'the script now calls with other arguments than the recorded result had',
    prev: { air: '(call %init_peer_id% ("s" "f") [1] x)', answers: one('r') },
    air: '(call %init_peer_id% ("s" "f") [2] x)',
    expect: "call argument_hash doesn't match expected parameters",
  },
  {
    name: 'the script now calls another function than the recorded result came from',
    prev: { air: CALL, answers: one('r') },
    air: '(call %init_peer_id% ("s" "g") [] x)',
    expect: "call tetraplet doesn't match expected parameters: expected SecurityTetraplet {",
  },
  {
    name: 'the script now writes the recorded scalar result into a stream',
    prev: { air: CALL, answers: one('r') },
    air: '(call %init_peer_id% ("s" "f") [] $x)',
    expect: "doesn't match with corresponding instruction",
  },
  {
    name: 'the script now names another canon peer than the recorded canon',
    prev: { air: '(seq (ap 1 $s) (canon @A $s #c))', peer: 0 },
    air: '(seq (ap 1 $s) (canon @B $s #c))',
    expect: "canon tetraplet doesn't match expected parameters",
  },
  {
    name: 'a call writes to the iterator of its fold',
    air: '(seq (call %init_peer_id% ("s" "f") [] xs) (fold xs i (seq (call %init_peer_id% ("s" "g") [] i) (next i))))',
    answers: [...one([1, 2]), ...one(5)],
    expect: "can't be shadowed, shadowing isn't supported for iterables",
  },
  {
    name: 'a call writes a scalar set before, outside any fold',
    air: `(seq ${CALL} ${CALL})`,
    answers: [...one(1), ...one(2)],
    expect: 'shadowing is allowed only inside fold blocks',
  },
  {
    name: 'a fold over a lens that does not give an array',
    air: '(seq (call %init_peer_id% ("s" "f") [] x) (fold x.$.a i (next i)))',
    answers: one({ a: 'str' }),
    expect: "expression '.$.a' returned non-array value '\"str\"' for fold iterable",
  },
  {
    name: 'a canon map looked up by a scalar that is neither a string nor an integer',
    air: `(seq (ap ("k" 1) %m) (seq (canon %init_peer_id% %m #%c)
  (seq (call %init_peer_id% ("s" "f") [] k) (ap #%c.$.[k] y))))`,
    answers: one(1.5),
    expect: 'canon stream map accessor `1.5` should be either string or number',
  },
  {
    name: 'two peers canonicalized one stream differently',
    prev: { air: '(seq (ap 1 $s) (canon @A $s #c))', peer: 0 },
    current: { air: '(seq (ap 2 $s) (canon @B $s #c))', peer: 1 },
    air: '(seq (ap 1 $s) (canon @A $s #c))',
    peer: 2,
    expect: 'points to incompatible execution states',
  },
];

/** The outcome of one scenario on one VM: the ret code and message of its last script. */
function play(vm: Runner, s: Scenario): { retCode: number; message: string } {
  const prev = s.prev ? run(vm, s.prev, EMPTY, EMPTY).data : EMPTY;
  const current = s.current ? run(vm, s.current, EMPTY, EMPTY).data : EMPTY;
  const { retCode, message } = run(vm, s, prev, current);
  return { retCode, message };
}

let reference: ReferenceAquaVM;
t.before(async () => {
  reference = await createReferenceAquaVM();
});

for (const s of scenarios) {
  t.test(s.name, s.todo === undefined ? {} : { todo: s.todo }, async (t) => {
    const ref = play(reference, s);
    const ours = play(new AquaVM(), s);
    t.not(ref.retCode, 0, `the reference fails (${ref.message.slice(0, 200)})`);
    t.ok(ref.message.includes(s.expect), `the reference's message is the kind meant here`);
    t.equal(ours.retCode, ref.retCode, 'same ret code');
    t.equal(ours.message, ref.message, 'same message, byte for byte');
  });
}
