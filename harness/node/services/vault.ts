// The particle vault, as Nox keeps it: a directory per particle, `<particle id>-<token>` with
// token = base58 of the host's signature over the particle's signature (so no caller can guess
// another particle's directory), seen by services as `/tmp/vault/…` and removed once the particle
// expires.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { randomUUID } from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';
import type { KeyPair } from '../../protocol/index.js';
import type { ParticleContext } from '../../peer/index.js';
import { BuiltinArgumentError, NotFoundError } from './errors.js';

/** Where services see the vault. */
export const VAULT_GUEST_DIR = '/tmp/vault';

/** Per-particle vault directories under one host directory. */
export class ParticleVault {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    /** The host directory mapped as `/tmp/vault` into every service. */
    readonly dir: string,
    private readonly keyPair: KeyPair,
  ) {
    // Particles of an earlier run have all expired by now.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** The directory name of a particle's vault. */
  particleDir(particle: ParticleContext): string {
    const token = base58btc.baseEncode(this.keyPair.sign(particle.signature));
    return `${particle.particleId}-${token}`;
  }

  #ensure(particle: ParticleContext): string {
    const name = this.particleDir(particle);
    const dir = join(this.dir, name);
    if (!this.#timers.has(name)) {
      mkdirSync(dir, { recursive: true });
      const left = Math.max(0, particle.timestamp + particle.ttl - Date.now());
      const timer = setTimeout(() => {
        this.#timers.delete(name);
        rmSync(dir, { recursive: true, force: true });
      }, left);
      timer.unref();
      this.#timers.set(name, timer);
    }
    return name;
  }

  /** Writes `data` into the particle's vault; the path services and `vault.cat` read it by. */
  put(particle: ParticleContext, data: unknown): string {
    if (typeof data !== 'string')
      throw new BuiltinArgumentError(`vault.put: expected a string, found ${typeof data}`);
    const name = this.#ensure(particle);
    const file = randomUUID();
    writeFileSync(join(this.dir, name, file), data);
    return posix.join(VAULT_GUEST_DIR, name, file);
  }

  /** Reads a file of the particle's own vault, by the path `vault.put` (or a service) gave. */
  cat(particle: ParticleContext, path: unknown): string {
    return new TextDecoder().decode(this.read(particle, path, 'vault.cat'));
  }

  /**
   * The bytes of a file of the particle's own vault (a guest path under /tmp/vault, or one
   * relative to the particle's dir); `where` names the builtin in errors.
   */
  read(particle: ParticleContext, path: unknown, where: string): Uint8Array {
    if (typeof path !== 'string')
      throw new BuiltinArgumentError(`${where}: expected a vault path, found ${typeof path}`);
    const own = posix.join(VAULT_GUEST_DIR, this.particleDir(particle));
    const normal = posix.normalize(path.startsWith('/') ? path : posix.join(own, path));
    if (!normal.startsWith(`${own}/`))
      throw new BuiltinArgumentError(
        `${where}: expected a path inside this particle's vault ${own}/, found ${JSON.stringify(path)}`,
      );
    try {
      return new Uint8Array(readFileSync(join(this.dir, normal.slice(VAULT_GUEST_DIR.length + 1))));
    } catch {
      throw new NotFoundError(`${where}: no file ${JSON.stringify(path)} in the particle's vault`);
    }
  }

  /** Stops the expiry timers and empties the vault. */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
