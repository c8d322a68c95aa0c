import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commands } from './commands/index.js';

// The package's version: package.json is two folders up from the sources (harness/cli) and
// three from the built files (dist/harness/cli).
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'marine-ts' && pkg.version !== undefined) return pkg.version;
  }
  return 'unknown';
}

/** Builds the `marine` program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('marine')
    .description(
      'marine-ts: build Rust services into Wasm components, run them in a Marine host, and run AIR/Aqua workflows on peers.',
    )
    .version(packageVersion(), '-V, --version', 'print the marine-ts version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true });
  for (const register of commands) register(program);
  return program;
}
