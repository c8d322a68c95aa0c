// Differential test: our parser against AquaVM's (the `ast` export of @fluencelabs/avm 0.62).
// Both must accept or both reject every script; accepted scripts must give the same tree.
import t from 'tap';
import { parseAir } from '../parser/index.js';
import { loadReferenceAvm, type ReferenceAvm } from './oracle/avm-oracle.js';
import { aquaCases, generatedCases, handWrittenCases, type CorpusCase } from './oracle/corpus.js';
import { toReferenceShape } from './oracle/reference-shape.js';

let avm: ReferenceAvm;
t.before(async () => {
  avm = await loadReferenceAvm();
});

interface Comparison {
  accepted: number;
  rejected: number;
  /** One line per script where the parsers disagree. */
  problems: string[];
}

async function compare(cases: readonly CorpusCase[]): Promise<Comparison> {
  const out: Comparison = { accepted: 0, rejected: 0, problems: [] };
  for (const c of cases) {
    const ours = parseAir(c.source);
    const ref = await avm.ast(c.source);
    if (ours.ok !== ref.ok) {
      const why = ours.ok
        ? `reference rejects: ${ref.ok ? '' : ref.error.slice(0, 300)}`
        : `we reject: ${ours.errors[0]?.message ?? ''}`;
      out.problems.push(
        `${c.name}: verdicts differ (${why}) in ${JSON.stringify(c.source.slice(0, 200))}`,
      );
    } else if (ours.ok && ref.ok) {
      out.accepted++;
      // Round-trip ours through JSON so numbers compare the way the reference's JSON parses.
      const mine = JSON.parse(JSON.stringify(toReferenceShape(ours.ast, c.source))) as unknown;
      if (JSON.stringify(mine) !== JSON.stringify(ref.ast))
        out.problems.push(`${c.name}: trees differ`);
    } else out.rejected++;
  }
  return out;
}

t.test('hand-written cases', async (t) => {
  const cases = handWrittenCases();
  t.ok(cases.length > 100, `${cases.length} hand-written cases`);
  const r = await compare(cases);
  t.strictSame(r.problems, [], 'same verdict and tree for every case');
  t.ok(
    r.accepted > 30 && r.rejected > 30,
    `both verdicts covered (${r.accepted} accepted, ${r.rejected} rejected)`,
  );
});

t.test('generated and mutated scripts', async (t) => {
  const r = await compare(generatedCases(Number(process.env.AIR_DIFF_COUNT ?? 300)));
  t.strictSame(r.problems, [], 'same verdict and tree for every script');
  t.ok(
    r.accepted > 20 && r.rejected > 20,
    `both verdicts covered (${r.accepted} accepted, ${r.rejected} rejected)`,
  );
});

t.test('Aqua programs compiled with aqua-api', async (t) => {
  const cases = await aquaCases();
  t.ok(cases.length >= 40, `${cases.length} compiled functions`);
  const r = await compare(cases);
  t.strictSame(r.problems, [], 'same verdict and tree for every compiled function');
  t.equal(r.accepted, cases.length, 'every compiled function is accepted by both');
});

t.test('invoke agrees: ret_code 1 (AIRParseError) exactly for the scripts we reject', async (t) => {
  const problems: string[] = [];
  let rejected = 0;
  for (const c of handWrittenCases().slice(0, 80)) {
    const ours = parseAir(c.source);
    const refError = await avm.invokeParseError(c.source);
    if (ours.ok === (refError !== undefined))
      problems.push(
        `${c.name}: ours ${ours.ok ? 'accepts' : 'rejects'}, invoke ${refError === undefined ? 'parses' : 'rejects'}`,
      );
    if (refError !== undefined) {
      rejected++;
      if (!refError.includes("air can't be parsed"))
        problems.push(`${c.name}: unexpected invoke error ${refError.slice(0, 80)}`);
    }
  }
  t.strictSame(problems, []);
  t.ok(rejected > 10, `${rejected} scripts rejected by invoke`);
});
