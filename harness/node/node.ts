// `startNode`: a Peer (the particle loop) with the node's builtins, a pool of worker-thread VMs,
// particle state on disk, anomaly records, metrics, and a network (libp2p in `marine node`). A
// node keeps its identity in its data dir; a restart picks up the particles whose deadline has not
// passed.
import type { Server } from 'node:http';
import { Peer, ServiceRegistry, type PeerEvent } from '../peer/index.js';
import type { KeyPair } from '../protocol/index.js';
import { anomalyReasons, anomalyRecord, saveAnomaly } from './anomalies.js';
import { resolveNodeConfig, type NodeConfig } from './config.js';
import { openDataDir, type DataDirLayout } from './data-dir.js';
import { NodeMetrics, serveMetrics } from './metrics.js';
import type { NetworkDrop, NetworkFactory, NodeNetwork } from './network.js';
import { NodeParticleStore, particleKey } from './particle-store.js';
import { registerNodeBuiltins } from './relay-builtins.js';
import { registerServiceBuiltins, type ServicesContext } from './services/index.js';
import { VmPool } from './vm-pool.js';

/** What `peer.identify` reports as node_version. */
export const NODE_VERSION = 'marine-ts/0.1.0';

/** Something a node reports: what `marine node --json` prints, one JSON line each. */
export type NodeEvent =
  | {
      readonly event: 'ready';
      readonly peerId: string;
      readonly multiaddrs: readonly string[];
      readonly httpPort?: number;
    }
  | {
      readonly event: 'dropped';
      readonly particleId: string;
      readonly peer: string;
      readonly reason: string;
    }
  | {
      readonly event: 'anomaly';
      readonly particleId: string;
      readonly reasons: readonly string[];
      readonly file: string;
    }
  | { readonly event: 'recovered'; readonly particles: number }
  /** Files of expired particles removed by the periodic sweep (only when there were some). */
  | { readonly event: 'swept'; readonly particles: number }
  | {
      readonly event: 'services';
      readonly restored: number;
      readonly failed: readonly { readonly id: string; readonly error: string }[];
      /** Whether anyone may deploy (--open). */
      readonly open: boolean;
    }
  | { readonly event: 'stopped'; readonly peerId: string; readonly savedParticles: number };

/** Options of `startNode`: settings (defaults as in NODE_DEFAULTS) and how to build the network. */
export interface StartNodeOptions extends Partial<NodeConfig> {
  readonly dataDir: string;
  /** Builds and starts the node's network. */
  readonly createNetwork: NetworkFactory;
  /** Receives every node event. */
  readonly onEvent?: (event: NodeEvent) => void;
  /** Receives every peer event (received, invoked, call, sent, dropped). */
  readonly onPeerEvent?: (event: PeerEvent) => void;
  /** Services on the node: who may deploy, allowed effectors, limits (see harness/node/services). */
  readonly services?: NodeServicesOptions;
}

/** How a node hosts services: `open` lets anyone deploy; effectors are allowed by module CID. */
export type NodeServicesOptions = Pick<
  ServicesContext,
  'open' | 'effectorAllowlist' | 'limits' | 'servicesEnvs' | 'onConsole' | 'onServiceLog'
>;

/** A running node. */
export interface MarineNode {
  readonly peerId: string;
  readonly keyPair: KeyPair;
  readonly peer: Peer;
  readonly network: NodeNetwork;
  readonly metrics: NodeMetrics;
  readonly config: NodeConfig;
  readonly layout: DataDirLayout;
  /** The port of /health and /metrics, when served. */
  readonly httpPort: number | undefined;
  multiaddrs(): string[];
  /** Stops gracefully: particles in flight stay on disk for the next start. */
  stop(): Promise<void>;
}

/** Starts a node from its data dir and settings; resolves once it listens. */
export async function startNode(options: StartNodeOptions): Promise<MarineNode> {
  const { createNetwork, onEvent, onPeerEvent, services: servicesOptions, ...settings } = options;
  const config = resolveNodeConfig(settings);
  const { layout, keyPair } = await openDataDir(config.dataDir);
  const emit = (event: NodeEvent): void => onEvent?.(event);
  const metrics = new NodeMetrics();
  const store = new NodeParticleStore(layout.particles);
  // Who started each particle this node holds, to tell a connected client why its particle died.
  const initPeers = new Map<string, string>();

  // No silent timeouts: a connected client learns at once why its particle died here (the
  // network itself explains the drops it makes: bad frames, expiry, failed sends).
  const explain = (
    particleId: string,
    reason: string,
    code: 'vm-error' | 'undeliverable',
  ): void => {
    const initPeer = initPeers.get(particleId);
    if (initPeer === undefined || initPeer === keyPair.peerId || !net.isConnected(initPeer)) return;
    void net
      .sendDiagnostic?.(initPeer, { particleId, peerId: keyPair.peerId, reason, code })
      .catch(() => {});
  };

  const reportDrop = (drop: NetworkDrop): void => {
    metrics.drop(drop.reason);
    emit({
      event: 'dropped',
      particleId: drop.particleId ?? '',
      peer: drop.peerId,
      reason: drop.reason,
    });
  };

  const pool = new VmPool({
    size: config.vmWorkers,
    runTimeoutMs: config.runTimeoutMs,
    onRun: (run) => {
      metrics.vmRunSeconds.observe(run.timeMs / 1000);
      const reasons = anomalyReasons(run, {
        slowRunMs: config.anomalySlowRunMs,
        memoryBytes: config.anomalyMemoryBytes,
      });
      if (reasons.length === 0) return;
      metrics.anomalies += 1;
      void saveAnomaly(layout.anomalies, anomalyRecord(run, reasons)).then(
        (file) => emit({ event: 'anomaly', particleId: run.params.particleId, reasons, file }),
        () => {},
      );
    },
  });

  const net = await createNetwork({
    keyPair,
    listen: config.listen,
    bootstrap: config.bootstrap,
    network: config.network,
    onDrop: reportDrop,
  });
  metrics.connections = () => net.connectedPeers().length;

  const services = new ServiceRegistry();
  registerNodeBuiltins(services, {
    peerId: keyPair.peerId,
    network: net,
    managementPeers: config.managementPeers,
    nodeVersion: NODE_VERSION,
    observe: (seconds) => metrics.serviceCallSeconds.observe(seconds),
  });
  // dist/srv/vault/sig/stat/run-console and the services deployed here, kept in the data dir.
  const nodeServices = registerServiceBuiltins(services, {
    ...servicesOptions,
    // node.toml's service_* settings, under what the caller gave (tests set limits directly).
    limits: {
      ...(config.serviceMemoryBytes === undefined
        ? {}
        : { memoryBytes: config.serviceMemoryBytes }),
      ...(config.serviceCallTimeoutMs === undefined
        ? {}
        : { callTimeoutMs: config.serviceCallTimeoutMs }),
      ...(config.serviceDiskBytes === undefined ? {} : { diskBytes: config.serviceDiskBytes }),
      ...(config.serviceDiskFiles === undefined ? {} : { diskFiles: config.serviceDiskFiles }),
      ...servicesOptions?.limits,
    },
    hostPeerId: keyPair.peerId,
    keyPair,
    dataDir: config.dataDir,
    managementPeers: config.managementPeers,
  });

  const peer = new Peer({
    keyPair,
    vm: pool,
    services,
    dataStore: store,
    sendIntervalMs: config.particleSendIntervalMs,
    sendHoldMs: config.particleSendHoldMs,
    transport: {
      send: (to, particle, sendOptions) => net.send(to, particle, sendOptions),
      listen: (receive) =>
        net.listen((particle, from) => {
          initPeers.set(particle.id, particle.initPeerId);
          // Saved while it runs, not before: the write took longer than the whole hop otherwise
          // (15 ms of a 28 ms round trip on a loaded machine). A crash within that write loses
          // the particle here, as it would be lost on Nox, which keeps none on disk.
          void store.remember(particle).catch(() => {});
          receive(particle, from);
        }),
    },
    onEvent: (event) => {
      onPeerEvent?.(event);
      if (event.type === 'invoked' && event.retCode !== 0 && event.nextPeerPks.length === 0) {
        // An AIR error nothing caught ends the particle here: AquaVM sends it nowhere, so the
        // client would only see its TTL run out. Tell it why.
        explain(
          event.particleId,
          `VM error on ${keyPair.peerId}: ret ${event.retCode}: ${event.errorMessage}`,
          'vm-error',
        );
      }
      if (event.type === 'received') metrics.particlesReceived += 1;
      else if (event.type === 'sent') metrics.particlesSent += 1;
      else if (event.type === 'dropped') {
        const initPeer = initPeers.get(event.particleId);
        reportDrop({ particleId: event.particleId, peerId: initPeer ?? '', reason: event.reason });
        if (/^(VM failed|cannot store)/.test(event.reason)) {
          const code = event.reason.startsWith('VM failed') ? 'vm-error' : 'undeliverable';
          explain(event.particleId, event.reason, code);
        }
      }
    },
  });
  // Forget init peers with the particle: at its deadline the peer closes its actor.
  const forget = setInterval(() => {
    if (initPeers.size > 10_000) initPeers.clear();
  }, 60_000);
  forget.unref();
  // Files of particles whose actor never closed here (a crash or a stop before their deadline,
  // a copy that arrived as the actor ended) are removed once expired, not only at the next start.
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void store
      .sweep()
      .then(
        (particles) => {
          if (particles > 0) emit({ event: 'swept', particles });
        },
        () => {},
      )
      .finally(() => (sweeping = false));
  }, config.particleSweepIntervalMs);
  sweep.unref();

  // Services first: particles picked up below may call them.
  const restored = await nodeServices.restore();
  peer.start();
  const recovered = await store.recover();
  for (const particle of recovered) {
    initPeers.set(particle.id, particle.initPeerId);
    peer.receive(particle, keyPair.peerId);
  }
  if (recovered.length > 0) emit({ event: 'recovered', particles: recovered.length });

  let http: { server: Server; port: number } | undefined;
  if (config.httpPort !== undefined) {
    http = await serveMetrics(metrics, config.httpPort, () => ({
      peerId: keyPair.peerId,
      connections: net.connectedPeers().length,
      activeParticles: peer.activeParticles,
      uptimeSeconds: Math.round((Date.now() - metrics.startedAt) / 1000),
    }));
  }
  emit({
    event: 'ready',
    peerId: keyPair.peerId,
    multiaddrs: net.multiaddrs(),
    ...(http === undefined ? {} : { httpPort: http.port }),
  });
  // After 'ready', which stays the first event (scripts wait for it).
  emit({
    event: 'services',
    restored: restored.restored.length,
    failed: restored.failed,
    open: servicesOptions?.open === true,
  });

  let stopping: Promise<void> | undefined;
  return {
    peerId: keyPair.peerId,
    keyPair,
    peer,
    network: net,
    metrics,
    config,
    layout,
    httpPort: http?.port,
    multiaddrs: () => net.multiaddrs(),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(forget);
        clearInterval(sweep);
        // What is in flight stays on disk: the peer's stop ends actors without removing their data.
        store.freeze();
        const saved = peer.activeParticles;
        await peer.stop();
        // Writes behind the runs reach the disk before the process may exit.
        await store.flush();
        await nodeServices.close();
        await net.stop();
        await pool.close();
        if (http) await new Promise<void>((resolve) => http.server.close(() => resolve()));
        emit({ event: 'stopped', peerId: keyPair.peerId, savedParticles: saved });
      })()),
  };
}

export { particleKey };
