// What `marine repl` does (registered in ../commands/repl.ts).
import { createInterface } from 'node:readline/promises';
import {
  loadService,
  renderInterfaceText,
  stringifyJson,
  type CallArgs,
  type CallParametersInput,
} from '../../../marine-host/index.js';
import type { ServiceCliOptions } from '../commands/call.js';
import { REPL_HELP } from '../commands/repl.js';
import { jsonArgument, serviceOptions, withoutGuestStderr } from './call.js';

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

/** `marine repl`: loads the service and runs the commands read from stdin until quit or EOF. */
export async function replAction(
  config: string,
  options: ServiceCliOptions & { module?: string },
): Promise<void> {
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
        if (line === 'help' || line === 'h') process.stdout.write(REPL_HELP);
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
            cp === undefined ? undefined : (jsonArgument(cp, 'call params') as CallParametersInput),
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
}
