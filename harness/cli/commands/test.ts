import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildServices } from '../../../marine-host/index.js';

const HELP = `
Builds the service modules of a crate or workspace (like \`marine build\`), then runs its tap
tests (*.test.ts / *.test.js outside node_modules, target and artifacts). Tests load services
with loadTestService(configPath) and call their functions as async methods, typed by the
<Module>Service interface \`marine build\` writes into artifacts/<module>.d.ts (snake_case
functions; values as JSON: 64-bit integers number | bigint, options [] or [x], bytes number[]):

  import t from 'tap';
  import { loadTestService } from 'marine-ts/testing';
  import type { GreetingService } from '../artifacts/greeting.js';
  const svc = await loadTestService<GreetingService>('../Config.toml', { base: import.meta.url });
  t.equal(await svc.greeting('Marine'), 'Hi, Marine');
  t.equal(await svc.greeting_cp({ particle: { init_peer_id: 'peer-1' } }, 'cp'), 'Hi, cp');
  await svc.$close();

Each function also has a <name>_cp(callParameters, ...args) variant; records are declared in the
<Module>Json (results) and <Module>JsonInput (arguments) namespaces of the same file.

Examples:
  $ marine test                          # crate in the current directory
  $ marine test services-rs/examples --release
  $ marine test my-service --no-build    # just run the tests
`;

const SKIP = new Set(['node_modules', 'target', 'artifacts', '.git', '.tap', 'dist']);

/** Test files under a directory (sorted). */
function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (/\.test\.(ts|js|mjs)$/.test(entry)) out.push(path);
  }
  return out.sort();
}

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
      const tests = findTests(dir);
      if (tests.length === 0) throw new Error(`no tests (*.test.ts, *.test.js) found under ${dir}`);
      const tap = createRequire(import.meta.url)
        .resolve('tap/package.json')
        .replace(/package\.json$/, 'dist/esm/run.mjs');
      const code = await new Promise<number>((done) => {
        const child = execFile(
          process.execPath,
          [tap, '--disable-coverage', '--allow-empty-coverage', '--reporter=terse', ...tests],
          { cwd: process.cwd() },
          (error) => done(error ? ((error as { code?: number }).code ?? 1) : 0),
        );
        child.stdout?.pipe(process.stdout);
        child.stderr?.pipe(process.stderr);
      });
      if (code !== 0) process.exitCode = typeof code === 'number' ? code : 1;
    });
}
