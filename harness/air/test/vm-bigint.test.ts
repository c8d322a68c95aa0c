// Numbers beyond 2^53, differential: services hand out i64/u64 extremes and awkward floats, the
// scripts pass them between peers, through lenses, streams, canons, maps, match and fail, and
// both VMs must make the same calls with the same exact arguments (bigint where a JS number
// would round), end with the same ret codes and print the same error messages.
import t from 'tap';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { AquaVM, JsonFloat, type AquaCallRequest, type AquaCallResult } from '../vm.js';
import { runNetwork, testPeer, type NetworkRun } from './vm-harness.js';

const peers = [testPeer(0), testPeer(1), testPeer(2)] as const;
const names: [string, string][] = [
  ['@A', peers[0].peerId],
  ['@B', peers[1].peerId],
  ['@C', peers[2].peerId],
];
const withPeers = (air: string): string =>
  names.reduce((s, [k, id]) => s.replaceAll(k, `"${id}"`), air);

/** What the `vals` service returns; each entry is a case AquaVM keeps exact or makes an f64. */
const VALUES = {
  big: 2n ** 53n + 1n,
  negBig: -(2n ** 53n) - 1n,
  minI64: -(2n ** 63n),
  maxI64: 2n ** 63n - 1n,
  maxU64: 2n ** 64n - 1n,
  // Past u64: serde_json reads these digits as an f64.
  pastU64: 12345678901234567890123n,
  // An integral JS number past 2^53 is the integer it equals.
  twoP60: 2 ** 60,
  // An integral JS number past u64 is an f64.
  e20: 1e20,
  e300: 1e300,
  tenth: 0.1,
  negZero: -0,
  small: 1.5e-7,
  frac: 123456789.125,
  tiny5: 1e-5,
  tiny6: 0.0000012345,
  maxF: Number.MAX_VALUE,
  minF: Number.MIN_VALUE,
  safe: 42,
};

/** Seeded f64 values of every magnitude (deterministic, so failures reproduce). */
function randomFloats(count: number, seed: number): number[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from(
    { length: count },
    () => (next() < 0.3 ? -1 : 1) * next() * 10 ** (Math.floor(next() * 600) - 300),
  );
}
const FLOATS = randomFloats(150, 777);
const EDGES = [
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  2n ** 64n,
  -(2n ** 63n),
  -(2n ** 63n) - 1n,
  10n ** 20n,
  2n ** 70n,
];
/** Integers at the i64/u64 edges, as bigint and as the nearest JS number. */
const EDGE_VALUES = [...EDGES, ...EDGES.map((x) => Number(x))];

function handler(_peer: string, call: AquaCallRequest): AquaCallResult {
  switch (call.serviceId) {
    case 'vals':
      switch (call.functionName) {
        case 'obj':
          return { retCode: 0, result: VALUES };
        case 'arr':
          return { retCode: 0, result: Object.values(VALUES) };
        case 'err':
          return { retCode: 0, result: { error_code: 2n ** 62n + 3n, message: 'big code' } };
        case 'edges':
          return { retCode: 0, result: EDGE_VALUES };
        case 'floats':
          return { retCode: 0, result: FLOATS };
        case 'keys':
          return { retCode: 0, result: { '\u{1F600}': 1, '\uFF61': 2, a: 3, é: 4, '10': 5 } };
        case 'float':
          return { retCode: 0, result: new JsonFloat(7) };
        case 'badErr':
          return { retCode: 0, result: { error_code: 2n ** 64n - 1n, message: 'u64 code' } };
        default:
          return { retCode: 0, result: null };
      }
    case 'failbig':
      return { retCode: 7, result: [2n ** 64n - 1n, -(2n ** 63n), 0.1] };
    default:
      return { retCode: 0, result: [call.functionName, ...call.arguments] };
  }
}

/** Text that tells apart what t.same would not: bigint from number, -0 from 0. */
function exact(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (Object.is(v, -0)) return '-0';
    return v;
  });
}

function observable(run: NetworkRun): string {
  const text = exact({ calls: run.calls, outcomes: run.outcomes, hops: run.hops });
  return names.reduce((s, [k, id]) => s.replaceAll(id, k), text);
}

const obj = '(call @A ("vals" "obj") [] o)';
const seqAll = (items: string[]): string =>
  items.reduceRight((rest, item) => `(seq ${item} ${rest})`, '(null)');
const scenarios: { name: string; air: string; timestamp?: number }[] = [
  {
    name: 'big values cross peers as results and arguments',
    air: `(seq ${obj} (seq (call @B ("echo" "f") [o o.$.maxU64 o.$.minI64 o.$.big o.$.pastU64 o.$.twoP60] r) (call @C ("echo" "g") [r r.$.[2]])))`,
  },
  {
    name: 'an array of every case, indexed',
    air: `(seq (call @A ("vals" "arr") [] a) (call @B ("echo" "f") [a a.$.[4] a.$.[10] a.length]))`,
  },
  {
    name: 'i64 and float literals',
    air: '(call @A ("echo" "f") [9223372036854775807 -9223372036854775808 9007199254740993 -9007199254740993 0.1 -0.0 1.5 0])',
  },
  {
    name: 'match and mismatch on big integers',
    air: `(seq ${obj} (seq (call @B ("vals" "obj") [] p) (xor (match o.$.maxU64 p.$.maxU64 (xor (mismatch o.$.maxU64 o.$.maxI64 (xor (match o.$.minI64 -9223372036854775808 (xor (match o.$.big 9007199254740992 (null)) (call @A ("echo" "ne") [:error: o.$.big]))) (call @A ("echo" "e3") [:error:]))) (call @A ("echo" "e2") [:error:]))) (call @A ("echo" "e1") [:error:]))))`,
  },
  {
    name: 'a u64 equals the same integer written as a JS number',
    air: `(seq ${obj} (xor (match o.$.twoP60 1152921504606846976 (call @A ("echo" "eq") [o.$.twoP60])) (call @A ("echo" "ne") [:error:])))`,
  },
  {
    name: '-0.0 is a float: unequal to 0, equal to -0.0',
    air: `(seq ${obj} (seq (xor (match -0.0 0 (call @A ("echo" "eq") [])) (call @A ("echo" "ne") [:error:])) (xor (match o.$.negZero -0.0 (call @A ("echo" "eq2") [o.$.negZero])) (call @A ("echo" "ne2") [:error:]))))`,
  },
  {
    name: 'lens indexes from big integers and floats fail like AquaVM',
    air: `(seq ${obj} (seq (call @A ("vals" "arr") [] a) (seq (ap o.$.maxU64 i1) (seq (ap o.$.negZero i2) (seq (ap o.$.tenth i3) (seq (ap o.$.safe i4) (seq (xor (call @A ("echo" "a") [a.$.[i1]]) (call @A ("echo" "e1") [:error:])) (seq (xor (call @A ("echo" "b") [a.$.[i2]]) (call @A ("echo" "e2") [:error:])) (seq (xor (call @A ("echo" "c") [a.$.[i3]]) (call @A ("echo" "e3") [:error:])) (xor (call @A ("echo" "d") [a.$.[i4]]) (call @A ("echo" "e4") [:error:])))))))))))`,
  },
  {
    name: 'lambda errors print floats and big integers as serde_json does',
    air: seqAll([
      obj,
      ...[
        'e300',
        'tenth',
        'small',
        'frac',
        'negZero',
        'e20',
        'tiny5',
        'tiny6',
        'maxF',
        'minF',
        'pastU64',
        'maxU64',
        'minI64',
      ].map((k) => `(xor (ap o.$.${k}.x y) (call @A ("echo" "${k}") [:error:]))`),
    ]),
  },
  {
    name: 'stream map with big integer keys, canon map lookup and fold',
    air: seqAll([
      obj,
      '(ap (o.$.maxU64 "u") %m)',
      '(ap (o.$.minI64 "i") %m)',
      '(ap (9223372036854775807 "l") %m)',
      '(ap (o.$.big "b") %m)',
      '(canon @A %m #%cm)',
      '(ap o.$.maxU64 k)',
      '(ap o.$.big kb)',
      '(call @B ("echo" "f") [#%cm #%cm.$.[k] #%cm.$.[kb] #%cm.length])',
      '(canon @A %m scal)',
      '(call @C ("echo" "s") [scal])',
      '(fold %m e (seq (call @B ("echo" "it") [e e.$.key]) (next e)))',
    ]),
  },
  {
    // A bad key consumes its ap state in AquaVM, so the next run on the peer fails with 20000.
    name: 'a float is not a stream map key',
    air: `(seq ${obj} (xor (ap (o.$.tenth "f") %m) (call @A ("echo" "badkey") [:error:])))`,
  },
  {
    name: 'stream and canon stream of big values on another peer',
    air: `(seq (call @A ("vals" "arr") [] a) (seq (fold a x (seq (ap x $s) (next x))) (seq (canon @B $s #cs) (call @C ("echo" "f") [#cs #cs.$.[4] #cs.length]))))`,
  },
  {
    name: 'big values from two peers join on a third',
    air: `(seq (par (call @A ("vals" "obj") [] o1) (call @B ("vals" "arr") [] o2)) (call @C ("echo" "f") [o1.$.maxU64 o2]))`,
  },
  {
    // A u64 error code past i64 makes avm 0.62 trap (check_error_object), so only ours sees one:
    // see the test at the end.
    name: 'fail with an i64 error code',
    air: `(seq (call @A ("vals" "err") [] e) (xor (fail e) (call @A ("echo" "f") [:error: %last_error%])))`,
  },
  {
    name: 'fail literals with i64 extremes keep their code exact, caught and uncaught',
    air: '(seq (xor (fail 9223372036854775807 "m") (call @A ("echo" "f") [:error: %last_error%.$.error_code])) (seq (xor (fail +5 "p") (call @A ("echo" "g") [:error:])) (fail -9007199254740993 "n")))',
  },
  {
    name: 'a failing service with big integers in its result',
    air: '(xor (call @A ("failbig" "f") []) (call @A ("echo" "f") [:error:]))',
  },
  {
    name: 'fold over a big integer is an error that prints it',
    air: `(seq ${obj} (seq (ap o.$.maxU64 big) (xor (fold big i (null)) (call @A ("echo" "f") [:error:]))))`,
  },
  {
    name: 'integral float literals stay floats: 7.0 is not 7, also through ap, canon and lenses',
    air: seqAll([
      '(xor (mismatch 7.0 +7 (call @A ("echo" "m1") [7.0])) (call @A ("echo" "a") [:error:]))',
      '(xor (match 7.0 7.0 (seq (ap 7.0 f) (call @A ("echo" "m2") [f]))) (call @A ("echo" "b") [:error:]))',
      '(ap 100.0 $s)',
      '(canon @B $s #cs)',
      '(xor (match #cs.$.[0] 100 (null)) (call @C ("echo" "c") [:error: #cs]))',
      '(ap [] arr)',
      '(ap 1.0 idx)',
      '(xor (ap arr.$.[idx] z) (call @A ("echo" "d") [:error:]))',
    ]),
  },
  {
    name: 'a host hands back an integral f64 as a JsonFloat',
    air: `(seq (call @A ("vals" "float") [] f) (xor (match f 7 (null)) (call @B ("echo" "f") [:error: f])))`,
  },
  {
    name: 'object keys print in serde_json order (code points, not UTF-16 units)',
    air: '(seq (call @A ("vals" "keys") [] k) (xor (ap k.$.zz y) (call @B ("echo" "f") [:error: k])))',
  },
  {
    // serde_json reads a float's text lossily (an ulp off at times), on the first peer and again
    // whenever a value is read back from data.
    name: 'random f64 values read as AquaVM reads them, over three peers, a stream and a canon',
    air: seqAll([
      '(call @A ("vals" "floats") [] fs)',
      '(call @B ("echo" "f") [fs] r)',
      '(fold r.$.[1] x (seq (ap x $s) (next x)))',
      '(canon @C $s #cs)',
      '(call @C ("echo" "g") [#cs r] r2)',
      '(call @A ("echo" "h") [r2.$.[1] #cs.$.[7]])',
    ]),
  },
  {
    name: 'integers at the i64/u64 edges (past them an f64), as bigint and as JS numbers',
    air: seqAll([
      '(call @A ("vals" "edges") [] e)',
      '(call @B ("echo" "f") [e] r)',
      '(fold r.$.[1] x (seq (ap x $s) (next x)))',
      '(canon @C $s #cs)',
      '(call @C ("echo" "g") [#cs])',
      '(xor (match e.$.[8] -9223372036854775808 (call @A ("echo" "eq") [])) (call @A ("echo" "ne") []))',
      '(xor (match e.$.[8] e.$.[19] (call @A ("echo" "eq2") [])) (call @A ("echo" "ne2") []))',
      '(xor (ap e.$.zz y) (call @A ("echo" "h") [:error:]))',
    ]),
  },
  {
    name: '%timestamp% past 2^53',
    air: '(call @A ("echo" "f") [%timestamp%])',
    timestamp: 2 ** 53 + 2,
  },
];

t.test('big integers and floats: our VM matches the reference AquaVM', async (t) => {
  const reference = await createReferenceAquaVM();
  const ours = new AquaVM();
  for (const scenario of scenarios) {
    const air = withPeers(scenario.air);
    for (const order of ['fifo', 'lifo'] as const) {
      const options = {
        maxSteps: 500,
        order,
        ...(scenario.timestamp === undefined ? {} : { timestamp: scenario.timestamp }),
      };
      const expected = await runNetwork(reference, air, peers, peers[0], handler, options);
      const actual = await runNetwork(ours, air, peers, peers[0], handler, options);
      t.equal(observable(actual), observable(expected), `${scenario.name} (${order})`);
      if (order === 'fifo')
        t.ok(expected.calls.length > 0, `${scenario.name}: the reference makes calls`);
    }
  }
});

t.test('arguments beyond 2^53 are handed out as bigint, safe ones as number', async (t) => {
  const run = await runNetwork(
    new AquaVM(),
    withPeers(`(seq ${obj} (call @A ("echo" "f") [o.$.maxU64 o.$.minI64 o.$.big o.$.safe]))`),
    peers,
    peers[0],
    handler,
  );
  const args = run.calls.find((c) => c.functionName === 'f')?.arguments;
  t.same(
    args?.map((a) => typeof a),
    ['bigint', 'bigint', 'bigint', 'number'],
  );
  t.equal(args?.[0], 18446744073709551615n);
  t.equal(args?.[1], -9223372036854775808n);
  t.equal(args?.[2], 9007199254740993n);
});

t.test('a u64 error code past i64 is not an error object (10008)', async (t) => {
  const run = await runNetwork(
    new AquaVM(),
    withPeers(
      '(seq (call @A ("vals" "badErr") [] b) (xor (fail b) (call @A ("echo" "g") [:error:])))',
    ),
    peers,
    peers[0],
    handler,
  );
  const error = run.calls.find((c) => c.functionName === 'g')?.arguments[0] as
    { error_code: number; message: string } | undefined;
  t.equal(error?.error_code, 10008);
  t.equal(
    error?.message,
    `error_code of scalar '{"error_code":18446744073709551615,"message":"u64 code"}' must have integer type`,
  );
});
