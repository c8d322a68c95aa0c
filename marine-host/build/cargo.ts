// Runs cargo for the wasm target: human diagnostics go straight to stderr (cargo renders them),
// JSON messages on stdout tell which .wasm files were produced.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadExeca } from './load-execa.js';
import { CargoBuildError, ToolchainError } from './errors.js';
import type { Toolchain } from './toolchain.js';

/** A crate or workspace to build, resolved from a user's PATH. */
export interface CargoProject {
  /** Directory of the workspace root (holds `target/`). */
  readonly workspaceRoot: string;
  /** Manifest passed to cargo. */
  readonly manifestPath: string;
  /** Whether every member is built (PATH was a workspace, or a directory inside one that is not a package). */
  readonly wholeWorkspace: boolean;
}

/** A .wasm file cargo produced. */
export interface WasmArtifact {
  readonly path: string;
  /** The crate's package name. */
  readonly packageName: string;
  /** The target name (bin or lib). */
  readonly targetName: string;
  readonly kind: readonly string[];
  /** True when cargo did not need to rebuild it. */
  readonly fresh: boolean;
}

function hasPackage(text: string): boolean {
  return /^\s*\[package\]/m.test(text);
}

/** Finds the workspace around PATH (a directory or a Cargo.toml) with `cargo locate-project`. */
export async function resolveProject(path: string, toolchain: Toolchain): Promise<CargoProject> {
  const absolute = resolve(path);
  if (!existsSync(absolute))
    throw new CargoBuildError(`expected a crate or workspace at ${absolute}, found nothing there`);
  const dir = statSync(absolute).isDirectory() ? absolute : dirname(absolute);
  const ownManifest = statSync(absolute).isDirectory() ? join(absolute, 'Cargo.toml') : absolute;
  const env = { RUSTC: toolchain.rustc };
  const { execa } = await loadExeca();
  const located = await execa(
    toolchain.cargo,
    ['locate-project', '--workspace', '--message-format', 'plain'],
    {
      cwd: dir,
      env,
      reject: false,
    },
  ).catch((error: unknown) => {
    throw new ToolchainError(
      `cannot run cargo (${toolchain.cargo}): ${String(error)}; run \`bash scripts/setup-toolchain.sh\``,
    );
  });
  if (located.exitCode !== 0) {
    throw new CargoBuildError(
      `expected a Cargo crate or workspace at or above ${dir}, found none (cargo locate-project: ${String(located.stderr).trim()})`,
    );
  }
  const workspaceManifest = String(located.stdout).trim();
  const workspaceRoot = dirname(workspaceManifest);
  let isPackage = false;
  if (existsSync(ownManifest)) {
    isPackage = hasPackage(await readFile(ownManifest, 'utf8'));
  }
  return isPackage
    ? { workspaceRoot, manifestPath: ownManifest, wholeWorkspace: false }
    : { workspaceRoot, manifestPath: workspaceManifest, wholeWorkspace: true };
}

interface CargoMessage {
  reason?: string;
  package_id?: string;
  target?: { name?: string; kind?: string[] };
  filenames?: string[];
  fresh?: boolean;
  success?: boolean;
}

/** Builds the project for the wasm target and returns the .wasm artifacts. */
export async function cargoBuild(
  project: CargoProject,
  toolchain: Toolchain,
  options: { readonly release: boolean; readonly extraArgs?: readonly string[] },
): Promise<WasmArtifact[]> {
  const args = [
    'build',
    '--target',
    toolchain.target,
    '--message-format',
    'json-render-diagnostics',
    '--manifest-path',
    project.manifestPath,
    ...(project.wholeWorkspace ? ['--workspace'] : []),
    ...(options.release ? ['--release'] : []),
    ...toolchain.cargoArgs,
    ...(options.extraArgs ?? []),
  ];
  const { execa } = await loadExeca();
  const child = execa(toolchain.cargo, args, {
    cwd: project.workspaceRoot,
    // cargo colours only a terminal; its stderr is piped here (to explain missing crates).
    env: {
      RUSTC: toolchain.rustc,
      ...(process.stderr.isTTY ? { CARGO_TERM_COLOR: 'always' } : {}),
    },
    stdout: ['pipe'],
    stderr: ['pipe'],
    reject: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr += chunk.toString();
  });
  const artifacts: WasmArtifact[] = [];
  let finished: boolean | undefined;
  for await (const line of child.iterable({ from: 'stdout' })) {
    const text = String(line);
    if (!text.startsWith('{')) continue;
    let message: CargoMessage;
    try {
      message = JSON.parse(text) as CargoMessage;
    } catch {
      continue;
    }
    if (message.reason === 'compiler-artifact') {
      for (const file of message.filenames ?? []) {
        if (!file.endsWith('.wasm')) continue;
        artifacts.push({
          path: file,
          packageName: (message.package_id ?? '').split(/[ #@]/)[0]?.split('/').pop() ?? '',
          targetName: message.target?.name ?? '',
          kind: message.target?.kind ?? [],
          fresh: message.fresh === true,
        });
      }
    } else if (message.reason === 'build-finished') {
      finished = message.success === true;
    }
  }
  const result = await child;
  if (result.exitCode !== 0 || finished === false) {
    if (result.failed && result.exitCode === undefined) {
      throw new ToolchainError(
        `cannot run cargo (${toolchain.cargo}): ${result.message}; run \`bash scripts/setup-toolchain.sh\``,
      );
    }
    const hint = toolchain.crates === 'debian' ? await missingCrateHint(stderr) : undefined;
    throw new CargoBuildError(
      `cargo build failed (exit code ${String(result.exitCode)}); see cargo's messages above${hint ? `\n${hint}` : ''}`,
    );
  }
  return artifacts;
}

/** Strips ANSI colour codes from cargo's output. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Whether Debian's package index (the local apt cache, no network) knows a package. */
async function debianHasPackage(name: string): Promise<boolean> {
  const { execa } = await loadExeca();
  const r = await execa('apt-cache', ['show', '--no-all-versions', name], { reject: false }).catch(
    () => undefined,
  );
  return r !== undefined && r.exitCode === 0 && String(r.stdout).includes(`Package: ${name}`);
}

/**
 * What to do when an offline build with Debian's crate registry lacks a crate, or has it in a
 * version the service cannot use: the `librust-<crate>-dev` package to install when Debian
 * packages the crate, or that the crate needs crates.io. Undefined when cargo said nothing of
 * the kind.
 */
export async function missingCrateHint(cargoStderr: string): Promise<string | undefined> {
  const text = plain(cargoStderr);
  const registry = '/usr/share/cargo/registry';
  const crates =
    'crates.io (a rustup toolchain with network access: rustup target add wasm32-wasip1, then bash scripts/setup-toolchain.sh)';
  const missing = /no matching package named `([^`]+)` found/.exec(text);
  if (missing?.[1] !== undefined) {
    const crate = missing[1];
    const pkg = `librust-${crate.replace(/_/g, '-').toLowerCase()}-dev`;
    return (await debianHasPackage(pkg))
      ? `The build is offline, with the crates Debian packages (${registry}), and crate \`${crate}\` is not installed there: install it with \`apt-get install ${pkg}\`, then build again.`
      : `The build is offline, with the crates Debian packages (${registry}), and Debian has no package for crate \`${crate}\` (no ${pkg}): this crate needs ${crates}.`;
  }
  const version =
    /failed to select a version for the requirement `([^`=]+) = "([^"]+)"`[\s\S]*?candidate versions found which didn't match: ([^\n]+)/.exec(
      text,
    );
  if (version?.[1] !== undefined) {
    const [, crate, wanted, found] = version;
    return `The build is offline, with the crates Debian packages (${registry}): \`${crate}\` is there in ${String(found).trim()}, but the service requires ${String(wanted)}. Lower the requirement in Cargo.toml to a version Debian has, or build with ${crates}.`;
  }
  return undefined;
}
