// Integers past 2^53 cross the particle loop exactly: from a JS handler through the VM to the
// client, through Nox's json/math/cmp builtins, and into error texts. Each run is made on our VM
// and on the reference AquaVM (the builtins are ours on both, as they are Nox's, not AquaVM's),
// and both must give the same exact values.
import t from 'tap';
import { AquaVM } from '../../air/vm.js';
import { createReferenceAquaVM } from '../reference-aquavm.js';
import { LocalNetwork } from '../index.js';
import { type AirRunner } from '../../peer/index.js';

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const SAFE_PLUS_2 = 2n ** 53n + 1n;

const reference = await createReferenceAquaVM();
const vms: [string, () => AirRunner][] = [
  ['our VM', () => new AquaVM()],
  ['the reference AquaVM', () => reference],
];

const wrap = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

/** Text that tells a bigint from a number, so `t.equal` on it compares kinds too. */
const exact = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

function network(vm: () => AirRunner): LocalNetwork {
  const net = new LocalNetwork({ peers: 1, vm, clientViaRelay: false });
  net.peers[0]!.registerService('big', {
    u64max: () => U64_MAX,
    record: () => ({ u64: U64_MAX, i64: I64_MIN, safe: SAFE_PLUS_2, small: 5 }),
  });
  return net;
}

const results = new Map<string, string>();

for (const [name, vm] of vms) {
  t.test(
    `${name}: big integers from a JS handler and the client's arguments arrive exact`,
    async (t) => {
      const net = network(vm);
      t.teardown(() => net.stop());
      const p1 = net.peers[0]!.peerId;
      const value = await net.callAquaFunction(
        wrap(`(seq (call %init_peer_id% ("getDataSrv" "arg") [] a)
        (seq (call "${p1}" ("big" "u64max") [] m)
        (call "${p1}" ("op" "array") [m a] x)))`),
        { arg: I64_MIN },
      );
      t.equal(exact(value), exact([U64_MAX, I64_MIN]));
      t.same(
        (value as unknown[]).map((v) => typeof v),
        ['bigint', 'bigint'],
      );
    },
  );

  t.test(`${name}: json, math and cmp builtins keep big integers exact`, async (t) => {
    const net = network(vm);
    t.teardown(() => net.stop());
    const p1 = net.peers[0]!.peerId;
    const value = await net.callAquaFunction(
      wrap(`(seq (call "${p1}" ("big" "record") [] r)
        (seq (call "${p1}" ("json" "stringify") [r] s)
        (seq (call "${p1}" ("json" "parse") [s] back)
        (seq (call "${p1}" ("json" "parse") ["[18446744073709551615, 18446744073709551616]"] edge)
        (seq (call "${p1}" ("json" "obj") ["k" r.$.u64] o)
        (seq (call "${p1}" ("math" "add") [r.$.safe 1] sum)
        (seq (call "${p1}" ("cmp" "gt") [r.$.safe 9007199254740992] gt)
        (seq (call "${p1}" ("debug" "stringify") [r.$.u64 r.$.i64] d)
        (call "${p1}" ("op" "array") [s back edge o sum gt d] x)))))))))`),
      {},
    );
    const [s, back, edge, o, sum, gt, d] = value as unknown[];
    // Keys come sorted, as AquaVM hands an object to a service and as Nox's serde_json map keeps them.
    t.equal(
      s,
      '{"i64":-9223372036854775808,"safe":9007199254740993,"small":5,"u64":18446744073709551615}',
    );
    t.equal(exact(back), exact({ i64: I64_MIN, safe: SAFE_PLUS_2, small: 5, u64: U64_MAX }));
    // serde_json reads digits past u64 as an f64; the last value is no integer any more.
    t.equal(exact(edge), exact([U64_MAX, 18446744073709551616]));
    t.equal(exact(o), exact({ k: U64_MAX }));
    t.equal(exact(sum), exact(2n ** 53n + 2n), 'math.add past 2^53 is exact');
    t.equal(gt, true, '2^53 + 1 > 2^53, which doubles cannot tell');
    t.equal(d, '[18446744073709551615,-9223372036854775808]');
    results.set(name, exact(value));
  });

  t.test(`${name}: a builtin's error text shows a big integer argument exactly`, async (t) => {
    const net = network(vm);
    t.teardown(() => net.stop());
    const p1 = net.peers[0]!.peerId;
    const value = await net.callAquaFunction(
      `(seq (call "${p1}" ("big" "u64max") [] m)
        (xor (call "${p1}" ("op" "concat_strings") [m] c)
             (call %init_peer_id% ("callbackSrv" "response") [:error:.$.message])))`,
      {},
    );
    t.match(value, /op\.concat_strings argument 0: expected a string, found 18446744073709551615/);
  });
}

t.test('both VMs give the same exact values', async (t) => {
  t.equal(results.size, 2);
  t.equal(results.get('our VM'), results.get('the reference AquaVM'));
});
