// Compiling Aqua with the Aqua compiler (aqua-api) into what a peer runs: the AIR of one function
// and the names of its arguments, which js-client's conventions pass through getDataSrv.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';

/**
 * The Aqua compiler, loaded on first use: it is a large Scala.js bundle (about 0.8 s to load), and
 * most CLI commands and library users never compile Aqua.
 */
export function loadAquaCompiler(): Promise<typeof import('@fluencelabs/aqua-api')> {
  aquaCompiler ??= import('@fluencelabs/aqua-api');
  return aquaCompiler;
}
let aquaCompiler: Promise<typeof import('@fluencelabs/aqua-api')> | undefined;

/** A script ready to run: AIR, and for compiled Aqua the function's argument names in order. */
export interface LoadedScript {
  readonly script: string;
  /** The Aqua function's arguments; undefined for a hand-written .air script. */
  readonly argNames: readonly string[] | undefined;
}

/** Options of `loadScript`. */
export interface LoadScriptOptions {
  /** The Aqua function to compile (default: the only exported one). */
  readonly func?: string;
  /**
   * Directories the compiler searches for `import`ed .aqua files, before the defaults: every
   * `node_modules` above the file, then the toolkit's own (so `@fluencelabs/aqua-lib` resolves
   * with nothing installed by the user).
   */
  readonly imports?: readonly string[];
}

/**
 * Where `import "@scope/pkg/file.aqua"` is looked up, in order: `extra` dirs, each `node_modules`
 * from the file's folder up to the root (as Node resolves packages), then the folder holding the
 * toolkit's own `@fluencelabs/aqua-lib`.
 */
export function aquaImportDirs(file: string, extra: readonly string[] = []): string[] {
  const dirs = extra.map((dir) => resolve(dir));
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) dirs.push(candidate);
    if (dirname(dir) === dir) break;
  }
  const own = toolkitNodeModules();
  if (own !== undefined) dirs.push(own);
  return [...new Set(dirs)];
}

// The node_modules folder the toolkit's aqua-lib was installed into (a dependency of ours).
function toolkitNodeModules(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@fluencelabs/aqua-lib/package.json');
    return dirname(dirname(dirname(pkg)));
  } catch {
    return undefined;
  }
}

/** Reads an .air script as it is, or compiles one function of an .aqua file to AIR. */
export async function loadScript(
  file: string,
  options: LoadScriptOptions = {},
): Promise<LoadedScript> {
  const source = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new Error(
      `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (extname(file) !== '.aqua') return { script: source, argNames: undefined };
  const { compileFromPath } = await loadAquaCompiler();
  const compiled = await compileFromPath({
    filePath: resolve(file),
    imports: aquaImportDirs(file, options.imports),
  });
  if (compiled.errors.length > 0) {
    // The compiler colours its messages; keep the colours for a terminal only.
    const errors = process.stderr.isTTY ? compiled.errors : compiled.errors.map(withoutColour);
    throw new Error(`${file} does not compile:\n${errors.join('\n')}`);
  }
  const names = Object.keys(compiled.functions);
  const name = options.func ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new Error(
      `${file} exports ${names.length === 0 ? 'no functions' : `several functions (${names.join(', ')})`}: choose one with --func`,
    );
  }
  const fn = compiled.functions[name];
  if (!fn)
    throw new Error(
      `--func: ${file} has no exported function '${name}' (it has: ${names.join(', ')})`,
    );
  const domain = fn.funcDef.arrow.domain;
  return {
    script: fn.script,
    argNames: domain.tag === 'labeledProduct' ? Object.keys(domain.fields) : [],
  };
}

// ANSI colour sequences (ESC [ … m) as the Aqua compiler writes them.
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function withoutColour(text: string): string {
  return text.replace(COLOUR, '');
}
