// What `marine test` does (registered in ../commands/test.ts).
import { resolve } from 'node:path';
import { buildServices } from '../../../marine-host/index.js';
import { findTestFiles, runTestFiles } from '../../../marine-host/test-runner/run.js';
import {
  hasMarineTests,
  marineTestPackages,
  runCargoTests,
} from '../../../marine-host/test-runner/rust.js';

/** `marine test`: builds the crate unless --no-build, then runs its tap and Rust tests. */
export async function testAction(
  path: string,
  options: { build: boolean; release?: boolean },
): Promise<void> {
  const dir = resolve(path);
  if (options.build)
    await buildServices({ path: dir, ...(options.release ? { release: true } : {}) });
  const tests = findTestFiles(dir);
  // Rust tests: a crate (or crates of a workspace) under PATH using #[marine_test]. Asking
  // cargo only then keeps TypeScript-only projects free of toolchain look-ups.
  const rust = hasMarineTests(dir, true) ? await marineTestPackages(dir) : undefined;
  const hasRust = rust !== undefined && rust.packages.length > 0;
  if (tests.length === 0 && !hasRust)
    throw new Error(
      `no tests found under ${dir}: expected *.test.ts / *.test.js files, or Rust sources with #[marine_test] (or include_test_env!)`,
    );
  let failed = false;
  if (tests.length > 0) {
    const results = await runTestFiles(dir, tests, (text) => process.stdout.write(text));
    failed = results.some((r) => !r.ok);
  }
  if (hasRust) {
    const code = await runCargoTests(rust, options.release ? { release: true } : {});
    if (code !== 0) {
      process.exitCode = code;
      return;
    }
  }
  if (failed) process.exitCode = 1;
}
