import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  loadService,
  parseJson,
  parseTetrapletPolicy,
  stringifyJson,
  type CallArgs,
  type CallParametersInput,
  type ServiceOptions,
} from '../../../marine-host/index.js';

const HELP = `
Loads the service (modules linked, effects checked), calls one facade function (or, with
--module, a function of another module) and prints the result as JSON. Arguments: a JSON array (positional), an object (by name), or omitted for none.
Integers beyond 2^53 are exact both ways. Guest stdout/stderr go to stderr.
Call parameters are partial JSON in Marine's shape, e.g.
  {"particle": {"id": "p1", "init_peer_id": "12D3..."}, "tetraplets": [[{"peer_pk": "...",
   "service_id": "peer", "function_name": "timestamp_sec", "lens": ""}]]}

Examples:
  $ marine call fixtures/configs/examples/greeting/Config.toml greeting '["world"]'
  $ marine call fixtures/configs/host/Config.toml add '{"a": 18446744073709551000, "b": 15}' --json
  $ marine call fixtures/configs/host/Config.toml who '[]' --call-params '{"particle": {"init_peer_id": "me"}}'
  $ marine call fixtures/configs/host/Config.toml upper '["quiet"]' --module fx_helper
  $ marine call fixtures/configs/host/Config.toml add '[1, 2]' --owner me --call-params '{"particle": {"init_peer_id": "me"}}' --policy fixtures/configs/host/policy.json --timeout 2000
`;

/** Options shared by `marine call` and `marine repl`. */
export interface ServiceCliOptions {
  modulesDir?: string;
  timeout?: string;
  policy?: string;
  owner?: string;
  serviceId?: string;
}

/** Service options from the CLI flags shared by call and repl. */
export function serviceOptions(options: ServiceCliOptions): ServiceOptions {
  const timeout = options.timeout === undefined ? undefined : Number(options.timeout);
  if (timeout !== undefined && !(timeout > 0))
    throw new Error(
      `--timeout: expected milliseconds > 0, found ${JSON.stringify(options.timeout)}`,
    );
  let policy;
  if (options.policy !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(options.policy, 'utf8'));
    } catch (error) {
      throw new Error(`--policy ${options.policy}: ${(error as Error).message}`);
    }
    policy = parseTetrapletPolicy(raw, options.policy);
  }
  return {
    ...(options.modulesDir !== undefined ? { modulesDir: options.modulesDir } : {}),
    ...(timeout !== undefined ? { callTimeoutMs: timeout } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
    ...(options.serviceId !== undefined ? { serviceId: options.serviceId } : {}),
    onLog: (r) => process.stderr.write(`[${r.module} ${r.stream}] ${r.text}\n`),
  };
}

/**
 * An error's message without the guest stderr the host appends to trap errors: the CLI has
 * already printed those lines as they came (onLog above), so they are not printed twice.
 */
export function withoutGuestStderr(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const cut = error.message.indexOf('\nguest stderr:\n');
  if (cut < 0) return error;
  const shorter = new Error(error.message.slice(0, cut));
  shorter.name = error.name;
  return shorter;
}

/** Parses JSON given on the command line, naming the flag on error. */
export function jsonArgument(text: string, what: string): ReturnType<typeof parseJson> {
  try {
    return parseJson(text);
  } catch (error) {
    throw new Error(
      `${what}: ${(error as Error).message} in ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`,
    );
  }
}

/** Registers `marine call`. */
export function register(program: Command): void {
  program
    .command('call')
    .description('call a function of a service defined by a Config.toml or blueprint')
    .argument('<config>', 'Config.toml, or a blueprint .json')
    .argument('<function>', 'facade function (snake_case or kebab-case)')
    .argument('[args]', 'JSON array (positional) or object (by name)')
    .option(
      '--call-params <json>',
      'call parameters (particle, service_id, host_id, tetraplets, ...)',
    )
    .option('--json', 'print only the result as JSON')
    .option(
      '--module <name>',
      'call a function of this module (its config name) instead of the facade',
    )
    .option('--timeout <ms>', 'time limit of the call (default 10000)')
    .option(
      '--policy <file>',
      'tetraplet policy JSON: {"functions": {"f": {"owner_only": true, "arguments": {...}}}}',
    )
    .option('--owner <peer>', 'service creator peer id (for owner_only)')
    .option('--service-id <id>', 'service id given to the facade')
    .option('--modules-dir <dir>', 'module store for blueprints')
    .addHelpText('after', HELP)
    .action(
      async (
        config: string,
        fn: string,
        args: string | undefined,
        options: ServiceCliOptions & { callParams?: string; json?: boolean; module?: string },
      ) => {
        const callArgs = (args === undefined ? null : jsonArgument(args, 'args')) as CallArgs;
        const cp =
          options.callParams === undefined
            ? undefined
            : (jsonArgument(options.callParams, '--call-params') as CallParametersInput);
        const service = await loadService(config, serviceOptions(options));
        try {
          const result = await service
            .call(fn, callArgs, cp, options.module !== undefined ? { module: options.module } : {})
            .catch((error: unknown) => {
              throw withoutGuestStderr(error);
            });
          process.stdout.write(`${stringifyJson(result, options.json ? undefined : 2)}\n`);
        } finally {
          await service.close();
        }
      },
    );
}
