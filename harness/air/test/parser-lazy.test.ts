// The validating pre-pass (parser/skeleton.ts) and the lazy tree (parser/lazy.ts) against
// parseAir: on every script of the parser's corpora, valid and invalid, the pre-pass must give
// parseAir's verdict, and a lazy tree read to its leaves must equal parseAir's tree (kinds,
// fields, positions, values), whichever subtrees it parses whole.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import t, { type Test as TapTest } from 'tap';
import type { Instruction } from '../ast/types.js';
import { treeStats } from '../ast/walk.js';
import { isLazyNode, lazyRoot, materializeAll, parseAirLazy } from '../parser/lazy.js';
import { parseAir } from '../parser/parser.js';
import { scanAir } from '../parser/skeleton.js';
import { aquaCases, generatedCases, handWrittenCases, repoRoot } from './oracle/corpus.js';
import {
  aquaLikeAir,
  deepAir,
  mutate,
  randomAir,
  randomBytesText,
  rng,
} from './oracle/generate-air.js';

interface Case {
  readonly name: string;
  readonly source: string;
}

const FIELDS: Readonly<Record<string, readonly string[]>> = {
  seq: ['left', 'right'],
  par: ['left', 'right'],
  xor: ['left', 'right'],
  match: ['left', 'right', 'body'],
  mismatch: ['left', 'right', 'body'],
  new: ['variable', 'body'],
  fold: ['foldKind', 'iterable', 'iterator', 'body', 'last'],
};

/** A lazy tree as plain objects, read through its getters (a parsed-whole subtree as it is). */
function plain(node: Instruction): unknown {
  if (!isLazyNode(node)) return node;
  const fields = FIELDS[node.kind] ?? [];
  const out: Record<string, unknown> = { kind: node.kind };
  for (const f of fields) {
    const v = (node as unknown as Record<string, unknown>)[f];
    if (v === undefined) continue;
    out[f] = f === 'left' || f === 'right' ? plainPart(v) : f === 'foldKind' ? v : plainPart(v);
  }
  out.start = node.start;
  out.end = node.end;
  return out;
}

function plainPart(v: unknown): unknown {
  return typeof v === 'object' && v !== null && 'kind' in v ? plain(v as Instruction) : v;
}

interface Outcome {
  valid: number;
  invalid: number;
  problems: string[];
}

const EAGER_MAXES = [0, 40, 300];

function check(cases: readonly Case[], out: Outcome = { valid: 0, invalid: 0, problems: [] }) {
  for (const c of cases) {
    const full = parseAir(c.source);
    const sk = scanAir(c.source);
    const show = JSON.stringify(c.source.length > 300 ? c.source.slice(0, 300) + '…' : c.source);
    if ((sk !== undefined) !== full.ok) {
      out.problems.push(
        `${c.name}: pre-pass ${sk ? 'accepts' : 'rejects'}, parseAir ${full.ok ? 'accepts' : `rejects (${full.errors[0]?.message ?? ''})`}: ${show}`,
      );
      continue;
    }
    if (!full.ok || sk === undefined) {
      out.invalid++;
      continue;
    }
    out.valid++;
    if (sk.depth !== treeStats(full.ast).depth)
      out.problems.push(`${c.name}: depth ${sk.depth}, tree ${treeStats(full.ast).depth}`);
    for (const eagerMax of EAGER_MAXES) {
      const lazy = lazyRoot(c.source, sk, eagerMax);
      if (!isDeepStrictEqual(plain(lazy), full.ast)) {
        out.problems.push(`${c.name}: lazy tree (eagerMax ${eagerMax}) differs: ${show}`);
        break;
      }
    }
  }
  return out;
}

/** Cases of a file where a line starting with `marker` begins each case. */
function splitCases(file: string, marker: string): Case[] {
  const text = readFileSync(file, 'utf8');
  const out: Case[] = [];
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(marker)) {
      if (name !== undefined) out.push({ name, source: lines.join('\n') });
      name = `${file.slice(repoRoot.length + 1)}: ${line.slice(marker.length).trim()}`;
      lines = [];
    } else lines.push(line);
  }
  if (name !== undefined) out.push({ name, source: lines.join('\n') });
  return out;
}

function withMutations(cases: readonly Case[], seed: number, per = 2): Case[] {
  const out: Case[] = [...cases];
  cases.forEach((c, i) => {
    for (let k = 0; k < per; k++)
      out.push({
        name: `${c.name} mutated ${k}`,
        source: mutate(c.source, seed + i * 31 + k, 1 + k),
      });
  });
  return out;
}

function expectBoth(t: TapTest, r: Outcome, what: string, minEach = 10): void {
  t.strictSame(r.problems, [], `${what}: same verdict and tree`);
  t.ok(
    r.valid >= minEach && r.invalid >= minEach,
    `${what}: ${r.valid} valid, ${r.invalid} invalid`,
  );
}

t.test('hand-written parser cases and parse-error cases, with mutations', async (t) => {
  const cases = [
    ...handWrittenCases(),
    ...splitCases(join(repoRoot, 'fixtures', 'air', 'parse-errors.air'), ';;;; '),
  ];
  t.ok(cases.length > 100);
  expectBoth(t, check(withMutations(cases, 7)), 'hand-written', 50);
});

t.test('conformance and VM differential scenarios, with mutations', async (t) => {
  const dir = join(repoRoot, 'fixtures', 'air', 'conformance');
  const cases: Case[] = [];
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.air'))
    .sort())
    cases.push(...splitCases(join(dir, f), ';; @scenario'));
  const vm = JSON.parse(
    readFileSync(join(repoRoot, 'fixtures', 'air', 'vm-differential.json'), 'utf8'),
  ) as { scenarios: { name: string; air: string }[] };
  for (const s of vm.scenarios) cases.push({ name: `vm-differential: ${s.name}`, source: s.air });
  t.ok(cases.length > 100, `${cases.length} scenarios`);
  expectBoth(t, check(withMutations(cases, 11)), 'scenarios', 50);
});

t.test('generated, noisy and mutated scripts (the differential and fuzz corpora)', async (t) => {
  const count = Number(process.env.AIR_LAZY_COUNT ?? 600);
  const cases: Case[] = [...generatedCases(count)];
  for (let i = 0; i < count; i++) {
    const s = randomAir(20240808 + i, { noise: 0.05 });
    cases.push({ name: `fuzz ${i}`, source: s });
    cases.push({ name: `fuzz ${i} mutated`, source: mutate(s, 20240808 ^ i, 1 + (i % 6)) });
  }
  for (let i = 0; i < count / 3; i++)
    cases.push({ name: `bytes ${i}`, source: randomBytesText(20240808 + i, 1 + ((i * 37) % 400)) });
  const s = randomAir(20240808, { depth: 5, noise: 0 });
  for (let i = 0; i <= s.length; i += Math.max(1, Math.floor(s.length / 300)))
    cases.push({ name: `prefix ${i}`, source: s.slice(0, i) });
  expectBoth(t, check(cases), 'generated', 100);
});

t.test('compiled-Aqua-shaped scripts of several sizes, and their mutations', async (t) => {
  const cases: Case[] = [];
  for (const [size, seed] of [
    [3000, 1],
    [20000, 2],
    [120000, 3],
  ] as const) {
    const s = aquaLikeAir(size, seed);
    cases.push({ name: `aqua-like ${size}`, source: s });
    for (let k = 0; k < 40; k++)
      cases.push({ name: `aqua-like ${size} mutated ${k}`, source: mutate(s, seed * 1000 + k, 1) });
  }
  cases.push({ name: 'deep', source: deepAir(3000) });
  expectBoth(t, check(cases), 'aqua-like', 3);
});

// Words in every value position: the pre-pass reads common words itself and hands the rest to the
// Lexer, so each odd word must come out as parseAir reads it.
const WORDS = [
  'x',
  'x.$.a',
  'x.$.a.b',
  'x.$.[0]',
  'x.$.[i]',
  'x.$[0]',
  'x.$[i].c',
  'x.$.a!',
  'x.$.a.[4294967295]',
  'x.$.a.[4294967296]',
  'x.$.[007]',
  'x.$.1a',
  'x.$.a.',
  'x.$',
  'x.length',
  'x.lengthy',
  'x.$.é',
  'x.$.aé',
  'x.$.$',
  'undefined_y',
  'undefined_y.$.a',
  'x.$.[undefined_y]',
  '$s',
  '$s.$.a',
  '$',
  '$$',
  '%m',
  '%m.$.a',
  '#c',
  '#c.$.a',
  '#c.length',
  '#$c',
  '#$c.$.a',
  '#%cm',
  '#%cm.$.a',
  '#%cm.length',
  '#a.$.b',
  '#',
  '#$',
  '#%',
  '%init_peer_id%',
  '%init_peer_id%.$.a',
  '%timestamp%',
  '%ttl%',
  '%ttl%x',
  '%last_error%',
  '%last_error%.$.message',
  '%last_error%.$.[x]',
  '%last_error%x',
  ':error:',
  ':error:.$.error_code',
  ':error:.$.[0]',
  ':error:.length',
  ':error:x',
  ':error',
  '0',
  '-0',
  '+0',
  '00',
  '-7',
  '+7',
  '1234567890123456',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '1.5',
  '-0.5',
  '1.',
  '.5',
  '1.2.3',
  '1.23456789012',
  '1e5',
  '1x',
  '-relay-',
  '-',
  '-x.$.a',
  'true',
  'false',
  'True',
  'null',
  'seq',
  '[]',
  '[ ]',
  '[',
  '"s"',
  '""',
  'a@b',
  'é',
  'aé',
  'a;b',
  'x.$.a(b)',
  'x.$.[a]]',
  'x\u00a0',
  '\u00a0x',
  'ñame',
  'a-b_c',
];

t.test('odd words in every position', async (t) => {
  const r = rng(5);
  const defs =
    '(call %init_peer_id% ("s" "f") [] x) (call %init_peer_id% ("s" "f") [] i) ' +
    '(ap 1 $s) (ap ("k" 1) %m) (canon %init_peer_id% $s #c) (canon %init_peer_id% $s #$c) ' +
    '(canon %init_peer_id% %m #%cm) (call %init_peer_id% ("s" "f") [] -relay-) ' +
    '(call %init_peer_id% ("s" "f") [] a-b_c) (call %init_peer_id% ("s" "f") [] ñame)';
  const templates = [
    (w: string) => `(call ${w} ("s" "f") [] out)`,
    (w: string) => `(call %init_peer_id% (${w} "f") [] out)`,
    (w: string) => `(call %init_peer_id% ("s" ${w}) [] out)`,
    (w: string) => `(call %init_peer_id% ("s" "f") [${w}] out)`,
    (w: string) => `(call %init_peer_id% ("s" "f") [x ${w} 1] out)`,
    (w: string) => `(call %init_peer_id% ("s" "f") [] ${w})`,
    (w: string) => `(match ${w} 1 (null))`,
    (w: string) => `(mismatch x ${w} (null))`,
    (w: string) => `(fold ${w} it (next it))`,
    (w: string) => `(fold x ${w} (null))`,
    (w: string) => `(new ${w} (null))`,
    (w: string) => `(next ${w})`,
    (w: string) => `(ap ${w} out)`,
    (w: string) => `(ap x ${w})`,
    (w: string) => `(ap (${w} 1) %m)`,
    (w: string) => `(ap ("k" ${w}) %m)`,
    (w: string) => `(ap ("k" 1) ${w})`,
    (w: string) => `(canon ${w} $s #c2)`,
    (w: string) => `(canon %init_peer_id% ${w} #c2)`,
    (w: string) => `(canon %init_peer_id% $s ${w})`,
    (w: string) => `(canon %init_peer_id% %m ${w})`,
    (w: string) => `(fail ${w})`,
    (w: string) => `(fail ${w} "m")`,
    (w: string) => `(${w})`,
    (w: string) => `(seq ${w} (null))`,
  ];
  const cases: Case[] = [];
  for (const w of WORDS) {
    for (const [k, tpl] of templates.entries()) {
      const body = tpl(w);
      cases.push({ name: `${k}: ${w}`, source: `(seq ${wrapDefs(defs)} ${body})` });
      // The same word once before its definitions, and tight against brackets.
      if (r() < 0.2) cases.push({ name: `${k}: ${w} first`, source: `(seq ${body} (null))` });
      if (r() < 0.2)
        cases.push({
          name: `${k}: ${w} tight`,
          source: `(seq ${wrapDefs(defs)}${body.replace(/ \(/g, '(').replace(/\) /g, ')')})`,
        });
    }
  }
  expectBoth(t, check(cases), 'odd words', 100);
});

function wrapDefs(defs: string): string {
  const parts = defs.match(/\((?:[^()]|\([^()]*\))*\)/g) ?? [];
  let out = parts[parts.length - 1] ?? '(null)';
  for (let i = parts.length - 2; i >= 0; i--) out = `(seq ${parts[i] ?? '(null)'} ${out})`;
  return out;
}

t.test('semantic rules one by one', async (t) => {
  const call = (out: string, args = ''): string =>
    `(call %init_peer_id% ("s" "f") [${args}] ${out})`;
  const sources = [
    // Definitions anywhere before the using instruction's start count; later ones do not.
    `(seq ${call('a')} ${call('b', 'a')})`,
    `(seq ${call('b', 'a')} ${call('a')})`,
    `(new a ${call('b', 'a')})`,
    `(seq (new $a (null)) ${call('b', '$a')})`,
    `(seq ${call('a', 'a')} (null))`,
    `(fold [] i ${call('o', 'i')})`,
    `(fold i i (null))`,
    `(seq ${call('xs')} (fold xs.$.[i] i (null)))`,
    `(seq ${call('xs')} (seq ${call('i')} (fold xs.$.[i] j (null))))`,
    `(seq (ap 1 $s) (fold $s i (next i)))`,
    `(fold $s i (next i))`,
    `(seq (ap ("k" x) %m) (null))`,
    `(seq (ap (x 1) %m) (null))`,
    `(canon y $s #c)`,
    `(fail x)`,
    `(fail 0 "zero")`,
    `(fail -0 "zero")`,
    `(fail 00 "zero")`,
    `(fail 1 "one")`,
    // Folds: redefined iterators, new on an iterator, next outside or twice.
    `(fold [] i (fold [] i (null)))`,
    `(fold [] i (fold [] j (next i)))`,
    `(fold [] i (seq (next i) (next i)))`,
    `(seq (fold [] i (null)) (fold [] i (next i)))`,
    `(next i)`,
    `(fold [] i (new i (null)))`,
    `(fold [] i (new $i (null)))`,
    `(seq (fold [] i (null)) (new i (null)))`,
    `(fold [] i (null) (next i))`,
    // After next in stream folds (and what a scalar fold allows).
    `(seq (ap 1 $s) (fold $s i (seq (next i) (null))))`,
    `(seq (ap 1 $s) (fold $s i (seq (null) (next i))))`,
    `(seq (ap 1 $s) (fold $s i (par (next i) (null))))`,
    `(seq (ap 1 $s) (fold $s i (xor (next i) (null))))`,
    `(seq (ap 1 $s) (fold $s i (seq (seq (next i) (null)) (null))))`,
    `(seq (ap 1 $s) (fold $s i (new $x (seq (next i) (null)))))`,
    `(seq (ap 1 $s) (fold $s i (seq (next i) (null)) (null)))`,
    `(fold [] i (seq (next i) (null)))`,
    `(seq (ap 1 $s) (fold $s i (fold [] j (seq (next i) (next j)))))`,
    `(seq (ap 1 $s) (fold $s i (seq (fold [] j (seq (next j) (null))) (next i))))`,
    `(seq (ap 1 $s) (seq (ap 1 %m) (fold %m i (seq (next i) (null)))))`,
  ];
  const cases = sources.map((source, i) => ({ name: `rule ${i}`, source }));
  expectBoth(t, check(withMutations(cases, 3, 4)), 'rules', 10);
});

t.test('Aqua programs compiled with aqua-api', async (t) => {
  const cases = await aquaCases();
  t.ok(cases.length >= 40, `${cases.length} compiled functions`);
  const r = check(withMutations(cases, 13));
  expectBoth(t, r, 'compiled Aqua', 40);
});

t.test('parseAirLazy and materializeAll on a large script', async (t) => {
  const s = aquaLikeAir(300_000, 9);
  const full = parseAir(s);
  const lazy = parseAirLazy(s);
  t.ok(full.ok && lazy.ok);
  if (!full.ok || !lazy.ok) return;
  t.ok(isLazyNode(lazy.ast), 'the root of a large script is lazy');
  t.equal(materializeAll(lazy.ast), treeStats(full.ast).instructions);
  t.ok(isDeepStrictEqual(plain(lazy.ast), full.ast), 'equal to the parsed tree');
  t.equal(lazy.depth, treeStats(full.ast).depth);
  t.strictSame(parseAirLazy(s.slice(0, -1)), { ok: false });
});
