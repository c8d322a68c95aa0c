// `marine test`. Registration only: the work is in ../actions/test.ts, loaded when it runs.
import type { Command } from 'commander';

const HELP = `
Builds the service modules of a crate or workspace (like \`marine build\`), then runs its tap
tests (*.test.ts / *.test.js outside node_modules, target and artifacts), each in its own
process. The project needs nothing but this toolkit installed: \`tap\` and \`marine-ts/testing\`
come from the toolkit when the project has none, and TypeScript tests run as ES modules (no
"type": "module" needed). A file that fails, or fails to load, is shown with its output. Tests load services
with loadTestService(configPath) and call their functions as async methods, typed by the
<Module>Service interface \`marine build\` writes into artifacts/<module>.d.ts (snake_case
functions; values as JSON: 64-bit integers number | bigint, options [] or [x], bytes number[]):

  import t from 'tap';
  import { loadTestService } from 'marine-ts/testing';
  import type { GreetingService } from '../artifacts/greeting.js';
  t.test('greeting', async (t) => {
    const svc = await loadTestService<GreetingService>('../Config.toml', { base: import.meta.url });
    t.teardown(() => svc.$close());
    t.equal(await svc.greeting('Marine'), 'Hi, Marine');
    t.equal(await svc.greeting_cp({ particle: { init_peer_id: 'peer-1' } }, 'cp'), 'Hi, cp');
  });

Each function also has a <name>_cp(callParameters, ...args) variant; records are declared in the
<Module>Json (results) and <Module>JsonInput (arguments) namespaces of the same file.

Rust tests: when the crate (or a crate under PATH) has #[marine_test] tests (or the build.rs
form: generate_marine_test_env in build.rs, include_test_env! in the tests), it also runs
\`cargo test\` on the host target with the toolchain and crate source of \`marine build\`,
streaming cargo's output (exit code: cargo's). Add marine-rs-sdk-test as a dev-dependency
(path = "<toolkit>/services-rs/sdk-test"); its calls run in this host, no Wasm runtime in Rust.
A crate written for an older release keeps its version number: point it at
services-rs/sdk-test-compat/v0.<minor> (0.4–0.15: that release's CallParameters shape):
marine-rs-sdk-test = { path = "<toolkit>/services-rs/sdk-test-compat/v0.11", version = "0.11.0" }

  // services-rs/examples/call-params and records test themselves this way
  #[cfg(test)]
  mod tests {
      use marine_rs_sdk_test::marine_test;
      #[marine_test(config_path = "../Config.toml", modules_dir = "../artifacts")]
      fn greets(greeting: marine_test_env::greeting::ModuleInterface) {
          assert_eq!(greeting.greeting("Marine".to_string()), "Hi, Marine");
      }
  }

Examples:
  $ cd services-rs/examples/greeting && marine test   # crate in the current directory
  $ marine test services-rs/examples/greeting --release
  $ marine test services-rs/examples/greeting --no-build    # just run the tests
`;

/** Registers `marine test`. */
export function register(program: Command): void {
  program
    .command('test')
    .description(
      'build a service crate, then run its tap tests and #[marine_test] Rust tests against the built modules',
    )
    .argument('[path]', 'crate or workspace directory', '.')
    .option('--no-build', 'skip the build step')
    .option('--release', "build with cargo's release profile")
    .addHelpText('after', HELP)
    .action(async (path: string, options: { build: boolean; release?: boolean }) => {
      const { testAction } = await import('../actions/test.js');
      await testAction(path, options);
    });
}
