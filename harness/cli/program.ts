import { Command } from 'commander';
import { commands } from './commands/index.js';

/** Builds the `marine` program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('marine')
    .description(
      'marine-ts: build Rust services into Wasm components, run them in a Marine host, and run AIR/Aqua workflows on peers.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true });
  for (const register of commands) register(program);
  return program;
}
