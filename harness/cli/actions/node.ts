// What `marine node` does (registered in ../commands/node.ts): starts a node and runs it until
// SIGINT or SIGTERM.
import { resolve } from 'node:path';
import {
  libp2pNetwork,
  readNodeToml,
  startNode,
  type NodeConfig,
  type NodeEvent,
} from '../../node/index.js';
import { DEFAULT_DATA_DIR } from '../commands/node.js';
import { parseCount } from '../numbers.js';

/** The options of `marine node`. */
export interface NodeCliOptions {
  listen?: string[];
  dataDir?: string;
  bootstrap?: string[];
  managementPeer?: string[];
  network?: string;
  config?: string;
  vmWorkers?: string;
  httpPort?: string;
  json?: boolean;
  open?: boolean;
  effector?: string[];
}

/** `--effector <cid>:<name>=<path>` as the node's effector allowlist. */
export function parseEffectors(values: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const value of values) {
    const match = /^([a-z0-9]+):([A-Za-z_][A-Za-z0-9_-]*)=(\/.+)$/.exec(value);
    if (!match?.[1] || !match[2] || !match[3])
      throw new Error(
        `--effector: expected <module cid>:<binary name>=<absolute path>, e.g. bafkrei…:curl=/usr/bin/curl; found ${JSON.stringify(value)}`,
      );
    out[match[1]] = { ...out[match[1]], [match[2]]: match[3] };
  }
  return out;
}

/** The words `marine node` prints for an event without --json. */
export function describeNodeEvent(event: NodeEvent): string {
  switch (event.event) {
    case 'ready':
      return [
        `node ${event.peerId} is ready, listening on:`,
        ...event.multiaddrs.map((a) => `  ${a}`),
        ...(event.httpPort === undefined ? [] : [`  http://127.0.0.1:${event.httpPort}/metrics`]),
      ].join('\n');
    case 'dropped':
      return `dropped particle ${event.particleId || '(unknown)'} of ${event.peer || '(unknown peer)'}: ${event.reason}`;
    case 'anomaly':
      return `anomaly (${event.reasons.join(', ')}) in particle ${event.particleId}: ${event.file}`;
    case 'recovered':
      return `picked up ${event.particles} particle(s) left from the last run`;
    case 'swept':
      return `removed the files of ${event.particles} expired particle(s)`;
    case 'services':
      return [
        `${event.restored} service(s) restored from the data dir`,
        ...event.failed.map((f) => `  service ${f.id} did not load: ${f.error}`),
        ...(event.open
          ? ['warning: --open: any peer may add modules and blueprints and create services here']
          : []),
      ].join('\n');
    case 'stopped':
      return `node ${event.peerId} stopped (${event.savedParticles} particle(s) kept for the next start)`;
  }
}

// The signal bin/marine.js kept while the CLI loaded (true if one came); its listeners go, as
// the command's own are in place by then.
function takeEarlySignal(): boolean {
  const key = Symbol.for('marine-ts.early-stop');
  const early = (globalThis as Record<symbol, unknown>)[key] as
    { signal?: string; listener?: (signal: string) => void } | undefined;
  if (early === undefined) return false;
  if (early.listener !== undefined) {
    process.off('SIGINT', early.listener);
    process.off('SIGTERM', early.listener);
  }
  delete (globalThis as Record<symbol, unknown>)[key];
  return early.signal !== undefined;
}

/** `marine node`: a node until a signal stops it; then the process ends. */
export async function nodeAction(options: NodeCliOptions): Promise<void> {
  // From here on a signal asks the node to stop; one that came earlier (bin/marine.js kept
  // it) or while the node starts stops it as soon as it has started.
  let stopRequested = takeEarlySignal();
  let requestStop: (() => void) | undefined;
  const onSignal = (): void => {
    stopRequested = true;
    requestStop?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const file = options.config === undefined ? {} : await readNodeToml(options.config);
  const flags: Partial<NodeConfig> = {
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.dataDir ? { dataDir: resolve(options.dataDir) } : {}),
    ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
    ...(options.managementPeer ? { managementPeers: options.managementPeer } : {}),
    ...(options.network ? { network: options.network } : {}),
    ...(options.vmWorkers
      ? { vmWorkers: parseCount(options.vmWorkers, '--vm-workers', 1, 256) }
      : {}),
    ...(options.httpPort
      ? { httpPort: parseCount(options.httpPort, '--http-port', 0, 65535) }
      : {}),
  };
  const print = (event: NodeEvent): void => {
    process.stdout.write(`${options.json ? JSON.stringify(event) : describeNodeEvent(event)}\n`);
  };
  const node = await startNode({
    dataDir: DEFAULT_DATA_DIR,
    ...file,
    ...flags,
    createNetwork: libp2pNetwork,
    services: {
      open: options.open === true,
      effectorAllowlist: parseEffectors(options.effector ?? []),
    },
    onEvent: print,
  });
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void node.stop().then(done, (error: unknown) => {
        process.stderr.write(
          `error while stopping: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        done();
      });
    };
    if (stopRequested) stop();
    else requestStop = stop;
  });
  // libp2p may leave timers behind; the node has stopped, so the process ends here.
  process.exit(0);
}
