// Direct tests of two guards that only conformance scenarios covered (issue #17): a peer's
// signed values may only grow between the data a peer merges, and a fold over a canon stream
// whose body calls `next` first runs its iterations in reverse.
import t from 'tap';
import { AquaVM, PreparationErrorCode, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B] = [testPeer(0), testPeer(1)];
const empty = new Uint8Array();

function params(peer: typeof A, particleId = 'guards'): AquaRunParameters {
  return {
    initPeerId: A.peerId,
    currentPeerId: peer.peerId,
    timestamp: Date.now(),
    ttl: 60_000,
    particleId,
    secretKey: peer.seed,
  };
}

t.test(
  'a peer whose signed values do not grow between prev and current data is refused',
  async (t) => {
    const air = `(seq (call "${A.peerId}" ("s" "f") [] x) (call "${B.peerId}" ("s" "g") [x]))`;
    const vm = new AquaVM();
    // A answers its call once with 1 and once with 2: two histories of one particle, both signed.
    const history = (result: number): Uint8Array => {
      const asked = vm.invoke(air, empty, empty, params(A), new Map());
      t.equal(asked.callRequests.size, 1);
      const answered = vm.invoke(
        air,
        asked.data,
        empty,
        params(A),
        new Map([[1, { retCode: 0, result }]]),
      );
      t.equal(answered.retCode, 0);
      return answered.data;
    };
    const one = history(1);
    const two = history(2);
    const merged = vm.invoke(air, one, two, params(B), new Map());
    t.equal(merged.retCode, PreparationErrorCode.DataSignatureCheckError);
    t.match(merged.errorMessage, /inconsistent CID multisets on merge for peer/);
    t.same(merged.data, one, 'the previous data is kept');
    t.equal(merged.callRequests.size, 0, 'nothing is called on the strength of forked data');
    // The same data twice is growth (equal sets) and merges.
    t.equal(vm.invoke(air, one, one, params(B), new Map()).retCode, 0);
  },
);

/** Runs `air` on A alone, answering each visit as it is asked; the visited values in order. */
function visits(air: string, particleId: string): unknown[] {
  const vm = new AquaVM();
  const order: unknown[] = [];
  let out = vm.invoke(air, empty, empty, params(A, particleId), new Map());
  while (out.retCode === 0 && out.callRequests.size > 0) {
    const results = new Map(
      [...out.callRequests].map(([id, r]) => {
        order.push(r.arguments[0]);
        return [id, { retCode: 0, result: '' }] as const;
      }),
    );
    out = vm.invoke(air, out.data, empty, params(A, particleId), results);
  }
  if (out.retCode !== 0) throw new Error(out.errorMessage);
  return order;
}

const fold = (body: string): string => `(seq (seq (ap 1 $s) (seq (ap 2 $s) (ap 3 $s)))
  (seq (canon "${A.peerId}" $s #c) (fold #c i ${body})))`;
const visit = `(call "${A.peerId}" ("s" "visit") [i])`;

t.test('a fold over a canon stream with next first runs its body in reverse', async (t) => {
  t.same(visits(fold(`(seq (next i) ${visit})`), 'reverse'), [3, 2, 1], 'last element first');
  t.same(visits(fold(`(seq ${visit} (next i))`), 'forward'), [1, 2, 3], 'in order otherwise');
});

t.test('a host that changes the tetraplets it was handed changes nothing of the VM', async (t) => {
  // The VM keeps tetraplet objects in its caches (their CIDs, data it loaded or wrote): the ones
  // in call requests are copies, so a host's edits cannot reach those caches.
  const air = `(seq (call "${A.peerId}" ("s" "f") [] x) (seq (call "${A.peerId}" ("s" "g") [x] y) (call "${A.peerId}" ("s" "h") [x y])))`;
  const run = (meddle: boolean): Uint8Array => {
    const vm = new AquaVM();
    let data: Uint8Array = empty;
    let results = new Map<number, { retCode: number; result: unknown }>();
    for (;;) {
      const out = vm.invoke(air, data, empty, params(A, 'meddle'), results);
      t.equal(out.retCode, 0, out.errorMessage);
      data = out.data;
      if (out.callRequests.size === 0) return data;
      results = new Map();
      for (const [id, request] of out.callRequests) {
        if (meddle) {
          for (const forArgument of request.tetraplets) {
            for (const tetraplet of forArgument) {
              const writable = tetraplet as { -readonly [K in keyof typeof tetraplet]: string };
              writable.service_id = 'meddled';
              writable.lens = '.$.meddled';
            }
          }
        }
        results.set(id, { retCode: 0, result: request.functionName });
      }
    }
  };
  const clean = run(false);
  const meddled = run(true);
  t.ok(clean.length > 0);
  t.same(meddled, clean, 'the same bytes with and without the host meddling');
});
