// The VM's JSON: exact integers past 2^53, serde_json's number text (which content ids hash),
// and how host values become JSON values.
import t from 'tap';
import { cidOf, cidOfJsonText } from '../data/cid.js';
import {
  JsonFloat,
  callResultText,
  canonicalJson,
  jsonEqual,
  parseJson,
  serdeFloat,
  serviceResultValue,
  sortedKeys,
  toJsonValue,
  type JsonValue,
} from '../../protocol/index.js';

t.test('canonical text writes numbers as serde_json does', async (t) => {
  const cases: [JsonValue, string][] = [
    [18446744073709551615n, '18446744073709551615'],
    [-9223372036854775808n, '-9223372036854775808'],
    [9007199254740993n, '9007199254740993'],
    [2 ** 60, '1152921504606846976'],
    [42, '42'],
    [1e300, '1e300'],
    [1e20, '1e20'],
    [0.1, '0.1'],
    [-0, '-0.0'],
    [1.5e-7, '1.5e-7'],
    [1e-5, '0.00001'],
    [123456789.125, '123456789.125'],
    [Number.MAX_VALUE, '1.7976931348623157e308'],
    [{ b: 2n ** 64n - 1n, a: [0.5, -1] }, '{"a":[0.5,-1],"b":18446744073709551615}'],
  ];
  for (const [value, text] of cases) t.equal(canonicalJson(value), text, text);
});

t.test('content ids of big integers hash their full digits', async (t) => {
  t.equal(cidOf(18446744073709551615n), cidOfJsonText('18446744073709551615'));
  t.not(cidOf(18446744073709551615n), cidOf(Number(18446744073709551615n)));
  // AquaVM's vectors still hold.
  t.equal(cidOf(1), 'bagaaihra2y55tkbgv6i4d7vdoglfuzhbd3ra6e7ennpvfrmzaejwmbntusdq');
  t.equal(cidOf({ key: 42 }), 'bagaaihracpzxhsrpviexa7k6glwdhyh3a4kvy6j7qlcqokzqbs3q424cmxyq');
});

t.test('parsing keeps every digit of i64/u64 and reads other numbers as f64', async (t) => {
  const v = parseJson(
    '{"u":18446744073709551615,"i":-9223372036854775808,"s":9007199254740991,"f":1e300,"z":-0,"past":18446744073709551616}',
  ) as Record<string, JsonValue>;
  t.equal(v['u'], 18446744073709551615n);
  t.equal(v['i'], -9223372036854775808n);
  t.equal(v['s'], 9007199254740991, 'a safe integer stays a number');
  t.equal(v['f'], 1e300);
  t.ok(Object.is(v['z'], -0), '-0 is the float -0.0');
  t.equal(v['past'], 18446744073709551616, 'past u64 serde_json reads an f64');
  t.equal(canonicalJson(parseJson(canonicalJson(v))), canonicalJson(v), 'text round trip');
  t.throws(() => parseJson('[12345678901234567890,'), SyntaxError);
  const proto = parseJson('{"__proto__":12345678901234567890}') as Record<string, JsonValue>;
  t.same(Object.keys(proto), ['__proto__'], 'a "__proto__" key is a key, as JSON.parse makes it');
  t.equal(Object.getPrototypeOf(proto), Object.prototype);
  t.equal(proto['__proto__'], 12345678901234567890n);
});

t.test(
  'host values: integral numbers within i64/u64 are integers, bigints normalised',
  async (t) => {
    t.equal(toJsonValue(2 ** 60), 2n ** 60n);
    t.equal(toJsonValue(2n ** 10n), 1024);
    t.equal(toJsonValue(2n ** 70n), 2 ** 70, 'past u64 an f64, as serde_json reads the digits');
    t.same(toJsonValue({ a: undefined, d: new Date(0), n: NaN }), {
      d: '1970-01-01T00:00:00.000Z',
      n: null,
    });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    t.throws(() => toJsonValue(cyclic), TypeError);
    t.equal(callResultText({ v: 2n ** 64n - 1n, f: 0.5 }), '{"v":18446744073709551615,"f":0.5}');
    t.equal(callResultText(undefined), 'null');
  },
);

t.test('equality follows serde_json: integers never equal floats', async (t) => {
  t.ok(jsonEqual(2n ** 60n, 2 ** 60), 'the same integer in either JS form');
  t.notOk(jsonEqual(2n ** 64n - 1n, 2n ** 64n - 2n));
  t.notOk(jsonEqual(-0, 0), 'the float -0.0 is not the integer 0');
  t.notOk(jsonEqual(0, -0));
  t.ok(jsonEqual(-0, -0));
  t.ok(jsonEqual([{ a: 2n ** 63n }], [{ a: 2n ** 63n }]));
  t.notOk(jsonEqual([1], ['1']));
});

t.test(
  'integral f64 values are JsonFloats: written 7.0, unequal to 7, plain numbers for hosts',
  async (t) => {
    t.equal(canonicalJson(new JsonFloat(7)), '7.0');
    t.equal(canonicalJson(new JsonFloat(1e18)), '1e18');
    t.equal(canonicalJson(new JsonFloat(-3)), '-3.0');
    const parsed = parseJson('[7.0,1e3,2.5,7]') as JsonValue[];
    t.ok(parsed[0] instanceof JsonFloat, '7.0 reads as an f64');
    t.ok(parsed[1] instanceof JsonFloat, '1e3 reads as an f64');
    t.equal(parsed[2], 2.5, 'a fractional f64 is a plain number');
    t.equal(parsed[3], 7);
    t.equal(canonicalJson(parsed), '[7.0,1000.0,2.5,7]');
    t.notOk(jsonEqual(new JsonFloat(7), 7));
    t.notOk(jsonEqual(7, new JsonFloat(7)));
    t.ok(jsonEqual(new JsonFloat(7), new JsonFloat(7)));
    t.ok(jsonEqual(new JsonFloat(1e30), 1e30), 'past u64 a plain number is an f64 too');
    t.same(sortedKeys({ b: new JsonFloat(2), a: [new JsonFloat(1)] }), { a: [1], b: 2 });
    t.equal(callResultText({ f: new JsonFloat(7) }), '{"f":7.0}');
    t.equal(toJsonValue(new JsonFloat(0.5)), 0.5, 'a fractional JsonFloat is a plain number');
  },
);

t.test('object keys sort by code point, as serde_json maps do (not by UTF-16 unit)', async (t) => {
  const value = { '\u{1F600}': 1, '\uFF61': 2, a: 3, '10': 4, '9': 5 };
  t.equal(canonicalJson(value), '{"10":4,"9":5,"a":3,"\uFF61":2,"\u{1F600}":1}');
  // JS itself puts integer-like keys first in any object handed out.
  t.same(Object.keys(sortedKeys(value) as object), ['9', '10', 'a', '\uFF61', '\u{1F600}']);
});

t.test('f64 values are read as AquaVM’s serde_json reads their text', async (t) => {
  // Seen from the reference: serde_json multiplies the digits by 10^252 and rounds once more.
  t.equal(serdeFloat(8.707646131515503e267), 8.707646131515504e267);
  t.equal(serdeFloat(0.1), 0.1, 'most values read back exactly');
  t.equal(serdeFloat(1e300), 1e300);
  t.ok(Object.is(serdeFloat(-0), -0));
  t.same(serviceResultValue([8.707646131515503e267, 0.5, 2n ** 64n - 1n]), [
    8.707646131515504e267,
    0.5,
    2n ** 64n - 1n,
  ]);
  t.equal(toJsonValue(8.707646131515503e267), 8.707646131515503e267, 'toJsonValue is exact');
  t.equal(parseJson('8.707646131515503e267', { aquaFloats: true }), 8.707646131515504e267);
  t.equal(parseJson('8.707646131515503e267'), 8.707646131515503e267);
});
