// `marine run`. Registration only: the work (the Aqua compiler, a relay client on libp2p) is in
// ../actions/run.ts, loaded when it runs.
import type { Command } from 'commander';
import type { RunCliOptions } from '../actions/run.js';

const HELP = `
Compiles the Aqua file with the Aqua compiler (imports of @fluencelabs/aqua-lib resolve with
nothing installed), connects to the relay as a client (a fresh key unless --secret-key), runs the
function there with js-client's conventions and prints its result on the last line (JSON with
--json). An error names the particle id and, when the network said why it dropped the particle,
the reason, at once rather than at the TTL.

Arguments: a JSON object by argument name, or a JSON array in order; @file reads a file, - stdin.

Examples:
  $ marine local up --peers 2 --dir /tmp/marine-local-run --json && marine run fixtures/node/relay.aqua --func identifyRelay --relay "$(marine local status --dir /tmp/marine-local-run --json | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).nodes[0].multiaddrs[0]))')"; marine local down --dir /tmp/marine-local-run`;

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
      const { runAction } = await import('../actions/run.js');
      await runAction(file, options);
    });
}
