// A node's settings: defaults as Nox has them where Nox has one, a node.toml with the same
// settings in snake_case, and command-line flags over both.
import { readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { NODE_DEFAULTS } from './defaults.js';

/** Everything `startNode` is configured with. */
export interface NodeConfig {
  /** Listen multiaddrs (default: TCP and WebSocket on 127.0.0.1, free ports). */
  readonly listen: readonly string[];
  /** Where the key, particle data and anomaly records live. */
  readonly dataDir: string;
  /** Multiaddrs (with /p2p/) of nodes to join the network through. */
  readonly bootstrap: readonly string[];
  /** Peers allowed to call protected builtins such as peer.connect. */
  readonly managementPeers: readonly string[];
  /** The network name in the Kademlia protocol id `/fluence/kad/<network>/1.0.0`. */
  readonly network: string;
  /** How many VM worker threads run particles (Nox: aquavm_pool_size). */
  readonly vmWorkers: number;
  /** Deadline of one VM run in ms (Nox: particle_execution_timeout, 20 s). */
  readonly runTimeoutMs: number;
  /** Port of the /health and /metrics endpoint; undefined: off. */
  readonly httpPort?: number;
  /** A run slower than this (ms) is recorded as an anomaly (Nox: 500 ms). */
  readonly anomalySlowRunMs: number;
  /** A run whose VM heap grows more than this (bytes) is an anomaly (Nox: 10 MB). */
  readonly anomalyMemoryBytes: number;
  /**
   * How often (ms) the node removes the files of expired particles from its data dir, besides
   * at start (default 60 000).
   */
  readonly particleSweepIntervalMs: number;
  /**
   * Least time (ms) between two sends of one particle to the network (default 20; 0: no
   * pacing). A particle sent within that time of its last send waits for the rest of it and
   * leaves once with the data of every result that arrived meanwhile: a relay forwarding a burst
   * of results sends a few particles instead of one per result. A particle not sent lately (a
   * request, its answer) goes at once.
   */
  readonly particleSendIntervalMs: number;
  /**
   * Least time (ms) between two sends of one particle while calls of it still run on this node
   * (default 200; 0: only particle_send_interval_ms). A node serving its share of a fan-out sends
   * its results in a few particles rather than one per call, so the relay and the client run
   * their VMs a few times rather than once per result; the send after the node's last call of
   * the particle goes at once, so a fan-out ends no later.
   */
  readonly particleSendHoldMs: number;
  /** Linear memory each service may hold, all modules together, bytes (Nox: 4 GiB − 1). */
  readonly serviceMemoryBytes?: number;
  /** Time limit of one service call, ms (default 10 000). */
  readonly serviceCallTimeoutMs?: number;
  /** What a service's /storage and /tmp may hold together, bytes (default 1 GiB). */
  readonly serviceDiskBytes?: number;
  /** Files, directories and links a service's /storage and /tmp may hold (default 100 000). */
  readonly serviceDiskFiles?: number;
}

/** A node.toml that cannot be used: says which key, what was expected and what was found. */
export class NodeConfigError extends Error {
  override readonly name = 'NodeConfigError';
}

// node.toml key → config field, with the kind of value it takes.
const TOML_KEYS = {
  listen: ['listen', 'strings'],
  data_dir: ['dataDir', 'string'],
  bootstrap: ['bootstrap', 'strings'],
  management_peers: ['managementPeers', 'strings'],
  network: ['network', 'string'],
  vm_workers: ['vmWorkers', 'count'],
  particle_execution_timeout_ms: ['runTimeoutMs', 'count'],
  http_port: ['httpPort', 'port'],
  anomaly_slow_run_ms: ['anomalySlowRunMs', 'count'],
  anomaly_memory_bytes: ['anomalyMemoryBytes', 'count'],
  particle_sweep_interval_ms: ['particleSweepIntervalMs', 'count'],
  particle_send_interval_ms: ['particleSendIntervalMs', 'millis'],
  particle_send_hold_ms: ['particleSendHoldMs', 'millis'],
  service_memory_bytes: ['serviceMemoryBytes', 'count'],
  service_call_timeout_ms: ['serviceCallTimeoutMs', 'count'],
  service_disk_bytes: ['serviceDiskBytes', 'count'],
  service_disk_files: ['serviceDiskFiles', 'count'],
} as const;

/** The settings a node.toml gives (only those it names), paths relative to the file's folder kept as written. */
export async function readNodeToml(path: string): Promise<Partial<NodeConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NodeConfigError(`cannot read the node config ${path}: ${(error as Error).message}`);
  }
  let table: Record<string, unknown>;
  try {
    table = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new NodeConfigError(`${path} is not valid TOML: ${(error as Error).message}`);
  }
  return nodeConfigFromTable(table, path);
}

/** Checks a parsed node.toml table into settings. */
export function nodeConfigFromTable(
  table: Readonly<Record<string, unknown>>,
  where: string,
): Partial<NodeConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    const spec = (TOML_KEYS as Record<string, readonly [string, string]>)[key];
    if (spec === undefined) {
      throw new NodeConfigError(
        `${where}: unknown setting '${key}' (known: ${Object.keys(TOML_KEYS).join(', ')})`,
      );
    }
    const [field, kind] = spec;
    const bad = (expected: string): NodeConfigError =>
      new NodeConfigError(`${where}: '${key}' must be ${expected}, found ${JSON.stringify(value)}`);
    if (kind === 'string') {
      if (typeof value !== 'string') throw bad('a string');
    } else if (kind === 'strings') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw bad('an array of strings');
      }
    } else {
      const n = typeof value === 'bigint' ? Number(value) : value;
      const max = kind === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (
        typeof n !== 'number' ||
        !Number.isInteger(n) ||
        n < (kind === 'count' ? 1 : 0) ||
        n > max
      ) {
        throw bad(
          kind === 'port'
            ? 'a port number (0-65535)'
            : kind === 'millis'
              ? 'a whole number of ms (0 or more)'
              : 'a positive integer',
        );
      }
      out[field] = n;
      continue;
    }
    out[field] = value;
  }
  return out as Partial<NodeConfig>;
}

/** Defaults, then the file's settings, then flags: the last one given wins. */
export function resolveNodeConfig(...layers: readonly Partial<NodeConfig>[]): NodeConfig {
  const merged: Record<string, unknown> = { ...NODE_DEFAULTS };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) merged[k] = v;
  }
  if (typeof merged.dataDir !== 'string' || merged.dataDir === '') {
    throw new NodeConfigError('a node needs a data dir (--data-dir or data_dir in node.toml)');
  }
  return merged as unknown as NodeConfig;
}
