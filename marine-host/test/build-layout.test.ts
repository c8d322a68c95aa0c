import t from 'tap';
import { Layouts } from '../build/layout.js';
import { checkUnique, kebabName, witIdent } from '../build/names.js';
import { WitNameError } from '../build/errors.js';
import type { RecordEntry, Ty } from '../build/types.js';

const rec = (name: string, fields: [string, Ty][]): [string, RecordEntry] => [
  name,
  { kind: 'record', name, fields: fields.map(([n, type]) => ({ name: n, type })) },
];

const records = new Map<string, RecordEntry>([
  rec('Inner', [
    ['a', 'u8'],
    ['b', 'u64'],
    ['c', 'u16'],
  ]),
  rec('Outer', [
    ['x', 'bool'],
    ['inner', { record: 'Inner' }],
    ['o', { option: 'u32' }],
    ['s', 'string'],
    ['l', { list: { record: 'Inner' } }],
  ]),
  rec('Small', [
    ['a', 'i8'],
    ['b', 'i16'],
  ]),
]);

t.test('scalar, string and list sizes follow the Canonical ABI', async (t) => {
  const l = new Layouts(records);
  const cases: [Ty, number, number][] = [
    ['bool', 1, 1],
    ['u8', 1, 1],
    ['i8', 1, 1],
    ['u16', 2, 2],
    ['i16', 2, 2],
    ['u32', 4, 4],
    ['f32', 4, 4],
    ['u64', 8, 8],
    ['i64', 8, 8],
    ['f64', 8, 8],
    ['string', 8, 4],
    [{ list: 'u64' }, 8, 4],
    [{ list: { list: 'u8' } }, 8, 4],
  ];
  for (const [ty, size, align] of cases)
    t.same(l.sizeAlign(ty), { size, align }, JSON.stringify(ty));
});

t.test('records place each field at its own alignment and round the size up', async (t) => {
  const l = new Layouts(records);
  t.same(l.record('Inner'), { size: 24, align: 8, offsets: [0, 8, 16] });
  // x@0, inner@8 (align 8, size 24), o@32 (option<u32>: size 8, align 4), s@40, l@48 → 56
  t.same(l.record('Outer'), { size: 56, align: 8, offsets: [0, 8, 32, 40, 48] });
  t.same(l.record('Small'), { size: 4, align: 2, offsets: [0, 2] });
});

t.test('options put the payload after the discriminant at the payload alignment', async (t) => {
  const l = new Layouts(records);
  t.same(l.sizeAlign({ option: 'u8' }), { size: 2, align: 1 });
  t.same(l.sizeAlign({ option: 'u64' }), { size: 16, align: 8 });
  t.same(l.sizeAlign({ option: 'string' }), { size: 12, align: 4 });
  t.same(l.sizeAlign({ option: { option: 'u32' } }), { size: 12, align: 4 });
  t.same(l.sizeAlign({ option: { record: 'Inner' } }), { size: 32, align: 8 });
  t.equal(l.optionPayloadOffset('u64'), 8);
  t.equal(l.optionPayloadOffset('u8'), 1);
  t.same(l.leaves({ option: { option: 'u32' } }), [
    { offset: 0, kind: 'u8' },
    { offset: 4, kind: 'u8' },
    { offset: 8, kind: 'i32' },
  ]);
});

t.test('flattening lists every scalar leaf in field order with its offset and width', async (t) => {
  const l = new Layouts(records);
  t.same(l.flatten('string'), ['i32', 'i32']);
  t.same(l.flatten({ option: 'f64' }), ['i32', 'f64']);
  t.same(l.flatten({ record: 'Inner' }), ['i32', 'i64', 'i32']);
  t.same(l.leaves({ record: 'Small' }, 100), [
    { offset: 100, kind: 's8' },
    { offset: 102, kind: 's16' },
  ]);
  // bool x, Inner (3), option<u32> (2), string (2), list (2)
  t.same(l.flatten({ record: 'Outer' }), [
    'i32',
    'i32',
    'i64',
    'i32',
    'i32',
    'i32',
    'i32',
    'i32',
    'i32',
    'i32',
  ]);
  const outer = l.leaves({ record: 'Outer' });
  t.same(
    outer.map((x) => x.offset),
    [0, 8, 16, 24, 32, 36, 40, 44, 48, 52],
  );
});

t.test('a params tuple is laid out like a record of the parameters', async (t) => {
  const l = new Layouts(records);
  t.same(l.tuple(['u8', 'u64', 'string']), { size: 24, align: 8, offsets: [0, 8, 16] });
  t.same(l.tupleLeaves(['u8', 'u64', 'string']), [
    { offset: 0, kind: 'u8' },
    { offset: 8, kind: 'i64' },
    { offset: 16, kind: 'i32' },
    { offset: 20, kind: 'i32' },
  ]);
  t.same(l.tuple([]), { size: 0, align: 1, offsets: [] });
});

t.test('Rust names become kebab-case WIT identifiers, keywords escaped with %', async (t) => {
  t.equal(kebabName('get_call_parameters', 'x'), 'get-call-parameters');
  t.equal(kebabName('CallParameters', 'x'), 'call-parameters');
  t.equal(kebabName('HTTPRequest', 'x'), 'http-request');
  t.equal(kebabName('val_u8', 'x'), 'val-u8');
  t.equal(kebabName('sha256', 'x'), 'sha256');
  t.equal(witIdent('type', 'x'), '%type');
  t.equal(witIdent('list', 'x'), '%list');
  t.equal(witIdent('result', 'x'), '%result');
  t.equal(witIdent('u8', 'x'), '%u8');
  t.equal(witIdent('name', 'x'), 'name');
});

t.test('Rust names WIT cannot spell are mapped to valid labels, not refused', async (t) => {
  t.equal(kebabName('field_0', 'x'), 'field0');
  t.equal(kebabName('field_1_x', 'x'), 'field1-x');
  t.equal(kebabName('_private', 'x'), 'private');
  t.equal(kebabName('a__b', 'x'), 'a-b');
  t.equal(kebabName('trailing_', 'x'), 'trailing');
  t.equal(kebabName('2fast', 'x'), 'n2fast');
  t.equal(kebabName('Result', 'x'), 'result');
  t.equal(witIdent('Result', 'x'), '%result');
});

t.test('names that cannot be WIT identifiers are errors naming the item', async (t) => {
  for (const bad of ['naïve', '__', 'λ']) {
    t.throws(() => kebabName(bad, 'record Foo, field x'), WitNameError, bad);
  }
  t.throws(
    () => kebabName('naïve', 'record Foo, field naïve'),
    /record Foo, field naïve: the name "naïve" cannot be a WIT identifier/,
  );
  t.throws(
    () => checkUnique(['foo_bar', 'FooBar'], 'module m: records'),
    /"foo_bar" and "FooBar" both become the WIT name "foo-bar"/,
  );
  t.throws(
    () => checkUnique(['field_0', 'field0'], 'module m: record R fields'),
    /"field_0" and "field0" both become the WIT name "field0"/,
  );
  t.doesNotThrow(() => checkUnique(['a', 'b', 'a'], 'scope'));
});
