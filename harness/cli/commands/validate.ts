// `marine validate`. Registration only: the work is in ../actions/validate.ts, loaded when it runs.
import type { Command } from 'commander';
import { SANDBOX_HELP } from './call.js';

const HELP = `
Runs every check the host makes when it loads a service, without running any guest code:
config fields and values, module files and their CIDs (blueprints), the facade (last module)
and its API, links between modules (the imported module exists, exports the function, with the
same types, no cycles), host API use, mounted binaries and mapped dirs against what the config
grants, WASI interfaces, and whether the facade's types can be written in Aqua.
Prints one line per finding (severity, file, field, message); exits 1 if any is an error.
With --json every outcome, a failure of the check itself included, is one JSON object.

${SANDBOX_HELP}

Examples:
  $ marine validate services-rs/examples/greeting/Config.toml
  $ marine validate fixtures/configs/examples/sdk-v0-14/Config.toml --json   # {"ok": bool, "findings": [...]}
  $ marine validate services-rs/examples/url-downloader/Config.toml
`;

/** Registers `marine validate`. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a Config.toml or blueprint and its modules without running them (for CI)')
    .argument('<config>', 'Config.toml, or a blueprint .json')
    .option('--modules-dir <dir>', 'module store for blueprints (default: the blueprint directory)')
    .option('--json', 'print {ok, findings} as JSON')
    .addHelpText('after', HELP)
    .configureOutput({
      // With --json even a command-line error (a missing argument, an unknown option) is JSON.
      outputError: (text, write) => {
        if (!process.argv.includes('--json')) return write(text);
        const message = text.replace(/^error: /, '').trim();
        // printJson's output for these plain strings, without loading the protocol it needs for
        // AIR values: commander exits right after this, before an import() could finish.
        const result = {
          ok: false,
          findings: [{ file: '', field: '(command line)', message, severity: 'error' }],
        };
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      },
    })
    .action(async (config: string, options: { modulesDir?: string; json?: boolean }) => {
      const { validateAction } = await import('../actions/validate.js');
      await validateAction(config, options);
    });
}
