// Differential test of parse error messages: for every invalid script of the parser corpus
// (hand-written cases, seeded mutations, multi-line fixtures) both VMs' invoke must fail with ret
// code 1, and where our renderer claims an exact translation the message must be AquaVM's byte
// for byte. Scripts it does not claim (several undefined names, which AquaVM prints in the order
// of a randomly seeded hash map) are counted and reported, and the share is held above a floor.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { describeAirErrorsAsAquaVM, parseAir } from '../parser/index.js';
import { createReferenceAquaVM, type ReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { AquaVM, type AquaRunParameters } from '../vm.js';
import { loadReferenceAvm } from './oracle/avm-oracle.js';
import { generatedCases, handWrittenCases, type CorpusCase } from './oracle/corpus.js';
import { mutate, randomAir, randomBytesText } from './oracle/generate-air.js';
import { testPeer } from './vm-harness.js';

const peer = testPeer(0);
const params: AquaRunParameters = {
  initPeerId: peer.peerId,
  currentPeerId: peer.peerId,
  timestamp: 1_700_000_000_000,
  ttl: 10_000,
  particleId: 'parse-errors',
  secretKey: peer.seed,
};

/** Cases of fixtures/air/parse-errors.air: a `;;;; name` line starts each. */
function multiLineCases(): CorpusCase[] {
  const text = readFileSync(
    new URL('../../../fixtures/air/parse-errors.air', import.meta.url),
    'utf8',
  );
  const cases: CorpusCase[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(';;;; ')) {
      if (current) cases.push({ name: current.name, source: current.lines.join('\n') });
      current = { name: line.slice(5), lines: [] };
    } else current?.lines.push(line);
  }
  if (current) cases.push({ name: current.name, source: current.lines.join('\n') });
  return cases;
}

/** The assertions `report` uses (any tap test has them). */
interface TapTest {
  strictSame(found: unknown, wanted: unknown, message: string): unknown;
  comment(message: string): void;
  ok(value: boolean, message: string): unknown;
}

let ref: ReferenceAquaVM;
const ours = new AquaVM();
t.before(async () => {
  ref = await createReferenceAquaVM();
});

interface Tally {
  invalid: number;
  claimed: number;
  identical: number;
  /** Claimed exact but different: each is a failure. */
  wrong: string[];
  /** Not claimed and different: reported, not failed. */
  unclaimed: string[];
  /** Both VMs must reject the same scripts. */
  verdicts: string[];
}

function compare(cases: readonly CorpusCase[]): Tally {
  const tally: Tally = {
    invalid: 0,
    claimed: 0,
    identical: 0,
    wrong: [],
    unclaimed: [],
    verdicts: [],
  };
  for (const c of cases) {
    const parsed = parseAir(c.source);
    const r = ref.invoke(c.source, new Uint8Array(), new Uint8Array(), params, new Map());
    if (parsed.ok) {
      if (r.retCode === 1) tally.verdicts.push(`${c.name}: only the reference rejects it`);
      continue;
    }
    tally.invalid++;
    const o = ours.invoke(c.source, new Uint8Array(), new Uint8Array(), params, new Map());
    if (r.retCode !== 1 || o.retCode !== 1) {
      tally.verdicts.push(`${c.name}: ret codes ${r.retCode} (reference) and ${o.retCode} (ours)`);
      continue;
    }
    const exact = describeAirErrorsAsAquaVM(parsed.errors, c.source).exact;
    const same = o.errorMessage === r.errorMessage;
    if (exact) tally.claimed++;
    if (same) tally.identical++;
    else if (exact)
      tally.wrong.push(`${c.name}\n--- reference\n${r.errorMessage}\n--- ours\n${o.errorMessage}`);
    else tally.unclaimed.push(c.name);
  }
  return tally;
}

function report(t: TapTest, label: string, tally: Tally, floor: number): void {
  t.strictSame(tally.verdicts, [], `${label}: both VMs reject exactly the same scripts`);
  t.strictSame(tally.wrong, [], `${label}: every message we claim exact is AquaVM's byte for byte`);
  const share = tally.invalid === 0 ? 0 : tally.identical / tally.invalid;
  t.comment(
    `${label}: ${tally.identical}/${tally.invalid} messages identical (${(share * 100).toFixed(1)}%), ` +
      `${tally.claimed} claimed exact; not covered: ${tally.unclaimed.length}` +
      (tally.unclaimed.length > 0 ? ` (${tally.unclaimed.slice(0, 12).join(', ')})` : ''),
  );
  t.ok(share >= floor, `${label}: at least ${floor * 100}% of messages identical`);
}

t.test('hand-written invalid scripts', async (t) => {
  const tally = compare(handWrittenCases());
  t.ok(tally.invalid > 30, `${tally.invalid} invalid scripts`);
  report(t, 'hand-written', tally, 0.97);
});

t.test('generated and mutated invalid scripts', async (t) => {
  const tally = compare(generatedCases(Number(process.env.AIR_DIFF_COUNT ?? 300)));
  t.ok(tally.invalid > 100, `${tally.invalid} invalid scripts`);
  report(t, 'generated', tally, 0.97);
});

t.test('multi-line scripts: labels over several lines, source breaks, tabs', async (t) => {
  const cases = multiLineCases();
  t.ok(cases.length >= 18, `${cases.length} cases`);
  const tally = compare(cases);
  t.equal(tally.invalid, cases.length, 'every case is invalid');
  report(t, 'multi-line', tally, 1);
});

t.test('random text and noisy mutations (the reference parser directly)', async (t) => {
  // AquaVM's own `ast` export gives the same text as invoke (without the "air can't be parsed"
  // line) and survives the panics some random input causes in it (a lens cut inside a
  // multi-byte character); those scripts are skipped, since no message can match a trap.
  const avm = await loadReferenceAvm();
  const count = Number(process.env.AIR_FUZZ_COUNT ?? 150);
  let invalid = 0;
  let identical = 0;
  let trapped = 0;
  const wrong: string[] = [];
  const unclaimed: string[] = [];
  for (let i = 0; i < count; i++) {
    for (const source of [
      randomBytesText(4242 + i, 1 + ((i * 37) % 200)),
      mutate(randomAir(5151 + i, { noise: 0.05 }), 31 * i + 5),
    ]) {
      const parsed = parseAir(source);
      if (parsed.ok) continue;
      const ref = await avm.ast(source);
      if (ref.ok) {
        wrong.push(`only we reject ${JSON.stringify(source)}`);
        continue;
      }
      if (ref.panicked || ref.error.startsWith('engine error')) {
        trapped++;
        continue;
      }
      invalid++;
      const ours = describeAirErrorsAsAquaVM(parsed.errors, source);
      if (ours.text === ref.error) identical++;
      else if (ours.exact)
        wrong.push(
          `${JSON.stringify(source)}\n--- reference\n${ref.error}\n--- ours\n${ours.text}`,
        );
      else unclaimed.push(JSON.stringify(source).slice(0, 80));
    }
  }
  t.ok(invalid > count, `${invalid} invalid scripts (${trapped} more trap the reference)`);
  t.strictSame(wrong, [], "every message we claim exact is AquaVM's byte for byte");
  t.comment(`random: ${identical}/${invalid} identical; not covered: ${unclaimed.length}`);
  t.ok(identical / invalid >= 0.97, 'at least 97% of messages identical');
});
