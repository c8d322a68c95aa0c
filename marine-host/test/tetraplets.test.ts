import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  CallParametersError,
  PolicyError,
  TetrapletCheckError,
  checkPolicyNames,
  checkTetraplets,
  completeCallParameters,
  loadService,
  parseTetrapletPolicy,
} from '../service/index.js';

const artifacts = await buildHostFixtures();
const identity = { serviceId: 'svc', hostPeerId: 'host-peer', ownerPeerId: 'owner-peer' };
const fromTimestamp = {
  peer_pk: 'host-peer',
  service_id: 'peer',
  function_name: 'timestamp_sec',
  lens: '',
};

t.test('one tetraplet list per argument', async (t) => {
  const cp = completeCallParameters({ tetraplets: [[], []] }, 1, identity);
  t.throws(
    () => checkTetraplets('greeting', ['name'], cp, undefined, identity),
    new TetrapletCheckError(
      'function greeting: expected 1 tetraplet list (one per argument), found 2',
    ),
  );
  t.doesNotThrow(() =>
    checkTetraplets(
      'greeting',
      ['name'],
      completeCallParameters(undefined, 1, identity),
      undefined,
      identity,
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
  const ok = completeCallParameters({ tetraplets: [[fromTimestamp]] }, 1, identity);
  t.doesNotThrow(() => checkTetraplets('set_time', ['ts'], ok, policy, identity));
  const wrongFn = completeCallParameters(
    { tetraplets: [[{ ...fromTimestamp, function_name: 'timestamp_ms' }]] },
    1,
    identity,
  );
  t.throws(
    () => checkTetraplets('set_time', ['ts'], wrongFn, policy, identity),
    new TetrapletCheckError(
      'function set_time: argument ts must come from peer_pk = "host-peer", service_id = "peer", function_name = "timestamp_sec", lens = "", but its tetraplet has function_name = "timestamp_ms"',
    ),
  );
  const literal = completeCallParameters(
    { particle: { init_peer_id: 'client' }, tetraplets: [[{ peer_pk: 'client' }]] },
    1,
    identity,
  );
  t.throws(() => checkTetraplets('set_time', ['ts'], literal, policy, identity), {
    message: /its tetraplet has peer_pk = "client"/,
  });
  t.throws(
    () =>
      checkTetraplets(
        'set_time',
        ['ts'],
        completeCallParameters(undefined, 1, identity),
        policy,
        identity,
      ),
    { message: /but it carries no tetraplet/ },
  );
  const lensed = completeCallParameters(
    { tetraplets: [[{ ...fromTimestamp, lens: '.$.[0]' }]] },
    1,
    identity,
  );
  t.throws(() => checkTetraplets('set_time', ['ts'], lensed, policy, identity), {
    message: /lens = "\.\$\.\[0\]"/,
  });

  const stranger = completeCallParameters({ particle: { init_peer_id: 'stranger' } }, 0, identity);
  t.throws(
    () => checkTetraplets('wipe', [], stranger, policy, identity),
    new TetrapletCheckError(
      'function wipe may be called only by the service owner "owner-peer", but the particle\'s init peer is "stranger"',
    ),
  );
  t.doesNotThrow(() =>
    checkTetraplets(
      'wipe',
      [],
      completeCallParameters({ particle: { init_peer_id: 'owner-peer' } }, 0, identity),
      policy,
      identity,
    ),
  );
  t.doesNotThrow(
    () => checkTetraplets('other', [], stranger, policy, identity),
    'functions without rules are open',
  );
});

t.test('the * rule applies to every function', async (t) => {
  const policy = parseTetrapletPolicy({ functions: { '*': { owner_only: true } } });
  const stranger = completeCallParameters({ particle: { init_peer_id: 'stranger' } }, 0, identity);
  for (const fn of ['wipe', 'anything'])
    t.throws(() => checkTetraplets(fn, [], stranger, policy, identity), {
      name: 'TetrapletCheckError',
      message: `function ${fn} may be called only by the service owner "owner-peer", but the particle's init peer is "stranger"`,
    });
  const owner = completeCallParameters({ particle: { init_peer_id: 'owner-peer' } }, 0, identity);
  t.doesNotThrow(() => checkTetraplets('anything', [], owner, policy, identity));
  const args = parseTetrapletPolicy({
    functions: { '*': { arguments: { ts: { service_id: 'peer' } } } },
  });
  t.throws(
    () =>
      checkTetraplets(
        'f',
        ['ts'],
        completeCallParameters({ tetraplets: [[{ service_id: 'other' }]] }, 1, identity),
        args,
        identity,
      ),
    { message: /function f: argument ts must come from service_id = "peer"/ },
    'a * argument rule checks every function that has the argument',
  );
  t.doesNotThrow(
    () => checkTetraplets('g', ['x'], completeCallParameters({}, 1, identity), args, identity),
    'and leaves functions without it alone',
  );
});

t.test('every tetraplet of an argument is checked, not only the first', async (t) => {
  const policy = parseTetrapletPolicy({
    functions: { set_time: { arguments: { ts: { peer_pk: '%host%', service_id: 'peer' } } } },
  });
  const good = { peer_pk: 'host-peer', service_id: 'peer', function_name: 'f', lens: '' };
  const bad = { ...good, peer_pk: 'forger' };
  t.doesNotThrow(() =>
    checkTetraplets(
      'set_time',
      ['ts'],
      completeCallParameters({ tetraplets: [[good, good]] }, 1, identity),
      policy,
      identity,
    ),
  );
  for (const list of [
    [good, bad],
    [bad, good],
    [good, good, bad],
  ])
    t.throws(
      () =>
        checkTetraplets(
          'set_time',
          ['ts'],
          completeCallParameters({ tetraplets: [list] }, 1, identity),
          policy,
          identity,
        ),
      {
        name: 'TetrapletCheckError',
        message: `function set_time: argument ts must come from peer_pk = "host-peer", service_id = "peer", but its tetraplet ${list.indexOf(bad)} has peer_pk = "forger"`,
      },
    );
});

t.test('%init_peer_id% is the particle init peer and %host% the service host', async (t) => {
  const policy = parseTetrapletPolicy({
    functions: { f: { arguments: { a: { peer_pk: '%init_peer_id%' }, b: { peer_pk: '%host%' } } } },
  });
  const cp = (a: string, b: string) =>
    completeCallParameters(
      { particle: { init_peer_id: 'client' }, tetraplets: [[{ peer_pk: a }], [{ peer_pk: b }]] },
      2,
      identity,
    );
  t.doesNotThrow(() =>
    checkTetraplets('f', ['a', 'b'], cp('client', 'host-peer'), policy, identity),
  );
  t.throws(() => checkTetraplets('f', ['a', 'b'], cp('host-peer', 'host-peer'), policy, identity), {
    message:
      /argument a must come from peer_pk = "client", but its tetraplet has peer_pk = "host-peer"/,
  });
  t.throws(() => checkTetraplets('f', ['a', 'b'], cp('client', 'client'), policy, identity), {
    message:
      /argument b must come from peer_pk = "host-peer", but its tetraplet has peer_pk = "client"/,
  });
  const noInit = completeCallParameters(
    { tetraplets: [[{ peer_pk: '' }], [{ peer_pk: 'host-peer' }]] },
    2,
    identity,
  );
  t.throws(() => checkTetraplets('f', ['a', 'b'], noInit, policy, identity), {
    message:
      /argument a must have peer_pk = %init_peer_id%, but the particle has no init peer id, so the requirement cannot be decided/,
  });
});

t.test('owner_only that cannot be decided denies', async (t) => {
  const policy = parseTetrapletPolicy({ functions: { wipe: { owner_only: true } } });
  const unowned = { ...identity, ownerPeerId: '' };
  const anonymous = completeCallParameters(undefined, 0, unowned);
  t.throws(() => checkTetraplets('wipe', [], anonymous, policy, unowned), {
    name: 'TetrapletCheckError',
    message: /the service has no owner \(it was loaded without one\)/,
  });
  t.throws(
    () => checkTetraplets('wipe', [], completeCallParameters({}, 0, identity), policy, identity),
    { message: /the particle has no init peer id/ },
  );
});

t.test('call parameters cannot claim the service identity', async (t) => {
  for (const [field, value] of [
    ['service_creator_peer_id', 'stranger'],
    ['host_id', 'stranger'],
    ['service_id', 'other'],
    ['worker_id', 'elsewhere'],
  ] as const)
    t.throws(() => completeCallParameters({ [field]: value }, 0, identity), {
      name: 'CallParametersError',
      message: new RegExp(
        `^call parameters: ${field}: the call claims "${value}", but this service's is "`,
      ),
    });
  const same = completeCallParameters(
    { service_id: 'svc', host_id: 'host-peer', service_creator_peer_id: 'owner-peer' },
    0,
    identity,
  );
  t.match(same, {
    service_id: 'svc',
    host_id: 'host-peer',
    service_creator_peer_id: 'owner-peer',
    worker_id: 'host-peer',
  });
  t.match(
    completeCallParameters(undefined, 0, identity),
    {
      service_creator_peer_id: 'owner-peer',
      host_id: 'host-peer',
    },
    'filled from the identity',
  );
});

t.test('call parameters are validated with the field named', async (t) => {
  const cases: [unknown, string][] = [
    [
      { tetraplets: 'xy' },
      'call parameters: tetraplets: expected an array with one list of tetraplets per argument, found "xy"',
    ],
    [
      { tetraplets: [{}] },
      'call parameters: tetraplets[0]: expected an array of tetraplets (for argument 0), found {}',
    ],
    [
      { tetraplets: [[{ peer_pk: 1 }]] },
      'call parameters: tetraplets[0][0].peer_pk: expected a string, found 1',
    ],
    [
      { tetraplets: [[{ peer: 'x' }]] },
      'call parameters: tetraplets[0][0].peer: unknown field (expected one of peer_pk, service_id, function_name, lens)',
    ],
    [
      { particle: 'x' },
      'call parameters: particle: expected an object {id?, init_peer_id?, timestamp?, ...}, found "x"',
    ],
    [
      { particle: { init_peer_id: 5 } },
      'call parameters: particle.init_peer_id: expected a string, found 5',
    ],
    [
      { particle: { ttl: -1 } },
      'call parameters: particle.ttl: expected milliseconds (an integer in 0..2^32-1), found -1',
    ],
    [
      { particle: { timestamp: 1.5 } },
      'call parameters: particle.timestamp: expected milliseconds since the epoch (an integer in 0..2^64-1), found 1.5',
    ],
    [
      { particle: { signature: [256] } },
      'call parameters: particle.signature[0]: expected a byte (0..255), found 256',
    ],
    [
      { particel: {} },
      'call parameters: particel: unknown field (expected one of particle, service_id, service_creator_peer_id, host_id, worker_id, tetraplets)',
    ],
    ['xy', 'call parameters: (root): expected an object {particle?, tetraplets?, ...}, found "xy"'],
    [{ host_id: 7 }, 'call parameters: host_id: expected a string, found 7'],
  ];
  for (const [input, message] of cases)
    t.throws(() => completeCallParameters(input, 1, identity), new CallParametersError(message));
});

t.test('a policy must name functions and arguments the service has', async (t) => {
  const functions = new Map([
    ['write_file', ['path', 'content']],
    ['who', []],
  ]);
  const names = (fns: Record<string, unknown>) => () =>
    checkPolicyNames(parseTetrapletPolicy({ functions: fns }), functions);
  t.doesNotThrow(names({ write_file: { owner_only: true }, '*': { owner_only: true } }));
  t.throws(
    names({ wipe: { owner_only: true } }),
    new PolicyError(
      'policy: functions.wipe: the service has no function "wipe"; its functions: write_file, who',
    ),
  );
  for (const spelling of ['write-file', 'writeFile', 'WriteFile'])
    t.throws(names({ [spelling]: { owner_only: true } }), {
      name: 'PolicyError',
      message: `policy: functions.${spelling}: the service has no function "${spelling}" (did you mean write_file? policies name functions in snake_case); its functions: write_file, who`,
    });
  t.throws(names({ write_file: { arguments: { body: { service_id: 's' } } } }), {
    message:
      'policy: functions.write_file.arguments.body: function write_file has no argument "body" (arguments: path, content)',
  });
  t.throws(names({ '*': { arguments: { body: { service_id: 's' } } } }), {
    message:
      'policy: functions.*.arguments.body: no function of the service has argument "body" (arguments: path, content)',
  });
  t.throws(
    () => parseTetrapletPolicy({ functions: { f: { arguments: { a: { peer_pk: '%hots%' } } } } }),
    {
      name: 'PolicyError',
      message:
        'policy: functions.f.arguments.a.peer_pk: expected a literal or one of %host%, %init_peer_id%, found "%hots%"',
    },
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
