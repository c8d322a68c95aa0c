// The node's default settings, apart from the node itself: `marine node --help` shows them, and
// the CLI imports this module without loading libp2p, the VMs and the Marine host (the entry,
// index.ts, loads all of them). Nothing here imports anything at run time.
import type { NodeConfig } from './config.js';

/** The default listen addresses: TCP and WebSocket on loopback, ports chosen by the OS. */
export const DEFAULT_LISTEN: readonly string[] = [
  '/ip4/127.0.0.1/tcp/0',
  '/ip4/127.0.0.1/tcp/0/ws',
];

/** Defaults of every setting but the data dir. */
export const NODE_DEFAULTS: Omit<NodeConfig, 'dataDir'> = {
  listen: DEFAULT_LISTEN,
  bootstrap: [],
  managementPeers: [],
  network: 'marine-local',
  vmWorkers: 2,
  runTimeoutMs: 20_000,
  anomalySlowRunMs: 500,
  anomalyMemoryBytes: 10_000_000,
  particleSweepIntervalMs: 60_000,
  particleSendIntervalMs: 20,
  particleSendHoldMs: 200,
};
