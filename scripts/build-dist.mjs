#!/usr/bin/env node
// Builds dist/, what an installed package runs (bin/marine.js uses it when the TypeScript sources
// are absent, or when MARINE_TS_FROM_DIST is set):
//   node scripts/build-dist.mjs                    tsc: JavaScript, declarations and source maps
//   node scripts/build-dist.mjs --transpile-only   esbuild, file by file, no type check (about a
//                                                  second): what the test run uses, so that each
//                                                  of its CLI starts skips tsx's loader (≈1 s each)
// Either way the plain .mjs files beside the sources (the test runner's loader hooks) are copied,
// which tsc alone leaves out.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const areas = ['marine-host', 'harness'];

/** Every file under `dir` whose name passes `keep`, outside test folders. */
function files(dir, keep, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['test', 'node_modules', 'generated'].includes(entry.name)) files(path, keep, found);
    } else if (keep(entry.name)) found.push(path);
  }
  return found;
}

// A failed build leaves no dist/ behind, never a stale one.
rmSync(out, { recursive: true, force: true });
if (process.argv.includes('--transpile-only')) {
  const { buildSync } = await import('esbuild');
  const sources = [join(root, 'index.ts')];
  for (const area of areas)
    files(join(root, area), (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'), sources);
  buildSync({
    entryPoints: sources,
    outdir: out,
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} else {
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
for (const area of areas) {
  for (const asset of files(join(root, area), (n) => n.endsWith('.mjs'))) {
    const target = join(out, relative(root, asset));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(asset, target);
  }
}
