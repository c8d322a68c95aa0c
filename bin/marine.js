#!/usr/bin/env node
// Runs the built CLI when `npm run build` has produced dist/, and the TypeScript sources through
// tsx otherwise, so a fresh clone works without a build step.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'harness', 'cli', 'main.js');
if (existsSync(built) && !process.env.MARINE_TS_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'harness', 'cli', 'main.ts')).href);
}
