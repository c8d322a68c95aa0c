/**
 * Where a peer keeps `prevData` per particle between VM runs. Keys are opaque strings built by
 * the peer from the particle id and signature.
 */
export interface ParticleDataStore {
  read(key: string): Promise<Uint8Array | undefined>;
  write(key: string, data: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
}

/** Keeps particle data in memory: for tests, clients and short-lived in-process networks. */
export class MemoryDataStore implements ParticleDataStore {
  readonly #data = new Map<string, Uint8Array>();

  /** Number of particles stored. */
  get size(): number {
    return this.#data.size;
  }

  read(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#data.get(key));
  }

  write(key: string, data: Uint8Array): Promise<void> {
    this.#data.set(key, data);
    return Promise.resolve();
  }

  remove(key: string): Promise<void> {
    this.#data.delete(key);
    return Promise.resolve();
  }
}
