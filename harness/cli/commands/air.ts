// `marine air`: the AIR command group. This module owns `beautify` and `check`; other modules add
// their subcommands to the same group through `airCommand(program)`.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import {
  beautify,
  formatAirErrors,
  parseAir,
  treeStats,
  MAX_AIR_DEPTH,
  type AirError,
} from '../../air/index.js';
import { printJson } from '../json-output.js';
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

/** Reads a script from a path, or from stdin for `-` or no path. */
async function readScript(file: string | undefined): Promise<{ source: string; name: string }> {
  if (file === undefined || file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { source: Buffer.concat(chunks).toString('utf8'), name: '<stdin>' };
  }
  try {
    return { source: await readFile(file, 'utf8'), name: file };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`expected a readable AIR file at '${file}', found: ${reason}`);
  }
}

/** The finding for a script nested deeper than the VM runs (it fails such a script with 40000). */
function tooDeep(source: string, depth: number): AirError {
  return {
    code: 'nesting-too-deep',
    message: `the script nests ${depth} instructions deep; the VM runs scripts nested at most ${MAX_AIR_DEPTH} deep (error 40000)`,
    line: 1,
    column: 1,
    span: { start: 0, end: Math.min(source.length, 1) },
    found: source.slice(0, 1),
  };
}

/** JSON form of one error for `--json` output. */
function errorJson(e: AirError): Record<string, unknown> {
  return {
    code: e.code,
    message: e.message,
    line: e.line,
    column: e.column,
    offset: e.span.start,
    end: e.span.end,
    found: e.found,
    ...(e.expected === undefined ? {} : { expected: e.expected }),
  };
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
      const { source, name } = await readScript(file);
      const result = parseAir(source);
      if (!result.ok) {
        process.stderr.write(
          formatAirErrors(result.errors, source, { fileName: name, color: process.stderr.isTTY }),
        );
        process.exitCode = 1;
        return;
      }
      const indent = Number(options.indent);
      if (!Number.isInteger(indent) || indent < 0 || indent > 16) {
        throw new Error(
          `expected --indent to be an integer from 0 to 16, found '${options.indent}'`,
        );
      }
      process.stdout.write(beautify(result.ast, { patterns: options.patterns, indent }));
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
      const { source, name } = await readScript(file);
      const parsed = parseAir(source);
      // The VM runs scripts nested at most MAX_AIR_DEPTH deep (error 40000): check says so too.
      const depth = parsed.ok ? treeStats(parsed.ast).depth : 0;
      const result: ReturnType<typeof parseAir> =
        depth > MAX_AIR_DEPTH
          ? {
              ok: false,
              errors: [tooDeep(source, depth)],
            }
          : parsed;
      if (options.json) {
        printJson(
          result.ok
            ? { ok: true, file: name, errors: [], stats: treeStats(result.ast) }
            : { ok: false, file: name, errors: result.errors.map(errorJson) },
        );
      } else if (result.ok) {
        const stats = treeStats(result.ast);
        process.stdout.write(
          `${name}: ok (${stats.instructions} instruction${stats.instructions === 1 ? '' : 's'}, depth ${stats.depth})\n`,
        );
      } else {
        process.stderr.write(
          formatAirErrors(result.errors, source, { fileName: name, color: process.stderr.isTTY }),
        );
        process.stderr.write(
          `${name}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`,
        );
      }
      if (!result.ok) process.exitCode = 1;
    });

  addAirRunCommand(air);
  addAirDataCommand(air);
}
