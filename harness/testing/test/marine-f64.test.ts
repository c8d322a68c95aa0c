// An f64 from a Wasm service stays an f64 through the host, the peer and the VM, as on a Fluence
// node (serde_json: 7.0 is a float, unequal to the integer 7). Before the protocol layer the host
// turned 7.0 into the integer 7, so `(match r 7 …)` matched on both VMs alike and no
// differential test could see it. Here both VMs run the same particle over the records example.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadService, stringifyJson } from '../../../marine-host/index.js';
import { AquaVM } from '../../air/index.js';
import { JsonFloat } from '../../protocol/index.js';
import type { AirRunner, PeerEvent } from '../../peer/index.js';
import { LocalNetwork, createReferenceAquaVM, marineService } from '../index.js';

const root = resolve(import.meta.dirname, '../../..');
const built = existsSync(join(root, 'services-rs/artifacts/records.wasm'));
const skip = built ? false : 'example artifacts missing: run `marine build services-rs/examples`';

const wrap = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

async function run(vm: () => AirRunner): Promise<{ result: unknown; calls: unknown[] }> {
  const svc = await loadService(join(root, 'fixtures/configs/examples/records/Config.toml'));
  const net = new LocalNetwork({ peers: 1, vm, clientViaRelay: false, seed: 7 });
  try {
    const p1 = net.peers[0]!;
    p1.services.register('records', marineService('records', svc));
    const on = `"${p1.peerId}"`;
    const result = await net.callAquaFunction(
      wrap(`(seq (call ${on} ("records" "echo_f64") [7.0] r)
        (seq (call ${on} ("records" "echo_f64") [2.5] h)
        (seq (xor (match r 7 (ap "the integer 7" kind)) (ap "a float" kind))
        (seq (xor (mismatch r 7.0 (ap "not 7.0" same)) (ap "7.0" same))
        (call ${on} ("op" "array") [kind same h] x)))))`),
      {},
    );
    const calls = (net.events as PeerEvent[]).flatMap((e) =>
      e.type === 'call' ? [[e.request.serviceId, e.request.functionName, e.result]] : [],
    );
    return { result, calls };
  } finally {
    await net.stop();
    await svc.close();
  }
}

t.test('an integral f64 result is a float to both VMs', { skip }, async (t) => {
  const reference = await createReferenceAquaVM();
  const theirs = await run(() => reference);
  const ours = await run(() => new AquaVM());
  t.same(theirs.result, ['a float', '7.0', 2.5], 'AquaVM: 7.0 does not match 7, and equals 7.0');
  t.same(ours.result, theirs.result, 'our VM decides the same');
  t.same(ours.calls, theirs.calls, 'the same calls and results');
  const first = ours.calls[0] as [string, string, { result: unknown }];
  t.ok(first[2].result instanceof JsonFloat, 'the service result reaches the peer as a JsonFloat');
});

t.test('the host returns f64 results as floats; JSON prints them as 7.0', { skip }, async (t) => {
  const svc = await loadService(join(root, 'fixtures/configs/examples/records/Config.toml'));
  t.teardown(() => svc.close());
  const seven = await svc.call('echo_f64', [7]);
  t.ok(seven instanceof JsonFloat);
  t.equal(stringifyJson(seven), '7.0');
  t.equal(await svc.call('echo_f64', [2.5]), 2.5);
  t.same(await svc.call('echo_f64s', [[1, 2.5]]), [new JsonFloat(1), 2.5]);
});
