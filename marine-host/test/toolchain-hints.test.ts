// First-run failures say what to do: setup-toolchain.sh waits for a dpkg/apt lock another
// process holds (or says exactly what to rerun), and an offline build that lacks a crate names
// the Debian package to install or says the crate needs crates.io.
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { missingCrateHint } from '../build/cargo.js';

const root = resolve(import.meta.dirname, '../..');
const script = readFileSync(join(root, 'scripts/setup-toolchain.sh'), 'utf8');
const aptGetFn = /^apt_get\(\) \{[\s\S]*?^\}$/m.exec(script)?.[0] ?? '';

/** Runs the script's apt_get with a stub apt-get that reports a held lock `locked` times. */
async function runAptGet(dir: string, locked: number, wait: number) {
  const counter = join(dir, 'count');
  writeFileSync(counter, '0');
  const stub = join(dir, 'apt-get');
  writeFileSync(
    stub,
    `#!/bin/bash\nn=$(cat ${counter}); echo $((n + 1)) > ${counter}\nif [ "$n" -lt ${locked} ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2; exit 100; fi\necho "installed $*"\n`,
  );
  chmodSync(stub, 0o755);
  const r = await execa('bash', ['-c', `${aptGetFn}\napt_get install -y librust-x-dev`], {
    env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, MARINE_APT_LOCK_WAIT: String(wait) },
    reject: false,
  });
  return { ...r, attempts: Number(readFileSync(counter, 'utf8').trim()) };
}

t.test('setup-toolchain.sh waits for a held dpkg lock, saying so', async (t) => {
  t.ok(aptGetFn.length > 0, 'the script defines apt_get');
  const r = await runAptGet(t.testdir({}), 1, 30);
  t.equal(r.exitCode, 0);
  t.equal(r.attempts, 2, 'retried once the lock was released');
  t.match(r.stderr, /another process holds the dpkg\/apt lock; waiting for it \(up to 30 s/);
  t.match(r.stderr, /installed install -y librust-x-dev/);
});

t.test('a lock held too long ends with exactly what to run again', async (t) => {
  const r = await runAptGet(t.testdir({}), 100, 0);
  t.equal(r.exitCode, 100);
  t.match(r.stderr, /Could not get lock/);
  t.match(
    r.stderr,
    /the dpkg\/apt lock was still held after 0 s\. When the other package manager has finished, run again: bash scripts\/setup-toolchain\.sh/,
  );
});

t.test('every apt-get of the script goes through apt_get', async (t) => {
  const direct = script
    .split('\n')
    .filter((l) => /^\s*apt-get (update|install)/.test(l) && !l.includes('out=$('));
  t.same(direct, []);
});

const missing = `error: no matching package named \`anyhow\` found
location searched: registry \`crates-io\`
required by package \`svc v0.1.0 (/p)\`
As a reminder, you're using offline mode (--offline)`;

t.test('an offline build missing a crate Debian packages names the package', async (t) => {
  const hasAptCache = (await execa('apt-cache', ['--version'], { reject: false }).catch(() => null))
    ?.exitCode;
  const hint = await missingCrateHint(missing);
  if (hasAptCache === 0) {
    t.match(
      hint,
      /crate `anyhow` is not installed there: install it with `apt-get install librust-anyhow-dev`/,
    );
  } else t.match(hint, /anyhow/);
});

t.test('a crate Debian does not package needs crates.io', async (t) => {
  const hint = await missingCrateHint(missing.replace('`anyhow`', '`no_such_crate_marine_ts_xyz`'));
  t.match(
    hint,
    /Debian has no package for crate `no_such_crate_marine_ts_xyz` \(no librust-no-such-crate-marine-ts-xyz-dev\): this crate needs crates\.io/,
  );
});

t.test('a Debian crate too old for the requirement says both versions', async (t) => {
  const hint =
    await missingCrateHint(`error: failed to select a version for the requirement \`serde_json = "^1.0.120"\`
candidate versions found which didn't match: 1.0.91
location searched: directory source \`/usr/share/cargo/registry\` (which is replacing registry \`crates-io\`)`);
  t.match(hint, /`serde_json` is there in 1\.0\.91, but the service requires \^1\.0\.120/);
  t.equal(await missingCrateHint('error[E0425]: cannot find value `x` in this scope'), undefined);
});
