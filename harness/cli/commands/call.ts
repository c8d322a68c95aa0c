// `marine call`, and what its help and `marine validate`'s say of the sandbox. Registration only:
// the work (the Marine host) is in ../actions/call.ts, loaded when it runs.
import type { Command } from 'commander';

/** What the sandbox grants a service's modules and what it never grants (for `--help`). */
export const SANDBOX_HELP = `The sandbox: a module sees no environment variables but those its config lists
(plus service_id, and WASM_LOG when logging), no files or directories but its config's
mapped dirs (no other preopens), no network at all, and starts no process except the
mounted binaries its config declares (run without a shell, with an empty environment). It
gets an empty stdin, stdout and stderr into the service log, clocks and random numbers.
Nothing else is granted, whatever it imports: a module that imports more fails to load.`;

const HELP = `
Loads the service (modules linked, effects checked), calls one facade function (or, with
--module, a function of another module) and prints the result as JSON. Arguments: a JSON array (positional), an object (by name), or omitted for none.
Integers beyond 2^53 are exact both ways. Guest stdout/stderr go to stderr.
Call parameters are partial JSON in Marine's shape, e.g.
  {"particle": {"id": "p1", "init_peer_id": "12D3..."}, "tetraplets": [[{"peer_pk": "...",
   "service_id": "peer", "function_name": "timestamp_sec", "lens": ""}]]}
Each field is checked on the way in. The service's identity is not part of them: service_id,
service_creator_peer_id and host_id come from --service-id, --owner and --host-id, and call
parameters that claim other values are refused (the tetraplet policy reads the identity).
Arguments and the result are each limited to --value-size-limit bytes (default 32 MiB).
The modules run in a worker thread of their own, stopped at the time limit; --inline runs them
in this process's thread instead, metered so that the limit still stops a runaway call.

${SANDBOX_HELP}

Examples:
  $ marine call fixtures/configs/examples/greeting/Config.toml greeting '["world"]'
  $ marine call fixtures/configs/host/Config.toml add '{"a": 18446744073709551000, "b": 15}' --json
  $ marine call fixtures/configs/host/Config.toml who '[]' --call-params '{"particle": {"init_peer_id": "me"}}'
  $ marine call fixtures/configs/host/Config.toml upper '["quiet"]' --module fx_helper
  $ marine call fixtures/configs/host/Config.toml add '[1, 2]' --owner me --call-params '{"particle": {"init_peer_id": "me"}}' --policy fixtures/configs/host/policy.json --timeout 2000
  $ marine call fixtures/configs/examples/greeting/Config.toml greeting @fixtures/demo/greeting-args.json   # arguments from a file
  $ echo '["world"]' | marine call fixtures/configs/examples/greeting/Config.toml greeting -   # from stdin (any size)
`;

/** Options shared by `marine call` and `marine repl`. */
export interface ServiceCliOptions {
  modulesDir?: string;
  timeout?: string;
  policy?: string;
  owner?: string;
  serviceId?: string;
  hostId?: string;
  valueSizeLimit?: string;
  inline?: boolean;
}

/** Registers `marine call`. */
export function register(program: Command): void {
  program
    .command('call')
    .description('call a function of a service defined by a Config.toml or blueprint')
    .argument('<config>', 'Config.toml, or a blueprint .json')
    .argument('<function>', 'facade function (snake_case or kebab-case)')
    .argument(
      '[args]',
      'JSON array (positional) or object (by name); @file reads it from a file, - from stdin',
    )
    .option(
      '--call-params <json>',
      'call parameters: particle and tetraplets (the identity comes from the flags below); @file or - as for args',
    )
    .option('--json', 'print only the result as JSON')
    .option(
      '--module <name>',
      'call a function of this module (its config name) instead of the facade',
    )
    .option('--timeout <ms>', 'time limit of the call, 1..2147483647 (default 10000)')
    .option(
      '--policy <file>',
      'tetraplet policy JSON: {"functions": {"f": {"owner_only": true, "arguments": {...}}}}',
    )
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
    .addHelpText('after', HELP)
    .action(
      async (
        config: string,
        fn: string,
        args: string | undefined,
        options: ServiceCliOptions & { callParams?: string; json?: boolean; module?: string },
      ) => {
        const { callAction } = await import('../actions/call.js');
        await callAction(config, fn, args, options);
      },
    );
}
