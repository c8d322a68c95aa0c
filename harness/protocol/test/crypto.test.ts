// The two crypto providers agree: Node's (the default on Node) and the portable @noble one (what
// browsers get). Ed25519 signatures are deterministic, so both must give the same bytes.
import t from 'tap';
import {
  getCrypto,
  nodeCryptoProvider,
  portableCrypto,
  setCrypto,
  toHex,
  utf8Bytes,
  KeyPair,
  type CryptoProvider,
} from '../index.js';

const node = getCrypto();

t.test('on Node the default provider is Node crypto', async (t) => {
  t.equal(node.name, 'node');
  t.equal(portableCrypto.name, 'portable');
});

t.test('Ed25519: same public keys and signatures, each verifies the other', async (t) => {
  for (let i = 0; i < 20; i++) {
    const seed = node.randomBytes(32);
    const message = node.randomBytes(i * 37);
    const a = node.ed25519FromSeed(seed);
    const b = portableCrypto.ed25519FromSeed(seed);
    t.equal(toHex(a.publicKey), toHex(b.publicKey));
    const sa = a.sign(message);
    t.equal(toHex(sa), toHex(b.sign(message)));
    t.ok(portableCrypto.ed25519Verify(a.publicKey, message, sa));
    t.ok(node.ed25519Verify(b.publicKey, message, sa));
    const forged = Uint8Array.from(sa);
    forged[i % 64]! ^= 1;
    t.notOk(node.ed25519Verify(a.publicKey, message, forged));
    t.notOk(portableCrypto.ed25519Verify(a.publicKey, message, forged));
  }
});

t.test('bad keys and signatures are a false, never a throw', async (t) => {
  for (const provider of [node, portableCrypto]) {
    t.notOk(provider.ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64)));
    t.notOk(provider.ed25519Verify(new Uint8Array(32), new Uint8Array(1), new Uint8Array(3)));
    t.throws(() => provider.ed25519FromSeed(new Uint8Array(31)), RangeError);
  }
});

t.test('SHA-256 and BLAKE3 agree with known digests', async (t) => {
  const abc = utf8Bytes('abc');
  for (const provider of [node, portableCrypto]) {
    t.equal(
      toHex(provider.sha256(abc)),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    t.equal(
      toHex(provider.blake3(abc)),
      '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
    );
    t.equal(provider.randomBytes(70000).length, 70000);
  }
});

t.test('setCrypto swaps the provider everything uses', async (t) => {
  const calls: string[] = [];
  const counting: CryptoProvider = {
    ...portableCrypto,
    name: 'counting',
    ed25519FromSeed: (seed) => {
      calls.push('fromSeed');
      return portableCrypto.ed25519FromSeed(seed);
    },
  };
  const previous = setCrypto(counting);
  t.teardown(() => void setCrypto(previous));
  const pair = KeyPair.fromSecretKey(new Uint8Array(32).fill(3));
  t.same(calls, ['fromSeed']);
  t.equal(pair.peerId, KeyPair.fromSecretKey(new Uint8Array(32).fill(3)).peerId);
  t.equal(nodeCryptoProvider.name, 'nodeCryptoProvider');
});
