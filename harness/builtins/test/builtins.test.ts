import t from 'tap';
import { registerBuiltins } from '../index.js';
import {
  ServiceRegistry,
  runHandlerChain,
  serviceHandler,
  type ServiceCall,
} from '../../peer/index.js';

const registry = new ServiceRegistry();
registerBuiltins(registry, {
  external_addresses: [],
  node_version: 'test',
  air_version: 'test',
  spell_version: 'none',
  allowed_binaries: [],
});
const handlers = [registry.asHandler()];

function call(
  serviceId: string,
  functionName: string,
  args: unknown[],
): Promise<{ retCode: number; result: unknown }> {
  const request: ServiceCall = {
    serviceId,
    functionName,
    args,
    tetraplets: args.map(() => []),
    peerId: 'peer',
    particle: {
      particleId: 'p',
      initPeerId: 'i',
      timestamp: 0,
      ttl: 0,
      signature: new Uint8Array(),
    },
    signal: new AbortController().signal,
  };
  return runHandlerChain(handlers, request);
}

t.test('op builtins', async (t) => {
  t.same(await call('op', 'identity', ['x']), { retCode: 0, result: 'x' });
  t.same(await call('op', 'identity', []), { retCode: 0, result: '' });
  t.equal((await call('op', 'identity', [1, 2])).retCode, 1);
  t.same(await call('op', 'array', [1, 'a']), { retCode: 0, result: [1, 'a'] });
  t.same(await call('op', 'concat', [[1], [2, 3]]), { retCode: 0, result: [1, 2, 3] });
  t.same(await call('op', 'concat_strings', ['a', 'b']), { retCode: 0, result: 'ab' });
  t.same(await call('op', 'array_length', [[1, 2, 3]]), { retCode: 0, result: 3 });
  const b58 = await call('op', 'string_to_b58', ['hello']);
  t.same(await call('op', 'string_from_b58', [b58.result]), { retCode: 0, result: 'hello' });
  t.match((await call('op', 'sha256_string', ['abc'])).result, /^Qm/);
});

t.test('math and cmp builtins check their arithmetic', async (t) => {
  t.same(await call('math', 'add', [2, 3]), { retCode: 0, result: 5 });
  t.same(await call('math', 'div', [7, 2]), { retCode: 0, result: 3 });
  t.match(await call('math', 'div', [1, 0]), { retCode: 1, result: /division by zero/ });
  t.match(await call('math', 'mul', [2 ** 62, 4]), { retCode: 1, result: /overflow/ });
  t.same(await call('math', 'log', [2, 1024]), { retCode: 0, result: 10 });
  t.same(await call('cmp', 'gt', [2, 1]), { retCode: 0, result: true });
  t.same(await call('cmp', 'cmp', [1, 2]), { retCode: 0, result: -1 });
  t.same(await call('array', 'slice', [[1, 2, 3, 4], 1, 3]), { retCode: 0, result: [2, 3] });
  t.same(await call('array', 'dedup', [['a', 'b', 'a']]), { retCode: 0, result: ['a', 'b'] });
});

t.test('json builtins', async (t) => {
  t.same(await call('json', 'obj', ['a', 1, 'b', 'x']), { retCode: 0, result: { a: 1, b: 'x' } });
  t.same(await call('json', 'puts', [{ a: 1 }, 'b', 2]), { retCode: 0, result: { a: 1, b: 2 } });
  t.same(await call('json', 'parse', ['{"k":[1]}']), { retCode: 0, result: { k: [1] } });
  t.match(await call('json', 'obj', ['a']), { retCode: 1, result: /odd count/ });
  t.match(await call('json', 'parse', ['{"k":']), {
    retCode: 1,
    result: /json\.parse: expected a JSON text, found "\{\\"k\\":"/,
  });
});

t.test('json and debug builtins read and write big integers as serde_json does', async (t) => {
  const big = 2n ** 64n - 1n;
  t.same(await call('json', 'stringify', [{ a: big, b: -(2n ** 63n) }]), {
    retCode: 0,
    result: '{"a":18446744073709551615,"b":-9223372036854775808}',
  });
  const parsed = await call('json', 'parse', ['{"a":18446744073709551615,"f":7.0}']);
  t.equal((parsed.result as { a: unknown }).a, big);
  t.equal(
    (await call('json', 'stringify', [parsed.result])).result,
    '{"a":18446744073709551615,"f":7.0}',
    'a float read from text stays a float',
  );
  t.same(await call('debug', 'stringify', [big]), { retCode: 0, result: '18446744073709551615' });
  t.same(await call('debug', 'stringify', []), {
    retCode: 0,
    result: '"<empty argument list>"',
  });
  t.same(await call('math', 'sub', [2n ** 63n - 1n, 1]), { retCode: 0, result: 2n ** 63n - 2n });
  t.same(await call('cmp', 'cmp', [2n ** 60n + 1n, 2n ** 60n]), { retCode: 0, result: 1 });
});

t.test('unknown services and functions are errors that name them', async (t) => {
  t.same(await call('nope', 'f', []), {
    retCode: 1,
    result: "Service with id 'nope' not found (function f)",
  });
  t.match(await call('op', 'nope', []), {
    retCode: 1,
    result: /function 'nope' not found on service 'op'/,
  });
});

t.test('a throwing handler becomes a service error and the chain goes on for others', async (t) => {
  const chain = [
    serviceHandler('boom', {
      f: () => {
        throw new Error('kaput');
      },
    }),
    ...handlers,
  ];
  const base = {
    tetraplets: [],
    peerId: 'p',
    particle: {
      particleId: 'p',
      initPeerId: 'i',
      timestamp: 0,
      ttl: 0,
      signature: new Uint8Array(),
    },
    signal: new AbortController().signal,
  };
  t.match(
    await runHandlerChain(chain, { ...base, serviceId: 'boom', functionName: 'f', args: [] }),
    {
      retCode: 1,
      result: /Service call failed.*boom.*kaput/,
    },
  );
  t.same(
    await runHandlerChain(chain, { ...base, serviceId: 'op', functionName: 'identity', args: [5] }),
    {
      retCode: 0,
      result: 5,
    },
  );
});
