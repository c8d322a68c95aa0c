// Merging: particles may reach a peer in any order and more than once, and the outcome is the
// same; merging data with itself changes nothing.
import t from 'tap';
import { decodeData } from '../data/interpreter-data.js';
import { AquaVM, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B, C] = [testPeer(0), testPeer(1), testPeer(2)];
const AIR = `(seq (par (call "${B.peerId}" ("s" "b") [] x) (par (call "${C.peerId}" ("s" "c") [] $s) (call "${B.peerId}" ("s" "b2") [] $s))) (seq (canon "${A.peerId}" $s #ss) (call "${A.peerId}" ("s" "end") [x #ss.length])))`;
const empty = new Uint8Array();

function params(peer: typeof A): AquaRunParameters {
  return {
    initPeerId: A.peerId,
    currentPeerId: peer.peerId,
    timestamp: 1,
    ttl: 1000,
    particleId: 'merge',
    secretKey: peer.seed,
  };
}

/** Runs a remote peer on `incoming`, answering its call requests with `name-of-function`. */
function remote(vm: AquaVM, peer: typeof A, incoming: Uint8Array): Uint8Array {
  let out = vm.invoke(AIR, empty, incoming, params(peer), new Map());
  while (out.callRequests.size > 0) {
    const results = new Map(
      [...out.callRequests].map(([id, r]) => [
        id,
        { retCode: 0, result: `${r.functionName}-result` },
      ]),
    );
    out = vm.invoke(AIR, out.data, empty, params(peer), results);
  }
  return out.data;
}

t.test('arrival order and duplicates do not change what the init peer does', async (t) => {
  const vm = new AquaVM();
  const start = vm.invoke(AIR, empty, empty, params(A), new Map());
  t.same([...start.nextPeerPks].sort(), [B.peerId, C.peerId].sort());
  const fromB = remote(vm, B, start.data);
  const fromC = remote(vm, C, start.data);
  const orders: [string, Uint8Array[]][] = [
    ['B then C', [fromB, fromC]],
    ['C then B', [fromC, fromB]],
    ['B, B again, then C', [fromB, fromB, fromC]],
    ['C, B, C again', [fromC, fromB, fromC]],
  ];
  for (const [label, deliveries] of orders) {
    let prev = start.data;
    const requests: unknown[] = [];
    for (const d of deliveries) {
      const out = vm.invoke(AIR, prev, d, params(A), new Map());
      t.equal(out.retCode, 0, `${label}: ret code`);
      for (const r of out.callRequests.values()) requests.push([r.functionName, r.arguments]);
      prev = out.data;
    }
    t.equal(requests.length, 1, `${label}: end is requested exactly once`);
    const [fn, args] = requests[0] as [string, [string, number]];
    t.equal(fn, 'end');
    t.equal(args[0], 'b-result', `${label}: x joined from B`);
    t.equal(args[1], 1, `${label}: the canon froze the one stream value present when it ran`);
  }
});

t.test('merging data with itself is a no-op', async (t) => {
  const vm = new AquaVM();
  const start = vm.invoke(AIR, empty, empty, params(A), new Map());
  const fromB = remote(vm, B, start.data);
  const once = vm.invoke(AIR, start.data, fromB, params(A), new Map());
  const twice = vm.invoke(AIR, once.data, once.data, params(A), new Map());
  t.equal(twice.retCode, 0);
  t.same(decodeData(twice.data, 'x').trace, decodeData(once.data, 'x').trace);
  t.same(Buffer.from(twice.data), Buffer.from(once.data), 'byte-identical');
  t.equal(twice.callRequests.size, 0, 'no call is requested twice');
});

t.test("B merging its own previous data with C's forwarded copy keeps both results", async (t) => {
  const vm = new AquaVM();
  const start = vm.invoke(AIR, empty, empty, params(A), new Map());
  const fromC = remote(vm, C, start.data);
  // B already ran; then it receives C's copy (which lacks B's results).
  const bData = remote(vm, B, start.data);
  const out = vm.invoke(AIR, bData, fromC, params(B), new Map());
  t.equal(out.retCode, 0);
  const trace = decodeData(out.data, 'x').trace;
  const executed = trace.filter((s) => s.kind === 'call' && s.call.kind !== 'sent').length;
  t.equal(executed, 3, 'b, b2 and c are all executed in the merged trace');
});
