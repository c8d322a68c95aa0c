// What `marine air beautify` and `marine air check` do (registered in ../commands/air.ts).
import { readFile } from 'node:fs/promises';
import {
  beautify,
  formatAirErrors,
  parseAir,
  treeStats,
  MAX_AIR_DEPTH,
  type AirError,
} from '../../air/index.js';
import { printJson } from '../json-output.js';

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

/** `marine air beautify`: the script as indented pseudo-code, or its errors (exit code 1). */
export async function airBeautifyAction(
  file: string | undefined,
  options: { patterns: boolean; indent: string },
): Promise<void> {
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
    throw new Error(`expected --indent to be an integer from 0 to 16, found '${options.indent}'`);
  }
  process.stdout.write(beautify(result.ast, { patterns: options.patterns, indent }));
}

/** `marine air check`: ok with the script's size, or every error (exit code 1). */
export async function airCheckAction(
  file: string | undefined,
  options: { json?: boolean },
): Promise<void> {
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
}
