// The service builtins of a node with aqua-lib 0.10.2's signatures and Nox's result shapes:
// dist (module store, blueprints), srv (services, aliases), vault, sig, stat and run-console.
// Aqua optionals travel as [] or [x]. Deploy-related functions are protected as late Nox has it:
// only the host itself and its management peers may call them, unless the node is open.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildInterface, type LogRecord } from '../../../marine-host/service/index.js';
import { verifySignature, type KeyPair } from '../../protocol/index.js';
import {
  functionService,
  type ServiceCall,
  type ServiceFunction,
  type ServiceRegistry,
} from '../../peer/index.js';
import { BuiltinArgumentError, PermissionDeniedError } from './errors.js';
import { ServiceManager, type ServiceLimits } from './manager.js';
import {
  makeBlueprintText,
  moduleBytes,
  NodeStore,
  type EffectorAllowlist,
  type StoredModuleConfig,
} from './store.js';
import { ParticleVault } from './vault.js';

/** What a node gives its service builtins. */
export interface ServicesContext {
  /** The node's peer id: the host of every service, always allowed the protected builtins. */
  readonly hostPeerId: string;
  /** The node's key: `sig.sign` signs with it, vault tokens derive from it. */
  readonly keyPair: KeyPair;
  /** Where modules, blueprints, services and the vault live. */
  readonly dataDir: string;
  /** Peers allowed the protected builtins besides the host (Nox's management peer). */
  readonly managementPeers?: readonly string[];
  /** Anyone may deploy (older Nox's behaviour); the node should warn at start. */
  readonly open?: boolean;
  /** Mounted binaries allowed per module CID (Nox's `effectors`); none by default. */
  readonly effectorAllowlist?: EffectorAllowlist;
  /** Memory, call time and disk limits of every service. */
  readonly limits?: ServiceLimits;
  /** Environment variables every module sees (Nox's `services_envs`). */
  readonly servicesEnvs?: Readonly<Record<string, string>>;
  /** Receives `run-console.print` lines (default: the process's stdout). */
  readonly onConsole?: (line: string, call: ServiceCall) => void;
  /** Receives the services' log lines. */
  readonly onServiceLog?: (serviceId: string, record: LogRecord) => void;
}

/** The service side of a node: its store, services and vault, with the restore and close it calls. */
export interface NodeServices {
  readonly store: NodeStore;
  readonly manager: ServiceManager;
  readonly vault: ParticleVault;
  /** Loads the services an earlier run persisted; call once at start. */
  restore(): ReturnType<ServiceManager['restore']>;
  /** Stops every service, empties the vault and takes the builtins out of the registry. */
  close(): Promise<void>;
}

/** Functions whose callers must be the host or a management peer (late Nox's guard_protected). */
function guard(context: ServicesContext, call: ServiceCall, what: string): void {
  if (context.open) return;
  const init = call.particle.initPeerId;
  if (init === context.hostPeerId || (context.managementPeers ?? []).includes(init)) return;
  throw new PermissionDeniedError(
    `${what} is allowed only to the host ${context.hostPeerId} and its management peers; the particle's init peer ${init} is neither (add it with --management-peer, or start the node with --open)`,
  );
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new BuiltinArgumentError(
      `${what}: expected a string, found ${value === null ? 'null' : typeof value}`,
    );
  return value;
}

function args(call: readonly unknown[], count: number, fn: string): void {
  if (call.length !== count)
    throw new BuiltinArgumentError(`${fn} expects ${count} argument(s), found ${call.length}`);
}

/** An Aqua optional argument ([] or [x]; a bare value or null is taken too). */
function optional(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.slice(0, 1);
  return value === null || value === undefined ? [] : [value];
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!Array.isArray(value) || !value.every((b) => Number.isInteger(b) && b >= 0 && b < 256))
    throw new BuiltinArgumentError(`${what}: expected an array of bytes (0..255)`);
  return Uint8Array.from(value as number[]);
}

const pairs = (record: Readonly<Record<string, string>>): string[][] => Object.entries(record);

/** aqua-lib's ModuleConfig for a stored module's config. */
function aquaModuleConfig(config: StoredModuleConfig): Record<string, unknown> {
  return {
    name: config.name,
    mem_pages_count: [],
    max_heap_size: [],
    logger_enabled: [config.logger_enabled],
    logging_mask: [config.logging_mask],
    wasi: [
      {
        envs: [pairs(config.envs)],
        mapped_dirs: [pairs(config.mapped_dirs)],
        mounted_binaries: [pairs(config.mounted_binaries)],
      },
    ],
  };
}

// Who may sign with the host key, and what: data made by the registry service's record
// functions on this host, passed whole (Nox's rule for the host scope).
const SIGNABLE = new Set(['get_record_bytes', 'get_record_metadata_bytes']);

function dist(
  context: ServicesContext,
  store: NodeStore,
  vault: ParticleVault,
): Record<string, ServiceFunction> {
  return {
    add_module: async (a, call) => {
      guard(context, call, 'dist.add_module');
      args(a, 2, 'dist.add_module');
      const config = a[1] as { name?: unknown } | null;
      return store.addModule(
        moduleBytes(a[0], 'dist.add_module: argument 1'),
        typeof config === 'object' && config !== null ? config.name : undefined,
      );
    },
    // Nox's forms for modules fetched into the particle vault (by an IPFS effector, a spell):
    // the file holds the Wasm bytes themselves; of the config only the name counts, as on Nox.
    add_module_from_vault: async (a, call) => {
      guard(context, call, 'dist.add_module_from_vault');
      args(a, 2, 'dist.add_module_from_vault');
      const config = a[1] as { name?: unknown } | null;
      return store.addModule(
        vault.read(call.particle, a[0], 'dist.add_module_from_vault: path'),
        typeof config === 'object' && config !== null ? config.name : undefined,
      );
    },
    add_module_bytes_from_vault: async (a, call) => {
      guard(context, call, 'dist.add_module_bytes_from_vault');
      args(a, 2, 'dist.add_module_bytes_from_vault');
      const name = str(a[0], 'dist.add_module_bytes_from_vault: name');
      return store.addModule(
        vault.read(call.particle, a[1], 'dist.add_module_bytes_from_vault: path'),
        name,
      );
    },
    // The blueprint text (DAG-JSON) a file of the vault holds, for dist.add_blueprint.
    load_blueprint: (a, call) => {
      args(a, 1, 'dist.load_blueprint');
      return new TextDecoder().decode(vault.read(call.particle, a[0], 'dist.load_blueprint: path'));
    },
    add_blueprint: (a, call) => {
      guard(context, call, 'dist.add_blueprint');
      args(a, 1, 'dist.add_blueprint');
      return store.addBlueprint(a[0]);
    },
    make_blueprint: (a) => {
      args(a, 2, 'dist.make_blueprint');
      return makeBlueprintText(a[0], a[1]);
    },
    default_module_config: (a) => {
      args(a, 1, 'dist.default_module_config');
      return {
        name: str(a[0], 'dist.default_module_config: module_name'),
        mem_pages_count: [],
        max_heap_size: [],
        logger_enabled: [],
        logging_mask: [],
        wasi: [],
      };
    },
    make_module_config: (a) => {
      args(a, 9, 'dist.make_module_config');
      const [name, memPages, maxHeap, logger, , envs, mapped, mounted, mask] = a;
      return {
        name: str(name, 'dist.make_module_config: name'),
        mem_pages_count: optional(memPages),
        max_heap_size: optional(maxHeap),
        logger_enabled: optional(logger),
        logging_mask: optional(mask),
        wasi: [
          {
            envs: optional(envs),
            mapped_dirs: optional(mapped),
            mounted_binaries: optional(mounted),
          },
        ],
      };
    },
    list_modules: () =>
      store
        .modules()
        .map((m) => ({ name: m.config.name, hash: m.cid, config: aquaModuleConfig(m.config) })),
    get_module_interface: async (a) => {
      args(a, 1, 'dist.get_module_interface');
      const cid = str(a[0], 'dist.get_module_interface: module_hash');
      const info = await store.moduleInfo(cid, 'dist.get_module_interface');
      return buildInterface(info.exports.values());
    },
    list_blueprints: () =>
      store.blueprints().map((b) => ({ id: b.id, name: b.name, dependencies: b.dependencies })),
    get_blueprint: (a) => {
      args(a, 1, 'dist.get_blueprint');
      const b = store.blueprint(
        str(a[0], 'dist.get_blueprint: blueprint_id'),
        'dist.get_blueprint',
      );
      return { id: b.id, name: b.name, dependencies: b.dependencies };
    },
  };
}

function srv(context: ServicesContext, manager: ServiceManager): Record<string, ServiceFunction> {
  return {
    create: (a, call) => {
      guard(context, call, 'srv.create');
      args(a, 1, 'srv.create');
      return manager.create(str(a[0], 'srv.create: blueprint_id'), call.particle.initPeerId);
    },
    remove: async (a, call) => {
      args(a, 1, 'srv.remove');
      const target = manager.resolve(str(a[0], 'srv.remove: service_id'), 'srv.remove');
      const init = call.particle.initPeerId;
      // The owner may remove its own service; otherwise only the host and management peers.
      if (init !== target.record.owner_id)
        guard(context, call, 'srv.remove of a service you do not own');
      await manager.remove(target.record.id);
    },
    list: () => manager.list(),
    add_alias: (a, call) => {
      guard(context, call, 'srv.add_alias');
      args(a, 2, 'srv.add_alias');
      manager.addAlias(str(a[0], 'srv.add_alias: alias'), str(a[1], 'srv.add_alias: service_id'));
    },
    resolve_alias: (a) => {
      args(a, 1, 'srv.resolve_alias');
      const alias = str(a[0], 'srv.resolve_alias: alias');
      const id = manager.aliasTarget(alias);
      if (id === undefined)
        throw new BuiltinArgumentError(
          `srv.resolve_alias: no service has the alias ${JSON.stringify(alias)} on this node`,
        );
      return id;
    },
    resolve_alias_opt: (a) => {
      args(a, 1, 'srv.resolve_alias_opt');
      const id = manager.aliasTarget(str(a[0], 'srv.resolve_alias_opt: alias'));
      return id === undefined ? [] : [id];
    },
    get_interface: (a) => {
      args(a, 1, 'srv.get_interface');
      return manager
        .resolve(str(a[0], 'srv.get_interface: service_id'), 'srv.get_interface')
        .service.getInterface();
    },
    info: (a) => {
      args(a, 1, 'srv.info');
      return manager.resolve(str(a[0], 'srv.info: service_id'), 'srv.info').record;
    },
  };
}

function sig(context: ServicesContext, manager: ServiceManager): Record<string, ServiceFunction> {
  return {
    sign: (a, call) => {
      args(a, 1, 'sig.sign');
      const refuse = (error: string) => ({ success: false, error: [error], signature: [] });
      const init = call.particle.initPeerId;
      if (init !== context.hostPeerId && !(context.managementPeers ?? []).includes(init))
        return refuse(
          `sig.sign: signing with the host key is allowed only to particles of the host ${context.hostPeerId} or its management peers, not of ${init}`,
        );
      const registry = manager.aliasTarget('registry');
      const tetraplets = call.tetraplets[0] ?? [];
      const bad = tetraplets.find(
        (t) =>
          t.peer_pk !== context.hostPeerId ||
          !(t.service_id === 'registry' || t.service_id === registry) ||
          !SIGNABLE.has(t.function_name) ||
          t.lens !== '',
      );
      if (tetraplets.length === 0 || bad !== undefined)
        return refuse(
          `sig.sign: data must come whole (no lens) from registry.get_record_bytes or registry.get_record_metadata_bytes on this host; it came from ${bad === undefined ? 'nowhere' : JSON.stringify(bad)}`,
        );
      return {
        success: true,
        error: [],
        signature: [[...context.keyPair.sign(bytes(a[0], 'sig.sign: data'))]],
      };
    },
    verify: (a) => {
      args(a, 2, 'sig.verify');
      return verifySignature(
        context.hostPeerId,
        bytes(a[1], 'sig.verify: data'),
        bytes(a[0], 'sig.verify: signature'),
      );
    },
    get_peer_id: () => context.hostPeerId,
  };
}

function stat(context: ServicesContext, manager: ServiceManager): Record<string, ServiceFunction> {
  return {
    service_stat: (a) => {
      args(a, 1, 'stat.service_stat');
      try {
        const running = manager.resolve(
          str(a[0], 'stat.service_stat: service_id'),
          'stat.service_stat',
        );
        return { status: true, error: '', result: [running.stats.snapshot()] };
      } catch (error) {
        return {
          status: false,
          error: error instanceof Error ? error.message : String(error),
          result: [],
        };
      }
    },
    service_memory: (a) => {
      args(a, 1, 'stat.service_memory');
      const running = manager.resolve(
        str(a[0], 'stat.service_memory: service_id'),
        'stat.service_memory',
      );
      const limit = context.limits?.memoryBytes ?? 2 ** 32 - 1;
      return running.service.moduleNames().map((name) => ({
        name,
        memory_size_bytes: running.service.memoryByModule[name] ?? 0,
        max_memory_size_bytes: limit,
      }));
    },
  };
}

/**
 * Registers dist, srv, vault, sig, stat and run-console in a peer's registry (next to the
 * builtins of `harness/builtins`); services the node creates are registered there too, by id and
 * alias. Returns the node's service side; call `restore()` at start and `close()` at stop.
 */
export function registerServiceBuiltins(
  registry: ServiceRegistry,
  context: ServicesContext,
): NodeServices {
  mkdirSync(context.dataDir, { recursive: true });
  const store = new NodeStore(context.dataDir, context.effectorAllowlist);
  const vault = new ParticleVault(join(context.dataDir, 'ephemeral', 'vault'), context.keyPair);
  const manager = new ServiceManager({
    hostPeerId: context.hostPeerId,
    dataDir: context.dataDir,
    store,
    registry,
    vaultDir: vault.dir,
    ...(context.limits === undefined ? {} : { limits: context.limits }),
    ...(context.servicesEnvs === undefined ? {} : { servicesEnvs: context.servicesEnvs }),
    ...(context.onServiceLog === undefined ? {} : { onLog: context.onServiceLog }),
  });
  const console = context.onConsole ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const tables: [string, Record<string, ServiceFunction>][] = [
    ['dist', dist(context, store, vault)],
    ['srv', srv(context, manager)],
    [
      'vault',
      {
        put: (a, call) => {
          args(a, 1, 'vault.put');
          return vault.put(call.particle, a[0]);
        },
        cat: (a, call) => {
          args(a, 1, 'vault.cat');
          return vault.cat(call.particle, a[0]);
        },
      },
    ],
    ['sig', sig(context, manager)],
    ['stat', stat(context, manager)],
    [
      'run-console',
      {
        print: (a, call) => {
          guard(context, call, 'run-console.print');
          console(
            a
              .map((v) =>
                typeof v === 'string'
                  ? v
                  : JSON.stringify(v, (_k, x: unknown) =>
                      typeof x === 'bigint' ? x.toString() : x,
                    ),
              )
              .join(' '),
            call,
          );
        },
      },
    ],
  ];
  for (const [name, functions] of tables) registry.register(name, functionService(name, functions));
  return {
    store,
    manager,
    vault,
    restore: () => manager.restore(),
    close: async () => {
      for (const [name] of tables) registry.remove(name);
      await manager.close();
      vault.close();
    },
  };
}
