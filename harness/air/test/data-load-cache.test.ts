// The VM's content caches on the data path: loads of data it wrote or read before are reused only
// for the very same bytes (a changed byte is decoded and checked afresh), and the envelope written
// by hand is msgpackr's at every bin size.
import t, { type Test as Tap } from 'tap';
import { Packr } from 'msgpackr';
import {
  AQUAVM_DATA_VERSION,
  AQUAVM_INTERPRETER_VERSION,
  aquaVmEnvelopeHeader,
  decodeData,
  encodeData,
} from '../data/interpreter-data.js';
import { AquaVM, PreparationErrorCode, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B] = [testPeer(0), testPeer(1)];
const AIR = `(seq (call "${A.peerId}" ("s" "f") [] x) (call "${B.peerId}" ("s" "g") [x]))`;

function params(peer: typeof A): AquaRunParameters {
  return {
    initPeerId: A.peerId,
    currentPeerId: peer.peerId,
    timestamp: 1,
    ttl: 1000,
    particleId: 'cache-1',
    secretKey: peer.seed,
  };
}

/** A's data after its call returned {"n": 1}: one service result, signed by A. */
function dataOfA(t: Tap, vm: AquaVM): Uint8Array {
  const first = vm.invoke(AIR, new Uint8Array(0), new Uint8Array(0), params(A), new Map());
  const [id] = [...first.callRequests.keys()];
  const second = vm.invoke(
    AIR,
    first.data,
    new Uint8Array(0),
    params(A),
    new Map([[id!, { retCode: 0, result: { n: 1 } }]]),
  );
  t.equal(second.retCode, 0, 'A ran its call');
  return second.data;
}

t.test('the same bytes load from the cache; changed bytes are checked again', (t) => {
  const vm = new AquaVM();
  const data = dataOfA(t, vm);
  const ok = vm.invoke(AIR, new Uint8Array(0), data, params(B), new Map());
  t.equal(ok.retCode, 0, 'B accepts what A wrote');
  t.equal(ok.callRequests.size, 1, 'and calls its service');

  // A forged value with a matching store: same layout, so only a real re-check can refuse it.
  const decoded = decodeData(data, 'test');
  const [valueCid, text] = [...decoded.stores.values][0]!;
  t.equal(text, '{"n":1}');
  const forgedStores = new Map(decoded.stores.values);
  forgedStores.set(valueCid, '{"n":2}');
  const forged = encodeData({ ...decoded, stores: { ...decoded.stores, values: forgedStores } });
  const bad = vm.invoke(AIR, new Uint8Array(0), forged, params(B), new Map());
  t.equal(bad.retCode, PreparationErrorCode.CidStoreVerificationError, bad.errorMessage);

  // The caller changes the very array it passed before (same length, so the same layout): the
  // cache must not answer for it.
  t.equal(forged.length, data.length);
  data.set(forged);
  const again = vm.invoke(AIR, new Uint8Array(0), data, params(B), new Map());
  t.equal(again.retCode, PreparationErrorCode.CidStoreVerificationError, 'changed in place');
  t.end();
});

t.test(
  "our output, read back as another peer's current data, gives the same outcome as a fresh VM",
  (t) => {
    const vm = new AquaVM();
    const data = dataOfA(t, vm);
    const cached = vm.invoke(AIR, new Uint8Array(0), data, params(B), new Map());
    // A copy of the bytes in a new array, after the cache was emptied by many other loads, is
    // decoded from scratch; the outcome must be byte for byte the same.
    for (let i = 0; i < 600; i++) {
      const other = `(call "${A.peerId}" ("s" "f${i}") [])`;
      vm.invoke(other, new Uint8Array(0), new Uint8Array(0), params(A), new Map());
    }
    const fresh = vm.invoke(AIR, new Uint8Array(0), Uint8Array.from(data), params(B), new Map());
    t.same(fresh.data, cached.data);
    t.equal(fresh.retCode, cached.retCode);
    t.end();
  },
);

t.test('the hand-written envelope header is msgpackr encoding at every bin size', (t) => {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  for (const n of [0, 1, 31, 32, 255, 256, 65535, 65536, 70000]) {
    const inner = new Uint8Array(n).fill(0xab);
    const expected = packr.pack({
      version: AQUAVM_DATA_VERSION,
      interpreter_version: AQUAVM_INTERPRETER_VERSION,
      inner_data: inner,
    });
    const header = aquaVmEnvelopeHeader(n);
    t.same(
      Buffer.from(expected.subarray(0, expected.length - n)),
      Buffer.from(header),
      `${n} bytes`,
    );
  }
  t.end();
});
