// `marine build`. Registration only: the work is in ../actions/build.ts, loaded when it runs.
import type { Command } from 'commander';
import type { BuildCommandOptions } from '../actions/build.js';

const HELP = `
Builds every service module of a Rust crate or cargo workspace for wasm32-wasi, then for each
module that was built with the marine-ts SDK writes to the output directory:
  <module>.wasm   the Wasm component (WASI preview1 reactor adapter included)
  <module>.wit    its WIT world (records, imports from other modules, exports)
  <module>.aqua   Aqua data/service declarations
  <module>.d.ts   TypeScript types of its functions and records
  <module>/       jco bindings in instantiation mode: instantiate(getCoreModule, imports)
A second run with nothing changed only re-runs cargo. When PATH is a directory inside a workspace
that is not itself a crate (e.g. services-rs/examples), the whole workspace is built.
If no Rust toolchain is set up, run: bash scripts/setup-toolchain.sh

Examples:
  $ cd services-rs/examples/greeting && marine build     # the crate or workspace in the current directory
  $ marine build services-rs/examples/greeting --release
  $ marine build services-rs/examples/greeting --out /tmp/marine-modules --json
  $ marine build services-rs/examples/greeting -- --features marine-rs-sdk/logger   # extra cargo arguments
`;

/** Registers `marine build`. */
export function register(program: Command): void {
  program
    .command('build')
    .description(
      'build Rust service crates into Wasm components with WIT, Aqua, TS types and jco bindings',
    )
    .argument('[path]', 'crate or workspace directory (or Cargo.toml)', '.')
    .argument('[cargo-args...]', 'extra `cargo build` arguments, after --')
    .option('--release', "use cargo's release profile")
    .option('--out <dir>', 'output directory (default: <workspace root>/artifacts)')
    .option('--instantiation <mode>', 'jco bindings instantiation mode: async or sync', 'async')
    .option('--force', 'regenerate every module even when unchanged')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', HELP)
    .action(async (pathArg: string, cargoArgs: string[], options: BuildCommandOptions) => {
      const { buildAction } = await import('../actions/build.js');
      await buildAction(pathArg, cargoArgs, options);
    });
}
