import { Command } from 'commander';
import { interfaceOf, renderInterfaceText } from '../../../marine-host/index.js';
import { printJson } from '../output.js';

const HELP = `
Prints the functions and records of a module, or of a service's facade, read from its WIT
(no guest code runs). With --json the shape is Nox's srv.get_interface:
  {"function_signatures": [{"name", "arguments": [[name, type]], "output_types": [type]}],
   "record_types": [{"name", "id", "fields": [[name, type]]}]}

Examples:
  $ marine it artifacts/greeting.wasm
  $ marine it services-rs/examples/url-downloader/Config.toml --json
`;

/** Registers `marine it`. */
export function register(program: Command): void {
  program
    .command('it')
    .description("print a module's or service's interface (functions and records)")
    .argument('<target>', 'a module .wasm, a Config.toml or a blueprint .json')
    .option('--modules-dir <dir>', 'module store for blueprints')
    .option('--json', "print the interface as JSON (srv.get_interface's shape)")
    .addHelpText('after', HELP)
    .action(async (target: string, options: { modulesDir?: string; json?: boolean }) => {
      const { interface: iface } = await interfaceOf(target, options.modulesDir);
      if (options.json) printJson(iface);
      else process.stdout.write(renderInterfaceText(iface));
    });
}
