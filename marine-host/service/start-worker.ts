// Starts a worker thread from a module beside the caller: the built `.js` when the package is
// compiled, otherwise its TypeScript sources. From sources the worker's module graph is bundled
// once per process with esbuild into one ES module (packages included), so each worker
// starts in tens of ms instead of compiling every source file through tsx again: restarts and
// spare workers depend on it. Where esbuild is missing (it is a dev dependency) the worker
// registers tsx itself (a worker does not inherit the loader registered in-process by
// bin/marine.js).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** The part of esbuild's API used here. */
interface Esbuild {
  buildSync(options: object): { outputFiles: { contents: Uint8Array }[] };
}

/** Bundles made in this process, by source path (undefined: bundling is not possible here). */
const bundles = new Map<string, string | undefined>();

/** The nearest `node_modules` above `dir`, where bundles are cached (and resolve any package left out). */
function nodeModulesAbove(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules'))) return join(at, 'node_modules');
    if (dirname(at) === at) return undefined;
  }
}

/** A one-file ES module of `source` and everything it imports from sources, or undefined. */
function bundle(source: string): string | undefined {
  if (bundles.has(source)) return bundles.get(source);
  let path: string | undefined;
  try {
    const modules = nodeModulesAbove(dirname(source));
    const esbuild = require('esbuild') as Esbuild;
    if (modules !== undefined) {
      const { outputFiles } = esbuild.buildSync({
        entryPoints: [source],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // Packages are bundled too, so only what the worker uses of them is there: left
        // external, every package a source file imports was loaded in each worker, used or not
        // (esbuild keeps an external import, which may have side effects), and the protocol
        // layer's imports of @noble/curves alone cost 50-120 ms of every worker's start.
        // No source map: a worker runs without --enable-source-maps, so an inline map was only
        // bytes to decode and parse (half the bundle) on every worker start.
        sourcemap: false,
        write: false,
      });
      const contents = outputFiles[0]!.contents;
      // Named by content and written by rename, so concurrent processes never read half a file.
      const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
      const dir = join(modules, '.cache', 'marine-ts-workers');
      path = join(dir, `worker-${hash}.mjs`);
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true });
        const partial = `${path}.${process.pid}.partial`;
        writeFileSync(partial, contents);
        renameSync(partial, path);
      }
    }
  } catch {
    path = undefined;
  }
  bundles.set(source, path);
  return path;
}

/** A worker running `<dir>/<name>.js`, or `<dir>/<name>.ts` from sources. */
export function startWorker(dir: string, name: string, options: WorkerOptions): Worker {
  const built = join(dir, `${name}.js`);
  if (existsSync(built)) return new Worker(built, options);
  const source = join(dir, `${name}.ts`);
  const bundled = bundle(source);
  if (bundled !== undefined) return new Worker(bundled, options);
  const tsxApi = require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(source).href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
