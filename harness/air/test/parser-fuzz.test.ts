// Fuzzing with a fixed seed and a bounded count: random bytes, random scripts and their
// mutations must each give an AST or errors, never an exception, with sane error positions.
import t from 'tap';
import { parseAir } from '../parser/index.js';
import { mutate, randomAir, randomBytesText } from './oracle/generate-air.js';

const COUNT = Number(process.env.AIR_FUZZ_COUNT ?? 1500);
const SEED = Number(process.env.AIR_FUZZ_SEED ?? 20240808);

function check(source: string): string | undefined {
  let r;
  try {
    r = parseAir(source);
  } catch (error) {
    return `threw ${error instanceof Error ? error.stack : String(error)}`;
  }
  if (r.ok) return r.errors.length === 0 ? undefined : 'ok with errors';
  if (r.errors.length === 0) return 'rejected without an error';
  for (const e of r.errors) {
    if (!(e.span.start >= 0 && e.span.start <= source.length && e.line >= 1 && e.column >= 1)) {
      return `bad position ${JSON.stringify(e)}`;
    }
  }
  return undefined;
}

t.test('random bytes', async (t) => {
  const problems: string[] = [];
  for (let i = 0; i < COUNT / 3; i++) {
    const p = check(randomBytesText(SEED + i, 1 + ((i * 37) % 400)));
    if (p !== undefined) problems.push(p);
  }
  t.strictSame(problems, []);
});

t.test('random scripts and mutations', async (t) => {
  const problems: string[] = [];
  let accepted = 0;
  for (let i = 0; i < COUNT; i++) {
    const s = randomAir(SEED + i, { noise: 0.05 });
    for (const candidate of [s, mutate(s, SEED ^ i, 1 + (i % 6))]) {
      const p = check(candidate);
      if (p !== undefined) problems.push(`${p} for ${JSON.stringify(candidate.slice(0, 200))}`);
      else if (parseAir(candidate).ok) accepted++;
    }
  }
  t.strictSame(problems, []);
  t.ok(accepted > COUNT / 10, `a good share of generated scripts is valid (${accepted})`);
});

t.test('every prefix of a compiled-looking script', async (t) => {
  const s = randomAir(SEED, { depth: 5, noise: 0 });
  const problems: string[] = [];
  for (let i = 0; i <= s.length; i += Math.max(1, Math.floor(s.length / 300))) {
    const p = check(s.slice(0, i));
    if (p !== undefined) problems.push(p);
  }
  t.strictSame(problems, []);
});
