// AquaVM's data format (0.17.2, rkyv inner data), byte for byte against the reference AquaVM:
// every data the reference writes on the differential corpus (69 scenarios, every invoke of
// every peer) decodes to what AquaVM's own dump (`to_human_readable_data`) shows, and encodes
// back to the very same bytes; encoded afresh (our own sharing of values), the reference reads
// it to the same dump. The other way, every data our VM writes on the same corpus reads in the
// reference to the dump of what our VM meant.
import t from 'tap';
import {
  decodeData,
  encodeData,
  formatOf,
  readEnvelopeVersions,
} from '../data/interpreter-data.js';
import { humanReadableJson } from '../data/rkyv/human-readable.js';
import { AquaVM } from '../vm.js';
import { createReferenceAquaVM } from '../../testing/index.js';
import {
  runNetwork,
  type Runner,
  scenarioServices,
  withScenarioPeers as withPeers,
  scenarioPeers,
  vmScenarios,
} from './vm-harness.js';

const scenarios = vmScenarios();
const peers = scenarioPeers;

// Strings at the inline limit (7 UTF-8 bytes), just past it (8), and multi-byte ones whose
// UTF-16 length and UTF-8 length fall on different sides of it.
const EXTRA = [
  `(seq (call @A ("sevenab" "eightabc") ["ééé" "éééé"] r) (seq (ap r.$.[0] $s) (call @B ("ü日本" "") [r.$.[1] $s] r2)))`,
  `(seq (call @A ("1234567" "12345678") [] r) (canon @B $none #c))`,
];

/** Every distinct non-empty data a runner writes while running the whole corpus. */
async function corpusData(runner: Runner): Promise<Uint8Array[]> {
  const seen = new Map<string, Uint8Array>();
  const capturing: Runner = {
    async invoke(...args) {
      const out = await runner.invoke(...args);
      if (out.data.length > 0) seen.set(Buffer.from(out.data).toString('base64'), out.data);
      return out;
    },
  };
  for (const air of [...scenarios.map((s) => s.air), ...EXTRA]) {
    await runNetwork(capturing, withPeers(air), peers, peers[0], scenarioServices, {
      maxSteps: 3000,
    });
  }
  return [...seen.values()];
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const reference = await createReferenceAquaVM();
const referenceDump = (bytes: Uint8Array): unknown => {
  const text = reference.toHumanReadableData(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return `reference could not read the data: ${text}`;
  }
};
const ourDump = (bytes: Uint8Array): unknown => {
  const versions = readEnvelopeVersions(bytes)!;
  return humanReadableJson(decodeData(bytes, 'test'), versions);
};

t.test('reference data: decode, dump and re-encode byte for byte', async (t) => {
  const all = await corpusData(reference);
  t.ok(all.length >= 150, `${all.length} distinct data from the reference`);
  let identical = 0;
  let fresh = 0;
  let afterRule = 0;
  for (const bytes of all) {
    let data;
    try {
      data = decodeData(bytes, 'reference');
    } catch (e) {
      t.fail(`decode: ${(e as Error).message}`);
      console.log(reference.toHumanReadableData(bytes).slice(0, 4000));
      continue;
    }
    t.equal(formatOf(data), 'aquavm');
    const expected = referenceDump(bytes);
    t.same(ourDump(bytes), expected, 'our reading equals AquaVM dump');
    if (equalBytes(encodeData(data), bytes)) identical++;
    // Where AquaVM puts the empty part after `next` of each fold value, computed as our VM
    // computes it for its own data, is where AquaVM put it.
    const computed = {
      ...data,
      trace: data.trace.map((s) =>
        s.kind === 'fold'
          ? { ...s, lore: s.lore.map((e) => ({ valuePos: e.valuePos, length: e.length })) }
          : s,
      ),
    };
    if (
      JSON.stringify(humanReadableJson(computed, readEnvelopeVersions(bytes)!)) ===
      JSON.stringify(ourDump(bytes))
    )
      afterRule++;
    // A copy carries no record of AquaVM's sharing: our own layout, which AquaVM must read alike.
    const ours = encodeData({ ...data });
    if (equalBytes(encodeData(decodeData(ours, 'ours')), ours)) fresh++;
    t.same(referenceDump(ours), expected, 'AquaVM reads our encoding to the same dump');
  }
  t.equal(identical, all.length, 'every reference data re-encodes to identical bytes');
  t.equal(fresh, all.length, 'our own encoding round-trips byte for byte too');
  t.equal(afterRule, all.length, "fold lore positions after next computed as AquaVM's");
});

t.test('our data: AquaVM reads what our VM meant', async (t) => {
  const all = await corpusData(new AquaVM());
  t.ok(all.length >= 150, `${all.length} distinct data from our VM`);
  for (const bytes of all) {
    t.equal(readEnvelopeVersions(bytes)?.version, '0.17.2');
    t.same(referenceDump(bytes), ourDump(bytes));
  }
});

t.test(
  'our VM writes the data AquaVM writes, state for state and signature for signature',
  async (t) => {
    // Ed25519 signatures are deterministic, so equal content means equal dumps.
    let compared = 0;
    for (const s of scenarios) {
      const air = withPeers(s.air);
      const expected = await runNetwork(reference, air, peers, peers[0], scenarioServices, {
        maxSteps: 3000,
      });
      const actual = await runNetwork(new AquaVM(), air, peers, peers[0], scenarioServices, {
        maxSteps: 3000,
      });
      for (const [peer, bytes] of expected.data) {
        const ours = actual.data.get(peer);
        if (ours === undefined || bytes.length === 0) {
          t.equal(ours?.length ?? 0, bytes.length, `${s.name}: data of ${peer}`);
          continue;
        }
        compared++;
        t.same(referenceDump(ours), referenceDump(bytes), `${s.name}: final data of ${peer}`);
      }
    }
    t.ok(compared >= 100, `${compared} final data compared`);
  },
);
