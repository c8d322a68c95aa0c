// Deploying a service to nodes through a relay, with Nox's builtins: for each target peer, the
// modules it lacks (by CID, from dist.list_modules) are uploaded with dist.add_module, the
// blueprint added, the service created and aliased; a service this deployer put there before
// under the same name is removed once the new one runs (the update semantics of `marine deploy`).
// Each step is one particle with js-client's conventions, so a refusal names the peer, the step
// and the node's reason at once.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeyPair } from '../../protocol/index.js';
import { connectRelayClient, type RelayClient } from '../relay-client.js';
import type { PackedService } from './pack.js';
import { writeFileAtomic } from './store.js';

/** One deployment of a service on one peer. */
export interface Deployment {
  readonly peerId: string;
  readonly serviceId: string;
  readonly blueprintId: string;
  readonly moduleIds: readonly string[];
}

/** What `deploy` prints per step. */
export type DeployProgress =
  | {
      readonly peerId: string;
      readonly step: 'module';
      readonly name: string;
      readonly cid: string;
      readonly uploaded: boolean;
    }
  | { readonly peerId: string; readonly step: 'blueprint'; readonly id: string }
  | { readonly peerId: string; readonly step: 'service'; readonly serviceId: string }
  | { readonly peerId: string; readonly step: 'alias'; readonly alias: string }
  | { readonly peerId: string; readonly step: 'removed'; readonly serviceId: string };

/** A refused or failed deploy step: which peer, which step, and the node's words. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
  constructor(
    readonly peerId: string,
    readonly step: string,
    reason: string,
  ) {
    super(`peer ${peerId}: ${step}: ${reason}`);
  }
}

/** The deployment record `.marine/deployments.json` keeps, by service name. */
export interface DeploymentsFile {
  services: Record<
    string,
    { blueprintId: string; alias?: string; deployments: { peerId: string; serviceId: string }[] }
  >;
}

// One call of a builtin on `peer`, routed through the relay both ways; the result goes to
// callbackSrv.response, an error to errorHandlingSrv.error, as compiled Aqua does.
function stepAir(service: string, fn: string, args: readonly string[]): string {
  const load = args.map((a) => `(call %init_peer_id% ("getDataSrv" "${a}") [] ${a})`);
  const fetch = [
    '(call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-)',
    '(call %init_peer_id% ("getDataSrv" "peer") [] peer)',
    ...load,
  ].reduceRight((rest, call) => (rest === '' ? call : `(seq ${call} ${rest})`), '');
  return `(xor
 (seq ${fetch}
  (seq
   (seq (call -relay- ("op" "noop") [])
    (seq (call peer ("${service}" "${fn}") [${args.join(' ')}] res)
     (call -relay- ("op" "noop") [])))
   (call %init_peer_id% ("callbackSrv" "response") [res])))
 (seq (call -relay- ("op" "noop") [])
  (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0])))`;
}

const TTL_MS = 60000;

async function call(
  client: RelayClient,
  peerId: string,
  step: string,
  service: string,
  fn: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const outcome = await client.run(stepAir(service, fn, Object.keys(args)), {
    args: { ...args, peer: peerId },
    ttl: TTL_MS,
  });
  if (outcome.status === 'result') return outcome.value;
  const message = outcome.message.replace(
    /^.*?Local service error, ret_code is \d+, error message is '(.*)'.*$/s,
    '$1',
  );
  throw new DeployError(peerId, step, message);
}

/** Options of `deployService`. */
export interface DeployOptions {
  /** The relay's multiaddr (ending in /p2p/<id>). */
  readonly relay: string;
  /** Target peers (default: the relay itself). */
  readonly peers?: readonly string[];
  /** Alias the service gets on each peer. */
  readonly alias?: string;
  /** The deployer's key (must be a management peer of the targets unless they are open). */
  readonly keyPair?: KeyPair;
  /** Services to replace, by peer id (from the deployment record). */
  readonly previous?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: DeployProgress) => void;
}

/** Deploys a packed service to each peer; resolves with one deployment per peer. */
export async function deployService(
  service: PackedService,
  options: DeployOptions,
): Promise<Deployment[]> {
  const client = await connectRelayClient(options.relay, {
    ...(options.keyPair === undefined ? {} : { keyPair: options.keyPair }),
  });
  try {
    const peers = options.peers && options.peers.length > 0 ? options.peers : [client.relayPeerId];
    const progress = options.onProgress ?? (() => undefined);
    const deployments: Deployment[] = [];
    for (const peerId of peers) {
      const listed = (await call(client, peerId, 'dist.list_modules', 'dist', 'list_modules')) as {
        hash: string;
      }[];
      const present = new Set(listed.map((m) => m.hash));
      for (const m of service.modules) {
        const uploaded = !present.has(m.cid);
        if (uploaded) {
          const cid = await call(
            client,
            peerId,
            `dist.add_module ${m.name}`,
            'dist',
            'add_module',
            {
              bytes: Buffer.from(m.bytes).toString('base64'),
              config: { name: m.name },
            },
          );
          if (cid !== m.cid)
            throw new DeployError(
              peerId,
              `dist.add_module ${m.name}`,
              `the node stored it as ${String(cid)}, expected ${m.cid}`,
            );
          present.add(m.cid);
        }
        progress({ peerId, step: 'module', name: m.name, cid: m.cid, uploaded });
      }
      const blueprintId = (await call(
        client,
        peerId,
        'dist.add_blueprint',
        'dist',
        'add_blueprint',
        {
          blueprint: service.dagJson,
        },
      )) as string;
      progress({ peerId, step: 'blueprint', id: blueprintId });
      const serviceId = (await call(client, peerId, 'srv.create', 'srv', 'create', {
        blueprint_id: blueprintId,
      })) as string;
      progress({ peerId, step: 'service', serviceId });
      if (options.alias !== undefined) {
        await call(client, peerId, 'srv.add_alias', 'srv', 'add_alias', {
          alias: options.alias,
          service_id: serviceId,
        });
        progress({ peerId, step: 'alias', alias: options.alias });
      }
      const old = options.previous?.[peerId];
      if (old !== undefined && old !== serviceId) {
        await removeOn(client, peerId, old).catch(() => undefined);
        progress({ peerId, step: 'removed', serviceId: old });
      }
      deployments.push({
        peerId,
        serviceId,
        blueprintId,
        moduleIds: service.modules.map((m) => m.cid),
      });
    }
    return deployments;
  } finally {
    await client.close();
  }
}

async function removeOn(client: RelayClient, peerId: string, serviceId: string): Promise<void> {
  await call(client, peerId, 'srv.remove', 'srv', 'remove', { service_id: serviceId });
}

/** Removes services (peer id → service id) through a relay. */
export async function removeDeployments(
  relay: string,
  targets: readonly { peerId: string; serviceId: string }[],
  keyPair?: KeyPair,
): Promise<void> {
  const client = await connectRelayClient(relay, keyPair === undefined ? {} : { keyPair });
  try {
    for (const t of targets) await removeOn(client, t.peerId, t.serviceId);
  } finally {
    await client.close();
  }
}

/** Reads `.marine/deployments.json` (empty when there is none). */
export function readDeployments(file: string): DeploymentsFile {
  if (!existsSync(file)) return { services: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as DeploymentsFile;
}

/** An Aqua identifier from a service name (`url-downloader` → `url_downloader`). */
function aquaName(name: string): string {
  const snake = name.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
  return /^[a-z]/.test(snake) ? snake : `s_${snake}`;
}

/** Writes the record and an Aqua file with the deployed peers and service ids, next to each other. */
export function writeDeployments(file: string, record: DeploymentsFile): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  const lines = [
    '-- Written by `marine deploy`: where each deployed service runs.',
    'aqua Deployments declares *',
    '',
    'data Deployment:',
    '  peerId: string',
    '  serviceId: string',
    '',
  ];
  for (const [name, service] of Object.entries(record.services).sort()) {
    const items = service.deployments.map(
      (d) =>
        `Deployment(peerId = ${JSON.stringify(d.peerId)}, serviceId = ${JSON.stringify(d.serviceId)})`,
    );
    lines.push(`func ${aquaName(name)}_deployments() -> []Deployment:`);
    lines.push(`  <- [${items.join(', ')}]`, '');
  }
  const aqua = join(dirname(file), 'deployments.aqua');
  writeFileAtomic(aqua, `${lines.join('\n')}`);
  return aqua;
}
