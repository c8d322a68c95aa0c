// Services on nodes, in-process: every service builtin called from Aqua compiled against
// aqua-lib 0.10.2 on peers of a LocalNetwork, a two-module service (the facade imports the store)
// uploaded, created, called by id and alias, a stranger refused, an effector refused without an
// allowlist entry and accepted with one, persistence across a re-created registry, removal.
import t from 'tap';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { compileFromPath } from '@fluencelabs/aqua-api';
import { AquaVM } from '../../air/index.js';
import { LocalNetwork } from '../../testing/index.js';
import type { Peer } from '../../peer/index.js';
import { moduleCid } from '../../../marine-host/index.js';
import { registerServiceBuiltins, type NodeServices, type ServicesContext } from '../index.js';
import { KeyPair } from '../../protocol/index.js';

const root = resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const artifacts = join(root, 'services-rs/artifacts');
const built = ['styles_store', 'styles_v0_10', 'curl_adapter', 'greeting'].every((m) =>
  existsSync(join(artifacts, `${m}.wasm`)),
);
const wasm = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(artifacts, `${name}.wasm`)));
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

t.test(
  'service builtins on a node',
  { skip: built ? false : 'example artifacts missing: run `marine build services-rs/examples`' },
  async (t) => {
    const compiled = await compileFromPath({
      filePath: join(root, 'fixtures/aqua/node-services/services.aqua'),
      imports: [join(root, 'node_modules'), artifacts],
    });
    t.same(compiled.errors, [], 'the Aqua compiles against aqua-lib');
    // Every dist and srv function aqua-lib declares is called by the test's Aqua.
    const lib = readFileSync(join(root, 'node_modules/@fluencelabs/aqua-lib/builtin.aqua'), 'utf8');
    const testAqua = readFileSync(join(root, 'fixtures/aqua/node-services/services.aqua'), 'utf8');
    for (const service of ['Dist', 'Srv']) {
      const body = new RegExp(`^service ${service}\\(.*\\):\\n((?:(?: .*)?\\n)*)`, 'm').exec(
        lib,
      )?.[1];
      const declared = [...(body ?? '').matchAll(/^ +([a-z_]+)\(/gm)].map((m) => m[1]);
      t.ok(declared.length >= 8, `aqua-lib declares ${service}'s functions`);
      t.same(
        declared.filter((fn) => !testAqua.includes(`${service}.${fn}(`)),
        [],
        `every ${service} function of aqua-lib is called`,
      );
    }
    const air = (name: string): string => {
      const fn = compiled.functions[name];
      if (!fn) throw new Error(`no compiled function ${name}`);
      return fn.script;
    };

    const dir = mkdtempSync(join(tmpdir(), 'marine-svc-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // A fixed seed, so the test knows each peer's key (sig.sign signs with the node's own key).
    const seed = 9;
    const keyOf = (i: number): KeyPair =>
      KeyPair.fromSecretKey(new Uint8Array(32).fill(seed).map((b, j) => (j === 0 ? i : b)));
    const net = new LocalNetwork({ peers: 3, vm: () => new AquaVM(), seed });
    const opened: NodeServices[] = [];
    t.teardown(async () => {
      await net.stop();
      for (const s of opened) await s.close();
    });
    const [p1, p2, p3] = net.peers as [Peer, Peer, Peer];
    const consoleLines: string[] = [];
    const context = (peer: Peer, extra: Partial<ServicesContext> = {}): ServicesContext => ({
      hostPeerId: peer.peerId,
      keyPair: KeyPair.random(),
      dataDir: join(dir, peer.peerId),
      managementPeers: [net.client.peerId],
      onConsole: (line) => consoleLines.push(line),
      ...extra,
    });
    const p1Key = keyOf(1);
    t.equal(p1Key.peerId, p1.peerId, 'the seed gives p1 this key');
    const p1Context = (): ServicesContext => ({
      ...context(p1),
      hostPeerId: p1.peerId,
      keyPair: p1Key,
    });
    const open = (peer: Peer, ctx: ServicesContext): NodeServices => {
      const services = registerServiceBuiltins(peer.services, ctx);
      opened.push(services);
      return services;
    };
    let s1 = open(p1, p1Context());
    // p2 has no management peers: the client is a stranger there.
    open(p2, context(p2, { managementPeers: [] }));
    const curlCid = moduleCid(wasm('curl_adapter'));
    const s3 = open(
      p3,
      context(p3, { effectorAllowlist: { [curlCid]: { curl: '/usr/bin/curl' } } }),
    );
    p1.registerService('registry', { get_record_bytes: () => [7, 7, 7] });
    p3.registerService('test-vault', {
      put_wasm: (a, c) => {
        const name = s3.vault.particleDir(c.particle);
        mkdirSync(join(s3.vault.dir, name), { recursive: true });
        writeFileSync(join(s3.vault.dir, name, `${String(a[0])}.wasm`), wasm(String(a[0])));
        return `/tmp/vault/${name}/${String(a[0])}.wasm`;
      },
    });

    const call = (name: string, args: Record<string, unknown>): Promise<unknown> =>
      net.callAquaFunction(air(name), args, { ttl: 60000 });

    const greetingCid = moduleCid(wasm('greeting'));
    const [m1, m2, loaded, loadedId] = (await call('from_vault', {
      node: p3.peerId,
      name: 'greeting',
    })) as [string, string, string, string];
    t.equal(m1, greetingCid, 'dist.add_module_from_vault: the CID of the vault file');
    t.equal(m2, greetingCid, 'dist.add_module_bytes_from_vault: the same module');
    t.equal(
      loaded,
      `{"dependencies":[{"/":"${greetingCid}"}],"name":"greeting"}`,
      'dist.load_blueprint: the blueprint text of the vault file',
    );
    t.match(loadedId, /^bafkrei[a-z2-7]+$/, 'and dist.add_blueprint takes it');
    t.ok(
      s3.store.modules().some((m) => m.cid === greetingCid && m.config.name === 'greeting'),
      'the module is stored under its name',
    );

    // #16: a Marine IT module (AquaVM's avm.wasm from npm) uploaded, created and called.
    const avm = new Uint8Array(readFileSync(require.resolve('@fluencelabs/avm/dist/avm.wasm')));
    const [avmCid, ast] = (await call('it_module', {
      node: p3.peerId,
      wasm: b64(avm),
      script: '(null)',
    })) as [string, string];
    t.equal(avmCid, moduleCid(avm), 'dist.add_module takes an IT module, by its CID');
    t.same(JSON.parse(ast), { Null: null }, "the IT service answers: avm.wasm's ast of (null)");

    const [bp, bpId, sid, c2] = (await call('deploy', {
      node: p1.peerId,
      store_wasm: b64(wasm('styles_store')),
      facade_wasm: b64(wasm('styles_v0_10')),
      alias: 'styles',
    })) as [string, string, string, Record<string, unknown>];
    const storeCid = moduleCid(wasm('styles_store'));
    const facadeCid = moduleCid(wasm('styles_v0_10'));
    t.equal(
      bp,
      `{"dependencies":[{"/":"${storeCid}"},{"/":"${facadeCid}"}],"name":"styles"}`,
      'make_blueprint: DAG-JSON with the facade last',
    );
    t.match(bpId, /^bafkrei[a-z2-7]+$/, 'add_blueprint returns the blueprint CID');
    t.match(sid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/, 'srv.create returns a UUID v4');
    t.same(
      c2,
      {
        name: 'styles_v0_10',
        mem_pages_count: [],
        max_heap_size: [],
        logger_enabled: [true],
        logging_mask: [],
        wasi: [{ envs: [], mapped_dirs: [], mounted_binaries: [] }],
      },
      'make_module_config: aqua-lib ModuleConfig (optionals are [] or [x] in AIR)',
    );

    for (const id of [sid, 'styles']) {
      const [r, g, o] = (await call('call_by', { node: p1.peerId, id, value: `v-${id}` })) as [
        Record<string, unknown>,
        Record<string, unknown>,
        string,
      ];
      t.same(
        r,
        { success: true, error: '', field_0: net.client.peerId, field_1: `v-${id}` },
        `the facade calls the store module (by ${id === sid ? 'id' : 'alias'})`,
      );
      t.same(g, r, 'and reads back what it stored');
      t.equal(
        o,
        `${net.client.peerId}/getDataSrv/value/ by ${net.client.peerId}`,
        'the node sets the call parameters: tetraplet of the argument, creator = the deploying peer',
      );
    }

    const [list, info, resolved, opt, none, srvIface, modIface, modules, blueprints, blueprint] =
      (await call('inspect', {
        node: p1.peerId,
        sid,
        alias: 'styles',
        bp_id: bpId,
        module: storeCid,
      })) as unknown[];
    const record = {
      id: sid,
      blueprint_id: bpId,
      service_type: 'service',
      owner_id: net.client.peerId,
      aliases: ['styles'],
      worker_id: p1.peerId,
    };
    t.same(list, [record], 'srv.list');
    t.same(info, record, 'srv.info');
    t.equal(resolved, sid, 'srv.resolve_alias');
    t.same(opt, [sid], 'srv.resolve_alias_opt finds the alias');
    t.same(none, [], 'srv.resolve_alias_opt: none for an unknown alias');
    const names = (iface: unknown): string[] =>
      (iface as { function_signatures: { name: string }[] }).function_signatures.map((f) => f.name);
    t.same(
      names(srvIface),
      ['remember', 'recall', 'call_parameters', 'origin'],
      'srv.get_interface',
    );
    t.same(names(modIface), ['put', 'get'], 'dist.get_module_interface of the store module');
    t.same(
      (modules as { name: string; hash: string }[]).map((m) => [m.name, m.hash]).sort(),
      [
        ['styles_store', storeCid],
        ['styles_v0_10', facadeCid],
      ],
      'dist.list_modules',
    );
    t.same(
      (modules as { config: { logger_enabled: unknown } }[])[0]?.config.logger_enabled,
      [true],
      'the node derives logger_enabled from the module imports',
    );
    const bpRecord = { id: bpId, name: 'styles', dependencies: [storeCid, facadeCid] };
    t.same(blueprints, [bpRecord], 'dist.list_blueprints');
    t.same(blueprint, bpRecord, 'dist.get_blueprint');

    const [stat, memory, missing] = (await call('stats', { node: p1.peerId, sid })) as [
      { status: boolean; result: { total_stats: { success_req_count: number } }[] },
      { name: string; memory_size_bytes: number }[],
      { status: boolean; error: string },
    ];
    t.equal(stat.status, true, 'stat.service_stat');
    t.equal(stat.result[0]?.total_stats.success_req_count, 6, 'six calls counted');
    t.same(
      memory.map((m) => m.name),
      ['styles_store', 'styles_v0_10'],
      'stat.service_memory: one entry per module',
    );
    t.ok(
      memory.every((m) => m.memory_size_bytes > 0),
      'with the memory each module holds',
    );
    t.equal(missing.status, false, 'stat.service_stat of an unknown service: status false');
    t.match(missing.error, /not found/);

    const [path, text] = (await call('vault', { node: p1.peerId, text: 'kept' })) as string[];
    t.match(path, /^\/tmp\/vault\/[0-9a-f-]+-[1-9A-HJ-NP-Za-km-z]+\/[0-9a-f-]+$/, 'vault.put path');
    t.equal(text, 'kept', 'vault.cat reads it back');

    const refused = (await call('sign_literal', { node: p1.peerId, data: [1, 2] })) as {
      success: boolean;
      error: string[];
      signature: unknown;
    };
    t.equal(refused.success, false, 'sig.sign refuses data that is not a registry record');
    t.match(refused.error[0], /registry\.get_record_bytes/);
    t.same(refused.signature, []);
    const [signed, valid, invalid, peerId] = (await call('sign_record', {
      node: p1.peerId,
    })) as [{ success: boolean; signature: number[][] }, boolean, boolean, string];
    t.equal(signed.success, true, 'sig.sign signs a registry record for a management peer');
    t.equal(signed.signature[0]?.length, 64);
    t.equal(valid, true, 'sig.verify accepts it');
    t.equal(invalid, false, 'sig.verify rejects other data');
    t.equal(peerId, p1.peerId, 'sig.get_peer_id');

    t.equal(await call('print', { node: p1.peerId, text: 'hello console' }), 'hello console');
    t.same(consoleLines, ['hello console'], 'run-console.print');

    // A stranger may not deploy; it may still list.
    await t.rejects(
      call('upload_one', { node: p2.peerId, name: 'greeting', wasm: [...wasm('greeting')] }),
      /dist\.add_module is allowed only to the host .* init peer .* is neither/,
      'a stranger is refused',
    );
    // An effector: refused without an allowlist entry for its CID, accepted with one.
    await t.rejects(
      call('upload_one', {
        node: p1.peerId,
        name: 'curl_adapter',
        wasm: b64(wasm('curl_adapter')),
      }),
      /imports the mounted binary curl, which this node's effector allowlist does not grant/,
      'an effector without an allowlist entry is refused',
    );
    t.equal(
      await call('upload_one', {
        node: p3.peerId,
        name: 'curl_adapter',
        wasm: b64(wasm('curl_adapter')),
      }),
      curlCid,
      'an effector allowed by CID is accepted',
    );
    t.equal(
      await call('upload_one', { node: p1.peerId, name: 'greeting', wasm: [...wasm('greeting')] }),
      moduleCid(wasm('greeting')),
      'add_module takes aqua-lib bytes ([]u8) as well as base64',
    );

    // Persistence: the same data dir, a re-created registry, the service back by id and alias.
    await s1.close();
    opened.splice(opened.indexOf(s1), 1);
    await t.rejects(
      call('call_by', { node: p1.peerId, id: 'styles', value: 'x' }),
      /Service with id 'styles' not found/,
      'closed: calls find no service',
    );
    s1 = open(p1, p1Context());
    const report = await s1.restore();
    t.same(report, { restored: [sid], failed: [] }, 'restore brings the service back');
    const [again] = (await call('call_by', { node: p1.peerId, id: 'styles', value: 'after' })) as [
      Record<string, unknown>,
    ];
    t.equal(again.field_1, 'after', 'called by alias after the restart');
    t.ok(existsSync(join(dir, p1.peerId, 'services', sid, 'storage')), '/storage persists');

    t.same(
      await call('remove', { node: p1.peerId, sid }),
      [],
      'srv.remove, then srv.list is empty',
    );
    await t.rejects(
      call('call_by', { node: p1.peerId, id: sid, value: 'x' }),
      new RegExp(`Service with id '${sid}' not found`),
      'a removed service is gone',
    );
    t.same(readdirSync(join(dir, p1.peerId, 'services')), [], 'nothing of it is left on disk');
  },
);
