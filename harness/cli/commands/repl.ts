// `marine repl`. Registration only: the work (the Marine host, the read loop) is in
// ../actions/repl.ts, loaded when it runs.
import type { Command } from 'commander';
import type { ServiceCliOptions } from './call.js';

/** `marine repl --help`'s text after the options, and what the repl's `help` prints. */
export const REPL_HELP = `
Loads a service and reads commands from stdin:
  call <fn> [json-args] [json-call-params]   call a facade function (or just: <fn> [json-args])
  call <module> <fn> [json-args] [json-cp]   call a function of any module (as in mrepl)
  interface [module]                         functions and records (of the facade, or a module)
  modules                                    the service's modules, the facade last
  logs                                       the last log lines of the service
  help, quit
Each call prints its result (or the error) and the time it took. --module makes another module
the one plain calls go to.

Examples:
  $ marine repl services-rs/examples/greeting/Config.toml
  > greeting ["world"]
  > call greeting ["world"] {"particle": {"init_peer_id": "me"}}
  $ marine repl fixtures/configs/examples/sdk-v0-14/Config.toml
  > call styles_store put ["key", "value"]
  > call styles_store get ["key"]
  > interface styles_store
`;

/** Registers `marine repl`. */
export function register(program: Command): void {
  program
    .command('repl')
    .description('load a service and call its functions interactively')
    .argument('<config>', 'Config.toml, or a blueprint .json')
    .option('--timeout <ms>', 'time limit of each call, 1..2147483647 (default 10000)')
    .option('--policy <file>', 'tetraplet policy JSON')
    .option('--owner <peer>', 'service creator peer id (owner_only denies all calls without it)')
    .option('--service-id <id>', 'service id given to the facade')
    .option('--host-id <peer>', 'host peer id (%host% in policies; default "local")')
    .option(
      '--value-size-limit <bytes>',
      'largest arguments or result of a call (default 33554432)',
    )
    .option('--modules-dir <dir>', 'module store for blueprints')
    .option(
      '--inline',
      "run the modules in this process's thread, metered, instead of a worker thread: no worker to start and no thread switch per call; mounted binaries cannot run",
    )
    .option('--module <name>', 'module plain calls go to (its config name; default the facade)')
    .addHelpText('after', REPL_HELP)
    .action(async (config: string, options: ServiceCliOptions & { module?: string }) => {
      const { replAction } = await import('../actions/repl.js');
      await replAction(config, options);
    });
}
