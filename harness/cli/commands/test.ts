import { resolve } from 'node:path';
import { Command } from 'commander';
import { buildServices } from '../../../marine-host/index.js';
import { findTestFiles, runTestFiles } from '../../../marine-host/test-runner/run.js';

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

Examples:
  $ cd services-rs/examples/greeting && marine test   # crate in the current directory
  $ marine test services-rs/examples/greeting --release
  $ marine test services-rs/examples/greeting --no-build    # just run the tests
`;

/** Registers `marine test`. */
export function register(program: Command): void {
  program
    .command('test')
    .description('build a service crate, then run its tap tests against the built modules')
    .argument('[path]', 'crate or workspace directory', '.')
    .option('--no-build', 'skip the build step')
    .option('--release', "build with cargo's release profile")
    .addHelpText('after', HELP)
    .action(async (path: string, options: { build: boolean; release?: boolean }) => {
      const dir = resolve(path);
      if (options.build)
        await buildServices({ path: dir, ...(options.release ? { release: true } : {}) });
      const tests = findTestFiles(dir);
      if (tests.length === 0) throw new Error(`no tests (*.test.ts, *.test.js) found under ${dir}`);
      const results = await runTestFiles(dir, tests, (text) => process.stdout.write(text));
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}
