import { Command } from 'commander';
import { interfaceOf, renderAqua } from '../../../marine-host/index.js';

const HELP = `
Prints Aqua declarations for a module or a service's facade: a \`data\` for every record, then
the \`service\` with its functions, ready to paste into an .aqua file.

Examples:
  $ marine aqua services-rs/artifacts/greeting.wasm
  $ marine aqua services-rs/examples/greeting/Config.toml --service-id greeting > /tmp/greeting.aqua
  $ marine aqua services-rs/examples/greeting/Config.toml --service-name Greeter
`;

/** Registers `marine aqua`. */
export function register(program: Command): void {
  program
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
        const { name, interface: iface } = await interfaceOf(target, options.modulesDir);
        process.stdout.write(renderAqua(iface, options.serviceName ?? name, options.serviceId));
      },
    );
}
