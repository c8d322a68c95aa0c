// What `marine key new` does (registered in ../commands/key.ts). It needs the protocol's key pair
// and the key file format (harness/node/data-dir.ts), not the node: the node's entry would load
// libp2p and the VMs.
import { chmod, writeFile } from 'node:fs/promises';
import { keyJson } from '../../node/data-dir.js';
import { KeyPair } from '../../protocol/index.js';

/** `marine key new`: a random key, printed or written to a new file (mode 0600). */
export async function keyNewAction(options: { out?: string; json?: boolean }): Promise<void> {
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
}
