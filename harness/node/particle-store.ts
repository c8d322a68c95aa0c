// Particle state on disk, so a node that stops (or crashes) picks up where it was: the particle
// itself with the last data that arrived for it (`.particle`, to run it again after a restart).
// Everything of a particle is removed at its deadline.
//
// Disk work stays off a particle's path through the node: the Peer's prevData (its
// ParticleDataStore) lives in memory only, since a restart runs a particle again from the data
// that arrived and never from the data after a run (see `recover`; `.data` files of older
// versions are still removed); `remember` runs beside the VM run. Writes of one particle are
// queued so the last one given wins and a removal comes after them; a record waiting in that
// queue is replaced by a newer one instead of written twice (a relay that takes 64 results of one
// particle in a burst wrote 64 records of 27 KB, and 64 `.data` files besides).
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBase64, type Particle } from '../protocol/index.js';
import type { ParticleDataStore } from '../peer/index.js';

// The JSON head of a `.particle` file: the particle without its data.
interface ParticleMeta {
  readonly id: string;
  readonly initPeerId: string;
  readonly timestamp: number;
  readonly ttl: number;
  readonly script: string;
  readonly signature: string;
}

// The file extensions of a particle: `.json` and `.in` are the layout before `.particle` (one file
// instead of two writes), still read at start and swept.
const EXTENSIONS = ['particle', 'data', 'json', 'in'] as const;
type Extension = (typeof EXTENSIONS)[number];

/** The key a Peer gives a particle's actor (id and signature, as Nox keys actors). */
export function particleKey(particle: Particle): string {
  return `${particle.id}/${toBase64(particle.signature)}`;
}

/** A `.particle` file's bytes: a 4-byte big-endian length, the JSON head, then the data. */
export function encodeParticleRecord(particle: Particle): Uint8Array {
  const meta: ParticleMeta = {
    id: particle.id,
    initPeerId: particle.initPeerId,
    timestamp: particle.timestamp,
    ttl: particle.ttl,
    script: particle.script,
    signature: toBase64(particle.signature),
  };
  const head = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + head.length + particle.data.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(particle.data, 4 + head.length);
  return out;
}

/** The particle in a `.particle` file's bytes; throws on a record cut short or malformed. */
export function decodeParticleRecord(bytes: Uint8Array, where: string): Particle {
  if (bytes.length < 4)
    throw new Error(`${where}: expected a 4-byte head length, found ${bytes.length} bytes`);
  const headLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  if (4 + headLength > bytes.length) {
    throw new Error(
      `${where}: the head says ${headLength} bytes, the file has ${bytes.length - 4}`,
    );
  }
  const meta = JSON.parse(
    new TextDecoder().decode(bytes.subarray(4, 4 + headLength)),
  ) as ParticleMeta;
  return particleOf(meta, bytes.slice(4 + headLength));
}

function particleOf(meta: ParticleMeta, data: Uint8Array): Particle {
  return {
    id: meta.id,
    initPeerId: meta.initPeerId,
    timestamp: meta.timestamp,
    ttl: meta.ttl,
    script: meta.script,
    signature: new Uint8Array(Buffer.from(meta.signature, 'base64')),
    data,
  };
}

/**
 * Particle data in files under one folder (written atomically: a temporary file, then rename),
 * prevData served from memory. After `freeze()` (a graceful stop) removals are ignored: the Peer
 * ends its particles when it stops, but their state must stay for the next start.
 */
export class NodeParticleStore implements ParticleDataStore {
  #frozen = false;
  #ready: Promise<unknown> | undefined;
  // prevData by key: what the last `write` gave, until `remove`.
  readonly #data = new Map<string, Uint8Array>();
  // Disk work in flight by file stem, in order.
  readonly #queues = new Map<string, Promise<void>>();
  // Records queued and not yet being written, by stem, with the promise of their write: a newer
  // particle replaces the one waiting there (the last one given wins anyway).
  readonly #waiting = new Map<string, { particle: Particle; written: Promise<void> }>();
  #temporaries = 0;

  constructor(readonly directory: string) {}

  /** From now on keep everything: the node is stopping and its particles go on after a restart. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Resolves when every disk write and removal asked for so far has ended. */
  async flush(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
  }

  read(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#data.get(key));
  }

  write(key: string, data: Uint8Array): Promise<void> {
    this.#data.set(key, data);
    return Promise.resolve();
  }

  async remove(key: string): Promise<void> {
    if (this.#frozen) return;
    this.#data.delete(key);
    // A record given after this removal is written after it, not merged into one before it.
    this.#waiting.delete(this.#stem(key));
    await this.#enqueue(key, () => this.#removeFiles(this.#stem(key)));
  }

  /**
   * Records a particle that arrived (with its data) so a restart can run it again. Resolves once
   * this record, or a newer one of the same particle given before its write began, is on disk.
   */
  remember(particle: Particle): Promise<void> {
    const key = particleKey(particle);
    const stem = this.#stem(key);
    const waiting = this.#waiting.get(stem);
    if (waiting !== undefined) {
      waiting.particle = particle;
      return waiting.written;
    }
    const slot = { particle, written: Promise.resolve() };
    this.#waiting.set(stem, slot);
    slot.written = this.#enqueueStem(stem, () => {
      if (this.#waiting.get(stem) === slot) this.#waiting.delete(stem);
      return this.#writeFile(this.#path(key, 'particle'), encodeParticleRecord(slot.particle));
    });
    return slot.written;
  }

  /**
   * The particles stored here whose deadline has not passed, each with the last data that arrived
   * for it (their data after a run is dropped: they run again from it); removes what belongs to
   * expired ones.
   */
  async recover(now: number = Date.now()): Promise<Particle[]> {
    const particles: Particle[] = [];
    for (const [stem, found] of await this.#stored()) {
      if (found === undefined) continue; // A record cut short by a crash: nothing to pick up.
      if (now > found.timestamp + found.ttl) {
        await this.#removeFiles(stem);
        continue;
      }
      // The VM does not issue again a call it asked for before the stop, so a run that may have
      // been cut short starts over from the data that arrived (the network's copies merge).
      await rm(join(this.directory, `${stem}.data`), { force: true });
      particles.push(found);
    }
    return particles;
  }

  /**
   * Removes the files of every particle whose deadline passed (and of records that cannot be
   * read), as a running node does now and then: a particle whose actor never closed here (a crash
   * before its deadline, a stop) leaves files no removal would reach. Resolves to how many
   * particles were swept.
   */
  async sweep(now: number = Date.now()): Promise<number> {
    let swept = 0;
    const names = await readdir(this.directory).catch(() => [] as string[]);
    for (const [stem, found] of await this.#stored(names)) {
      if (found !== undefined && now <= found.timestamp + found.ttl) continue;
      if (found === undefined && this.#queues.has(stem)) continue; // Being written right now.
      swept += 1;
      const temporaries = names.filter((n) => n.startsWith(`${stem}.`) && n.endsWith('.tmp'));
      await this.#enqueueStem(stem, () => this.#removeFiles(stem, temporaries));
    }
    return swept;
  }

  // Every particle record on disk by file stem, undefined where it cannot be read.
  async #stored(names?: readonly string[]): Promise<Map<string, Particle | undefined>> {
    names ??= await readdir(this.directory).catch(() => [] as string[]);
    const all = new Set(names);
    const out = new Map<string, Particle | undefined>();
    for (const name of names) {
      const dot = name.indexOf('.');
      const [stem, ext] = [name.slice(0, dot), name.slice(dot + 1)];
      if (ext === 'particle') {
        const bytes = await this.#readFile(join(this.directory, name));
        try {
          out.set(stem, bytes && decodeParticleRecord(bytes, name));
        } catch {
          out.set(stem, undefined);
        }
      } else if (ext === 'json' && !out.has(stem)) {
        try {
          const meta = JSON.parse(
            await readFile(join(this.directory, name), 'utf8'),
          ) as ParticleMeta;
          const data =
            (await this.#readFile(join(this.directory, `${stem}.in`))) ?? new Uint8Array();
          out.set(stem, particleOf(meta, data));
        } catch {
          out.set(stem, undefined);
        }
      } else if (!out.has(stem) && !all.has(`${stem}.particle`) && !all.has(`${stem}.json`)) {
        // A `.data` or `.in` alone (its record lost to a crash), or a temporary file.
        out.set(stem, undefined);
      }
    }
    return out;
  }

  #enqueue(key: string, work: () => Promise<void>): Promise<void> {
    return this.#enqueueStem(this.#stem(key), work);
  }

  #enqueueStem(stem: string, work: () => Promise<void>): Promise<void> {
    const before = this.#queues.get(stem) ?? Promise.resolve();
    const next = before.catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    this.#queues.set(stem, tail);
    void tail.then(() => {
      if (this.#queues.get(stem) === tail) this.#queues.delete(stem);
    });
    return next;
  }

  async #removeFiles(stem: string, others: readonly string[] = []): Promise<void> {
    const names = [...EXTENSIONS.map((ext) => `${stem}.${ext}`), ...others];
    await Promise.all(names.map((n) => rm(join(this.directory, n), { force: true })));
  }

  async #readFile(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #writeFile(path: string, data: Uint8Array): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true });
    await this.#ready;
    const temporary = `${path}.${process.pid}-${this.#temporaries++}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  // Keys hold base64 signatures: a hash makes a safe, bounded file name.
  #stem(key: string): string {
    return `particle_${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  }

  #path(key: string, ext: Extension): string {
    return join(this.directory, `${this.#stem(key)}.${ext}`);
  }
}
