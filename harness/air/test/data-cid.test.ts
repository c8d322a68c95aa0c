import t from 'tap';
import { cidOf, cidOfJsonText } from '../data/cid.js';
import { canonicalJson } from '../../protocol/index.js';

t.test('CIDs match the reference test vectors', async (t) => {
  t.equal(cidOf('test'), 'bagaaihrarcyykpv4oj7zwdbepczyfthxya4og7s2rwvrzolm5kg2eu5dz3xa');
  t.equal(cidOf([1, 2, 3]), 'bagaaihram6sitn77tquub77n2jzjgttrlwkverv44pv3gns6qghm6hx6d36a');
  t.equal(cidOf(1), 'bagaaihra2y55tkbgv6i4d7vdoglfuzhbd3ra6e7ennpvfrmzaejwmbntusdq');
  t.equal(cidOf({ key: 42 }), 'bagaaihracpzxhsrpviexa7k6glwdhyh3a4kvy6j7qlcqokzqbs3q424cmxyq');
  t.equal(cidOfJsonText('{"key":42}'), cidOf({ key: 42 }));
});

t.test('CIDs do not depend on key insertion order', async (t) => {
  t.equal(cidOf({ b: 1, a: [true, null] }), cidOf({ a: [true, null], b: 1 }));
  t.equal(
    canonicalJson({ b: 1, '2': 'x', a: { d: 1, c: 2 } }),
    '{"2":"x","a":{"c":2,"d":1},"b":1}',
  );
  t.not(cidOf('1'), cidOf(1));
});
