// `marine deploy`. Registration only: the work (a build, the relay client on libp2p) is in
// ../actions/deploy.ts, loaded when it runs.
import type { Command } from 'commander';
import type { DeployCliOptions } from '../actions/deploy.js';

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

const repeat = (value: string, list: string[] = []): string[] => [...list, value];

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
      const { deployAction } = await import('../actions/deploy.js');
      await deployAction(target, options);
    });
}
