// What `marine run` does (registered in ../commands/run.ts), and the relay run and key option
// `marine air run --relay` and `marine deploy` share with it.
import { loadScript } from '../../aqua/index.js';
import { connectRelayClient, keyPairFromText } from '../../node/index.js';
import { callResultText, type KeyPair } from '../../protocol/index.js';
import { readJsonInput, readTextInput } from '../input.js';
import { parseCount } from '../numbers.js';

/** The options of `marine run`. */
export interface RunCliOptions {
  func?: string;
  args: string;
  relay: string;
  secretKey?: string;
  ttl: string;
  import?: string[];
  json?: boolean;
}

/** Arguments by name: an object as it is, an array matched to the function's argument names. */
export function namedArgs(
  value: unknown,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  if (Array.isArray(value)) {
    const list = names ?? [];
    if (value.length !== list.length) {
      throw new Error(
        `--args: the function takes ${list.length} argument(s) (${list.join(', ')}), found an array of ${value.length}`,
      );
    }
    return Object.fromEntries(list.map((n, i) => [n, value[i]]));
  }
  if (value !== null && typeof value === 'object') return value as Record<string, unknown>;
  throw new Error(`--args: expected a JSON object or array, found ${callResultText(value)}`);
}

/** The key of --secret-key: base64 of the 32-byte seed, key.json text, or @file of either. */
export async function secretKeyOption(value: string): Promise<KeyPair> {
  const text = await readTextInput(value, '--secret-key');
  return keyPairFromText(text, value.startsWith('@') ? value.slice(1) : '--secret-key');
}

/** Compiles `file` and runs one function through `relay`; the result, or throws naming the particle. */
export async function runThroughRelay(
  file: string,
  options: {
    relay: string;
    func?: string;
    args: unknown;
    ttl: number;
    imports?: readonly string[];
    keyPair?: KeyPair;
  },
): Promise<{ particleId: string; value: unknown }> {
  const loaded = await loadScript(file, {
    ...(options.func === undefined ? {} : { func: options.func }),
    ...(options.imports === undefined ? {} : { imports: options.imports }),
  });
  const args = namedArgs(options.args, loaded.argNames);
  const client = await connectRelayClient(options.relay, {
    ...(options.keyPair === undefined ? {} : { keyPair: options.keyPair }),
  });
  try {
    const outcome = await client.run(loaded.script, { args, ttl: options.ttl });
    if (outcome.status === 'result')
      return { particleId: outcome.particleId, value: outcome.value };
    throw new Error(`particle ${outcome.particleId}: ${outcome.message}`);
  } finally {
    await client.close();
  }
}

/** `marine run`: the function's result (and particle id) from a run through the relay. */
export async function runAction(file: string, options: RunCliOptions): Promise<void> {
  const keyPair =
    options.secretKey === undefined ? undefined : await secretKeyOption(options.secretKey);
  const { particleId, value } = await runThroughRelay(file, {
    relay: options.relay,
    ...(options.func === undefined ? {} : { func: options.func }),
    args: await readJsonInput(options.args, '--args'),
    ttl: parseCount(options.ttl, '--ttl', 1, 4294967295),
    ...(options.import === undefined ? {} : { imports: options.import }),
    ...(keyPair === undefined ? {} : { keyPair }),
  });
  if (options.json) {
    process.stdout.write(`${callResultText(value)}\n`);
  } else {
    process.stdout.write(`particle ${particleId}\n`);
    process.stdout.write(`${typeof value === 'string' ? value : callResultText(value)}\n`);
  }
  // libp2p may leave timers behind; the client has closed.
  process.exit(0);
}
