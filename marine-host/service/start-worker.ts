// Starts a worker thread from a module beside the caller: the built `.js` when the package is
// compiled, otherwise its TypeScript source through tsx (a worker does not inherit the loader
// registered in-process by bin/marine.js).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running `<dir>/<name>.js`, or `<dir>/<name>.ts` from sources. */
export function startWorker(dir: string, name: string, options: WorkerOptions): Worker {
  const built = join(dir, `${name}.js`);
  if (existsSync(built)) return new Worker(built, options);
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const source = pathToFileURL(join(dir, `${name}.ts`)).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(code, { ...options, eval: true });
}
