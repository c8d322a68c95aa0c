// `marine air`: the AIR command group. This module owns `beautify` and `check`; other modules add
// their subcommands to the same group through `airCommand(program)`. Registration only: the
// commands' work (parser, beautifier) is in ../actions/air.ts, loaded when one runs.
import type { Command } from 'commander';
import { addAirDataCommand, addAirRunCommand } from './air-run.js';

/** The `air` command group of `program`, created on first use so several modules can extend it. */
export function airCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'air');
  if (existing !== undefined) return existing;
  return program
    .command('air')
    .description('work with AIR scripts: check, beautify, run')
    .addHelpText(
      'after',
      `
Examples:
  $ marine air check fixtures/demo/hello.air          # exit 0 if AquaVM would accept it, else every error with a caret
  $ marine air check fixtures/demo/hello.air --json   # machine-readable verdict and errors
  $ marine air beautify fixtures/demo/hello.air       # indented pseudo-code, Aqua patterns folded back
  $ cat fixtures/demo/hello.air | marine air beautify -`,
    );
}

/** Adds `beautify` and `check` to `marine air`. */
export function register(program: Command): void {
  const air = airCommand(program);

  air
    .command('beautify')
    .description('print an AIR script as indented, readable pseudo-code')
    .argument('[file]', "AIR script; '-' or nothing reads stdin")
    .option(
      '--no-patterns',
      "print every instruction as is, without folding Aqua's compiled patterns",
    )
    .option('--indent <n>', 'spaces per level', '4')
    .addHelpText(
      'after',
      `
Compiled Aqua is shown close to the Aqua it came from: argument loading ("x <- argument"),
"return", error reporting, error-propagation wrappers (dropped), routing hops ("hop PEER"),
"for x <- xs par:" fan-outs and joins ("gate <- join $s (until length N)").

Examples:
  $ marine air beautify fixtures/demo/hello.air
  $ marine air beautify --no-patterns fixtures/demo/hello.air
  $ cat fixtures/demo/hello.air | marine air beautify -`,
    )
    .action(async (file: string | undefined, options: { patterns: boolean; indent: string }) => {
      const { airBeautifyAction } = await import('../actions/air.js');
      await airBeautifyAction(file, options);
    });

  air
    .command('check')
    .description('parse and validate an AIR script exactly as AquaVM does; exit 1 on any error')
    .argument('[file]', "AIR script; '-' or nothing reads stdin")
    .option('--json', 'print {ok, file, errors[], stats} as JSON')
    .addHelpText(
      'after',
      `
Every error is reported (not just the first) with line, column, the offending text, what was
expected, and the source line with a caret.

Examples:
  $ marine air check fixtures/demo/hello.air
  $ marine air check fixtures/demo/hello.air --json | jq '.ok'`,
    )
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const { airCheckAction } = await import('../actions/air.js');
      await airCheckAction(file, options);
    });

  addAirRunCommand(air);
  addAirDataCommand(air);
}
