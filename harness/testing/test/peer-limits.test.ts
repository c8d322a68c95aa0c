// A peer reports a run that went over a size limit (Nox records it as an anomaly): with soft
// limits the particle goes on; with hard limits the same run fails and the particle stops there.
import t from 'tap';
import { AquaVM } from '../../air/vm.js';
import { LocalNetwork } from '../index.js';
import { type PeerEvent } from '../../peer/index.js';

type LimitEvent = Extract<PeerEvent, { type: 'size-limit-exceeded' }>;

const wrap = (body: string): string =>
  `(xor (seq ${body} (call %init_peer_id% ("callbackSrv" "response") [x])) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;

function network(hardLimits: boolean): LocalNetwork {
  const net = new LocalNetwork({
    peers: 1,
    vm: () => new AquaVM({ limits: { callResultSize: 50 }, hardLimits }),
    clientViaRelay: false,
  });
  net.peers[0]!.registerService('big', { get: () => 'y'.repeat(100) });
  return net;
}

t.test('a soft limit hit is reported and the particle completes', async (t) => {
  const net = network(false);
  const p1 = net.peers[0]!;
  const result = await net.callAquaFunction(wrap(`(call "${p1.peerId}" ("big" "get") [] x)`), {});
  t.equal(result, 'y'.repeat(100));
  const hits = net.events.filter((e): e is LimitEvent => e.type === 'size-limit-exceeded');
  t.equal(hits.length, 1, 'one run went over the limit');
  t.equal(hits[0]?.peerId, p1.peerId);
  t.same(hits[0]?.limits, ['call-result']);
  net.stop();
});

t.test('a hard limit fails the run; the call result flag is still reported', async (t) => {
  const net = network(true);
  const p1 = net.peers[0]!;
  const outcome = await net.runScript(wrap(`(call "${p1.peerId}" ("big" "get") [] x)`), {
    ttl: 2000,
    settleWhenIdle: true,
  });
  t.not(outcome.status, 'result');
  t.ok(
    net.events.some((e) => e.type === 'invoked' && e.peerId === p1.peerId && e.retCode === 10),
    'the peer run fails with SizeLimitsExceeded',
  );
  // AquaVM keeps the call result flag when a hard call result limit fails the run.
  const hits = net.events.filter((e): e is LimitEvent => e.type === 'size-limit-exceeded');
  t.same(
    hits.map((h) => h.limits),
    [['call-result']],
  );
  net.stop();
});
