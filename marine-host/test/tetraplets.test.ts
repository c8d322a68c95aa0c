import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  TetrapletCheckError,
  checkTetraplets,
  completeCallParameters,
  loadService,
  parseTetrapletPolicy,
} from '../service/index.js';

const artifacts = await buildHostFixtures();
const defaults = { serviceId: 'svc', hostId: 'host-peer', owner: 'owner-peer' };
const fromTimestamp = {
  peer_pk: 'host-peer',
  service_id: 'peer',
  function_name: 'timestamp_sec',
  lens: '',
};

t.test('one tetraplet list per argument', async (t) => {
  const cp = completeCallParameters({ tetraplets: [[], []] }, 1, defaults);
  t.throws(
    () => checkTetraplets('greeting', ['name'], cp, undefined),
    new TetrapletCheckError(
      'function greeting: expected 1 tetraplet list (one per argument), found 2',
    ),
  );
  t.doesNotThrow(() =>
    checkTetraplets(
      'greeting',
      ['name'],
      completeCallParameters(undefined, 1, defaults),
      undefined,
    ),
  );
});

t.test('declarative policy', async (t) => {
  const policy = parseTetrapletPolicy({
    functions: {
      set_time: {
        arguments: {
          ts: { peer_pk: '%host%', service_id: 'peer', function_name: 'timestamp_sec', lens: '' },
        },
      },
      wipe: { owner_only: true },
    },
  });
  const ok = completeCallParameters({ tetraplets: [[fromTimestamp]] }, 1, defaults);
  t.doesNotThrow(() => checkTetraplets('set_time', ['ts'], ok, policy));
  const wrongFn = completeCallParameters(
    { tetraplets: [[{ ...fromTimestamp, function_name: 'timestamp_ms' }]] },
    1,
    defaults,
  );
  t.throws(
    () => checkTetraplets('set_time', ['ts'], wrongFn, policy),
    new TetrapletCheckError(
      'function set_time: argument ts must come from peer_pk = "host-peer", service_id = "peer", function_name = "timestamp_sec", lens = "", but its tetraplet has function_name = "timestamp_ms"',
    ),
  );
  const literal = completeCallParameters(
    { particle: { init_peer_id: 'client' }, tetraplets: [[{ peer_pk: 'client' }]] },
    1,
    defaults,
  );
  t.throws(() => checkTetraplets('set_time', ['ts'], literal, policy), {
    message: /its tetraplet has peer_pk = "client"/,
  });
  t.throws(
    () =>
      checkTetraplets('set_time', ['ts'], completeCallParameters(undefined, 1, defaults), policy),
    { message: /but it carries no tetraplet/ },
  );
  const lensed = completeCallParameters(
    { tetraplets: [[{ ...fromTimestamp, lens: '.$.[0]' }]] },
    1,
    defaults,
  );
  t.throws(() => checkTetraplets('set_time', ['ts'], lensed, policy), {
    message: /lens = "\.\$\.\[0\]"/,
  });

  const stranger = completeCallParameters({ particle: { init_peer_id: 'stranger' } }, 0, defaults);
  t.throws(
    () => checkTetraplets('wipe', [], stranger, policy),
    new TetrapletCheckError(
      'function wipe may be called only by the service owner "owner-peer", but the particle\'s init peer is "stranger"',
    ),
  );
  t.doesNotThrow(() =>
    checkTetraplets(
      'wipe',
      [],
      completeCallParameters({ particle: { init_peer_id: 'owner-peer' } }, 0, defaults),
      policy,
    ),
  );
  t.doesNotThrow(
    () => checkTetraplets('other', [], stranger, policy),
    'functions without rules are open',
  );
});

t.test('bad policies are rejected with the field named', async (t) => {
  t.throws(() => parseTetrapletPolicy({ functions: { f: { owner_only: 'yes' } } }), {
    message: 'policy: functions.f.owner_only: expected true or false, found "yes"',
  });
  t.throws(() => parseTetrapletPolicy({ functions: { f: { arguments: { a: { peer: 'x' } } } } }), {
    message: /functions\.f\.arguments\.a\.peer: expected peer_pk, service_id, function_name, lens/,
  });
  t.throws(() => parseTetrapletPolicy([]), { message: /expected an object/ });
});

t.test('the host checks tetraplets before guest code runs', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'Config.toml');
  writeFileSync(
    file,
    `modules_dir = ${JSON.stringify(artifacts)}\n[[module]]\nname = "fx_helper"\n[[module]]\nname = "fx_facade"\n[module.wasi]\nmapped_dirs = { "/data" = "./data" }\n[module.mounted_binaries]\necho = "/bin/echo"\n`,
  );
  const policy = parseTetrapletPolicy({
    functions: {
      write_file: { owner_only: true, arguments: { content: { service_id: 'trusted' } } },
    },
  });
  const svc = await loadService(file, { policy, owner: 'owner-peer' });
  t.teardown(() => svc.close());
  const trusted = [[], [{ peer_pk: 'p', service_id: 'trusted', function_name: 'f', lens: '' }]];
  await t.rejects(
    svc.call('write_file', ['/data/x', 'v'], {
      particle: { init_peer_id: 'stranger' },
      tetraplets: trusted,
    }),
    TetrapletCheckError,
  );
  await t.rejects(
    svc.call('write_file', ['/data/x', 'v'], {
      particle: { init_peer_id: 'owner-peer' },
      tetraplets: [[], [{ peer_pk: 'p', service_id: 'untrusted' }]],
    }),
    {
      name: 'TetrapletCheckError',
      message:
        /function write_file: argument content must come from service_id = "trusted", but its tetraplet has service_id = "untrusted"/,
    },
  );
  await t.rejects(
    svc.call('write_file', ['/data/x', 'v'], {
      particle: { init_peer_id: 'owner-peer' },
      tetraplets: [[]],
    }),
    { message: /expected 2 tetraplet lists/ },
  );
  t.notOk(existsSync(join(dir, 'data/x')), 'the guest never ran');
  t.equal(
    await svc.call('write_file', ['/data/x', 'v'], {
      particle: { init_peer_id: 'owner-peer' },
      tetraplets: trusted,
    }),
    'ok',
  );
  t.ok(existsSync(join(dir, 'data/x')));
  const seen = await svc.call('who', [], {
    particle: { id: 'p1', init_peer_id: 'owner-peer' },
    tetraplets: [],
  });
  t.match(seen, /^p1\|owner-peer\|/);
});
