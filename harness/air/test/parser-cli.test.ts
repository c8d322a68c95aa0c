// `marine air check` and `marine air beautify` as a user runs them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { repoRoot } from './oracle/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'air-cli-'));
const good = join(dir, 'good.air');
const bad = join(dir, 'bad.air');
writeFileSync(
  good,
  '(seq (call %init_peer_id% ("getDataSrv" "x") [] x) (xor (call x ("s" "f") [x] y) (fail :error:)))',
);
writeFileSync(bad, '(seq\n  (call peer ("s" "f") [])\n  (fail 0 "zero"))');

function marine(args: string[], input?: string) {
  return execa('node', [join(repoRoot, 'bin', 'marine.js'), ...args], {
    reject: false,
    env: { MARINE_TS_FROM_SOURCE: '1' },
    ...(input === undefined ? {} : { input }),
  });
}

t.test('check: exit codes, carets, JSON', async (t) => {
  const ok = await marine(['air', 'check', good]);
  t.equal(ok.exitCode, 0);
  t.match(ok.stdout, /good\.air: ok \(5 instructions, depth 3\)/);

  const fail = await marine(['air', 'check', bad]);
  t.equal(fail.exitCode, 1);
  t.match(fail.stderr, /error\[undefined-variable\]: variable 'peer' wasn't defined/);
  t.match(fail.stderr, /bad\.air:2:9/);
  t.match(fail.stderr, /\^\^\^\^/);
  t.match(fail.stderr, /bad\.air: 2 errors/);

  const json = await marine(['air', 'check', bad, '--json']);
  t.equal(json.exitCode, 1);
  const parsed = JSON.parse(json.stdout) as {
    ok: boolean;
    errors: Array<{ code: string; line: number }>;
  };
  t.equal(parsed.ok, false);
  t.same(
    parsed.errors.map((e) => [e.code, e.line]),
    [
      ['undefined-variable', 2],
      ['fail-code-zero', 3],
    ],
  );

  const missing = await marine(['air', 'check', join(dir, 'nope.air')]);
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /expected a readable AIR file/);
});

t.test('beautify: file and stdin', async (t) => {
  const out = await marine(['air', 'beautify', good]);
  t.equal(out.exitCode, 0);
  t.equal(out.stdout, 'x <- argument "x"\ny <- s.f(x) on x');
  const stdin = await marine(
    ['air', 'beautify', '-', '--no-patterns', '--indent', '2'],
    '(xor (null) (never))',
  );
  t.equal(stdin.stdout, 'try:\n  null\ncatch:\n  never');
  const broken = await marine(['air', 'beautify', bad]);
  t.equal(broken.exitCode, 1);
  t.match(broken.stderr, /fail-code-zero/);
});
