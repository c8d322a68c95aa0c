// `marine blueprint`. Registration only: the work is in ../actions/blueprint.ts, loaded when it runs.
import type { Command } from 'commander';

const HELP = `
Writes what a node stores and CI validates for a service: its blueprint (blueprint.json:
{id, name, dependencies}, the DAG-JSON {name, dependencies} Nox hashes, module CIDs in load order,
the facade last; id = CIDv1 raw + sha2-256 of that DAG-JSON) and a module store (each module as
<cid>.wasm, CIDv1 as Nox computes it, with <cid>.wasm.config.json holding the grants the
Config.toml gives it: logger, envs, mapped dirs, mounted binaries). A node ignores those grants
but the module's name, as Nox does: it derives the logger from the module's imports and allows
mounted binaries only by CID from its own effector allowlist.

\`marine validate <out>/blueprint.json\` passes exactly when \`marine validate <Config.toml>\` does,
and any change to a module changes its CID and so the blueprint id.

Examples:
  $ marine blueprint fixtures/configs/examples/sdk-v0-10/Config.toml --out /tmp/marine-bp-styles && marine validate /tmp/marine-bp-styles/blueprint.json
  $ marine blueprint fixtures/configs/examples/greeting/Config.toml --out /tmp/marine-bp-greeting --json
`;

/** Registers `marine blueprint`. */
export function register(program: Command): void {
  program
    .command('blueprint')
    .description(
      "write a service's blueprint and its modules by CID (what nodes store and CI validates)",
    )
    .argument('<config>', "the service's Config.toml")
    .option('--out <dir>', 'where to write (default: .marine/blueprint next to the Config.toml)')
    .option('--name <name>', 'blueprint name (default: the Config.toml directory name)')
    .option('--json', 'print {name, id, dependencies, blueprint, out, modules} as JSON')
    .addHelpText('after', HELP)
    .action(async (config: string, options: { out?: string; name?: string; json?: boolean }) => {
      const { blueprintAction } = await import('../actions/blueprint.js');
      blueprintAction(config, options);
    });
}
