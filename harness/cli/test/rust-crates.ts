// Shared set-up of the `marine test` Rust test files (marine-test-rust*.test.ts): crates written
// into fixed directories and built in the repository's one target dir, so that every file reuses
// what the others (and `marine build services-rs/examples`) compiled, and a second run is warm.
// Cargo fingerprints a path crate by its path and by its files' mtimes: a fresh temporary
// directory per run, or rewriting unchanged files, would recompile the crate every time.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Test } from 'tap';
import { execa } from 'execa';

/** The repository's root. */
export const root = resolve(import.meta.dirname, '../../..');

/** The target dir every Rust test crate builds in: the examples' own, filled by `marine build`. */
export const targetDir = join(root, 'services-rs', 'target');

/**
 * Where the test crates live between runs: outside the repository (as users' crates are, so
 * nothing is found by walking up from them), one directory per checkout. A cache: removing it
 * only makes the next run cold.
 */
export const cratesDir = join(
  tmpdir(),
  `marine-ts-rust-tests-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`,
);

/** The repository's built service modules. */
export const artifacts = join(root, 'services-rs', 'artifacts');

/** Sums cargo's `test result:` lines. */
export function cargoCounts(output: string): { passed: number; failed: number; results: number } {
  let passed = 0;
  let failed = 0;
  let results = 0;
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    results += 1;
  }
  return { passed, failed, results };
}

/** Writes `text` to `path` unless it already holds it (an unchanged mtime keeps cargo warm). */
function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * The crate `name` in {@link cratesDir} with `files` (paths relative to the crate, Cargo.toml
 * included); returns its directory.
 */
export function writeCrate(name: string, files: Record<string, string>): string {
  const path = join(cratesDir, name);
  for (const [file, text] of Object.entries(files)) writeIfChanged(join(path, file), text);
  return path;
}

/**
 * A Cargo.toml for the crate `name` (edition 2021, its own workspace) with the repository's
 * marine-rs-sdk-test as its dev-dependency.
 */
export function userManifest(name: string): string {
  return [
    '[package]',
    `name = "${name}"`,
    'version = "0.1.0"',
    'edition = "2021"',
    '',
    '[workspace]',
    '',
    '[dev-dependencies]',
    `marine-rs-sdk-test = { path = ${JSON.stringify(join(root, 'services-rs/sdk-test'))} }`,
    '',
  ].join('\n');
}

/**
 * `marine test [--no-build] <path>` in the shared target dir, in its own process group, which
 * the teardown ends (cargo and the services it started) if the test stops before it does.
 */
export async function marineTest(
  t: Test,
  path: string,
  options: { readonly build?: boolean } = {},
): Promise<{ code: number | undefined; out: string; seconds: number }> {
  const started = Date.now();
  const child = execa(
    'node',
    ['bin/marine.js', 'test', path, ...(options.build === true ? [] : ['--no-build'])],
    {
      cwd: root,
      all: true,
      reject: false,
      detached: true,
      env: { CARGO_TARGET_DIR: targetDir },
    },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const r = await child;
  return {
    code: r.exitCode,
    out: String(r.all),
    seconds: Math.round((Date.now() - started) / 1000),
  };
}
