import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadService, type Service } from '../../marine-host/index.js';
import { JsonFloat, callResultText, parseJson } from '../protocol/index.js';
import { serviceError, ok, type CallHandler, type Peer } from '../peer/index.js';
import { marineService } from '../node/index.js';

// A services spec says which services run on which peers, for `marine air run`: scripted JS
// services, and Marine services loaded from a Config.toml or blueprint (relative paths are
// relative to the spec file):
//
//   [{ "peers": "all" | ["relay", "p1", "client"], "serviceId": "echo",
//      "functions": { "echo": { "echo": true }, "version": { "value": "1.0" },
//                     "broken": { "error": "always fails" } } },
//    { "peers": ["p1"], "serviceId": "greeting", "config": "greeting/Config.toml" }]

/** How a scripted function answers. */
export type ScriptedFunction =
  { readonly value: unknown } | { readonly echo: true } | { readonly error: string };

/** A scripted JS service of a services spec. */
export interface ScriptedService {
  readonly peers: 'all' | readonly string[];
  readonly serviceId: string;
  readonly functions: Readonly<Record<string, ScriptedFunction>>;
}

/** A Marine service of a services spec, loaded on each peer it names. */
export interface MarineServiceSpec {
  readonly peers: 'all' | readonly string[];
  readonly serviceId: string;
  /** Absolute path of the Config.toml or blueprint. */
  readonly config: string;
}

/** One entry of a services spec. */
export type ServiceSpec = ScriptedService | MarineServiceSpec;

/** Thrown for a services spec that does not have the expected shape; names the place. */
export class ServicesSpecError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`);
    this.name = 'ServicesSpecError';
  }
}

/** Reads and checks a services spec file. */
export async function readServicesSpec(file: string): Promise<ServiceSpec[]> {
  let raw: unknown;
  try {
    // parseJson keeps integers past 2^53 exact and 7.0 a float, as the VM takes them.
    raw = parseJson(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ServicesSpecError(
      file,
      'file',
      error instanceof Error ? error.message : String(error),
    );
  }
  return parseServicesSpec(raw, file);
}

/** A spec value as exact JSON text for messages (JSON.stringify throws on a bigint). */
function describe(value: unknown): string {
  return value === undefined ? 'undefined' : callResultText(value);
}

/** Checks a parsed services spec; relative config paths resolve against the spec's directory. */
export function parseServicesSpec(raw: unknown, file = '<services>'): ServiceSpec[] {
  if (!Array.isArray(raw))
    throw new ServicesSpecError(
      file,
      'top level',
      `expected an array of services, found ${typeof raw}`,
    );
  return raw.map((entry: unknown, i) => {
    const where = `[${i}]`;
    if (entry === null || typeof entry !== 'object' || entry instanceof JsonFloat)
      throw new ServicesSpecError(file, where, 'expected an object');
    const { peers, serviceId, functions, config } = entry as Record<string, unknown>;
    if (typeof serviceId !== 'string' || serviceId === '') {
      throw new ServicesSpecError(
        file,
        `${where}.serviceId`,
        `expected a non-empty string, found ${describe(serviceId)}`,
      );
    }
    if (peers !== 'all' && !(Array.isArray(peers) && peers.every((p) => typeof p === 'string'))) {
      throw new ServicesSpecError(
        file,
        `${where}.peers`,
        `expected "all" or an array of peer names, found ${describe(peers)}`,
      );
    }
    if (config !== undefined) {
      if (typeof config !== 'string' || config === '' || functions !== undefined) {
        throw new ServicesSpecError(
          file,
          `${where}.config`,
          `expected the path of a Config.toml or blueprint (and no "functions"), found ${describe(config)}`,
        );
      }
      return {
        peers: peers as ServiceSpec['peers'],
        serviceId,
        config: resolve(dirname(file), config),
      };
    }
    if (
      functions === null ||
      typeof functions !== 'object' ||
      Array.isArray(functions) ||
      functions instanceof JsonFloat
    ) {
      throw new ServicesSpecError(
        file,
        `${where}.functions`,
        'expected an object of function name → behaviour (or "config" for a Marine service)',
      );
    }
    for (const [name, behaviour] of Object.entries(functions)) {
      const b = behaviour as Record<string, unknown> | null;
      const valid =
        b !== null &&
        typeof b === 'object' &&
        // A float like 7.0 is a JsonFloat object whose one key happens to be "value".
        !(b instanceof JsonFloat) &&
        (('value' in b && Object.keys(b).length === 1) ||
          (b['echo'] === true && Object.keys(b).length === 1) ||
          (typeof b['error'] === 'string' && Object.keys(b).length === 1));
      if (!valid) {
        throw new ServicesSpecError(
          file,
          `${where}.functions.${name}`,
          `expected {"value": …}, {"echo": true} or {"error": "message"}, found ${describe(behaviour)}`,
        );
      }
    }
    return {
      peers: peers as ScriptedService['peers'],
      serviceId,
      functions: functions as ScriptedService['functions'],
    };
  });
}

/** A handler that plays one scripted service. */
export function scriptedServiceHandler(service: ScriptedService): CallHandler {
  return (call) => {
    if (call.serviceId !== service.serviceId) return undefined;
    const behaviour = Object.hasOwn(service.functions, call.functionName)
      ? service.functions[call.functionName]
      : undefined;
    if (!behaviour)
      return serviceError(
        `function '${call.functionName}' not found on service '${service.serviceId}'`,
      );
    if ('error' in behaviour) return serviceError(behaviour.error);
    if ('echo' in behaviour) return ok(call.args.length === 1 ? call.args[0] : [...call.args]);
    return ok(behaviour.value);
  };
}

/** Services installed on a network by `installServices`; close() stops the Marine ones. */
export interface InstalledServices {
  readonly marine: readonly Service[];
  close(): Promise<void>;
}

/**
 * Installs a services spec on the peers it names (`peerName` maps a peer to its name). Each
 * peer gets its own instance of a Marine service, as each Nox peer runs its own.
 */
export async function installServices(
  services: readonly ServiceSpec[],
  peers: readonly Peer[],
  peerName: (peer: Peer) => string,
): Promise<InstalledServices> {
  const known = new Set(peers.map(peerName));
  const marine: Service[] = [];
  const installed: InstalledServices = {
    marine,
    close: async () => {
      await Promise.all(marine.map((s) => s.close()));
    },
  };
  try {
    for (const service of services) {
      if (service.peers !== 'all') {
        const unknown = service.peers.filter((p) => !known.has(p));
        if (unknown.length > 0) {
          throw new Error(
            `service '${service.serviceId}' names unknown peers ${unknown.join(', ')} (the network has ${[...known].join(', ')})`,
          );
        }
      }
      for (const peer of peers) {
        if (service.peers !== 'all' && !service.peers.includes(peerName(peer))) continue;
        if ('config' in service) {
          const loaded = await loadService(service.config, {
            serviceId: service.serviceId,
            hostId: peer.peerId,
          });
          marine.push(loaded);
          peer.services.register(service.serviceId, marineService(service.serviceId, loaded));
        } else {
          peer.addHandler(scriptedServiceHandler(service));
        }
      }
    }
  } catch (error) {
    await installed.close();
    throw error;
  }
  return installed;
}
