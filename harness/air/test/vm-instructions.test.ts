// Per-instruction behaviour of our VM on one or two peers, with the exact values AquaVM gives.
import t from 'tap';
import { decodeData } from '../data/interpreter-data.js';
import {
  AquaVM,
  CatchableErrorCode,
  RECURSION_TOO_DEEP,
  UncatchableErrorCode,
  type AquaCallRequest,
  type AquaCallResult,
  type AquaInvokeOutcome,
  type AquaRunParameters,
} from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B] = [testPeer(0), testPeer(1)];
const a = `"${A.peerId}"`;
const b = `"${B.peerId}"`;
const empty = new Uint8Array();
const params: AquaRunParameters = {
  initPeerId: A.peerId,
  currentPeerId: A.peerId,
  timestamp: 1234,
  ttl: 5678,
  particleId: 'unit',
  secretKey: A.seed,
};

/** Runs `air` on A, answering every call request with `answer`, until A has nothing to do. */
function drive(
  air: string,
  answer: (r: AquaCallRequest) => AquaCallResult = (r) => ({ retCode: 0, result: r.arguments }),
): { requests: AquaCallRequest[]; last: AquaInvokeOutcome; outcomes: AquaInvokeOutcome[] } {
  const vm = new AquaVM();
  const requests: AquaCallRequest[] = [];
  const outcomes: AquaInvokeOutcome[] = [];
  let out = vm.invoke(air, empty, empty, params, new Map());
  outcomes.push(out);
  while (out.callRequests.size > 0) {
    const results = new Map<number, AquaCallResult>();
    for (const [id, r] of out.callRequests) {
      requests.push(r);
      results.set(id, answer(r));
    }
    out = vm.invoke(air, out.data, empty, params, results);
    outcomes.push(out);
  }
  return { requests, last: out, outcomes };
}

t.test('call: a local call becomes a request with arguments and tetraplets', async (t) => {
  const out = new AquaVM().invoke(
    `(call ${a} ("svc" "fn") ["s" 1 true [] %init_peer_id%] r)`,
    empty,
    empty,
    params,
    new Map(),
  );
  t.equal(out.retCode, 0);
  t.same(out.nextPeerPks, []);
  t.same([...out.callRequests.keys()], [1]);
  const req = out.callRequests.get(1)!;
  t.equal(req.serviceId, 'svc');
  t.equal(req.functionName, 'fn');
  t.same(req.arguments, ['s', 1, true, [], A.peerId]);
  t.same(req.tetraplets[0], [{ peer_pk: A.peerId, service_id: '', function_name: '', lens: '' }]);
});

t.test('call: a remote call forwards to its peer once', async (t) => {
  const out = new AquaVM().invoke(
    `(par (call ${b} ("s" "f") []) (call ${b} ("s" "g") []))`,
    empty,
    empty,
    params,
    new Map(),
  );
  t.same(out.nextPeerPks, [B.peerId]);
  t.equal(out.callRequests.size, 0);
});

t.test('call: results bind outputs with provenance; lenses extend tetraplets', async (t) => {
  const { requests } = drive(
    `(seq (call ${a} ("obj" "get") [] o) (call ${a} ("s" "use") [o.$.x.[1] o]))`,
    (r) =>
      r.serviceId === 'obj'
        ? { retCode: 0, result: { x: [10, 20] } }
        : { retCode: 0, result: null },
  );
  t.same(requests[1]?.arguments, [20, { x: [10, 20] }]);
  t.same(requests[1]?.tetraplets, [
    [{ peer_pk: A.peerId, service_id: 'obj', function_name: 'get', lens: '.$.x.[1]' }],
    [{ peer_pk: A.peerId, service_id: 'obj', function_name: 'get', lens: '' }],
  ]);
});

t.test(
  'call: a service error is catchable 10000 and an uncaught one keeps the new data',
  async (t) => {
    const { last } = drive(`(call ${a} ("s" "f") [])`, () => ({ retCode: 3, result: 'nope' }));
    t.equal(last.retCode, CatchableErrorCode.LocalServiceError);
    t.equal(last.errorMessage, 'Local service error, ret_code is 3, error message is \'"nope"\'');
    const trace = decodeData(last.data, 'x').trace;
    t.equal(
      trace[0]?.kind === 'call' && trace[0].call.kind,
      'failed',
      'the failure is recorded in the returned data',
    );
  },
);

t.test('call: a result that is not JSON fails with ret code i32::MAX', async (t) => {
  const { requests } = drive(
    `(xor (call ${a} ("s" "f") []) (call ${a} ("e" "e") [:error:.$.message]))`,
    (r) => (r.serviceId === 's' ? { retCode: 0, result: () => 1 } : { retCode: 0, result: null }),
  );
  t.match(String(requests[1]?.arguments[0]), /^Local service error, ret_code is 2147483647/);
});

t.test('seq, par, never, null: completeness', async (t) => {
  t.equal(drive(`(seq (never) (call ${a} ("s" "f") []))`).requests.length, 0, 'never blocks seq');
  t.equal(drive(`(seq (null) (call ${a} ("s" "f") []))`).requests.length, 1, 'null does not');
  t.equal(
    drive(`(seq (par (never) (null)) (call ${a} ("s" "f") []))`).requests.length,
    1,
    'par completes when one branch does',
  );
  t.equal(drive(`(seq (par (never) (never)) (call ${a} ("s" "f") []))`).requests.length, 0);
});

t.test(
  'xor: catches catchable errors and exposes them in :error: only inside its right branch',
  async (t) => {
    const { requests } = drive(
      `(seq (xor (fail 42 "m") (call ${a} ("s" "in") [:error:.$.error_code])) (call ${a} ("s" "out") [:error:.$.error_code %last_error%.$.error_code]))`,
    );
    t.same(
      requests.map((r) => r.arguments),
      [[CatchableErrorCode.UserError], [0, 42]],
    );
  },
);

t.test('match and mismatch', async (t) => {
  t.equal(drive(`(match 1 1 (call ${a} ("s" "f") []))`).requests.length, 1);
  t.equal(drive(`(match 1 2 (null))`).last.retCode, CatchableErrorCode.MatchValuesNotEqual);
  t.equal(drive(`(mismatch "a" "a" (null))`).last.retCode, CatchableErrorCode.MismatchValuesEqual);
  t.equal(drive(`(mismatch "a" "b" (call ${a} ("s" "f") []))`).requests.length, 1);
});

t.test('fold over a scalar array, next, and the last instruction', async (t) => {
  const { requests } = drive(
    `(seq (call ${a} ("s" "arr") [] xs) (fold xs i (seq (call ${a} ("s" "it") [i]) (next i)) (call ${a} ("s" "last") [])))`,
    (r) =>
      r.functionName === 'arr' ? { retCode: 0, result: ['x', 'y'] } : { retCode: 0, result: null },
  );
  t.same(
    requests.map((r) => [r.functionName, ...r.arguments]),
    [['arr'], ['it', 'x'], ['it', 'y'], ['last']],
  );
  t.same(requests[1]?.tetraplets[0], [
    { peer_pk: A.peerId, service_id: 's', function_name: 'arr', lens: '.$.[0]' },
  ]);
});

t.test('fold over a non-array is 10005', async (t) => {
  t.equal(
    drive(`(seq (ap 5 x) (fold x i (next i)))`).last.retCode,
    CatchableErrorCode.FoldIteratesOverNonArray,
  );
});

t.test('streams: ap, canon and stream folds', async (t) => {
  const { requests } = drive(
    `(seq (seq (ap 1 $s) (ap "two" $s)) (seq (canon ${a} $s #all) (seq (call ${a} ("s" "all") [#all #all.length]) (fold $s v (seq (call ${a} ("s" "each") [v]) (next v)) (null)))))`,
  );
  t.same(
    requests.map((r) => [r.functionName, ...r.arguments]),
    [
      ['all', [1, 'two'], 2],
      ['each', 1],
      ['each', 'two'],
    ],
  );
});

t.test('a stream fold without a last instruction does not complete', async (t) => {
  t.equal(
    drive(`(seq (seq (ap 1 $s) (fold $s v (next v))) (call ${a} ("s" "after") []))`).requests
      .length,
    0,
  );
  t.equal(
    drive(`(seq (seq (ap 1 $s) (fold $s v (next v) (null))) (call ${a} ("s" "after") []))`).requests
      .length,
    1,
  );
});

t.test('the stream cap is 1024 values and returns the previous data', async (t) => {
  const out = new AquaVM().invoke(
    '(seq (ap 0 $s) (fold $s i (seq (ap i $s) (next i))))',
    empty,
    empty,
    params,
    new Map(),
  );
  t.equal(out.retCode, UncatchableErrorCode.StreamSizeLimitExceeded);
  t.equal(out.data, empty);
});

t.test('stream maps, canon maps and the map-to-scalar canon', async (t) => {
  const { requests } = drive(
    `(seq (seq (ap ("k" 1) %m) (ap ("k" 2) %m)) (seq (canon ${a} %m #%cm) (seq (canon ${a} %m obj) (call ${a} ("s" "f") [#%cm.$.k obj #%cm.length]))))`,
  );
  t.same(requests[0]?.arguments, [[1, 2], { k: 1 }, 2]);
  t.equal(drive(`(ap (true 1) %m)`).last.retCode, 1, 'a bool key is rejected by the parser');
});

t.test('new: scalars and streams are scoped', async (t) => {
  const { requests } = drive(
    `(seq (ap 1 $s) (seq (new $s (seq (ap 2 $s) (seq (canon ${a} $s #in) (call ${a} ("s" "in") [#in])))) (seq (canon ${a} $s #out) (call ${a} ("s" "out") [#out]))))`,
  );
  t.same(
    requests.map((r) => r.arguments[0]),
    [[2], [1]],
  );
  const uninit = drive(
    `(seq (ap 1 x) (new x (xor (call ${a} ("s" "f") [x]) (call ${a} ("e" "e") [:error:.$.error_code]))))`,
  );
  t.same(
    uninit.requests.map((r) => r.arguments),
    [[CatchableErrorCode.VariableWasNotInitializedAfterNew]],
  );
});

t.test('shadowing a scalar outside a fold is 20007 and returns the previous data', async (t) => {
  const out = new AquaVM().invoke('(seq (ap 1 x) (ap 2 x))', empty, empty, params, new Map());
  t.equal(out.retCode, UncatchableErrorCode.ShadowingIsNotAllowed);
  t.equal(out.data, empty);
});

t.test('fail forms', async (t) => {
  t.equal(drive('(fail 77 "x")').last.retCode, CatchableErrorCode.UserError);
  const obj = drive(`(seq (ap 1 x) (xor (fail x) (call ${a} ("e" "e") [:error:.$.error_code])))`);
  t.same(obj.requests[0]?.arguments, [CatchableErrorCode.InvalidErrorObjectError]);
  const rethrow = drive(
    `(xor (xor (match 1 2 (null)) (fail :error:)) (call ${a} ("e" "e") [:error:.$.error_code]))`,
  );
  t.same(
    rethrow.requests[0]?.arguments,
    [CatchableErrorCode.MatchValuesNotEqual],
    'fail :error: keeps the original code',
  );
});

t.test('%timestamp% and %ttl% come from the run parameters', async (t) => {
  t.same(drive(`(call ${a} ("s" "f") [%timestamp% %ttl%])`).requests[0]?.arguments, [1234, 5678]);
});

t.test('join: a call waits on a value another peer has not produced', async (t) => {
  const out = new AquaVM().invoke(
    `(par (call ${b} ("s" "f") [] x) (call ${a} ("s" "g") [x]))`,
    empty,
    empty,
    params,
    new Map(),
  );
  t.equal(out.retCode, 0);
  t.equal(out.callRequests.size, 0);
  t.same(out.nextPeerPks, [B.peerId]);
});

t.test(
  'folds nest 1500 deep; deeper than the JS stack allows is an error, not a crash',
  async (t) => {
    const air = `(seq (call ${a} ("s" "xs") [] xs) (fold xs i (seq (ap i x) (next i))))`;
    const run = (n: number): AquaInvokeOutcome => {
      const vm = new AquaVM();
      const first = vm.invoke(air, empty, empty, params, new Map());
      const items = Array.from({ length: n }, (_, i) => i);
      return vm.invoke(
        air,
        first.data,
        empty,
        params,
        new Map([[1, { retCode: 0, result: items }]]),
      );
    };
    t.equal(run(1500).retCode, 0);
    const deep = run(200_000);
    t.equal(deep.retCode, RECURSION_TOO_DEEP);
    t.equal(
      decodeData(deep.data, 'x').trace.length,
      1,
      'the previous data (the pending call) is returned',
    );
  },
);
