// Data security: forged, replaced, removed and replayed results, bad signatures, corrupt
// envelopes and stores, bad keys and oversize inputs are each rejected with AquaVM's code, and
// the peer's previous data comes back unchanged (nothing lost).
import t from 'tap';
import { Packr } from 'msgpackr';
import { cidOf, cidOfJsonText } from '../data/cid.js';
import {
  decodeData,
  encodeData,
  serviceResultCid,
  tetrapletCid,
  type InterpreterData,
} from '../data/interpreter-data.js';
import { keyPairFromSeed } from '../../protocol/index.js';
import { signCids } from '../data/signatures.js';
import { collectPeerCids } from '../data/peer-cids.js';
import {
  AquaVM,
  PreparationErrorCode,
  UncatchableErrorCode,
  UNPROCESSED_CALL_RESULT,
  type AquaRunParameters,
} from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B, C] = [testPeer(0), testPeer(1), testPeer(2)];
// A computes a value and passes it to B, which calls back to A with it.
const AIR = `(seq (call "${A.peerId}" ("s" "f") [] x) (seq (call "${B.peerId}" ("s" "g") [x] y) (call "${A.peerId}" ("s" "h") [y])))`;

function params(peer: typeof A, particleId = 'p1'): AquaRunParameters {
  return {
    initPeerId: A.peerId,
    currentPeerId: peer.peerId,
    timestamp: 1,
    ttl: 1000,
    particleId,
    secretKey: peer.seed,
  };
}

/** A runs its call and returns the data it sends to B. */
function dataFromA(vm: AquaVM, particleId = 'p1'): Uint8Array {
  const first = vm.invoke(
    AIR,
    new Uint8Array(),
    new Uint8Array(),
    params(A, particleId),
    new Map(),
  );
  const second = vm.invoke(
    AIR,
    first.data,
    new Uint8Array(),
    params(A, particleId),
    new Map([[1, { retCode: 0, result: 'secret' }]]),
  );
  if (second.retCode !== 0 || second.nextPeerPks[0] !== B.peerId) throw new Error('setup failed');
  return second.data;
}

function resign(data: InterpreterData, peer: typeof A, particleId = 'p1'): void {
  const cids = collectPeerCids(data.trace, data.stores, 'test').get(peer.peerId) ?? [];
  data.signatures.set(peer.peerId, signCids(keyPairFromSeed(peer.seed).signer, cids, particleId));
}

/** Replaces A's result value everywhere it is referenced (value, service result, trace) so only the signature can tell. */
function replaceValue(data: InterpreterData, newValue: unknown): void {
  const state = data.trace[0];
  if (state?.kind !== 'call' || state.call.kind !== 'scalar') throw new Error('unexpected trace');
  const old = data.stores.serviceResults.get(state.call.cid)!;
  const text = JSON.stringify(newValue);
  const valueCid = cidOfJsonText(text);
  data.stores.values.set(valueCid, text);
  const replaced = { ...old, value_cid: valueCid };
  const cid = serviceResultCid(replaced);
  data.stores.serviceResults.set(cid, replaced);
  data.trace[0] = { kind: 'call', call: { kind: 'scalar', cid } };
}

t.test('honest data from another peer is accepted', async (t) => {
  const vm = new AquaVM();
  const out = vm.invoke(AIR, new Uint8Array(), dataFromA(vm), params(B), new Map());
  t.equal(out.retCode, 0);
  t.same([...out.callRequests.values()][0]?.arguments, ['secret']);
});

t.test('a value replaced in the store without fixing its CID is a corrupt store (8)', async (t) => {
  const vm = new AquaVM();
  const data = decodeData(dataFromA(vm), 'test');
  const [cid] = [...data.stores.values.keys()];
  data.stores.values.set(cid!, '"forged"');
  const prev = new Uint8Array([]);
  const out = vm.invoke(AIR, prev, encodeData(data), params(B), new Map());
  t.equal(out.retCode, PreparationErrorCode.CidStoreVerificationError);
  t.equal(out.data, prev, 'previous data returned unchanged');
  t.equal(out.callRequests.size, 0);
});

t.test('a value replaced with consistent CIDs fails the producer signature (9)', async (t) => {
  const vm = new AquaVM();
  const data = decodeData(dataFromA(vm), 'test');
  replaceValue(data, 'forged');
  const out = vm.invoke(AIR, new Uint8Array(), encodeData(data), params(B), new Map());
  t.equal(out.retCode, PreparationErrorCode.DataSignatureCheckError);
  t.match(out.errorMessage, A.peerId);
});

t.test('a forged value re-signed by a third peer is still rejected (9)', async (t) => {
  const vm = new AquaVM();
  const data = decodeData(dataFromA(vm), 'test');
  replaceValue(data, 'forged');
  // C signs the forged set under A's name: the key does not match A's peer id.
  const cids = collectPeerCids(data.trace, data.stores, 'test').get(A.peerId)!;
  data.signatures.set(A.peerId, signCids(keyPairFromSeed(C.seed).signer, cids, 'p1'));
  const out = vm.invoke(AIR, new Uint8Array(), encodeData(data), params(B), new Map());
  t.equal(out.retCode, PreparationErrorCode.DataSignatureCheckError);
});

t.test('a result injected with a missing signature is rejected (9)', async (t) => {
  const vm = new AquaVM();
  const data = decodeData(dataFromA(vm), 'test');
  data.signatures.delete(A.peerId);
  const out = vm.invoke(AIR, new Uint8Array(), encodeData(data), params(B), new Map());
  t.equal(out.retCode, PreparationErrorCode.DataSignatureCheckError);
});

t.test(
  'a result injected for a call of another peer does not match the call (20017)',
  async (t) => {
    const vm = new AquaVM();
    const data = decodeData(dataFromA(vm), 'test');
    // C fabricates B's result for `call B ("s" "g") [x] y` and signs it as C.
    const tetraplet = { peer_pk: C.peerId, service_id: 's', function_name: 'g', lens: '' };
    const tetCid = tetrapletCid(tetraplet);
    data.stores.tetraplets.set(tetCid, tetraplet);
    const valueCid = cidOfJsonText('"fake"');
    data.stores.values.set(valueCid, '"fake"');
    const agg = { value_cid: valueCid, argument_hash: cidOf(['secret']), tetraplet_cid: tetCid };
    const cid = serviceResultCid(agg);
    data.stores.serviceResults.set(cid, agg);
    data.trace[1] = { kind: 'call', call: { kind: 'scalar', cid } };
    resign(data, C);
    const prevOfA = dataFromA(vm);
    const out = vm.invoke(AIR, prevOfA, encodeData(data), params(A), new Map());
    t.equal(out.retCode, UncatchableErrorCode.InstructionParametersMismatch);
    t.equal(out.data, prevOfA, 'A keeps its previous data');
  },
);

t.test('data replayed into another particle fails signature checks (9)', async (t) => {
  const vm = new AquaVM();
  const out = vm.invoke(AIR, new Uint8Array(), dataFromA(vm, 'p1'), params(B, 'p2'), new Map());
  t.equal(out.retCode, PreparationErrorCode.DataSignatureCheckError);
});

t.test('a peer removing results it received cannot make another peer lose them', async (t) => {
  const vm = new AquaVM();
  const fromA = dataFromA(vm);
  // B runs and answers; its data carries A's and B's results.
  const b1 = vm.invoke(AIR, new Uint8Array(), fromA, params(B), new Map());
  const b2 = vm.invoke(
    AIR,
    b1.data,
    new Uint8Array(),
    params(B),
    new Map([[1, { retCode: 0, result: 'from-b' }]]),
  );
  t.equal(b2.retCode, 0);
  // An attacker strips A's result out of B's data and drops A's signature.
  const data = decodeData(b2.data, 'test');
  data.trace[0] = { kind: 'call', call: { kind: 'sent', sender: { peer: A.peerId } } };
  data.signatures.delete(A.peerId);
  const out = vm.invoke(AIR, fromA, encodeData(data), params(A), new Map());
  t.equal(out.retCode, 0);
  t.same(
    [...out.callRequests.values()].map((r) => r.arguments),
    [['from-b']],
    "B's result still applies",
  );
  const merged = decodeData(out.data, 'test');
  t.equal(
    merged.trace[0]?.kind === 'call' && merged.trace[0].call.kind,
    'scalar',
    "A's own result is kept",
  );
  t.ok(merged.signatures.has(A.peerId), "A's signature is back");
});

t.test("a producer's values may only grow between prev and current data (9)", async (t) => {
  const vm = new AquaVM();
  const fromA = dataFromA(vm);
  const b1 = vm.invoke(AIR, new Uint8Array(), fromA, params(B), new Map());
  // Another copy of A's data where A's result differs, validly signed by A: the sets diverge.
  const other = decodeData(fromA, 'test');
  replaceValue(other, 'other');
  resign(other, A);
  const out = vm.invoke(AIR, b1.data, encodeData(other), params(B), new Map());
  t.equal(out.retCode, PreparationErrorCode.DataSignatureCheckError);
  t.equal(out.data, b1.data);
});

t.test('corrupt envelopes and inner data', async (t) => {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });
  for (const format of ['aquavm', 'marine-ts'] as const) {
    const vm = new AquaVM({ dataFormat: format });
    const good = dataFromA(vm);
    t.equal(
      vm.invoke(AIR, new Uint8Array(), new Uint8Array([0xc1, 1, 2]), params(B), new Map()).retCode,
      PreparationErrorCode.EnvelopeDeFailed,
      `${format}: not an envelope`,
    );
    const env = packr.unpack(good) as {
      version: string;
      interpreter_version: string;
      inner_data: Uint8Array;
    };
    t.equal(env.version, format === 'aquavm' ? '0.17.2' : '1.1.0', `${format}: data version`);
    // AquaVM reads every data version as its own format (it checks only the interpreter
    // version), so AquaVM's inner data under another version still loads; our own data under a
    // version that is not ours is AquaVM's format from interpreter 0.1.0, refused as too old (6),
    // as AquaVM refuses it.
    const wrongFormat = packr.pack({ ...env, version: '9.0.0' });
    t.equal(
      vm.invoke(AIR, new Uint8Array(), wrongFormat, params(B), new Map()).retCode,
      format === 'aquavm' ? 0 : PreparationErrorCode.UnsupportedInterpreterVersion,
      `${format}: data version 9.0.0`,
    );
    const tooOld = packr.pack({ ...env, interpreter_version: '0.0.1' });
    t.equal(
      vm.invoke(AIR, new Uint8Array(), tooOld, params(B), new Map()).retCode,
      PreparationErrorCode.UnsupportedInterpreterVersion,
      `${format}: interpreter 0.0.1`,
    );
    const badInner = packr.pack({ ...env, inner_data: packr.pack({ trace: [{ bogus: 1 }] }) });
    t.equal(
      vm.invoke(AIR, new Uint8Array(), badInner, params(B), new Map()).retCode,
      PreparationErrorCode.DataDeFailed,
      `${format}: inner data of neither format`,
    );
    const badTrace = encodeData(
      {
        trace: [{ kind: 'par', left: 5, right: 0 }],
        lcid: 0,
        stores: decodeData(good, 'test').stores,
        signatures: new Map(),
      },
      format,
    );
    t.equal(
      vm.invoke(AIR, new Uint8Array(), badTrace, params(B), new Map()).retCode,
      UncatchableErrorCode.TraceError,
      `${format}: a par longer than the trace`,
    );
  }
});

t.test('keys, limits and unprocessed results', async (t) => {
  const vm = new AquaVM({
    limits: { airSize: 100, particleSize: 10, callResultSize: 20 },
    hardLimits: true,
  });
  const short = '(null)';
  t.equal(
    vm.invoke(
      short,
      new Uint8Array(),
      new Uint8Array(),
      { ...params(A), secretKey: new Uint8Array(5) },
      new Map(),
    ).retCode,
    PreparationErrorCode.MalformedKeyPairData,
  );
  t.equal(
    vm.invoke(
      short,
      new Uint8Array(),
      new Uint8Array(),
      { ...params(A), secretKey: B.seed },
      new Map(),
    ).retCode,
    PreparationErrorCode.MalformedKeyPairData,
    'key of another peer',
  );
  t.equal(
    vm.invoke(
      `${short}${' '.repeat(200)}`,
      new Uint8Array(),
      new Uint8Array(),
      params(A),
      new Map(),
    ).retCode,
    PreparationErrorCode.SizeLimitsExceeded,
  );
  t.equal(
    vm.invoke(short, new Uint8Array(), new Uint8Array(11), params(A), new Map()).retCode,
    PreparationErrorCode.SizeLimitsExceeded,
  );
  t.equal(
    vm.invoke(
      short,
      new Uint8Array(),
      new Uint8Array(),
      params(A),
      new Map([[1, { retCode: 0, result: 'x'.repeat(30) }]]),
    ).retCode,
    PreparationErrorCode.SizeLimitsExceeded,
  );
  const out = vm.invoke(
    short,
    new Uint8Array(),
    new Uint8Array(),
    params(A),
    new Map([[7, { retCode: 0, result: 1 }]]),
  );
  t.equal(out.retCode, UNPROCESSED_CALL_RESULT);
  t.equal(
    vm.invoke('(seq', new Uint8Array(), new Uint8Array(), params(A), new Map()).retCode,
    PreparationErrorCode.AirParseError,
  );
});
