import t from 'tap';
import { AquaVM, dumpInterpreterData, formatDataDump, PreparationErrorCode } from '../vm.js';
import { PreparationError } from '../errors/execution-error.js';
import { testPeer } from './vm-harness.js';

const [A, B] = [testPeer(0), testPeer(1)];

t.test('interpreter data dumps with resolved values, producers and signers', async (t) => {
  const vm = new AquaVM();
  const air = `(seq (call "${A.peerId}" ("svc" "get") [] x) (par (call "${B.peerId}" ("s" "f") [x]) (ap x $s)))`;
  const params = {
    initPeerId: A.peerId,
    currentPeerId: A.peerId,
    timestamp: 1,
    ttl: 1,
    particleId: 'd',
    secretKey: A.seed,
  };
  const first = vm.invoke(air, new Uint8Array(), new Uint8Array(), params, new Map());
  const second = vm.invoke(
    air,
    first.data,
    new Uint8Array(),
    params,
    new Map([[1, { retCode: 0, result: { n: 1 } }]]),
  );
  const dump = dumpInterpreterData(second.data);
  t.equal(dump.lastCallId, 1);
  t.same(
    dump.trace.map((s) => s.kind),
    ['call', 'par', 'call', 'ap'],
  );
  t.equal(dump.trace[0]?.text, `call scalar {"n":1}  (from ${A.peerId} svc.get)`);
  t.equal(dump.trace[1]?.text, 'par [1, 1]');
  t.equal(dump.trace[2]?.text, `call sent by ${A.peerId}`);
  t.same(dump.signatures, [{ peer: A.peerId, values: 1 }]);
  t.equal(dump.format, 'aquavm', 'our VM writes AquaVM format by default');
  const text = formatDataDump(dump);
  t.match(
    text,
    /data format 0\.17\.2, AquaVM's format \(rkyv inner data\), written by interpreter 0\.62\.0/,
  );
  t.match(text, /trace \(4 states\):/);
  t.match(text, /signs 1 values/);
});

t.test('the dump names the format it read, for both formats', async (t) => {
  const params = {
    initPeerId: A.peerId,
    currentPeerId: A.peerId,
    timestamp: 1,
    ttl: 1,
    particleId: 'd',
    secretKey: A.seed,
  };
  const air = `(call "${B.peerId}" ("s" "f") [])`;
  for (const format of ['aquavm', 'marine-ts'] as const) {
    const out = new AquaVM({ dataFormat: format }).invoke(
      air,
      new Uint8Array(),
      new Uint8Array(),
      params,
      new Map(),
    );
    const dump = dumpInterpreterData(out.data);
    t.equal(dump.format, format);
    t.equal(dump.version, format === 'aquavm' ? '0.17.2' : '1.1.0');
    t.match(
      formatDataDump(dump),
      format === 'aquavm' ? /AquaVM's format/ : /marine-ts's earlier format/,
    );
    t.equal(dump.trace[0]?.text, `call sent by ${A.peerId}`);
  }
});

t.test(
  'dumping bytes that are not interpreter data fails with the preparation error',
  async (t) => {
    t.throws(() => dumpInterpreterData(new Uint8Array([1, 2, 3])), PreparationError);
    try {
      dumpInterpreterData(new Uint8Array([1, 2, 3]));
    } catch (e) {
      t.equal((e as PreparationError).code, PreparationErrorCode.EnvelopeDeFailed);
    }
  },
);
