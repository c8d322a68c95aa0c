// Module hooks for the test files `marine test` runs, so a user's service project needs nothing
// but the toolkit: `tap` and `marine-ts/*` resolve to the toolkit's own copies when the project
// has none (or the toolkit is not built: its TypeScript sources are used), and the project's
// TypeScript test files run as ES modules whatever its package.json says (top-level await works
// without "type": "module"). Plain JavaScript: it runs in Node's loader thread, before any
// TypeScript support.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let toolkit = '';
let projectUrl = '';
let exportsMap = {};
let esbuild;

/** Receives the toolkit's root and the project's root from register.mjs. */
export async function initialize(data) {
  toolkit = data.toolkit;
  projectUrl = pathToFileURL(data.project).href.replace(/\/?$/, '/');
  const pkg = JSON.parse(readFileSync(join(toolkit, 'package.json'), 'utf8'));
  exportsMap = pkg.exports ?? {};
  esbuild = createRequire(join(toolkit, 'package.json'))('esbuild');
}

/** `marine-ts` or `marine-ts/<sub>` → the toolkit's source file for it (dist/x.js → x.ts). */
function ownSource(specifier) {
  const m = /^marine-ts(\/.*)?$/.exec(specifier);
  if (!m) return undefined;
  const entry = exportsMap[m[1] ? `.${m[1]}` : '.'];
  const built = typeof entry === 'string' ? entry : entry?.default;
  if (typeof built !== 'string') return undefined;
  const built_ = join(toolkit, built);
  if (existsSync(built_)) return pathToFileURL(built_).href;
  const source = join(toolkit, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
  return existsSync(source) ? pathToFileURL(source).href : undefined;
}

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);

export async function resolve(specifier, context, next) {
  const own = /^marine-ts(\/|$)/.test(specifier) ? ownSource(specifier) : undefined;
  try {
    const found = await next(specifier, context);
    // An installed but unbuilt toolkit resolves to a dist/ file that is not there.
    if (own && found.url.startsWith('file:') && !existsSync(fileURLToPath(found.url)))
      return next(own, context);
    return found;
  } catch (error) {
    if (!NOT_FOUND.has(error?.code)) throw error;
    if (own) return next(own, context);
    // A bare package the project does not have (tap, most often): the toolkit's own.
    if (/^[@a-z]/i.test(specifier) && !specifier.startsWith('node:')) {
      return next(specifier, {
        ...context,
        parentURL: pathToFileURL(join(toolkit, 'package.json')).href,
      });
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (
    url.startsWith(projectUrl) &&
    !url.includes('/node_modules/') &&
    /\.(ts|mts|cts|tsx)$/.test(url)
  ) {
    const file = fileURLToPath(url);
    const { code } = await esbuild.transform(await readFile(file, 'utf8'), {
      loader: url.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: file,
    });
    return { format: 'module', source: code, shortCircuit: true };
  }
  return next(url, context);
}
