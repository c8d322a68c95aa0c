// `marine key`. Registration only: the work is in ../actions/key.ts, loaded when it runs.
import type { Command } from 'commander';

const HELP = `
Prints a new Ed25519 key: its peer id and its secret key (base64 of the 32-byte seed, what
js-client's KeyPair.fromEd25519SK and marine run --secret-key take). With --out the key is
written to a file (mode 0600) and only the peer id is printed.

Examples:
  $ marine key new
  $ marine key new --json
  $ marine key new --out /tmp/marine-key-example.json --json && rm /tmp/marine-key-example.json`;

/** Adds `marine key` (new). */
export function register(program: Command): void {
  const key = program.command('key').description('Ed25519 keys for clients and nodes');
  key
    .command('new')
    .description('create a new Ed25519 key pair')
    .option('--out <file>', 'write the key as JSON to this file (mode 0600; refuses to overwrite)')
    .option('--json', 'print {"peerId","secretKey"} (with --out: {"peerId","file"})')
    .addHelpText('after', HELP)
    .action(async (options: { out?: string; json?: boolean }) => {
      const { keyNewAction } = await import('../actions/key.js');
      await keyNewAction(options);
    });
}
