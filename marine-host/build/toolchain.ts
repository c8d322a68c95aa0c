// Reads the toolchain decision scripts/setup-toolchain.sh recorded, running the script when the
// record is missing or points at binaries that are gone.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExeca } from './load-execa.js';
import { ToolchainError } from './errors.js';

/** The Rust toolchain and crate source `marine build` uses. */
export interface Toolchain {
  readonly cargo: string;
  readonly rustc: string;
  /** `wasm32-wasip1` or `wasm32-wasi`. */
  readonly target: string;
  /** Where crates come from: crates.io, or Debian's packaged registry as an offline directory source. */
  readonly crates: 'crates-io' | 'debian';
  /** Extra cargo arguments (`--config <file> --offline` for Debian's registry). */
  readonly cargoArgs: readonly string[];
}

/** The marine-ts checkout (or installed package) root: the directory holding scripts/setup-toolchain.sh. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'setup-toolchain.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new ToolchainError(
        'cannot find scripts/setup-toolchain.sh above ' + fileURLToPath(import.meta.url),
      );
    dir = parent;
  }
}

/** Path of the file recording the toolchain decision (MARINE_TOOLCHAIN_DIR moves it, as for the script). */
export function toolchainEnvPath(root = packageRoot()): string {
  const dir = process.env['MARINE_TOOLCHAIN_DIR'] ?? join(root, 'services-rs', 'target');
  return join(dir, '.marine-toolchain.env');
}

const MISSING =
  'No Rust toolchain that can build wasm32-wasi service modules is set up. Run `bash scripts/setup-toolchain.sh` ' +
  "(from the marine-ts checkout) — it finds a rustup toolchain with the wasm32-wasip1 target or Debian's rustc with " +
  "libstd-rust-dev-wasm32, installs Debian's packages when run as root on Debian, and otherwise prints exactly what to install.";

function parseEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) values.set(m[1], m[2] ?? '');
  }
  return values;
}

async function readDecision(path: string): Promise<Toolchain | undefined> {
  if (!existsSync(path)) return undefined;
  const env = parseEnv(await readFile(path, 'utf8'));
  const cargo = env.get('CARGO');
  const rustc = env.get('RUSTC');
  const target = env.get('TARGET');
  if (!cargo || !rustc || !target || !existsSync(cargo) || !existsSync(rustc)) return undefined;
  const crates = env.get('CRATES') === 'debian' ? 'debian' : 'crates-io';
  const config = env.get('CARGO_CONFIG');
  const cargoArgs = crates === 'debian' && config ? ['--config', config, '--offline'] : [];
  if (config && !existsSync(config)) return undefined;
  return { cargo, rustc, target, crates, cargoArgs };
}

/** The recorded toolchain; runs the set-up script first when there is no usable record. */
export async function loadToolchain(
  options: { readonly log?: (line: string) => void } = {},
): Promise<Toolchain> {
  const root = packageRoot();
  const path = toolchainEnvPath(root);
  const recorded = await readDecision(path);
  if (recorded !== undefined) return recorded;
  options.log?.('setting up the Rust toolchain (scripts/setup-toolchain.sh)…');
  const { execa } = await loadExeca();
  const result = await execa('bash', [join(root, 'scripts', 'setup-toolchain.sh')], {
    cwd: root,
    reject: false,
    stdout: ['pipe'],
    stderr: ['pipe'],
  });
  const after = result.exitCode === 0 ? await readDecision(path) : undefined;
  if (after === undefined) {
    const detail = `${String(result.stderr ?? '')}`.trim();
    throw new ToolchainError(`${MISSING}${detail ? `\nThe script said:\n${detail}` : ''}`);
  }
  return after;
}
