// The parser's differential corpus: hand-written cases (fixtures/air/parser-cases.air),
// seeded random scripts, and Aqua programs compiled with the reference compiler. Test-only.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAquaFile } from './aqua.js';
import { mutate, randomAir } from './generate-air.js';

/** One script of the corpus. */
export interface CorpusCase {
  readonly name: string;
  readonly source: string;
}

/** Repository root (this file is harness/air/test/oracle/corpus.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** Hand-written cases: a `;;;; name` line starts each case. */
export function handWrittenCases(): CorpusCase[] {
  const text = readFileSync(join(repoRoot, 'fixtures', 'air', 'parser-cases.air'), 'utf8');
  const cases: CorpusCase[] = [];
  let name: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (name !== undefined) cases.push({ name, source: lines.join('\n') });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(';;;; ')) {
      flush();
      name = line.slice(5).trim();
      lines = [];
    } else lines.push(line);
  }
  flush();
  // The first two "cases" are the file's header comment.
  return cases.filter((c) => !c.name.startsWith('Hand-written') && !c.name.startsWith('tests run'));
}

/** Seeded random scripts (mostly valid) and mutations of them (mostly invalid). */
export function generatedCases(count: number, seed = 42): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (let i = 0; i < count; i++) {
    const s = randomAir(seed + i, { noise: i % 3 === 0 ? 0.1 : 0 });
    out.push({ name: `random-${seed + i}`, source: s });
    if (i % 2 === 0) out.push({ name: `mutated-${seed + i}`, source: mutate(s, seed * 7 + i) });
  }
  return out;
}

/** Every exported function of every Aqua program under fixtures/aqua (compiled, with and without xor). */
export async function aquaCases(): Promise<CorpusCase[]> {
  const out: CorpusCase[] = [];
  const dirs = [
    join(repoRoot, 'fixtures', 'aqua', 'conformance'),
    join(repoRoot, 'fixtures', 'aqua'),
  ];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.aqua') && f !== 'services.aqua');
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      for (const noXor of [false, true]) {
        const compiled = await compileAquaFile(join(dir, file), { noXor });
        for (const [fn, air] of Object.entries(compiled.functions)) {
          out.push({ name: `${file}:${fn}${noXor ? ':noXor' : ''}`, source: air });
        }
      }
    }
  }
  return out;
}
