#!/usr/bin/env node
// Runs the TypeScript sources through tsx when they are there (a clone: edits take effect at
// once, and a stale dist/ is never used), and the built dist/ otherwise (an installed package).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `marine node` stops gracefully on SIGINT/SIGTERM even when the signal comes while the CLI or
// the node's implementation is still loading (seconds on a busy machine), where Node's default
// would end it with 130: the signal is kept here, and the command acts on it once it has taken
// over (harness/cli/actions/node.ts).
if (process.argv[2] === 'node') {
  const early = { signal: undefined, listener: undefined };
  early.listener = (signal) => {
    early.signal ??= signal;
  };
  process.on('SIGINT', early.listener);
  process.on('SIGTERM', early.listener);
  globalThis[Symbol.for('marine-ts.early-stop')] = early;
}
// `marine serve` (started per service per #[marine_test] test) loads only what it needs.
const entry = process.argv[2] === 'serve' ? 'serve-main' : 'main';
const source = join(root, 'harness', 'cli', `${entry}.ts`);
const built = join(root, 'dist', 'harness', 'cli', `${entry}.js`);
if (existsSync(source) && !process.env.MARINE_TS_FROM_DIST) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(built).href);
}
