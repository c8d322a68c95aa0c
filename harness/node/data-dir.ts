// A node's data dir: its Ed25519 key (key.json, mode 0600, created on first start and reused
// after, so a restart keeps the peer id), particle data (particles/) and anomaly records
// (anomalies/).
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyPair, toBase64 } from '../protocol/index.js';

/** The folders and files of a data dir. */
export interface DataDirLayout {
  readonly root: string;
  readonly keyFile: string;
  readonly particles: string;
  readonly anomalies: string;
}

/** A key file or key text that cannot be used. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** Where everything lives under `root`. */
export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    keyFile: join(root, 'key.json'),
    particles: join(root, 'particles'),
    anomalies: join(root, 'anomalies'),
  };
}

/** The JSON a key file holds (and `marine key new` prints). */
export function keyJson(keyPair: KeyPair): { peerId: string; secretKey: string } {
  return { peerId: keyPair.peerId, secretKey: toBase64(keyPair.secretKey) };
}

/** A key pair from base64 of a 32-byte Ed25519 seed, or from key.json's text. */
export function keyPairFromText(text: string, where: string): KeyPair {
  let secret = text.trim();
  let peerId: unknown;
  if (secret.startsWith('{')) {
    let parsed: { secretKey?: unknown; peerId?: unknown };
    try {
      parsed = JSON.parse(secret) as typeof parsed;
    } catch (error) {
      throw new KeyFileError(`${where}: not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed.secretKey !== 'string') {
      throw new KeyFileError(
        `${where}: expected a "secretKey" string (base64), found ${JSON.stringify(parsed.secretKey)}`,
      );
    }
    secret = parsed.secretKey;
    peerId = parsed.peerId;
  }
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(secret) ? Buffer.from(secret, 'base64') : undefined;
  if (bytes?.length !== 32) {
    throw new KeyFileError(
      `${where}: expected base64 of a 32-byte Ed25519 secret key, found ${bytes === undefined ? 'text that is not base64' : `${bytes.length} bytes`}`,
    );
  }
  const keyPair = KeyPair.fromSecretKey(new Uint8Array(bytes));
  if (typeof peerId === 'string' && peerId !== keyPair.peerId) {
    throw new KeyFileError(
      `${where}: its peerId ${peerId} does not match its secret key (${keyPair.peerId})`,
    );
  }
  return keyPair;
}

/** Writes a new random key to `path` with mode 0600 (refuses to overwrite). */
export async function writeNewKey(
  path: string,
  keyPair: KeyPair = KeyPair.random(),
): Promise<KeyPair> {
  await writeFile(path, `${JSON.stringify(keyJson(keyPair))}\n`, { mode: 0o600, flag: 'wx' });
  // The umask may have narrowed the mode; it can never have widened it, but be exact.
  await chmod(path, 0o600);
  return keyPair;
}

/** Creates the data dir's folders and reads its key, creating the key on first start. */
export async function openDataDir(
  root: string,
): Promise<{ layout: DataDirLayout; keyPair: KeyPair; created: boolean }> {
  const layout = dataDirLayout(root);
  await mkdir(layout.particles, { recursive: true, mode: 0o700 });
  await mkdir(layout.anomalies, { recursive: true, mode: 0o700 });
  const existing = await stat(layout.keyFile).catch(() => undefined);
  if (existing === undefined) {
    return { layout, keyPair: await writeNewKey(layout.keyFile), created: true };
  }
  if ((existing.mode & 0o077) !== 0) {
    throw new KeyFileError(
      `${layout.keyFile}: mode ${(existing.mode & 0o777).toString(8)} lets others read the node's key; expected 600 (chmod 600 it)`,
    );
  }
  const text = await readFile(layout.keyFile, 'utf8');
  return { layout, keyPair: keyPairFromText(text, layout.keyFile), created: false };
}
