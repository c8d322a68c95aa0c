// `marine test` on users' crates outside this repository: a failing #[marine_test] is reported
// as failed with its assertion and cargo's exit code; records named as the author wrote them
// (`Result`, `field_0`), a service's modules and a test under tests/ work; a config_path that
// leads nowhere fails the build with what was expected and where.
import t from 'tap';
import { artifacts, cargoCounts, marineTest, userManifest, writeCrate } from './rust-crates.js';

/** The greeting module of this repository as a service. */
const GREETING = `modules_dir = ${JSON.stringify(artifacts)}\n\n[[module]]\nname = "greeting"\n`;

/**
 * The crate `name` with `files` (src/lib.rs at least) and its own Config.toml (`config`, the
 * greeting service unless said otherwise), in the fixed directory the other runs used.
 */
function crate(name: string, files: Record<string, string>, config = GREETING): string {
  return writeCrate(name, { 'Cargo.toml': userManifest(name), 'Config.toml': config, ...files });
}

t.test('a failing #[marine_test] is reported as failed', async (t) => {
  const path = crate('failing_demo', {
    'src/lib.rs': `#[cfg(test)]
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
  });
  const { code, out } = await marineTest(t, path);
  if (code !== 101) t.comment(out.slice(-4000));
  t.equal(code, 101, "exit code is cargo's");
  t.match(out, /test tests::passes \.\.\. ok/);
  t.match(out, /test tests::deliberately_fails \.\.\. FAILED/);
  t.match(out, /left: `"Hi, a"`,\s*right: `"Hello, a"`/, 'with its assertion');
  t.same(cargoCounts(out), { passed: 1, failed: 1, results: 1 });
});

t.test('records as the author named them, modules, and tests under tests/', async (t) => {
  // The SDK 0.14-style service of this repository: a facade over a store, sharing `Result`.
  const config = [
    `modules_dir = ${JSON.stringify(artifacts)}`,
    '',
    '[[module]]',
    'name = "styles_store"',
    '',
    '[[module]]',
    'name = "styles_v0_14"',
    '',
    '[module.mounted_binaries]',
    'echo = "/bin/echo"',
    '',
  ].join('\n');
  const path = crate(
    'styles_demo',
    {
      'src/lib.rs': '',
      'tests/styles.rs': `use marine_rs_sdk_test::marine_test;

#[marine_test(styles(config_path = "../Config.toml"))]
fn result_record_and_field_names() {
    let mut styles = marine_test_env::styles::ServiceInterface::new();
    let stored: marine_test_env::styles::Result =
        styles.modules.styles_store.put("k".to_string(), "v".to_string());
    assert!(stored.success, "{:?}", stored);
    let got = styles.recall("k".to_string());
    assert_eq!((got.field_0.as_str(), got.field_1.as_str()), ("k", "v"));
}

#[marine_test(config_path = "../Config.toml")]
fn one_record_type_per_service(
    styles_store: marine_test_env::styles_store::ModuleInterface,
    styles_v0_14: marine_test_env::styles_v0_14::ModuleInterface,
) {
    let put = styles_store.put("a".to_string(), "b".to_string());
    let recalled: marine_test_env::styles_store::Result = styles_v0_14.recall("a".to_string());
    assert_eq!(recalled.field_1, "b");
    assert!(put.success);
}
`,
    },
    config,
  );
  const { code, out } = await marineTest(t, path);
  if (code !== 0) t.comment(out.slice(-4000));
  t.equal(code, 0, 'marine test exits 0');
  t.match(out, /test result_record_and_field_names \.\.\. ok/);
  t.match(out, /test one_record_type_per_service \.\.\. ok/);
});

t.test('a config_path that leads nowhere fails the build saying so', async (t) => {
  const path = crate('misconfigured_demo', {
    'src/lib.rs': `#[cfg(test)]
mod tests {
    #[marine_rs_sdk_test::marine_test(config_path = "../Missing.toml")]
    fn nowhere(greeting: marine_test_env::greeting::ModuleInterface) {
        greeting.greeting(String::new());
    }
}
`,
  });
  const { code, out } = await marineTest(t, path);
  if (code !== 101) t.comment(out.slice(-4000));
  t.equal(code, 101, "exit code is cargo's");
  t.match(
    out,
    /#\[marine_test\]: config_path is relative to the file of the test: expected `..\/Missing.toml` from the file declaring `fn nowhere`/,
  );
});
