import { callResultText, parseJson } from '../protocol/index.js';
import type { ServiceFunction } from '../peer/index.js';
import { arrayArg, describe, expectArgs, objectArg, stringArg } from './args.js';

function putPairs(
  target: Record<string, unknown>,
  flat: readonly unknown[],
  fn: string,
): Record<string, unknown> {
  if (flat.length % 2 !== 0) throw new Error(`${fn}: expected key/value pairs, found an odd count`);
  const out = { ...target };
  for (let i = 0; i < flat.length; i += 2) out[stringArg(flat[i], `${fn} key`)] = flat[i + 1];
  return out;
}

/** Nox's `json`: objects from pairs, exact parse and stringify. */
export const json: Record<string, ServiceFunction> = {
  obj: (args) => putPairs({}, args, 'json.obj'),
  put: (args) => putPairs(objectArg(args[0], 'json.put'), args.slice(1, 3), 'json.put'),
  puts: (args) => putPairs(objectArg(args[0], 'json.puts'), args.slice(1), 'json.puts'),
  // serde_json as Nox uses it: integers within i64/u64 keep every digit both ways.
  parse: (args) => {
    const text = stringArg(args[0], 'json.parse');
    try {
      return parseJson(text);
    } catch (error) {
      throw new Error(
        `json.parse: expected a JSON text, found ${describe(text)} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  },
  stringify: (args) => {
    expectArgs(args, 1, 'json.stringify');
    return callResultText(args[0]);
  },
  obj_pairs: (args) =>
    putPairs(
      {},
      arrayArg(args[0], 'json.obj_pairs').flatMap((p) => arrayArg(p, 'json.obj_pairs pair')),
      'json.obj_pairs',
    ),
  puts_pairs: (args) =>
    putPairs(
      objectArg(args[0], 'json.puts_pairs'),
      arrayArg(args[1], 'json.puts_pairs').flatMap((p) => arrayArg(p, 'json.puts_pairs pair')),
      'json.puts_pairs',
    ),
};
