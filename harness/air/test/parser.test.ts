// Behaviour of the AIR parser as a user sees it: trees for every form, precise errors, and
// robustness on hostile input. Agreement with AquaVM is in parser-differential.test.ts.
import t from 'tap';
import { astToJson, astToJsonText, treeStats, walkInstructions } from '../ast/index.js';
import type { Instruction } from '../ast/index.js';
import { AirParseError, formatAirErrors, parseAir, parseAirOrThrow } from '../parser/index.js';
import { deepAir } from './oracle/generate-air.js';

function ok(source: string): Instruction {
  const r = parseAir(source);
  if (!r.ok) throw new Error(formatAirErrors(r.errors, source));
  return r.ast;
}

t.test('call: triplet, arguments of every kind, output', async (t) => {
  const ast = ok(
    '(seq (call "peer" ("srv" "fn") [] x) (call x.$.a ("s" x) ["s" 7 -1.5 true [] %init_peer_id% %timestamp% %ttl% :error:.$.message %last_error% x.length x.$.[0].b!] $out))',
  );
  t.equal(ast.kind, 'seq');
  if (ast.kind !== 'seq' || ast.right.kind !== 'call') throw new Error('shape');
  const call = ast.right;
  t.match(call.peer, {
    kind: 'scalar',
    name: 'x',
    lens: { kind: 'path', accessors: [{ kind: 'field', name: 'a' }] },
  });
  t.same(
    call.args.map((a) => a.kind),
    [
      'string',
      'int',
      'float',
      'bool',
      'empty_array',
      'init_peer_id',
      'timestamp',
      'ttl',
      'error',
      'last_error',
      'scalar',
      'scalar',
    ],
  );
  t.equal(call.args[1]?.kind === 'int' && call.args[1].value, 7n, 'i64 literals are exact bigints');
  t.match(call.args[10], { lens: { kind: 'length' } });
  t.match(call.args[11], {
    lens: {
      accessors: [
        { kind: 'index', index: 0 },
        { kind: 'field', name: 'b' },
      ],
      text: '.$.[0].b!',
    },
  });
  t.match(call.output, { kind: 'stream', name: '$out' });
  t.same(
    { start: call.start, end: call.end },
    { start: 37, end: ast.end - 1 },
    'start/end are offsets of the parentheses',
  );
});

t.test('fold forms, new, ap, canon, fail, match', async (t) => {
  const ast = ok(`
    (seq (call "p" ("s" "f") [] xs)
    (seq (fold xs x (seq (ap (x "v") %m) (next x)) (null))
    (seq (canon "p" %m #%cm)
    (seq (canon "p" %m obj)
    (seq (new $s (seq (ap obj $s) (seq (canon "p" $s #cs) (fold #cs y (next y)))))
    (seq (fold %m kv (next kv))
    (match 1 1 (xor (fail 3 "bad") (fail :error:)))))))))`);
  const kinds: string[] = [];
  walkInstructions(ast, (i) => {
    kinds.push(
      i.kind === 'canon'
        ? `canon:${i.form}`
        : i.kind === 'fail'
          ? `fail:${i.form}`
          : i.kind === 'fold'
            ? `fold:${i.foldKind}`
            : i.kind,
    );
  });
  t.same(
    kinds.filter((k) => k !== 'seq'),
    [
      'call',
      'fold:scalar',
      'ap_map',
      'next',
      'null',
      'canon:map',
      'canon:map_to_scalar',
      'new',
      'ap',
      'canon:stream',
      'fold:scalar',
      'next',
      'fold:stream_map',
      'next',
      'match',
      'xor',
      'fail:literal',
      'fail:error',
    ],
  );
  t.same(treeStats(ast).instructions, kinds.length);
});

t.test('errors carry code, position, offending text and expectations', async (t) => {
  const source = '(seq\n  (call peer ("s" "f") [])\n  (fail 0 "zero"))';
  const r = parseAir(source);
  t.equal(r.ok, false);
  t.same(
    r.errors.map((e) => [e.code, e.line, e.column, e.found]),
    [
      ['undefined-variable', 2, 9, 'peer'],
      ['fail-code-zero', 3, 3, '(fail 0 "zero")'],
    ],
    'every error is reported, in source order',
  );
  const text = formatAirErrors(r.errors, source, { fileName: 'demo.air' });
  t.match(text, /error\[undefined-variable\]: variable 'peer' wasn't defined before this use/);
  t.match(text, / --> demo\.air:2:9\n/);
  t.match(
    text,
    /2 \| {3}\(call peer \("s" "f"\) \[\]\)\n {2}\| {9}\^{4}/,
    'caret under the offending text',
  );

  const syntax = parseAir('(call "p" ("s" "f") [$s])');
  t.match(syntax.errors[0], {
    code: 'unexpected-token',
    found: '$s',
    expected: [/streams must be canonicalized/, "']'"],
  });
  const eof = parseAir('(seq (null)');
  t.match(eof.errors, [{ code: 'unexpected-end', line: 1, column: 12 }]);
  t.throws(() => parseAirOrThrow('(nul)'), AirParseError);
});

t.test('several independent mistakes are all reported', async (t) => {
  const r = parseAir('(seq (seq (call) (ap $)) (seq (fold) (fail 0 "x")))');
  t.ok(
    r.errors.length >= 4,
    `${r.errors.length} errors: ${r.errors.map((e) => e.code).join(', ')}`,
  );
  t.same([...new Set(r.errors.map((e) => e.code))].sort(), [
    'empty-tagged-name',
    'fail-code-zero',
    'unexpected-token',
  ]);
});

t.test('deep nesting parses without recursion', async (t) => {
  const ast = ok(deepAir(100_000));
  t.equal(treeStats(ast).depth, 100_001);
  t.ok(astToJsonText(ast).length > 1_000_000, 'JSON form of a 100k-deep tree');
  const unclosed = parseAir('('.repeat(200_000));
  t.equal(unclosed.ok, false);
  const closers = parseAir(')'.repeat(200_000));
  t.equal(closers.ok, false);
});

t.test('huge single tokens and errors stay bounded', async (t) => {
  const quote = parseAir('"' + 'x'.repeat(5_000_000));
  t.match(quote.errors[0], { code: 'unclosed-quote' });
  t.ok((quote.errors[0]?.found.length ?? 0) <= 60, 'offending text is shortened');
  const many = parseAir('(seq (null) (null)) ' + ')'.repeat(10_000));
  t.equal(many.ok, false);
  const flood = parseAir('(seq (call x ("s" "f") []) '.repeat(5000) + '(null)' + ')'.repeat(5000), {
    maxErrors: 50,
  });
  t.equal(flood.errors.length, 50, 'maxErrors caps the list');
});

t.test('JSON form keeps i64 exact', async (t) => {
  const ast = ok('(fail 9223372036854775807 "max")');
  const json = astToJson(ast) as { code: { value: string } };
  t.equal(json.code.value, '9223372036854775807');
  t.equal(JSON.parse(astToJsonText(ast)).code.value, '9223372036854775807');
});
