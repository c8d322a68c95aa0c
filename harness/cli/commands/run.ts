import type { Command } from 'commander';
import { loadScript } from '../../aqua/index.js';
import { connectRelayClient, keyPairFromText } from '../../node/index.js';
import { callResultText, type KeyPair } from '../../protocol/index.js';
import { readJsonInput, readTextInput } from '../input.js';
import { parseCount } from '../numbers.js';

interface RunCliOptions {
  func?: string;
  args: string;
  relay: string;
  secretKey?: string;
  ttl: string;
  import?: string[];
  json?: boolean;
}

const HELP = `
Compiles the Aqua file with the Aqua compiler (imports of @fluencelabs/aqua-lib resolve with
nothing installed), connects to the relay as a client (a fresh key unless --secret-key), runs the
function there with js-client's conventions and prints its result on the last line (JSON with
--json). An error names the particle id and, when the network said why it dropped the particle,
the reason, at once rather than at the TTL.

Arguments: a JSON object by argument name, or a JSON array in order; @file reads a file, - stdin.

Examples:
  $ marine local up --peers 2 --dir /tmp/marine-local-run --json && marine run fixtures/node/relay.aqua --func identifyRelay --relay "$(marine local status --dir /tmp/marine-local-run --json | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).nodes[0].multiaddrs[0]))')"; marine local down --dir /tmp/marine-local-run`;

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

/** Adds `marine run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run an Aqua function through a relay node as a client')
    .argument('<file.aqua>', 'the Aqua file')
    .requiredOption('--relay <multiaddr>', 'the relay, ending in /p2p/<peer id> (TCP or /ws)')
    .option('--func <name>', 'the function to run (default: the only exported one)')
    .option('--args <json>', 'arguments: object by name or array in order; @file or -', '{}')
    .option('--secret-key <key>', "the client's key: base64 seed or key.json, inline or @file")
    .option('--ttl <ms>', 'particle time-to-live in milliseconds', '7000')
    .option(
      '--import <dir>',
      'a directory the Aqua compiler searches for imports (repeatable)',
      (dir: string, dirs: string[] = []) => [...dirs, dir],
    )
    .option('--json', 'print the result as JSON (with the particle id on stderr)')
    .addHelpText('after', HELP)
    .action(async (file: string, options: RunCliOptions) => {
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
    });
}
