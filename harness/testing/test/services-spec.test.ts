// A services spec is read as the VM reads JSON: big integers exact, 7.0 a float.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFloat } from '../../protocol/index.js';
import { readServicesSpec, type ScriptedService } from '../index.js';

const dir = await mkdtemp(join(tmpdir(), 'marine-spec-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

async function spec(text: string): Promise<string> {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, text);
  return file;
}

t.test('scripted values keep every digit and their float-ness', async (t) => {
  const file = await spec(
    '[{"peers": "all", "serviceId": "s", "functions": {"u": {"value": 18446744073709551615}, "f": {"value": 7.0}}}]',
  );
  const [service] = (await readServicesSpec(file)) as ScriptedService[];
  const functions = service!.functions as Record<string, { value: unknown }>;
  t.equal(functions['u']!.value, 2n ** 64n - 1n);
  t.type(functions['f']!.value, JsonFloat);
});

t.test(
  'a bare float or big integer is no behaviour, and the message shows it exactly',
  async (t) => {
    const float = await spec('[{"peers": "all", "serviceId": "s", "functions": {"f": 7.0}}]');
    await t.rejects(readServicesSpec(float), {
      name: 'ServicesSpecError',
      message: /\[0\]\.functions\.f: expected \{"value": …\}.*, found 7\.0$/,
    });
    const big = await spec(
      '[{"peers": "all", "serviceId": 18446744073709551615, "functions": {}}]',
    );
    await t.rejects(readServicesSpec(big), {
      message: /\[0\]\.serviceId: expected a non-empty string, found 18446744073709551615$/,
    });
  },
);
