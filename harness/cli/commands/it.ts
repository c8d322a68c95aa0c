// `marine it`. Registration only: the work is in ../actions/it.ts, loaded when it runs.
import type { Command } from 'commander';

const HELP = `
Prints the functions and records of a module, or of a service's facade (--module: another
module; --all: every module), read from each component's WIT (no guest code runs). With --json the shape is Nox's srv.get_interface:
  {"function_signatures": [{"name", "arguments": [[name, type]], "output_types": [type]}],
   "record_types": [{"name", "id", "fields": [[name, type]]}]}

Examples:
  $ marine it services-rs/artifacts/greeting.wasm
  $ marine it services-rs/examples/url-downloader/Config.toml --json
  $ marine it services-rs/examples/url-downloader/Config.toml --all
  $ marine it services-rs/examples/url-downloader/Config.toml --module local_storage
`;

/** Registers `marine it`. */
export function register(program: Command): void {
  program
    .command('it')
    .description("print a module's or service's interface (functions and records)")
    .argument('<target>', 'a module .wasm, a Config.toml or a blueprint .json')
    .option(
      '--modules-dir <dir>',
      "module store for blueprints; for a Config.toml, the modules' directory instead of its modules_dir",
    )
    .option('--json', "print the interface as JSON (srv.get_interface's shape)")
    .option('--module <name>', "a service's module (its config name) instead of the facade")
    .option('--all', 'every module of a service, in load order (--json: {module: interface})')
    .addHelpText('after', HELP)
    .action(
      async (
        target: string,
        options: { modulesDir?: string; json?: boolean; module?: string; all?: boolean },
      ) => {
        const { itAction } = await import('../actions/it.js');
        await itAction(target, options);
      },
    );
}
