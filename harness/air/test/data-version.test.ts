// Data whose version this VM cannot take is refused with AquaVM's envelope-with-versions error (4)
// and a message that names the version found, what is read instead and why. Format 1.0 data from
// marine-ts before 68a4cda hashed its CIDs over sorted keys and would otherwise fail as a bad CID
// store (8) without a word about versions.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { DATA_FORMAT_VERSION } from '../data/interpreter-data.js';
import { AquaVM, type AquaRunParameters } from '../vm.js';
import { testPeer } from './vm-harness.js';

const fixture = (name: string): { air: string; data: string } =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/air/${name}`, import.meta.url), 'utf8')) as {
    air: string;
    data: string;
  };

const A = testPeer(0);
const B = testPeer(1);
const params: AquaRunParameters = {
  initPeerId: A.peerId,
  currentPeerId: B.peerId,
  timestamp: 1_700_000_000_000,
  ttl: 7000,
  particleId: 'old-data',
  secretKey: B.seed,
};
const EMPTY = new Uint8Array();
const sorted = fixture('data-compat-1.0.0-sorted-cids.json');
const sortedAir = sorted.air.replaceAll('@A', A.peerId).replaceAll('@B', B.peerId);
const sortedData = Buffer.from(sorted.data, 'base64');

t.test('format 1.0 data with sorted-key CIDs is refused with its versions and why', async (t) => {
  const out = new AquaVM().invoke(sortedAir, EMPTY, sortedData, params, new Map());
  t.equal(out.retCode, 4, 'EnvelopeDeFailedWithVersions, not the CID store error 8');
  t.match(out.errorMessage, /^current data: format 1\.0\.0 \(interpreter 0\.1\.0\)/);
  t.match(out.errorMessage, /written by marine-ts before 68a4cda, with CIDs over sorted keys/);
  t.match(out.errorMessage, `this VM writes format ${DATA_FORMAT_VERSION}`);
  t.match(out.errorMessage, /signatures cover them/);
  t.equal(out.data.length, 0, 'the previous data (none) comes back unchanged');
});

t.test('the same data kept by a peer as its previous data is refused the same way', async (t) => {
  const out = new AquaVM().invoke(sortedAir, sortedData, EMPTY, params, new Map());
  t.equal(out.retCode, 4);
  t.match(out.errorMessage, /^previous data: format 1\.0\.0 .* before 68a4cda/);
});

t.test('format 1.0 data with AquaVM-order CIDs still loads', async (t) => {
  const current = fixture('data-compat-1.0.0.json');
  const air = current.air.replaceAll('@A', A.peerId).replaceAll('@B', B.peerId);
  const out = new AquaVM().invoke(
    air,
    EMPTY,
    Buffer.from(current.data, 'base64'),
    params,
    new Map(),
  );
  t.equal(out.retCode, 0, out.errorMessage);
  t.equal(out.callRequests.size, 1, 'B goes on with its call');
});
