// What `marine deploy` does (registered in ../commands/deploy.ts).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/** The options of `marine deploy`. */
export interface DeployCliOptions {
  relay: string;
  peer?: string[];
  alias?: string;
  secretKey?: string;
  build?: boolean;
  json?: boolean;
  remove?: boolean;
  name?: string;
}

/** One line per step off a terminal. */
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

/** `marine deploy`: deploys (or with --remove removes) the service and records where it runs. */
export async function deployAction(target: string, options: DeployCliOptions): Promise<void> {
  try {
    const config =
      existsSync(target) && statSync(target).isDirectory() ? join(target, 'Config.toml') : target;
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
    const previousIds = new Map((previous?.deployments ?? []).map((d) => [d.peerId, d.serviceId]));
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
}
