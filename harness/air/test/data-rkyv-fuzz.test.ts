// Random and mutated AquaVM-format data: bytes of reference data with flipped, overwritten,
// inserted or cut bytes in the rkyv inner data (and inner data of random bytes) go to our VM and
// to the reference as current data. Our VM never throws, and where the reference refuses the
// data our VM refuses it with the same code; where the reference reads it, so does our VM.
import t from 'tap';
import { Packr } from 'msgpackr';
import { AquaVM, type AquaInvokeOutcome, type AquaRunParameters } from '../vm.js';
import { createReferenceAquaVM, type ReferenceAquaVM } from '../../testing/index.js';
import { runNetwork, testPeer } from './vm-harness.js';

const peers = [testPeer(0), testPeer(1), testPeer(2)] as const;
const [A, B, C] = peers.map((p) => `"${p.peerId}"`);
// Scripts whose data holds every kind of state and store entry: calls of every outcome, par, a
// stream fold, ap, canon to a stream, a map and a scalar.
const SCRIPTS = [
  `(seq (seq (call ${A} ("s" "f") ["x"] r) (par (call ${B} ("s" "g") [r] $s) (call ${C} ("s" "h") [r] $s))) (seq (fold $s i (seq (call ${A} ("s" "k") [i]) (next i))) (seq (canon ${A} $s #c) (call ${B} ("s" "end") [#c]))))`,
  `(seq (seq (ap ("a" 1) %m) (seq (canon ${A} %m #%cm) (canon ${A} %m sc))) (seq (xor (call ${B} ("fail" "x") []) (call ${B} ("s" "y") [:error:])) (call ${C} ("s" "f") [#%cm sc])))`,
];

/** A seeded xorshift generator: the same mutations every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function mutate(inner: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(inner);
  const at = Math.floor(rnd() * out.length);
  switch (Math.floor(rnd() * 6)) {
    case 0:
      out[at] = out[at]! ^ (1 << Math.floor(rnd() * 8));
      return out;
    case 1:
      out[at] = Math.floor(rnd() * 256);
      return out;
    case 2:
      return out.subarray(0, at);
    case 3:
      return Uint8Array.from([
        ...out.subarray(0, at),
        Math.floor(rnd() * 256),
        ...out.subarray(at),
      ]);
    case 4: {
      // An offset or length field (4 bytes, aligned) set to a random value.
      const a = at & ~3;
      for (let i = 0; i < 4 && a + i < out.length; i++) out[a + i] = Math.floor(rnd() * 256);
      return out;
    }
    default:
      return Uint8Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
let reference: ReferenceAquaVM = await createReferenceAquaVM();

t.test('mutated rkyv data: our VM never throws and refuses what AquaVM refuses', async (t) => {
  const ours = new AquaVM();
  let sameCode = 0;
  let total = 0;
  let referencePanics = 0;
  const differences: string[] = [];
  for (const [s, script] of SCRIPTS.entries()) {
    const run = await runNetwork(reference, script, peers, peers[0], (_p, c) =>
      c.serviceId === 'fail'
        ? { retCode: 1, result: 'boom' }
        : { retCode: 0, result: [c.functionName] },
    );
    for (const [peerId, data] of run.data) {
      const env = packr.unpack(data) as Record<string, unknown>;
      const inner = env['inner_data'] as Uint8Array;
      const peer = peers.find((p) => p.peerId === peerId)!;
      const params: AquaRunParameters = {
        initPeerId: peers[0].peerId,
        currentPeerId: peer.peerId,
        timestamp: 1_700_000_000_000,
        ttl: 7000,
        particleId: 'particle-1',
        secretKey: peer.seed,
      };
      const rnd = random(1000 * s + peerId.length + inner.length);
      for (let i = 0; i < 60; i++) {
        const bytes = packr.pack({ ...env, inner_data: mutate(inner, rnd) });
        let mine: AquaInvokeOutcome;
        try {
          mine = ours.invoke(script, new Uint8Array(), bytes, params, new Map());
        } catch (e) {
          t.fail(`our VM threw on mutation ${i} of ${peerId}'s data: ${(e as Error).message}`);
          continue;
        }
        let theirs: AquaInvokeOutcome;
        try {
          theirs = await reference.invoke(script, new Uint8Array(), bytes, params, new Map());
        } catch {
          // avm.wasm panics (traps) on some input; a fresh instance serves the next one.
          referencePanics++;
          reference = await createReferenceAquaVM();
          continue;
        }
        total++;
        if (mine.retCode === theirs.retCode) sameCode++;
        else
          differences.push(
            `ours ${mine.retCode} (${mine.errorMessage.slice(0, 160)}) vs AquaVM ${theirs.retCode} (${theirs.errorMessage.slice(0, 160)})`,
          );
        if (theirs.retCode >= 1 && theirs.retCode <= 10)
          t.equal(
            mine.retCode,
            theirs.retCode,
            `refused as AquaVM refuses: ${theirs.errorMessage.slice(0, 120)}`,
          );
      }
    }
  }
  t.comment(
    `${sameCode}/${total} mutations end with AquaVM's ret code; ${referencePanics} made AquaVM panic`,
  );
  for (const d of differences.slice(0, 20)) t.comment(d);
  t.ok(total > 200, `${total} mutations compared`);
  t.equal(sameCode, total, "every mutation ends with AquaVM's ret code");
  t.equal(sameCode, total, "every mutation ends with AquaVM's ret code");
});
