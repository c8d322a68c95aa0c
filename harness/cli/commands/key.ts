import { chmod, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { keyJson } from '../../node/index.js';
import { KeyPair } from '../../protocol/index.js';

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
      const keyPair = KeyPair.random();
      const json = keyJson(keyPair);
      if (options.out !== undefined) {
        const out = options.out;
        await writeFile(out, `${JSON.stringify(json)}\n`, { mode: 0o600, flag: 'wx' }).catch(
          (error: NodeJS.ErrnoException) => {
            throw new Error(
              error.code === 'EEXIST'
                ? `--out: ${out} already exists; a key file is never overwritten`
                : `--out: cannot write ${out}: ${error.message}`,
            );
          },
        );
        await chmod(out, 0o600);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ peerId: json.peerId, file: out })}\n`
            : `peer id ${json.peerId}, key written to ${out}\n`,
        );
        return;
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(json)}\n`
          : `peer id:    ${json.peerId}\nsecret key: ${json.secretKey}\n`,
      );
    });
}
