// `marine deploy` across processes: three `marine node` processes on loopback, a two-module
// service (the facade imports the store) deployed through the first to the other two, called by
// id and alias through the first, a stranger's deploy refused, a restart of a node keeps the
// service, and --remove takes it away.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { KeyPair, toBase64 } from '../../protocol/index.js';
import { connectRelayClient } from '../../node/index.js';

const root = resolve(import.meta.dirname, '../../..');
const marine = join(root, 'bin/marine.js');
const built = ['styles_store', 'styles_v0_10'].every((m) =>
  existsSync(join(root, 'services-rs/artifacts', `${m}.wasm`)),
);

const spawnMarine = (args: readonly string[]) =>
  execa('node', [marine, ...args], { cwd: root, reject: false });
type Child = ReturnType<typeof spawnMarine>;

interface RunningNode {
  readonly process: Child;
  readonly peerId: string;
  readonly multiaddr: string;
}

t.test(
  'deploy a two-module service to 2 of 3 node processes',
  { skip: built ? false : 'example artifacts missing: run `marine build services-rs/examples`' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'marine-deploy-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const deployer = KeyPair.random();
    const running = new Set<Child>();
    t.teardown(() => {
      for (const p of running) p.kill('SIGKILL');
    });

    const start = async (name: string, bootstrap?: string): Promise<RunningNode> => {
      const child = spawnMarine([
        'node',
        '--json',
        '--data-dir',
        join(dir, name),
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--management-peer',
        deployer.peerId,
        ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap]),
      ]);
      running.add(child);
      void child.finally(() => running.delete(child));
      const lines = createInterface({ input: child.stdout! });
      for await (const line of lines) {
        const event = JSON.parse(line) as { event: string; peerId: string; multiaddrs: string[] };
        if (event.event === 'ready') {
          lines.close();
          // Keep reading what it prints, so a full pipe never blocks the node.
          child.stdout?.resume();
          const multiaddr = event.multiaddrs.find((a) => a.includes('/tcp/'))!;
          return { process: child, peerId: event.peerId, multiaddr };
        }
      }
      throw new Error(`node ${name} ended before it was ready: ${(await child).stderr}`);
    };

    const n1 = await start('n1');
    const [n2, n3] = await Promise.all([start('n2', n1.multiaddr), start('n3', n1.multiaddr)]);
    const config = join(root, 'fixtures/configs/examples/sdk-v0-10/Config.toml');
    const deploy = (...extra: string[]) =>
      execa('node', [marine, 'deploy', config, '--relay', n1.multiaddr, '--no-build', ...extra], {
        cwd: dir,
        reject: false,
      });

    const stranger = await deploy('--peer', n2.peerId);
    t.equal(stranger.exitCode, 1, "a stranger's deploy fails");
    t.match(
      stranger.stderr,
      new RegExp(`peer ${n2.peerId}: dist.add_module styles_store: .*allowed only to the host`),
      'naming the peer, the step and the reason',
    );

    const key = ['--secret-key', toBase64(deployer.secretKey)];
    const first = await deploy(
      ...key,
      '--peer',
      n2.peerId,
      '--peer',
      n3.peerId,
      '--alias',
      'styles',
      '--json',
    );
    t.equal(first.exitCode, 0, first.stderr);
    const out = JSON.parse(first.stdout) as {
      service: string;
      deployments: {
        peerId: string;
        serviceId: string;
        blueprintId: string;
        moduleIds: string[];
      }[];
    };
    t.equal(out.service, 'sdk-v0-10');
    t.same(
      out.deployments.map((d) => d.peerId),
      [n2.peerId, n3.peerId],
      'one deployment per peer',
    );
    t.match(
      readFileSync(join(dir, '.marine/deployments.aqua'), 'utf8'),
      /func sdk_v0_10_deployments\(\) -> \[\]Deployment:/,
    );

    const client = await connectRelayClient(n1.multiaddr);
    t.teardown(() => client.close());
    const remember = async (peerId: string, id: string, value: string): Promise<unknown> => {
      const outcome = await client.run(
        `(xor (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] relay)
          (seq (call relay ("op" "noop") [])
           (seq (call "${peerId}" ("${id}" "remember") ["${value}"] r)
            (seq (call relay ("op" "noop") []) (call %init_peer_id% ("callbackSrv" "response") [r])))))
          (seq (call relay ("op" "noop") []) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0])))`,
        { ttl: 30000 },
      );
      return outcome.status === 'result' ? outcome.value : outcome;
    };
    for (const d of out.deployments) {
      t.match(
        await remember(d.peerId, d.serviceId, 'by-id'),
        { success: true, field_1: 'by-id' },
        `called by id on ${d.peerId}`,
      );
      t.match(
        await remember(d.peerId, 'styles', 'by-alias'),
        { success: true, field_1: 'by-alias' },
        `called by alias on ${d.peerId}`,
      );
    }

    // A restart: the service comes back from the data dir.
    n2.process.kill('SIGTERM');
    await n2.process;
    const n2again = await start('n2', n1.multiaddr);
    t.equal(n2again.peerId, n2.peerId, 'the node keeps its identity');
    // The relay may take a moment to see the restarted node again.
    let after: unknown;
    for (let i = 0; i < 10; i += 1) {
      after = await remember(n2.peerId, 'styles', 'after-restart');
      if ((after as { success?: boolean }).success === true) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.match(after, { success: true, field_1: 'after-restart' }, 'called by alias after a restart');

    const removed = await deploy(...key, '--remove', '--json');
    t.equal(removed.exitCode, 0, removed.stderr);
    t.match(
      await remember(n3.peerId, out.deployments[1]!.serviceId, 'gone'),
      { status: 'error', message: /not found/ },
      'removed: the service is gone',
    );
  },
);
