import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_LISTEN,
  libp2pNetwork,
  readNodeToml,
  startNode,
  type NodeConfig,
  type NodeEvent,
} from '../../node/index.js';
import { parseCount } from '../numbers.js';

interface NodeCliOptions {
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

/** Where a node keeps its key and particles unless told. */
export const DEFAULT_DATA_DIR = join(homedir(), '.marine', 'node');

const HELP = `
Starts a node: a peer on libp2p (TCP and WebSocket, noise, yamux, identify, ping, Kademlia
/fluence/kad/<network>/1.0.0) speaking Fluence's /fluence/particle/2.0.0, running particles on our
AIR VM in worker threads, with the builtins a relay needs (op, peer, kad, math, cmp, array, json,
debug). Fluence clients (js-client, marine run) use it as their relay.

The data dir holds the node's key (key.json, mode 0600, created on first start: the peer id stays
the same across restarts), particle data (particles/, removed at each particle's deadline) and
anomaly records (anomalies/; replay one with marine air run --anomaly <file>).

Services (Nox's dist, srv, vault, sig, stat, run-console): modules, blueprints and services
deployed with marine deploy live in the data dir too (modules/, blueprints/, services/) and come
back at every start. Only the node itself and its --management-peer's may deploy, unless --open;
a module importing mounted binaries is refused unless --effector allows its CID that binary.

With --json the node prints exactly one {"event":"ready","peerId","multiaddrs"} line when it is
ready, then one JSON line per event (dropped particles with particleId/peer/reason, anomalies,
stopped). SIGINT or SIGTERM stops it gracefully (particles in flight are kept for the next start).

node.toml (--config) takes the same settings in snake_case; flags given override it:
  listen = ["/ip4/127.0.0.1/tcp/7770", "/ip4/127.0.0.1/tcp/7771/ws"]
  data_dir = "/var/lib/marine-node"
  bootstrap = ["/ip4/10.0.0.2/tcp/7770/p2p/12D3KooW..."]
  management_peers = ["12D3KooW..."]
  network = "marine-local"
  vm_workers = 2
  particle_execution_timeout_ms = 20000
  http_port = 9180
  anomaly_slow_run_ms = 500
  anomaly_memory_bytes = 10000000
  particle_sweep_interval_ms = 60000
  particle_send_interval_ms = 20
  particle_send_hold_ms = 200
  service_memory_bytes = 4294967295
  service_call_timeout_ms = 10000
  service_disk_bytes = 1073741824
  service_disk_files = 100000

Examples (a node runs until stopped: these stop it with SIGINT after 10 s, as Ctrl-C would):
  $ timeout --preserve-status -s INT 10 marine node --data-dir /tmp/marine-node-a --json
  $ timeout --preserve-status -s INT 10 marine node --data-dir /tmp/marine-node-b --listen /ip4/127.0.0.1/tcp/0/ws --http-port 0

A second node joins the first through --bootstrap with one of the first's multiaddrs (the ready
line prints them, ending in /p2p/<peer id>):
  marine node --data-dir /tmp/marine-node-c --bootstrap /ip4/127.0.0.1/tcp/7770/p2p/12D3KooW...
marine local up starts such a network in one command.`;

const repeat = (value: string, list: string[] = []): string[] => [...list, value];

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

/** Adds `marine node`. */
export function register(program: Command): void {
  program
    .command('node')
    .description('run a node: a Fluence-compatible peer on libp2p that clients use as their relay')
    .option(
      '--listen <multiaddr>',
      `listen address (repeatable; default ${DEFAULT_LISTEN.join(' and ')})`,
      repeat,
    )
    .option(
      '--data-dir <dir>',
      `key, particle data and anomaly records (default ${DEFAULT_DATA_DIR})`,
    )
    .option(
      '--bootstrap <multiaddr>',
      'a node to join the network through, with /p2p/<id> (repeatable)',
      repeat,
    )
    .option(
      '--management-peer <peer id>',
      'a peer allowed protected builtins such as peer.connect (repeatable)',
      repeat,
    )
    .option(
      '--network <name>',
      'the network name in /fluence/kad/<name>/1.0.0 (default marine-local)',
    )
    .option('--config <node.toml>', 'settings from a TOML file (flags override it)')
    .option('--vm-workers <n>', 'VM worker threads (default 2)')
    .option('--http-port <port>', 'serve /health and /metrics on 127.0.0.1:<port> (0: a free port)')
    .option('--json', 'print events as JSON lines')
    .option(
      '--open',
      'let any peer deploy (dist.add_*, srv.create/remove/add_alias); warns at start',
    )
    .option(
      '--effector <cid:name=path>',
      'allow the module with this CID the mounted binary <name> at <path> (repeatable)',
      repeat,
    )
    .addHelpText('after', HELP)
    .action(async (options: NodeCliOptions) => {
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
        process.stdout.write(
          `${options.json ? JSON.stringify(event) : describeNodeEvent(event)}\n`,
        );
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
    });
}
