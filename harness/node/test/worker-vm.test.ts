// The VM off the host's event loop (issue #17, M2): WorkerAquaVM gives what AquaVM gives, while
// timers and other work go on during a long run.
import t from 'tap';
import { AquaVM, EXECUTION_BUDGET_EXCEEDED } from '../../air/index.js';
import { JsonFloat, keyPairFromSeed } from '../../protocol/index.js';
import { WorkerAquaVM } from '../index.js';

const seed = new Uint8Array(32).fill(9);
const me = keyPairFromSeed(seed).peerId;
const params = (particleId: string) => ({
  initPeerId: me,
  currentPeerId: me,
  timestamp: Date.now(),
  ttl: 60_000,
  particleId,
  secretKey: seed,
});
const empty = new Uint8Array();

t.test('the worker VM gives what the VM gives, floats and big integers included', async (t) => {
  const worker = new WorkerAquaVM();
  t.teardown(() => worker.close());
  const direct = new AquaVM();
  const air = `(seq (call %init_peer_id% ("s" "f") [] r)
    (seq (xor (match r 7 (ap "integer" k)) (ap "float" k))
      (call %init_peer_id% ("s" "g") [r k 9223372036854775807])))`;
  const asked = await worker.invoke(air, empty, empty, params('p'), new Map());
  const askedDirect = direct.invoke(air, empty, empty, params('p'), new Map());
  t.equal(asked.retCode, 0);
  t.same([...asked.callRequests.keys()], [...askedDirect.callRequests.keys()]);
  const results = new Map([[1, { retCode: 0, result: new JsonFloat(7) }]]);
  const answered = await worker.invoke(air, asked.data, empty, params('p'), results);
  const answeredDirect = direct.invoke(air, askedDirect.data, empty, params('p'), results);
  t.equal(answered.retCode, 0, answered.errorMessage);
  const request = [...answered.callRequests.values()][0];
  t.same(request?.arguments, [...answeredDirect.callRequests.values()][0]?.arguments);
  t.same(request?.arguments, [7, 'float', 2n ** 63n - 1n], '7.0 crossed as a float');
});

t.test('a long run in the worker leaves the event loop free', async (t) => {
  const worker = new WorkerAquaVM({ maxSteps: Number.MAX_SAFE_INTEGER, timeLimitMs: 1500 });
  t.teardown(() => worker.close());
  let fill = '(null)';
  for (let i = 0; i < 200; i++) fill = `(seq (ap ${i} $s) ${fill})`;
  // 200^4 iterations: far more than any machine runs in the time limit (200^3 fit in 1.5 s once
  // the VM got faster).
  const loop = (it: string, body: string) => `(fold #c ${it} (seq ${body} (next ${it})))`;
  const air = `(seq ${fill} (seq (canon %init_peer_id% $s #c) ${loop('i', loop('j', loop('k', loop('l', '(null)'))))}))`;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const outcome = await worker.invoke(air, empty, empty, params('long'), new Map());
  clearInterval(timer);
  t.equal(outcome.retCode, EXECUTION_BUDGET_EXCEEDED, 'stopped by its deadline');
  t.ok(ticks >= 20, `timers ran meanwhile (${ticks} ticks)`);
});
