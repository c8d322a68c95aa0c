// Forged data in AquaVM's format is refused by both VMs alike: A's data is made once by our VM
// and once by the reference, then forged (a value replaced without fixing its CID, a value
// replaced with consistent CIDs, re-signed by a third peer, a signature removed, a result
// injected for another peer, data replayed into another particle), and each forgery goes to B
// on both VMs, which must refuse it with the same code as AquaVM (8 or 9).
import t from 'tap';
import { cidOfJsonText } from '../data/cid.js';
import {
  decodeData,
  encodeData,
  serviceResultCid,
  tetrapletCid,
  type InterpreterData,
} from '../data/interpreter-data.js';
import { collectPeerCids } from '../data/peer-cids.js';
import { keyPairFromSeed } from '../../protocol/index.js';
import { signCids } from '../data/signatures.js';
import { createReferenceAquaVM } from '../../testing/index.js';
import { AquaVM, PreparationErrorCode, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

const [A, B, C] = [testPeer(0), testPeer(1), testPeer(2)];
const AIR = `(seq (call "${A.peerId}" ("s" "f") [] x) (seq (call "${B.peerId}" ("s" "g") [x] y) (call "${A.peerId}" ("s" "h") [y])))`;
const params = (peer: typeof A, particleId = 'p1'): AquaRunParameters => ({
  initPeerId: A.peerId,
  currentPeerId: peer.peerId,
  timestamp: 1,
  ttl: 1000,
  particleId,
  secretKey: peer.seed,
});
const reference = await createReferenceAquaVM();
const ours = new AquaVM();
type Vm = typeof ours | typeof reference;

async function dataFromA(vm: Vm, particleId = 'p1'): Promise<Uint8Array> {
  const first = await vm.invoke(
    AIR,
    new Uint8Array(),
    new Uint8Array(),
    params(A, particleId),
    new Map(),
  );
  const second = await vm.invoke(
    AIR,
    first.data,
    new Uint8Array(),
    params(A, particleId),
    new Map([[1, { retCode: 0, result: 'secret' }]]),
  );
  if (second.retCode !== 0) throw new Error(`setup: ${second.errorMessage}`);
  return second.data;
}

function replaceValue(data: InterpreterData, text: string): void {
  const state = data.trace[0];
  if (state?.kind !== 'call' || state.call.kind !== 'scalar') throw new Error('unexpected trace');
  const old = data.stores.serviceResults.get(state.call.cid)!;
  const valueCid = cidOfJsonText(text);
  data.stores.values.set(valueCid, text);
  const replaced = { ...old, value_cid: valueCid };
  const cid = serviceResultCid(replaced);
  data.stores.serviceResults.set(cid, replaced);
  data.trace[0] = { kind: 'call', call: { kind: 'scalar', cid } };
}

const FORGERIES: {
  name: string;
  code: number;
  forge: (data: InterpreterData) => void;
  particleId?: string;
}[] = [
  {
    name: 'value replaced without fixing its CID',
    code: PreparationErrorCode.CidStoreVerificationError,
    forge: (d) => d.stores.values.set([...d.stores.values.keys()][0]!, '"forged"'),
  },
  {
    name: 'value replaced with consistent CIDs',
    code: PreparationErrorCode.DataSignatureCheckError,
    forge: (d) => replaceValue(d, '"forged"'),
  },
  {
    name: 'forged value re-signed by a third peer under A',
    code: PreparationErrorCode.DataSignatureCheckError,
    forge: (d) => {
      replaceValue(d, '"forged"');
      const cids = collectPeerCids(d.trace, d.stores, 'test').get(A.peerId)!;
      d.signatures.set(A.peerId, signCids(keyPairFromSeed(C.seed).signer, cids, 'p1'));
    },
  },
  {
    name: "A's signature removed",
    code: PreparationErrorCode.DataSignatureCheckError,
    forge: (d) => d.signatures.delete(A.peerId),
  },
  {
    name: 'a result injected for C, who never signed it',
    code: PreparationErrorCode.DataSignatureCheckError,
    forge: (d) => {
      const state = d.trace[0];
      if (state?.kind !== 'call' || state.call.kind !== 'scalar') throw new Error('trace');
      const r = d.stores.serviceResults.get(state.call.cid)!;
      const t = { peer_pk: C.peerId, service_id: 's', function_name: 'f', lens: '' };
      const tcid = tetrapletCid(t);
      d.stores.tetraplets.set(tcid, t);
      const injected = { ...r, tetraplet_cid: tcid };
      const cid = serviceResultCid(injected);
      d.stores.serviceResults.set(cid, injected);
      d.trace[0] = { kind: 'call', call: { kind: 'scalar', cid } };
    },
  },
  {
    name: 'data of another particle replayed',
    code: PreparationErrorCode.DataSignatureCheckError,
    forge: () => {},
    particleId: 'p2',
  },
];

for (const [maker, vm] of [
  ['our VM', ours],
  ['the reference', reference],
] as const) {
  t.test(`forgeries of data made by ${maker} are refused by both VMs`, async (t) => {
    const honest = await dataFromA(vm);
    for (const f of FORGERIES) {
      const data = decodeData(honest, 'test');
      f.forge(data);
      const bytes = encodeData({ ...data });
      for (const [runner, v] of [
        ['ours', ours],
        ['reference', reference],
      ] as const) {
        const out = await v.invoke(
          AIR,
          new Uint8Array(),
          bytes,
          params(B, f.particleId),
          new Map(),
        );
        t.equal(out.retCode, f.code, `${f.name}: ${runner} refuses with ${f.code}`);
        t.equal(out.callRequests.size, 0, `${f.name}: ${runner} calls nothing`);
      }
    }
    // The honest data itself is accepted by both.
    for (const v of [ours, reference]) {
      const out = await v.invoke(AIR, new Uint8Array(), honest, params(B), new Map());
      t.equal(out.retCode, 0);
    }
  });
}
