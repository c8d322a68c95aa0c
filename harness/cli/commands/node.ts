// `marine node`. Registration only: the node itself (libp2p, the VMs, the Marine host) is in
// ../actions/node.ts, loaded when it runs; the defaults its help shows come from the node's small
// defaults module. A SIGINT or SIGTERM that comes while it loads is kept by bin/marine.js.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_LISTEN } from '../../node/defaults.js';
import type { NodeCliOptions } from '../actions/node.js';

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
      const { nodeAction } = await import('../actions/node.js');
      await nodeAction(options);
    });
}
