#!/usr/bin/env node
// Runs the TypeScript sources through tsx when they are there (a clone: edits take effect at
// once, and a stale dist/ is never used), and the built dist/ otherwise (an installed package).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'harness', 'cli', 'main.ts');
const built = join(root, 'dist', 'harness', 'cli', 'main.js');
if (existsSync(source) && !process.env.MARINE_TS_FROM_DIST) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(built).href);
}
