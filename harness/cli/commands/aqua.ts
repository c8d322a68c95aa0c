// `marine aqua` and `marine aqua compile`. Registration only: the work (the Marine host, the Aqua
// compiler) is in ../actions/aqua.ts, loaded when one runs. The aqua entry loads the compiler only
// when it compiles, so the default client import comes from it cheaply.
import type { Command } from 'commander';
import { DEFAULT_CLIENT_IMPORT } from '../../aqua/index.js';
import type { AquaCompileOptions } from '../actions/aqua.js';

const HELP = `
Prints Aqua declarations for a module or a service's facade: a \`data\` for every record, then
the \`service\` with its functions, ready to paste into an .aqua file.

Examples:
  $ marine aqua services-rs/artifacts/greeting.wasm
  $ marine aqua services-rs/examples/greeting/Config.toml --service-id greeting > /tmp/greeting.aqua
  $ marine aqua services-rs/examples/greeting/Config.toml --service-name Greeter
  $ marine aqua compile fixtures/node/relay.aqua --ts --out /tmp/marine-aqua-gen   # client code for marine-ts/client
`;

const COMPILE_HELP = `
Compiles Aqua into the client code aqua-api generates for js-client (its ts or js target), with
the import pointed at marine-ts/client: functions to call and register<Service> functions typed
from the Aqua. Writes <name>.ts, or <name>.js and <name>.d.ts, into --out.

Examples:
  $ marine aqua compile fixtures/node/relay.aqua --ts --out /tmp/marine-aqua-gen-ts
  $ marine aqua compile fixtures/node/relay.aqua --js --out /tmp/marine-aqua-gen-js --import node_modules
`;

/** Registers `marine aqua`. */
export function register(program: Command): void {
  const aqua = program
    .command('aqua')
    .description('print Aqua data/service declarations for a module or service')
    .argument('<target>', 'a module .wasm, a Config.toml or a blueprint .json')
    .option('--service-id <id>', 'default service id in the declaration: service Name("id")')
    .option(
      '--service-name <name>',
      'name of the Aqua service (default: the module name in PascalCase)',
    )
    .option('--modules-dir <dir>', 'module store for blueprints')
    .addHelpText('after', HELP)
    .action(
      async (
        target: string,
        options: { serviceId?: string; serviceName?: string; modulesDir?: string },
      ) => {
        const { aquaAction } = await import('../actions/aqua.js');
        await aquaAction(target, options);
      },
    );
  aqua
    .command('compile')
    .description('compile Aqua into client code (aqua-api ts/js) for marine-ts/client')
    .argument('<input>', 'an .aqua file')
    .option('--ts', 'TypeScript output (default)')
    .option('--js', 'JavaScript output with .d.ts types')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--import <dir...>', 'directories searched for imported .aqua files')
    .option(
      '--client-import <module>',
      'module the generated code imports the client from',
      DEFAULT_CLIENT_IMPORT,
    )
    .addHelpText('after', COMPILE_HELP)
    .action(async (input: string, options: AquaCompileOptions) => {
      const { aquaCompileAction } = await import('../actions/aqua.js');
      await aquaCompileAction(input, options);
    });
}
