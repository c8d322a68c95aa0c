// `marine test` on a user's crate outside this repository whose #[marine_test] tests fail: a
// failing Rust test is reported as failed with its assertion, and the exit code is cargo's; a
// config_path that leads nowhere fails the build with what was expected and where.
import t, { type Test } from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

/** Sums cargo's `test result:` lines. */
function cargoCounts(output: string): { passed: number; failed: number; results: number } {
  let passed = 0;
  let failed = 0;
  let results = 0;
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    results += 1;
  }
  return { passed, failed, results };
}

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'marine-test-rust-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A crate in `dir/name` with its own Config.toml (the greeting module of this repository). */
function crate(name: string, tests: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, 'src'), { recursive: true });
  writeFileSync(
    join(path, 'Cargo.toml'),
    [
      '[package]',
      `name = "${name}"`,
      'version = "0.1.0"',
      'edition = "2021"',
      '',
      '[workspace]',
      '',
      '[dev-dependencies]',
      `marine-rs-sdk-test = { path = ${JSON.stringify(join(root, 'services-rs/sdk-test'))} }`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(path, 'Config.toml'),
    `modules_dir = ${JSON.stringify(join(root, 'services-rs/artifacts'))}\n\n[[module]]\nname = "greeting"\n`,
  );
  writeFileSync(join(path, 'src', 'lib.rs'), tests);
  return path;
}

/** `marine test --no-build <path>`, in its own process group, ended by the teardown. */
async function marineTest(t: Test, path: string) {
  const child = execa('node', ['bin/marine.js', 'test', path, '--no-build'], {
    cwd: root,
    all: true,
    reject: false,
    detached: true,
    // The repository's target dir: the SDK and syn are compiled once for every crate.
    env: { CARGO_TARGET_DIR: join(root, 'services-rs', 'target') },
  });
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const r = await child;
  return { code: r.exitCode, out: String(r.all) };
}

t.test('a failing #[marine_test] is reported as failed', async (t) => {
  const path = crate(
    'failing_demo',
    `#[cfg(test)]
mod tests {
    use marine_rs_sdk_test::marine_test;

    #[marine_test(config_path = "../Config.toml")]
    fn passes(greeting: marine_test_env::greeting::ModuleInterface) {
        assert_eq!(greeting.greeting("a".to_string()), "Hi, a");
    }

    #[marine_test(config_path = "../Config.toml")]
    fn deliberately_fails(greeting: marine_test_env::greeting::ModuleInterface) {
        assert_eq!(greeting.greeting("a".to_string()), "Hello, a");
    }
}
`,
  );
  const { code, out } = await marineTest(t, path);
  if (code !== 101) t.comment(out.slice(-4000));
  t.equal(code, 101, "exit code is cargo's");
  t.match(out, /test tests::passes \.\.\. ok/);
  t.match(out, /test tests::deliberately_fails \.\.\. FAILED/);
  t.match(out, /left: `"Hi, a"`,\s*right: `"Hello, a"`/, 'with its assertion');
  t.same(cargoCounts(out), { passed: 1, failed: 1, results: 1 });
});

t.test('a config_path that leads nowhere fails the build saying so', async (t) => {
  const path = crate(
    'misconfigured_demo',
    `#[cfg(test)]
mod tests {
    #[marine_rs_sdk_test::marine_test(config_path = "../Missing.toml")]
    fn nowhere(greeting: marine_test_env::greeting::ModuleInterface) {
        greeting.greeting(String::new());
    }
}
`,
  );
  const { code, out } = await marineTest(t, path);
  if (code !== 101) t.comment(out.slice(-4000));
  t.equal(code, 101, "exit code is cargo's");
  t.match(
    out,
    /#\[marine_test\]: config_path is relative to the file of the test: expected `..\/Missing.toml` from the file declaring `fn nowhere`/,
  );
});
