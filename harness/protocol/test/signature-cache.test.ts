// hasValidSignature remembers verified particles by signature, so the copies of one particle that
// keep arriving with new data are not verified again; a copy that changed any signed field is.
import t from 'tap';
import { KeyPair, createParticle, hasValidSignature, type Particle } from '../index.js';

t.test('copies with other data pass; a copy with a signed field changed fails', async (t) => {
  const keyPair = KeyPair.random();
  const original = createParticle(keyPair, '(null)', { ttl: 60_000 });
  // A copy as a transport decodes it: a new object, with data the signature does not cover.
  const copy = (fields: Partial<Particle>): Particle => ({
    ...original,
    signature: original.signature.slice(),
    ...fields,
  });
  t.ok(hasValidSignature(copy({ data: new Uint8Array([1]) })), 'the first copy is verified');
  t.ok(hasValidSignature(copy({ data: new Uint8Array([1, 2]) })), 'a later copy passes');
  t.notOk(hasValidSignature(copy({ script: '(never)' })), 'another script fails');
  t.notOk(hasValidSignature(copy({ ttl: original.ttl + 1 })), 'another ttl fails');
  t.notOk(
    hasValidSignature(copy({ timestamp: original.timestamp + 1 })),
    'another timestamp fails',
  );
  t.notOk(hasValidSignature(copy({ id: 'other' })), 'another id fails');
  t.notOk(
    hasValidSignature(copy({ initPeerId: KeyPair.random().peerId })),
    'another init peer fails',
  );
  const forged = original.signature.slice();
  forged[0] = (forged[0] ?? 0) ^ 1;
  t.notOk(hasValidSignature(copy({ signature: forged })), 'another signature fails');
  t.ok(hasValidSignature(copy({ data: new Uint8Array([3]) })), 'and the real copies still pass');
});
