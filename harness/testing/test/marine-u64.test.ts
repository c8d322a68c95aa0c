// 64-bit integers from a Wasm service reach the AIR VM and the caller exactly: the records
// example's echo_u64/echo_i64 run through the host on a peer, their results travel through the
// VM's data to the client.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadService } from '../../../marine-host/service/index.js';
import { AquaVM } from '../../air/vm.js';
import { LocalNetwork } from '../index.js';
import { marineServiceHandler } from '../../node/index.js';

const root = resolve(import.meta.dirname, '../../..');
const built = existsSync(join(root, 'services-rs/artifacts/records.wasm'));

const wrap = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

t.test(
  'u64 and i64 extremes from a Marine service stay exact through the VM',
  { skip: built ? false : 'example artifacts missing: run `marine build services-rs/examples`' },
  async (t) => {
    const svc = await loadService(join(root, 'fixtures/configs/examples/records/Config.toml'));
    t.teardown(() => svc.close());
    const net = new LocalNetwork({ peers: 1, vm: () => new AquaVM(), clientViaRelay: false });
    t.teardown(() => net.stop());
    const p1 = net.peers[0]!;
    p1.addHandler(marineServiceHandler('records', svc));
    p1.registerService('src', { u64max: () => 2n ** 64n - 1n, collect: (args) => args });
    const result = await net.callAquaFunction(
      wrap(`(seq (call "${p1.peerId}" ("src" "u64max") [] m)
        (seq (call "${p1.peerId}" ("records" "echo_u64") [m] u)
        (seq (call "${p1.peerId}" ("records" "echo_i64") [-9223372036854775808] i)
        (seq (call "${p1.peerId}" ("records" "echo_u64") [9007199254740993] v)
        (call "${p1.peerId}" ("src" "collect") [u i v] x)))))`),
      {},
    );
    t.same(result, [2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n + 1n]);
    t.same(
      (result as unknown[]).map((v) => typeof v),
      ['bigint', 'bigint', 'bigint'],
    );
  },
);
