// `marine serve`: an internal command that keeps one service loaded and answers calls given as
// JSON lines on stdin, one answer line each on stdout. The `#[marine_test]` runtime
// (services-rs/sdk-test) starts one per service per test, so Rust tests call services through
// this very host and need no Wasm runtime of their own. Hidden from --help: users never type it.
// Registration only: the work (the Marine host) is in ../actions/serve.ts, loaded when it runs.
import type { Command } from 'commander';
import type { ServeCliOptions } from '../actions/serve.js';

/** Registers the internal `marine serve` (hidden from --help). */
export function register(program: Command): void {
  program
    .command('serve', { hidden: true })
    .description('internal: serve one service over JSON lines on stdin/stdout (#[marine_test])')
    .requiredOption('--config <path>', "the service's Config.toml (or blueprint .json)")
    .option(
      '--modules-dir <dir>',
      "module store for blueprints; for a Config.toml, the modules' directory instead of its modules_dir",
    )
    .option('--service-id <id>', 'service id (default: a random UUID)')
    .action(async (options: ServeCliOptions) => {
      const { serveAction } = await import('../actions/serve.js');
      await serveAction(options);
    });
}
