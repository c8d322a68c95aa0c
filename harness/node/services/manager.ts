// Services on a node, as Nox runs them: created from a stored blueprint, loaded with the Marine
// host under the identity the node gives them (service id, owner = the creating peer, host id),
// registered in the peer's ServiceRegistry by id and alias, and persisted under the data dir so
// they come back when the node restarts. Each service gets Nox's filesystem: `/storage`
// (persistent), `/tmp` (ephemeral, wiped at start), per module `/storage/module` and
// `/tmp/module`, and the particle vault at `/tmp/vault`; the disk quota covers them together.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ServiceConfig, ModuleConfig } from '../../../marine-host/config/index.js';
import { Service as MarineService, type LogRecord } from '../../../marine-host/service/index.js';
import { ok, serviceError, type ServiceCall, type ServiceRegistry } from '../../peer/index.js';
import { AliasError, NotFoundError, ServiceCreateError } from './errors.js';
import { writeFileAtomic, type NodeStore } from './store.js';
import { ServiceStats } from './stats.js';

/** Limits every service of a node runs under (Nox's config: memory, call time, disk). */
export interface ServiceLimits {
  /** Linear memory of all modules of a service together, bytes (Nox's default: 4 GiB − 1). */
  readonly memoryBytes?: number;
  /** Time limit of one call, ms (default 10 000, marine-host's). */
  readonly callTimeoutMs?: number;
  /** What `/storage`, `/tmp` and the vault of a service may hold together, bytes (default 1 GiB). */
  readonly diskBytes?: number;
  /** Files, directories and links in them (default 100 000). */
  readonly diskFiles?: number;
}

/** A service of the node as `srv.list` and `srv.info` show it (aqua-lib's `Service`). */
export interface ServiceRecord {
  readonly id: string;
  readonly blueprint_id: string;
  readonly service_type: 'service';
  readonly owner_id: string;
  readonly aliases: string[];
  readonly worker_id: string;
}

/** What the manager needs from the node. */
export interface ManagerOptions {
  readonly hostPeerId: string;
  readonly dataDir: string;
  readonly store: NodeStore;
  readonly registry: ServiceRegistry;
  readonly limits?: ServiceLimits;
  /** Environment variables every module of every service sees (Nox's `services_envs`). */
  readonly servicesEnvs?: Readonly<Record<string, string>>;
  /** The host directory mapped as `/tmp/vault` into every service. */
  readonly vaultDir: string;
  /** Receives every log line of every service. */
  readonly onLog?: (serviceId: string, record: LogRecord) => void;
}

interface Running {
  readonly record: ServiceRecord;
  readonly service: MarineService;
  readonly stats: ServiceStats;
}

// Names Nox reserves: an alias may not shadow a builtin either.
const RESERVED_ALIASES = new Set(['spell', 'self', 'worker-spell']);

/** How many services load at once on restore (each starts a worker thread and compiles its modules). */
const RESTORE_CONCURRENCY = 4;

/** Services of one node: create, remove, aliases, persistence and restore. */
export class ServiceManager {
  readonly #running = new Map<string, Running>();
  readonly #aliases = new Map<string, string>();
  readonly #servicesDir: string;
  readonly #ephemeralDir: string;

  constructor(private readonly options: ManagerOptions) {
    this.#servicesDir = join(options.dataDir, 'services');
    this.#ephemeralDir = join(options.dataDir, 'ephemeral', 'services');
    mkdirSync(this.#servicesDir, { recursive: true });
  }

  /** The running service with this id or alias, or a NotFoundError in Nox's words. */
  resolve(idOrAlias: string, where: string): Running {
    const id = this.#aliases.get(idOrAlias) ?? idOrAlias;
    const running = this.#running.get(id);
    if (!running)
      throw new NotFoundError(`${where}: Service with id '${idOrAlias}' not found on this node`);
    return running;
  }

  /** The id an alias names, if any. */
  aliasTarget(alias: string): string | undefined {
    return this.#aliases.get(alias);
  }

  /** Every service, in creation order. */
  list(): ServiceRecord[] {
    return [...this.#running.values()].map((r) => r.record);
  }

  async #config(id: string, blueprintId: string): Promise<ServiceConfig> {
    const { store } = this.options;
    const blueprint = store.blueprint(blueprintId, 'srv.create');
    const storage = join(this.#servicesDir, id, 'storage');
    const tmp = join(this.#ephemeralDir, id, 'tmp');
    mkdirSync(storage, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    const modules: ModuleConfig[] = [];
    for (const cid of blueprint.dependencies) {
      const module = store.module(cid, `srv.create: blueprint ${blueprintId}`);
      // Marine IT modules (avm.wasm, modules of Fluence's own toolchain) run on the host's IT
      // runtime, which has no filesystem yet: they get no mapped dirs rather than a refusal.
      const it =
        (await store.moduleInfo(cid, `srv.create: blueprint ${blueprintId}`)).it !== undefined;
      // Nox's per-module dirs: /storage/module persists with the service, /tmp/module does not.
      // They live beside /storage and /tmp on the host, so neither shows the other modules' dirs.
      const moduleStorage = join(this.#servicesDir, id, 'modules', module.config.name);
      const moduleTmp = join(this.#ephemeralDir, id, 'modules', module.config.name);
      mkdirSync(moduleStorage, { recursive: true });
      mkdirSync(moduleTmp, { recursive: true });
      modules.push({
        name: module.config.name,
        path: module.path,
        cid,
        loggerEnabled: module.config.logger_enabled,
        loggingMask: module.config.logging_mask,
        envs: { ...this.options.servicesEnvs },
        // wasi-libc resolves a path by the longest preopen that prefixes it, so /tmp/vault wins
        // over /tmp for vault paths.
        mappedDirs: it
          ? {}
          : {
              '/storage': storage,
              '/storage/module': moduleStorage,
              '/tmp': tmp,
              '/tmp/module': moduleTmp,
              '/tmp/vault': this.options.vaultDir,
            },
        mountedBinaries: module.config.mounted_binaries,
      });
    }
    const limits = this.options.limits ?? {};
    return {
      source: join(store.blueprintsDir, `${blueprintId}.json`),
      format: 'blueprint',
      name: blueprint.name,
      blueprintId,
      modulesDir: store.modulesDir,
      serviceWorkingDir: join(this.#servicesDir, id),
      totalMemoryLimit: limits.memoryBytes ?? Infinity,
      ...(limits.diskBytes !== undefined || limits.diskFiles !== undefined
        ? { diskQuota: { bytes: limits.diskBytes ?? 1024 ** 3, files: limits.diskFiles ?? 100000 } }
        : {}),
      modules,
      warnings: [],
    };
  }

  async #start(record: ServiceRecord): Promise<Running> {
    const limits = this.options.limits ?? {};
    const service = await MarineService.load(await this.#config(record.id, record.blueprint_id), {
      serviceId: record.id,
      owner: record.owner_id,
      hostId: this.options.hostPeerId,
      workerId: this.options.hostPeerId,
      // A spare worker per service doubled a node's threads and made a restore of 50 services
      // 1.75x slower than loading them one by one (bench services-restore): a service gets its
      // spare once it has restarted, the sign that it may again.
      spareWorker: 'after-restart',
      ...(limits.callTimeoutMs === undefined ? {} : { callTimeoutMs: limits.callTimeoutMs }),
      ...(this.options.onLog === undefined
        ? {}
        : { onLog: (r: LogRecord) => this.options.onLog?.(record.id, r) }),
    });
    const running: Running = { record, service, stats: new ServiceStats() };
    this.#running.set(record.id, running);
    this.options.registry.register(record.id, (call) => this.#serve(running, call));
    for (const alias of record.aliases) this.#setAlias(alias, record.id);
    return running;
  }

  // A call to the service: the node sets every call parameter from the particle; the caller's
  // arguments and their tetraplets are all it chooses.
  async #serve(running: Running, call: ServiceCall) {
    const started = performance.now();
    const before = sumMemory(running.service.memoryByModule);
    try {
      const result = await running.service.call(call.functionName, [...call.args], {
        particle: {
          id: call.particle.particleId,
          init_peer_id: call.particle.initPeerId,
          timestamp: call.particle.timestamp,
          ttl: call.particle.ttl,
          signature: [...call.particle.signature],
        },
        tetraplets: call.tetraplets.map((list) => list.map((t) => ({ ...t }))),
      });
      running.stats.record(
        call.functionName,
        true,
        performance.now() - started,
        sumMemory(running.service.memoryByModule) - before,
      );
      return ok(result);
    } catch (error) {
      running.stats.record(call.functionName, false, performance.now() - started, 0);
      return serviceError(error instanceof Error ? error.message : String(error));
    }
  }

  #persist(record: ServiceRecord): void {
    writeFileAtomic(
      join(this.#servicesDir, `${record.id}.json`),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  /** Creates a service from a stored blueprint, owned by `owner`; its id (a UUID v4). */
  async create(blueprintId: string, owner: string): Promise<string> {
    const record: ServiceRecord = {
      id: randomUUID(),
      blueprint_id: blueprintId,
      service_type: 'service',
      owner_id: owner,
      aliases: [],
      worker_id: this.options.hostPeerId,
    };
    try {
      await this.#start(record);
    } catch (error) {
      // Nothing of a service that never ran stays behind (its /storage and /tmp were made for it).
      rmSync(join(this.#servicesDir, record.id), { recursive: true, force: true });
      rmSync(join(this.#ephemeralDir, record.id), { recursive: true, force: true });
      // The store's own errors (no such blueprint or module) already say what and where.
      if (error instanceof NotFoundError) throw error;
      const memory = this.options.limits?.memoryBytes;
      throw new ServiceCreateError(
        `srv.create: the service of blueprint ${blueprintId} cannot start on this node${memory === undefined ? '' : ` (its memory limit per service is ${memory} bytes)`}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.#persist(record);
    return record.id;
  }

  /** Stops a service and forgets it with its aliases and its `/storage`. */
  async remove(idOrAlias: string): Promise<void> {
    const running = this.resolve(idOrAlias, 'srv.remove');
    const { id } = running.record;
    this.#running.delete(id);
    for (const alias of running.record.aliases) this.#aliases.delete(alias);
    this.options.registry.remove(id);
    rmSync(join(this.#servicesDir, `${id}.json`), { force: true });
    await running.service.close();
    rmSync(join(this.#servicesDir, id), { recursive: true, force: true });
    rmSync(join(this.#ephemeralDir, id), { recursive: true, force: true });
  }

  #setAlias(alias: string, id: string): void {
    const previous = this.#aliases.get(alias);
    if (previous !== undefined && previous !== id) {
      const old = this.#running.get(previous);
      if (old) {
        const aliases = old.record.aliases.filter((a) => a !== alias);
        old.record.aliases.length = 0;
        old.record.aliases.push(...aliases);
        this.#persist(old.record);
      }
    }
    this.#aliases.set(alias, id);
    this.options.registry.alias(alias, id);
  }

  /** Makes `alias` name the service `idOrAlias`; re-aliasing moves the alias, as on Nox. */
  addAlias(alias: string, idOrAlias: string): void {
    if (RESERVED_ALIASES.has(alias))
      throw new AliasError(`srv.add_alias: the alias ${JSON.stringify(alias)} is reserved`);
    if (this.#running.has(alias))
      throw new AliasError(
        `srv.add_alias: ${JSON.stringify(alias)} is the id of a service and cannot be an alias`,
      );
    if (this.options.registry.has(alias) && !this.#aliases.has(alias))
      throw new AliasError(
        `srv.add_alias: ${JSON.stringify(alias)} names a builtin service of this node and cannot be an alias`,
      );
    const running = this.resolve(idOrAlias, 'srv.add_alias');
    this.#setAlias(alias, running.record.id);
    if (!running.record.aliases.includes(alias)) running.record.aliases.push(alias);
    this.#persist(running.record);
  }

  /**
   * Loads every service an earlier run persisted (their `/tmp` starts empty, as on Nox). A
   * service that no longer loads is reported and left on disk, not fatal to the node.
   */
  async restore(): Promise<{ restored: string[]; failed: { id: string; error: string }[] }> {
    rmSync(this.#ephemeralDir, { recursive: true, force: true });
    const records: ServiceRecord[] = [];
    for (const entry of readdirSync(this.#servicesDir).sort()) {
      if (!entry.endsWith('.json')) continue;
      try {
        records.push(
          JSON.parse(readFileSync(join(this.#servicesDir, entry), 'utf8')) as ServiceRecord,
        );
      } catch {
        continue;
      }
    }
    const restored: string[] = [];
    const failed: { id: string; error: string }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records.length) {
        const record = records[next++] as ServiceRecord;
        if (this.#running.has(record.id)) continue;
        try {
          await this.#start({ ...record, aliases: [...record.aliases] });
          restored.push(record.id);
        } catch (error) {
          failed.push({
            id: record.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: RESTORE_CONCURRENCY }, () => worker()));
    return { restored, failed };
  }

  /** Stops every service (they stay persisted). */
  async close(): Promise<void> {
    const all = [...this.#running.values()];
    this.#running.clear();
    this.#aliases.clear();
    for (const r of all) this.options.registry.remove(r.record.id);
    await Promise.all(all.map((r) => r.service.close()));
  }
}

function sumMemory(byModule: Readonly<Record<string, number>>): number {
  return Object.values(byModule).reduce((a, b) => a + b, 0);
}
