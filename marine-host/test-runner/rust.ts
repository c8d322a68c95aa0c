// `marine test` for Rust: runs a crate's `#[marine_test]` tests with cargo on the host target,
// with the toolchain and crate source `marine build` uses. The tests call the built modules
// through this host (marine-rs-sdk-test starts `marine serve`), found through MARINE_TS_ROOT.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { loadExeca } from '../build/load-execa.js';
import { resolveProject } from '../build/cargo.js';
import { loadToolchain, packageRoot } from '../build/toolchain.js';

/** Directories never searched for Rust sources. */
const SKIP = new Set(['target', 'node_modules', 'artifacts', '.git']);

function rustSources(dir: string, out: string[], nested: boolean): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      continue;
    }
    if (isDir) {
      // A nested crate is its own: it is found through cargo's workspace, not here.
      if (nested || !existsSync(join(path, 'Cargo.toml'))) rustSources(path, out, nested);
    } else if (name.endsWith('.rs')) out.push(path);
  }
}

/**
 * A `#[marine_test(…)]` attribute (also written `#[marine_rs_sdk_test::marine_test(…)]`, or
 * `fce_test` as in marine-rs-sdk-test before 0.9), or the build.rs form: `include_test_env!` in
 * the tests, `generate_marine_test_env(…)` in build.rs.
 */
const MARINE_TEST =
  /#\[\s*(marine_rs_sdk_test\s*::\s*)?(marine_test|fce_test)\s*\(|\binclude_test_env\s*!|\bgenerate_marine_test_env\s*\(/;

/**
 * Whether the crate in `crateDir` has `#[marine_test]` tests (a source file that uses it);
 * with `nested`, crates below it count too (a directory of crates inside a workspace).
 */
export function hasMarineTests(crateDir: string, nested = false): boolean {
  const files: string[] = [];
  rustSources(crateDir, files, nested);
  return files.some((f) => MARINE_TEST.test(readFileSync(f, 'utf8')));
}

interface CargoMetadata {
  packages: { name: string; manifest_path: string }[];
}

/**
 * The packages at or under `dir` with `#[marine_test]` tests, with the manifest cargo is given
 * (the crate's own, or the workspace's with `-p` per package). Empty when there are none.
 */
export async function marineTestPackages(
  dir: string,
): Promise<{ manifestPath: string; packages: string[]; workspaceRoot: string }> {
  const toolchain = await loadToolchain();
  const project = await resolveProject(dir, toolchain);
  if (!project.wholeWorkspace) {
    const crateDir = dirname(project.manifestPath);
    return {
      manifestPath: project.manifestPath,
      packages: hasMarineTests(crateDir) ? [''] : [],
      workspaceRoot: project.workspaceRoot,
    };
  }
  const { execa } = await loadExeca();
  const metadata = await execa(
    toolchain.cargo,
    [
      'metadata',
      '--no-deps',
      '--format-version',
      '1',
      '--manifest-path',
      project.manifestPath,
      ...toolchain.cargoArgs,
    ],
    { env: { RUSTC: toolchain.rustc }, reject: false },
  );
  if (metadata.exitCode !== 0)
    throw new Error(
      `cargo metadata failed for ${project.manifestPath}: ${String(metadata.stderr).trim()}`,
    );
  const parsed = JSON.parse(String(metadata.stdout)) as CargoMetadata;
  const root = resolve(dir);
  const packages = parsed.packages
    .filter((p) => {
      const rel = relative(root, dirname(p.manifest_path));
      const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
      return inside && hasMarineTests(dirname(p.manifest_path));
    })
    .map((p) => p.name);
  return { manifestPath: project.manifestPath, packages, workspaceRoot: project.workspaceRoot };
}

/**
 * Runs `cargo test` for `packages` (`['']`: the manifest's own crate) on the host target,
 * streaming cargo's output; resolves to cargo's exit code.
 */
export async function runCargoTests(
  target: { manifestPath: string; packages: string[]; workspaceRoot: string },
  options: { readonly release?: boolean; readonly cargoArgs?: readonly string[] } = {},
): Promise<number> {
  const toolchain = await loadToolchain();
  const args = [
    'test',
    '--manifest-path',
    target.manifestPath,
    ...target.packages.filter((p) => p !== '').flatMap((p) => ['-p', p]),
    ...(options.release ? ['--release'] : []),
    ...toolchain.cargoArgs,
    ...(options.cargoArgs ?? []),
  ];
  const { execa } = await loadExeca();
  const child = execa(toolchain.cargo, args, {
    cwd: target.workspaceRoot,
    env: {
      RUSTC: toolchain.rustc,
      // The macro (at compile time) and the runtime (at test time) find this host here.
      MARINE_TS_ROOT: packageRoot(),
      MARINE_NODE: process.execPath,
      ...(process.stdout.isTTY ? { CARGO_TERM_COLOR: 'always' } : {}),
    },
    stdin: 'ignore',
    stdout: 'inherit',
    stderr: 'inherit',
    reject: false,
  });
  const result = await child;
  if (result.exitCode === undefined)
    throw new Error(`cannot run cargo (${toolchain.cargo}): ${result.message}`);
  return result.exitCode;
}
