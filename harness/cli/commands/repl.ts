import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import {
  loadService,
  renderInterfaceText,
  stringifyJson,
  type CallArgs,
  type CallParametersInput,
} from '../../../marine-host/index.js';
import {
  jsonArgument,
  serviceOptions,
  withoutGuestStderr,
  type ServiceCliOptions,
} from './call.js';

const HELP = `
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

/** Splits `fn rest` where rest may hold one or two JSON values separated by whitespace. */
function splitJsonValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (start < 0) {
      if (/\s/.test(ch)) continue;
      start = i;
    }
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth += 1;
    else if (ch === ']' || ch === '}') depth -= 1;
    if (depth === 0 && !inString && (i + 1 === text.length || /\s/.test(text[i + 1] as string))) {
      out.push(text.slice(start, i + 1));
      start = -1;
    }
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}

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
    .option('--module <name>', 'module plain calls go to (its config name; default the facade)')
    .addHelpText('after', HELP)
    .action(async (config: string, options: ServiceCliOptions & { module?: string }) => {
      const service = await loadService(config, serviceOptions(options));
      const modules = service.moduleNames();
      if (options.module !== undefined && !modules.includes(options.module)) {
        await service.close();
        throw new Error(
          `--module: no module ${JSON.stringify(options.module)} in the service (modules: ${modules.join(', ')})`,
        );
      }
      const rl = createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: process.stdin.isTTY,
      });
      const functions = service.getInterface(options.module).function_signatures.map((f) => f.name);
      process.stdout.write(
        `service ${service.name} loaded; functions: ${functions.join(', ')}; type help for commands\n`,
      );
      rl.setPrompt('> ');
      rl.prompt();
      try {
        for await (const raw of rl) {
          const line = raw.trim();
          if (line === 'quit' || line === 'exit' || line === 'q') break;
          if (line === '') {
            rl.prompt();
            continue;
          }
          try {
            if (line === 'help' || line === 'h') process.stdout.write(HELP);
            else if (/^(interface|i)(\s|$)/.test(line)) {
              const module = line.split(/\s+/)[1] ?? options.module;
              process.stdout.write(renderInterfaceText(service.getInterface(module)));
            } else if (line === 'modules') process.stdout.write(`${modules.join('\n')}\n`);
            else if (line === 'logs')
              for (const r of service.logs().slice(-20))
                process.stdout.write(`[${r.module} ${r.stream}] ${r.text}\n`);
            else {
              let rest = line.startsWith('call ') ? line.slice(5).trim() : line;
              // mrepl's form: `call <module> <fn> [args]` names the module first.
              let module = options.module;
              const words = rest.split(/\s+/);
              if (
                line.startsWith('call ') &&
                words.length >= 2 &&
                modules.includes(words[0] as string) &&
                /^[A-Za-z_][\w-]*$/.test(words[1] as string)
              ) {
                module = words[0];
                rest = rest.slice((words[0] as string).length).trim();
              }
              const space = rest.search(/\s/);
              const fn = space < 0 ? rest : rest.slice(0, space);
              const [args, cp] = space < 0 ? [] : splitJsonValues(rest.slice(space + 1));
              const started = performance.now();
              const result = await service.call(
                fn,
                (args === undefined ? null : jsonArgument(args, 'args')) as CallArgs,
                cp === undefined
                  ? undefined
                  : (jsonArgument(cp, 'call params') as CallParametersInput),
                module !== undefined ? { module } : {},
              );
              process.stdout.write(
                `${stringifyJson(result, 2)}\n(${(performance.now() - started).toFixed(1)} ms)\n`,
              );
            }
          } catch (error) {
            process.stdout.write(`error: ${withoutGuestStderr(error).message}\n`);
          }
          rl.prompt();
        }
      } finally {
        rl.close();
        await service.close();
      }
    });
}
