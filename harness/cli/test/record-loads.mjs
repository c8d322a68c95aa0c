// A Node `--import` hook for lazy-load.test.ts: appends the URL of every module the process loads
// to the file named by MARINE_LOAD_LOG, one per line. ES modules are seen by a load hook (it runs
// in Node's hooks thread, where this file is loaded again); CommonJS modules, which require()
// loads past the hooks, are listed from require.cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

let log = process.env.MARINE_LOAD_LOG;

if (isMainThread && log !== undefined) {
  register(import.meta.url, { data: { log } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const files = Object.keys(require.cache).filter((f) => f.startsWith('/'));
    appendFileSync(log, files.map((f) => `${pathToFileURL(f).href}\n`).join(''));
  });
}

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
