// The beautifier on compiled Aqua (golden files, rewritten only with BLESS=1) and on every
// instruction form, plus the properties users rely on: deterministic, deep-safe, total.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { beautify } from '../beautify/index.js';
import { parseAir } from '../parser/index.js';
import type { Instruction } from '../ast/index.js';
import { compileAquaFile } from './oracle/aqua.js';
import { repoRoot } from './oracle/corpus.js';
import { deepAir, randomAir } from './oracle/generate-air.js';

const goldenDir = join(repoRoot, 'fixtures', 'golden', 'air-beautify');

function parsed(source: string): Instruction {
  const r = parseAir(source);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.ast;
}

function golden(
  t: { equal: (a: unknown, b: unknown, m: string) => void },
  name: string,
  text: string,
): void {
  const file = join(goldenDir, `${name}.txt`);
  if (process.env.BLESS === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, text);
  }
  t.equal(text, readFileSync(file, 'utf8'), `${name} matches its golden file`);
}

const PROGRAMS = [
  'c06-par-join',
  'c08-for-par-peers',
  'c09-try-catch',
  'c17-stream-canon',
  'c21-nested-for',
  'c30-nested-try',
];

t.test('compiled Aqua reads like Aqua', async (t) => {
  for (const program of PROGRAMS) {
    const compiled = await compileAquaFile(
      join(repoRoot, 'fixtures', 'aqua', 'conformance', `${program}.aqua`),
    );
    t.strictSame(compiled.errors, [], `${program} compiles`);
    for (const [fn, air] of Object.entries(compiled.functions)) {
      golden(t, `${program}.${fn}`, beautify(parsed(air)));
    }
  }
});

t.test('patterns: argument, return, hop, propagation, for-par, join', async (t) => {
  const compiled = await compileAquaFile(
    join(repoRoot, 'fixtures', 'aqua', 'conformance', 'c08-for-par-peers.aqua'),
  );
  const text = beautify(parsed(compiled.functions.main ?? ''));
  t.match(text, /-peers-arg- <- argument "peers"/);
  t.match(text, /for p-0 <- -peers-arg- par:/);
  t.match(text, /hop -relay-/);
  t.match(text, /res_gate <- join \$res \(until length -peers-arg-_length\)/);
  t.match(text, /return -res-flat-0/);
  t.notMatch(text, /fail :error:/, 'error-propagation wrappers are folded away');
  const raw = beautify(parsed(compiled.functions.main ?? ''), { patterns: false });
  t.match(raw, /fail :error:/, '--no-patterns keeps every instruction');
  t.match(raw, /-peers-arg- <- call %init_peer_id% \("getDataSrv" "peers"\) \[\]/);
});

t.test('every instruction form without patterns', async (t) => {
  const source = `(seq (call "p" ("s" "f") [1 "a" %init_peer_id% :error:.$.message] x)
    (seq (par (null) (par (never) (null)))
    (seq (xor (match x 1 (null)) (mismatch x 2 (fail 5 "no")))
    (seq (fold x.$.items i (seq (ap (i "v") %m) (next i)) (null))
    (seq (new $s (seq (ap x $s) (canon "p" $s #c)))
    (seq (canon "p" %m #%cm) (seq (canon "p" %m obj) (fail :error:))))))))`;
  golden(t, 'all-forms', beautify(parsed(source), { patterns: false, indent: 2 }));
});

t.test('deep and random trees', async (t) => {
  const deep = beautify(parsed(deepAir(50_000)));
  t.equal(deep.split('\n').length, 50_002, 'a 50k-deep seq chain prints one line per leaf');
  let lines = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const r = parseAir(randomAir(seed, { noise: 0 }));
    if (!r.ok) continue;
    const a = beautify(r.ast);
    t.equal(a, beautify(r.ast), 'deterministic');
    lines += a.split('\n').length;
  }
  t.ok(lines > 200, `printed ${lines} lines for random trees`);
});
