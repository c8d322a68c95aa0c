// `marine air run` and `marine air data`, added to the `marine air` group. Registration only:
// the work (peers, VMs, a relay client) is in ../actions/air-run.ts, loaded when one runs.
import type { Command } from 'commander';
import type { AirRunCliOptions } from '../actions/air-run.js';

const EXAMPLES = `
Peers are named client (the init peer), relay, and p1..pN. In arguments, and in the string
literals of an .air script, "$p1", "$relay" or "$client" stand for that peer's id.

Examples:
  $ marine air run fixtures/demo/hello.aqua --func hello --peers 2 --args '{"name": "Marine", "peers": ["$p1", "$p2"]}' --services fixtures/demo/services.json
  $ marine air run fixtures/demo/hello.aqua --peers 2 --args '["Marine", ["$p1", "$p2"]]' --services fixtures/demo/services.json --json
  $ marine air run fixtures/demo/ask.air
  $ marine air run fixtures/demo/ask.air --vm reference      # the same run on the reference AquaVM
  $ marine air run fixtures/demo/ask.air --save-data /tmp/marine-run && marine air data /tmp/marine-run/client.data

A services spec (--services) puts services on peers: scripted JS services, or Marine services
from a Config.toml or blueprint (paths relative to the spec file):
  [{ "peers": ["p1"], "serviceId": "echo",
     "functions": { "echo": { "echo": true }, "version": { "value": "1.0" },
                    "broken": { "error": "always fails" } } },
   { "peers": ["p2"], "serviceId": "greeting", "config": "greeting/Config.toml" }]
`;

/** Adds `data` to the `marine air` command group: a readable dump of interpreter data. */
export function addAirDataCommand(air: Command): void {
  air
    .command('data')
    .description(
      "print interpreter data (a particle's data as our VM writes it) in a readable form",
    )
    .argument('<file>', 'a data file, e.g. one written by marine air run --save-data')
    .option('--json', 'print the dump as JSON')
    .addHelpText(
      'after',
      `
Shows the envelope's versions, every trace state (par, call, fold, ap, canon) with the values its
content ids point to, and which CIDs each peer signed.

Examples:
  $ marine air run fixtures/demo/ask.air --save-data /tmp/marine-run && marine air data /tmp/marine-run/client.data
  $ marine air data /tmp/marine-run/client.data --json`,
    )
    .action(async (file: string, options: { json?: boolean }) => {
      const { airDataAction } = await import('../actions/air-run.js');
      await airDataAction(file, options);
    });
}

/** Adds `run` to the `marine air` command group. */
export function addAirRunCommand(air: Command): void {
  air
    .command('run')
    .description('run an AIR script or an Aqua function on an in-process network of peers')
    .argument('[file]', 'an .air script, or an .aqua file compiled with the Aqua compiler')
    .option(
      '--anomaly <record.json>',
      'replay an anomaly record a node saved in <data-dir>/anomalies/ on our VM (no file argument)',
    )
    .option(
      '--secret-key <key>',
      "with --anomaly: the node's key (key.json or base64, inline or @file)",
    )
    .option(
      '--relay <multiaddr>',
      'run the script through a real relay node as a client (with /p2p/<id>) instead of in-process peers',
    )
    .option('--func <name>', 'the Aqua function to run (default: the only exported one)')
    .option(
      '--args <json>',
      'arguments: a JSON object by name or a JSON array in order; @file reads a file, - stdin',
      '{}',
    )
    .option('--peers <n>', 'peers besides the relay and the client', '3')
    .option('--services <spec.json>', 'scripted JS services to install on peers')
    .option('--vm <vm>', 'which AIR VM the peers run: ours or reference', 'ours')
    .option('--ttl <ms>', 'particle time-to-live in milliseconds', '7000')
    .option('--json', 'print the outcome, calls and hops as JSON')
    .option('--air-limit <bytes>', "the VMs' AIR size limit (default 16 MiB)")
    .option('--particle-limit <bytes>', "the VMs' particle data size limit (default 64 MiB)")
    .option('--call-result-limit <bytes>', "the VMs' call result size limit (default 32 MiB)")
    .option(
      '--import <dir>',
      'a directory the Aqua compiler searches for imports (repeatable)',
      (dir: string, dirs: string[] = []) => [...dirs, dir],
    )
    .option(
      '--save-data <dir>',
      "write each peer's interpreter data for the particle to <dir>/<peer>.data (read it with marine air data)",
    )
    .addHelpText('after', EXAMPLES)
    .action(async (file: string | undefined, options: AirRunCliOptions) => {
      const { airRunAction } = await import('../actions/air-run.js');
      await airRunAction(file, options);
    });
}
