import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParticleDataStore } from '../peer/index.js';

/**
 * Keeps particle data in files under a directory, one file per particle (as Nox does), written
 * atomically (temporary file, then rename) so a crash never leaves half a trace behind.
 */
export class FileDataStore implements ParticleDataStore {
  #ready: Promise<unknown> | undefined;

  constructor(readonly directory: string) {}

  async read(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true });
    await this.#ready;
    const path = this.#path(key);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  async remove(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  // Keys hold base64 signatures: make them file-name safe and bounded in length.
  #path(key: string): string {
    return join(this.directory, `particle_${Buffer.from(key).toString('base64url').slice(0, 200)}`);
  }
}
