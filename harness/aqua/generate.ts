// Client code from Aqua: aqua-api's `ts` and `js` targets (the code js-client users import), with
// its import of `@fluencelabs/js-client` pointed at this toolkit's client, so it runs unchanged
// against `marine-ts/client`.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { aquaImportDirs, loadAquaCompiler } from './compile.js';

/** Where generated code imports the client from unless told otherwise. */
export const DEFAULT_CLIENT_IMPORT = 'marine-ts/client';

/** Options of `generateClientCode`. */
export interface GenerateOptions {
  /** `ts`: one .ts file per Aqua file; `js`: a .js file and its .d.ts. */
  readonly target: 'ts' | 'js';
  /** Directories the compiler searches for `import`ed .aqua files. */
  readonly imports?: readonly string[];
  /** The module generated code imports the client API from (default `marine-ts/client`). */
  readonly clientImport?: string;
}

/** One generated file: a path relative to the output directory, and its text. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Thrown when the Aqua does not compile; carries the compiler's messages. */
export class AquaCompileError extends Error {
  override readonly name = 'AquaCompileError';
  constructor(
    file: string,
    readonly errors: readonly string[],
  ) {
    super(`${file} does not compile:\n${errors.join('\n')}`);
  }
}

// Only module specifiers are rewritten: `from '@fluencelabs/js-client'` in import statements.
const JS_CLIENT_IMPORT = /(from\s+)(['"])@fluencelabs\/js-client\2/g;

/** Points generated code's imports of js-client at `clientImport`. */
export function retargetClientImport(code: string, clientImport: string): string {
  return code.replace(
    JS_CLIENT_IMPORT,
    (_m, from: string, quote: string) => `${from}${quote}${clientImport}${quote}`,
  );
}

/** Compiles an .aqua file to client code for `marine-ts/client`. */
export async function generateClientCode(
  file: string,
  options: GenerateOptions,
): Promise<GeneratedFile[]> {
  const { compileFromPath } = await loadAquaCompiler();
  const compiled = await compileFromPath({
    filePath: resolve(file),
    targetType: options.target,
    imports: aquaImportDirs(file, options.imports),
  });
  if (compiled.errors.length > 0) throw new AquaCompileError(file, compiled.errors);
  const clientImport = options.clientImport ?? DEFAULT_CLIENT_IMPORT;
  const files: GeneratedFile[] = [];
  for (const source of compiled.generatedSources) {
    const stem = basename(source.name, extname(source.name));
    if (options.target === 'ts' && source.tsSource !== undefined) {
      files.push({
        path: `${stem}.ts`,
        content: retargetClientImport(source.tsSource, clientImport),
      });
    }
    if (options.target === 'js' && source.jsSource !== undefined) {
      files.push({
        path: `${stem}.js`,
        content: retargetClientImport(source.jsSource, clientImport),
      });
      if (source.tsTypes !== undefined) {
        files.push({
          path: `${stem}.d.ts`,
          content: retargetClientImport(source.tsTypes, clientImport),
        });
      }
    }
  }
  return files;
}

/** Compiles an .aqua file and writes the client code into `outDir`; returns the paths written. */
export async function writeClientCode(
  file: string,
  outDir: string,
  options: GenerateOptions,
): Promise<string[]> {
  const files = await generateClientCode(file, options);
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const generated of files) {
    const path = join(outDir, generated.path);
    await writeFile(path, generated.content);
    written.push(path);
  }
  return written;
}
