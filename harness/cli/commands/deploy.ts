import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildServices } from '../../../marine-host/index.js';
import {
  deployService,
  packService,
  readDeployments,
  removeDeployments,
  writeDeployments,
  type DeployProgress,
} from '../../node/index.js';
import { printJson } from '../json-output.js';
import { reportCliError } from '../output.js';
import { secretKeyOption } from './run.js';
import { DeployProgressBars } from './deploy-progress.js';

const HELP = `
Deploys a service (its Config.toml, or a directory holding one) to nodes through a relay, with
the nodes' own builtins, as the Fluence CLI did: for each --peer (default: the relay itself) it
uploads the modules the peer does not have yet (by CID, from dist.list_modules) with
dist.add_module, adds the blueprint (dist.add_blueprint), creates the service (srv.create) and
gives it --alias (srv.add_alias). A node allows this only to itself and its management peers
(marine node --management-peer <your peer id>, from --secret-key), unless started with --open;
a module with mounted binaries only where the node allows its CID that binary (--effector).

Update semantics: a second deploy of the same service (same name, from the same directory)
replaces the first on each peer: the new service is created and aliased, then the old one is
removed. --remove removes every deployment of the service instead.

Unless --no-build, a service directory with a Cargo.toml is built first (marine build, only
what is stale). The deployment is recorded in .marine/deployments.json (in the current directory)
and in .marine/deployments.aqua, an Aqua module with <service>_deployments() -> []Deployment
{peerId, serviceId}, so Aqua code can find the service.

Progress: on a terminal a bar per peer, redrawn as its steps finish; otherwise one line per step
(module uploaded or already there, blueprint, service, alias, old deployment removed); with
--json nothing but the result.

Examples (with nodes running, e.g. marine local up; put their multiaddr and peer ids in):
  marine deploy services-rs/examples/greeting --relay /ip4/127.0.0.1/tcp/7770/p2p/12D3KooW... --alias greeting
  marine deploy fixtures/configs/examples/sdk-v0-10/Config.toml --relay /ip4/127.0.0.1/tcp/7770/p2p/12D3KooW... --peer 12D3KooW... --json
  marine deploy services-rs/examples/greeting --relay /ip4/127.0.0.1/tcp/7770/p2p/12D3KooW... --remove
`;

interface DeployCliOptions {
  relay: string;
  peer?: string[];
  alias?: string;
  secretKey?: string;
  build?: boolean;
  json?: boolean;
  remove?: boolean;
  name?: string;
}

const repeat = (value: string, list: string[] = []): string[] => [...list, value];

function describe(p: DeployProgress): string {
  switch (p.step) {
    case 'module':
      return `${p.peerId}: module ${p.name} ${p.cid} ${p.uploaded ? 'uploaded' : 'already there'}`;
    case 'blueprint':
      return `${p.peerId}: blueprint ${p.id}`;
    case 'service':
      return `${p.peerId}: service ${p.serviceId} created`;
    case 'alias':
      return `${p.peerId}: alias ${p.alias}`;
    case 'removed':
      return `${p.peerId}: the previous deployment ${p.serviceId} removed`;
  }
}

/** Registers `marine deploy`. */
export function register(program: Command): void {
  program
    .command('deploy')
    .description(
      'deploy a service to nodes through a relay (upload modules, blueprint, create, alias)',
    )
    .argument('<service>', 'a Config.toml, or a directory with one')
    .requiredOption('--relay <multiaddr>', "the relay's multiaddr, ending in /p2p/<peer id>")
    .option('--peer <peer id>', 'a node to deploy to (repeatable; default: the relay)', repeat)
    .option('--alias <name>', 'the alias the service gets on each node')
    .option('--name <name>', 'the blueprint name (default: the service directory name)')
    .option('--secret-key <key>', "the deployer's key: base64 seed or key.json, inline or @file")
    .option('--no-build', 'do not build the service first')
    .option('--remove', 'remove every recorded deployment of the service instead')
    .option('--json', 'print {service, deployments: [{peerId, serviceId, blueprintId, moduleIds}]}')
    .addHelpText('after', HELP)
    .action(async (target: string, options: DeployCliOptions) => {
      try {
        const config =
          existsSync(target) && statSync(target).isDirectory()
            ? join(target, 'Config.toml')
            : target;
        const dir = dirname(resolve(config));
        const keyPair =
          options.secretKey === undefined ? undefined : await secretKeyOption(options.secretKey);
        const recordFile = resolve('.marine', 'deployments.json');
        const record = readDeployments(recordFile);
        if (options.build !== false && existsSync(join(dir, 'Cargo.toml')))
          await buildServices({ path: dir, log: () => undefined });
        const service = packService(config, options.name);
        const previous = record.services[service.name];
        if (options.remove) {
          const targets = previous?.deployments ?? [];
          await removeDeployments(options.relay, targets, keyPair);
          delete record.services[service.name];
          writeDeployments(recordFile, record);
          if (options.json) printJson({ service: service.name, removed: targets });
          else
            for (const t of targets)
              process.stdout.write(`${t.peerId}: service ${t.serviceId} removed\n`);
          return;
        }
        // A bar per peer on a terminal, one line per step otherwise, nothing with --json.
        const previousIds = new Map(
          (previous?.deployments ?? []).map((d) => [d.peerId, d.serviceId]),
        );
        const bars = process.stdout.isTTY
          ? new DeployProgressBars(
              process.stdout,
              (peerId) =>
                service.modules.length +
                2 +
                (options.alias === undefined ? 0 : 1) +
                (previousIds.has(peerId) ? 1 : 0),
            )
          : undefined;
        const deployments = await deployService(service, {
          relay: options.relay,
          ...(options.peer === undefined ? {} : { peers: options.peer }),
          ...(options.alias === undefined ? {} : { alias: options.alias }),
          ...(keyPair === undefined ? {} : { keyPair }),
          previous: Object.fromEntries(
            (previous?.deployments ?? []).map((d) => [d.peerId, d.serviceId]),
          ),
          onProgress: (p) => {
            if (options.json) return;
            if (bars) bars.update(p);
            else process.stdout.write(`${describe(p)}\n`);
          },
        });
        // Peers deployed to now replace their earlier entries; others are kept.
        const kept = (previous?.deployments ?? []).filter(
          (d) => !deployments.some((n) => n.peerId === d.peerId),
        );
        record.services[service.name] = {
          blueprintId: service.id,
          ...(options.alias === undefined ? {} : { alias: options.alias }),
          deployments: [
            ...kept,
            ...deployments.map((d) => ({ peerId: d.peerId, serviceId: d.serviceId })),
          ],
        };
        const aqua = writeDeployments(recordFile, record);
        if (options.json) printJson({ service: service.name, deployments });
        else process.stdout.write(`recorded in ${recordFile} and ${aqua}\n`);
      } catch (error) {
        process.exitCode = reportCliError(error);
      }
    });
}
