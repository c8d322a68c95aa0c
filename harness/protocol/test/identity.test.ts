import t from 'tap';
import {
  KeyPair,
  publicKeyFromPeerId,
  verifySignature,
  KeyFormatError,
  createParticle,
  hasValidSignature,
  particleSignedBytes,
  timeLeft,
} from '../index.js';

// Test vector from the Fluence stack (facts §4.1): a secret key, its peer id, a particle signature.
const SECRET = Buffer.from('7h48PQ/f1rS9TxacmgODxbD42Il9B3KC117jvOPppPE=', 'base64');
const PEER_ID = '12D3KooWANqfCDrV79MZdMnMqTvDdqSAPSxdgFY1L6DCq2DVGB4D';
const FIELDS = { id: '2883f959-e9e7-4843-8c37-205d393ca372', timestamp: 1696934545662, ttl: 7000 };

t.test('a secret key gives the reference peer id', async (t) => {
  const keyPair = KeyPair.fromSecretKey(SECRET);
  t.equal(keyPair.peerId, PEER_ID);
  t.same(publicKeyFromPeerId(PEER_ID), keyPair.publicKey);
});

t.test('particles are signed exactly like Nox and js-client sign them', async (t) => {
  const particle = createParticle(KeyPair.fromSecretKey(SECRET), 'abc', FIELDS);
  t.equal(
    Buffer.from(particleSignedBytes(particle)).toString('base64'),
    'Mjg4M2Y5NTktZTllNy00ODQzLThjMzctMjA1ZDM5M2NhMzcy/kguGYsBAABYGwAAYWJj',
  );
  t.equal(
    Buffer.from(particle.signature).toString('base64'),
    'KceXDnOfqe0dOnAxiDsyWBIvUq6WHoT0ge+VMHXOZsjZvCNH7/10oufdlYfcPomfv28On6E87ZhDcHGBZcb7Bw==',
  );
  t.ok(hasValidSignature(particle));
});

t.test('a changed script, a foreign init peer or a bad peer id fails verification', async (t) => {
  const particle = createParticle(KeyPair.fromSecretKey(SECRET), 'abc', FIELDS);
  t.notOk(hasValidSignature({ ...particle, script: 'abd' }));
  t.notOk(hasValidSignature({ ...particle, initPeerId: KeyPair.random().peerId }));
  t.notOk(hasValidSignature({ ...particle, initPeerId: 'not-a-peer-id' }));
  t.throws(
    () => publicKeyFromPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'),
    KeyFormatError,
  );
  t.notOk(verifySignature(PEER_ID, new Uint8Array([1]), new Uint8Array(64)));
});

t.test('expiry follows timestamp + ttl', async (t) => {
  const particle = createParticle(KeyPair.random(), '(null)', { timestamp: 1000, ttl: 500 });
  t.equal(timeLeft(particle, 1400), 100);
  t.ok(timeLeft(particle, 1501) < 0);
  t.throws(() => createParticle(KeyPair.random(), '(null)', { ttl: -1 }), RangeError);
  t.throws(() => KeyPair.fromSecretKey(new Uint8Array(31)), /32-byte/);
});
