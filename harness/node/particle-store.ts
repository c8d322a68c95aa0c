// Particle state on disk, so a node that stops (or crashes) picks up where it was: the data each
// particle had after its last VM run (prevData, the Peer's ParticleDataStore), and the particle
// itself with the last data that arrived for it, to run it again after a restart. Everything of
// a particle is removed at its deadline.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBase64, type Particle } from '../protocol/index.js';
import type { ParticleDataStore } from '../peer/index.js';

// What `<hash>.json` holds: the particle without its data.
interface ParticleMeta {
  readonly id: string;
  readonly initPeerId: string;
  readonly timestamp: number;
  readonly ttl: number;
  readonly script: string;
  readonly signature: string;
}

/** The key a Peer gives a particle's actor (id and signature, as Nox keys actors). */
export function particleKey(particle: Particle): string {
  return `${particle.id}/${toBase64(particle.signature)}`;
}

/**
 * Particle data in files under one folder (written atomically: a temporary file, then rename).
 * After `freeze()` (a graceful stop) removals are ignored: the Peer ends its particles when it
 * stops, but their state must stay for the next start.
 */
export class NodeParticleStore implements ParticleDataStore {
  #frozen = false;
  #ready: Promise<unknown> | undefined;

  constructor(readonly directory: string) {}

  /** From now on keep everything: the node is stopping and its particles go on after a restart. */
  freeze(): void {
    this.#frozen = true;
  }

  read(key: string): Promise<Uint8Array | undefined> {
    return this.#read(this.#path(key, 'data'));
  }

  write(key: string, data: Uint8Array): Promise<void> {
    return this.#write(this.#path(key, 'data'), data);
  }

  async remove(key: string): Promise<void> {
    if (this.#frozen) return;
    await Promise.all(
      (['data', 'json', 'in'] as const).map((ext) => rm(this.#path(key, ext), { force: true })),
    );
  }

  /** Records a particle that arrived (with its data) so a restart can run it again. */
  async remember(particle: Particle): Promise<void> {
    const key = particleKey(particle);
    const meta: ParticleMeta = {
      id: particle.id,
      initPeerId: particle.initPeerId,
      timestamp: particle.timestamp,
      ttl: particle.ttl,
      script: particle.script,
      signature: toBase64(particle.signature),
    };
    await this.#write(this.#path(key, 'in'), particle.data);
    await this.#write(this.#path(key, 'json'), new TextEncoder().encode(JSON.stringify(meta)));
  }

  /**
   * The particles stored here whose deadline has not passed, each with the last data that arrived
   * for it (their data after a run is dropped: they run again from it); removes what belongs to
   * expired ones.
   */
  async recover(now: number = Date.now()): Promise<Particle[]> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    const particles: Particle[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const stem = name.slice(0, -'.json'.length);
      let meta: ParticleMeta;
      try {
        meta = JSON.parse(await readFile(join(this.directory, name), 'utf8')) as ParticleMeta;
      } catch {
        continue; // A record cut short by a crash: nothing to pick up.
      }
      if (now > meta.timestamp + meta.ttl) {
        await Promise.all(
          ['data', 'json', 'in'].map((ext) =>
            rm(join(this.directory, `${stem}.${ext}`), { force: true }),
          ),
        );
        continue;
      }
      const data = (await this.#read(join(this.directory, `${stem}.in`))) ?? new Uint8Array();
      // The VM does not issue again a call it asked for before the stop, so a run that may have
      // been cut short starts over from the data that arrived (the network's copies merge).
      await rm(join(this.directory, `${stem}.data`), { force: true });
      particles.push({
        id: meta.id,
        initPeerId: meta.initPeerId,
        timestamp: meta.timestamp,
        ttl: meta.ttl,
        script: meta.script,
        signature: new Uint8Array(Buffer.from(meta.signature, 'base64')),
        data,
      });
    }
    return particles;
  }

  async #read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #write(path: string, data: Uint8Array): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true });
    await this.#ready;
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  // Keys hold base64 signatures: a hash makes a safe, bounded file name.
  #path(key: string, ext: 'data' | 'json' | 'in'): string {
    const stem = createHash('sha256').update(key).digest('hex').slice(0, 40);
    return join(this.directory, `particle_${stem}.${ext}`);
  }
}
