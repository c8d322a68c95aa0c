// The particle frame body against the two real encoders it meets: js-client's (msgpack-lite through
// @fluencelabs/avm's MulticodecRepr, signature and data as int arrays, timestamp as Uint64BE) and
// the shape of Nox's own test vector (fluence-wire §1.4), plus every way a frame can be wrong.
import t from 'tap';
import { MsgPackRepr, MulticodecRepr, JsonRepr } from '@fluencelabs/avm';
import int64Buffer from 'int64-buffer';
import { KeyPair, createParticle, hasValidSignature, type Particle } from '../../protocol/index.js';
import {
  MAX_PARTICLE_FRAME_BYTES,
  ParticleDecodeError,
  decodeParticleFrame,
  encodeParticleFrame,
} from '../index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

// The reference key and particle of fluence-facts §4.1.
const SECRET = Buffer.from('7h48PQ/f1rS9TxacmgODxbD42Il9B3KC117jvOPppPE=', 'base64');
const FIELDS = { id: '2883f959-e9e7-4843-8c37-205d393ca372', timestamp: 1696934545662, ttl: 7000 };
const SIGNATURE_B64 =
  'KceXDnOfqe0dOnAxiDsyWBIvUq6WHoT0ge+VMHXOZsjZvCNH7/10oufdlYfcPomfv28On6E87ZhDcHGBZcb7Bw==';

/** js-client 0.9.0's `serializeParticle`, rebuilt from the same parts it uses. */
function jsClientFrame(p: Particle): Uint8Array {
  return new MulticodecRepr(new MsgPackRepr()).toBinary({
    action: 'Particle',
    id: p.id,
    init_peer_id: p.initPeerId,
    timestamp: new int64Buffer.Uint64BE(p.timestamp),
    ttl: p.ttl,
    script: p.script,
    signature: Array.from(p.signature),
    data: Array.from(p.data),
  });
}

/** js-client's `Particle.deserialize` minus zod: what it reads from our frame. */
function jsClientRead(body: Uint8Array): Record<string, unknown> {
  return new MulticodecRepr(new MsgPackRepr()).fromBinary(body) as Record<string, unknown>;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

t.test(
  'the reference particle round-trips, in js-client key order, signature intact',
  async (t) => {
    const p = {
      ...createParticle(KeyPair.fromSecretKey(SECRET), 'abc', FIELDS),
      data: new Uint8Array([1, 200, 3]),
    };
    t.equal(Buffer.from(p.signature).toString('base64'), SIGNATURE_B64);
    const body = encodeParticleFrame(p);
    t.ok(
      hex(body).startsWith(
        '810488' + 'a6' + ascii('action') + 'a8' + ascii('Particle') + 'a2' + ascii('id'),
      ),
      'multicodec 0x0201, a map of 8 entries, action first, then id',
    );
    t.ok(
      hex(body).includes(ascii('id') + 'd924' + ascii(FIELDS.id)),
      'a 36-byte id is a str8, as msgpack-lite writes it',
    );
    t.ok(
      hex(body).includes('a9' + ascii('timestamp') + 'cf' + '0000018b192e48fe'),
      'timestamp as uint64 0xcf',
    );
    t.ok(hex(body).includes('a3' + ascii('ttl') + 'cd1b58'), 'ttl 7000 as uint16');
    t.ok(
      hex(body).includes('a9' + ascii('signature') + 'c440' + hex(p.signature)),
      'signature as bin8 of 64 bytes',
    );
    t.ok(hex(body).endsWith('a4' + ascii('data') + 'c403' + '01c803'), 'data as bin last');
    const back = decodeParticleFrame(body);
    t.same(back, p);
    t.ok(hasValidSignature(back));
  },
);

t.test('js-client frames (int arrays, Uint64BE) decode; ours read back in js-client', async (t) => {
  const p = {
    ...createParticle(KeyPair.random(), '(null)', { ttl: 12345 }),
    data: Uint8Array.from({ length: 1249 }, (_, i) => (i * 7) & 0xff),
  };
  const theirs = jsClientFrame(p);
  t.ok(hex(theirs).includes('a9' + ascii('signature') + 'dc0040'), 'js-client sends an array');
  const decoded = decodeParticleFrame(theirs);
  t.same(decoded, p);
  t.ok(hasValidSignature(decoded));
  const ours = encodeParticleFrame(p);
  t.ok(ours.length < theirs.length, `bin is smaller: ${ours.length} < ${theirs.length} bytes`);
  const read = jsClientRead(ours);
  t.ok(read.signature instanceof Uint8Array, 'js-client sees bin as Uint8Array (its zod check)');
  t.ok(read.data instanceof Uint8Array);
  t.same(Array.from(read.signature as Uint8Array), Array.from(p.signature));
  t.equal(Number(read.timestamp), p.timestamp);
  t.same(Object.keys(read), [
    'action',
    'id',
    'init_peer_id',
    'timestamp',
    'ttl',
    'script',
    'signature',
    'data',
  ]);
  // JSON bodies (codec 0x0200), which js-client also accepts.
  const json = new MulticodecRepr(new JsonRepr()).toBinary({
    action: 'Particle',
    id: p.id,
    init_peer_id: p.initPeerId,
    timestamp: p.timestamp,
    ttl: p.ttl,
    script: p.script,
    signature: Array.from(p.signature),
    data: Array.from(p.data),
  });
  t.equal(hex(json.subarray(0, 2)), '8004');
  t.same(decodeParticleFrame(json), p);
});

t.test("a frame shaped like Nox's own test vector decodes", async (t) => {
  // What fluence-wire §1.4 quotes: length prefix cf 02 (335 bytes), 81 04, a map of 8, action
  // first, timestamp cf 00 00 01 8b f2 2a 95 d3, signature an array of 64 ints starting 6f b6.
  // The rest (id, peer, script, the other signature bytes) is ours; the script is sized so the
  // body is exactly 335 bytes, as the vector's prefix says.
  const signature = Uint8Array.from({ length: 64 }, (_, i) =>
    i === 0 ? 0x6f : i === 1 ? 0xb6 : i,
  );
  const fields = (script: string): Record<string, unknown> => ({
    action: 'Particle',
    id: 'd7c6a9c5-3b31-4c26-8a86-1e5b7f7c2a11',
    init_peer_id: KeyPair.fromSecretKey(SECRET).peerId,
    timestamp: new int64Buffer.Uint64BE(0x18bf22a95d3),
    ttl: 10000,
    script,
    signature: Array.from(signature),
    data: [],
  });
  const repr = new MulticodecRepr(new MsgPackRepr());
  const short = repr.toBinary(fields('')).length;
  const body = repr.toBinary(fields('x'.repeat(335 - short - 1)));
  t.equal(body.length, 335);
  t.same(varint(body.length), [0xcf, 0x02], 'the length prefix of the vector');
  t.equal(hex(body.subarray(0, 19)), '810488a6' + ascii('action') + 'a8' + ascii('Particle'));
  t.ok(hex(body).includes('a9' + ascii('signature') + 'dc00406fccb6'));
  t.ok(hex(body).includes('a9' + ascii('timestamp') + 'cf0000018bf22a95d3'));
  const p = decodeParticleFrame(body);
  t.equal(p.timestamp, 0x18bf22a95d3);
  t.equal(p.ttl, 10000);
  t.same(Array.from(p.signature), Array.from(signature));
  t.equal(p.data.length, 0);
  // Re-encoded the way we send: bin, so shorter, and it decodes to the same particle.
  const again = encodeParticleFrame(p);
  t.ok(again.length < body.length);
  t.same(decodeParticleFrame(again), p);
});

t.test(
  'timestamps: integers of any msgpack width; floats refused like Nox refuses them',
  async (t) => {
    const p = createParticle(KeyPair.random(), 'x', { timestamp: 1_700_000_000_000 });
    const base = new MulticodecRepr(new MsgPackRepr());
    const withTs = (timestamp: unknown): Uint8Array =>
      base.toBinary({
        action: 'Particle',
        id: p.id,
        init_peer_id: p.initPeerId,
        timestamp,
        ttl: p.ttl,
        script: p.script,
        signature: Array.from(p.signature),
        data: [],
      });
    // msgpack-lite writes a large number as float64 (0xcb): refused even though it is integral.
    const float = withTs(p.timestamp);
    t.ok(hex(float).includes(ascii('timestamp') + 'cb'));
    t.throws(() => decodeParticleFrame(float), {
      name: 'ParticleDecodeError',
      message: /expected 'timestamp' as an unsigned integer, found the float 1700000000000/,
      particleId: p.id,
    });
    t.throws(() => decodeParticleFrame(withTs(1.5)), ParticleDecodeError);
    t.throws(() => decodeParticleFrame(withTs(new int64Buffer.Int64BE(-5))), {
      message: /expected 'timestamp' between 0 and/,
    });
    t.equal(
      decodeParticleFrame(withTs(new int64Buffer.Int64BE(p.timestamp))).timestamp,
      p.timestamp,
    );
    t.throws(() => decodeParticleFrame(withTs('1700000000000')), { message: /found a str/ });
  },
);

t.test('every malformed frame is a ParticleDecodeError saying expected and found', async (t) => {
  const p = createParticle(KeyPair.random(), '(null)');
  const body = encodeParticleFrame(p);
  for (const cut of [0, 1, 2, 3, 20, body.length - 70, body.length - 1]) {
    t.throws(
      () => decodeParticleFrame(body.subarray(0, cut)),
      { name: 'ParticleDecodeError', message: /truncated particle frame: expected/ },
      `cut at ${cut}`,
    );
  }
  const badCodec = Uint8Array.from(body);
  badCodec[0] = 0x55;
  t.throws(() => decodeParticleFrame(badCodec), {
    message: /expected multicodec 0x0201 \(msgpack\) or 0x0200 \(JSON\), found 0x0055/,
  });
  t.throws(() => decodeParticleFrame(Uint8Array.from([...body, 0xc0])), {
    message: /found 1 byte\(s\) after it/,
  });
  t.throws(() => decodeParticleFrame(body, { maxBytes: 100 }), {
    message: `expected a particle frame of at most 100 bytes, found ${body.length}`,
  });
  t.equal(MAX_PARTICLE_FRAME_BYTES, 100 * 1024 * 1024);
  const repr = new MulticodecRepr(new MsgPackRepr());
  const frame = (o: Record<string, unknown>): Uint8Array =>
    repr.toBinary({
      action: 'Particle',
      id: p.id,
      init_peer_id: p.initPeerId,
      timestamp: new int64Buffer.Uint64BE(p.timestamp),
      ttl: p.ttl,
      script: p.script,
      signature: Array.from(p.signature),
      data: [],
      ...o,
    });
  t.throws(() => decodeParticleFrame(frame({ action: 'Ping' })), {
    message: /expected action "Particle", found "Ping"/,
  });
  t.throws(() => decodeParticleFrame(frame({ data: [1, 256] })), {
    message: /expected 'data' as bytes \(bin or an array of 0..255\), found 256 at index 1/,
  });
  t.throws(() => decodeParticleFrame(frame({ signature: 'abc' })), {
    message: /expected 'signature' as bytes .* found a str/,
  });
  t.throws(() => decodeParticleFrame(frame({ ttl: 2 ** 33 })), { message: /'ttl'/ });
  const noScript = repr.toBinary({ action: 'Particle', id: p.id });
  t.throws(() => decodeParticleFrame(noScript), {
    message: "particle frame: expected the field 'init_peer_id', found none",
  });
  t.throws(() => decodeParticleFrame(repr.toBinary([1, 2])), {
    message: 'expected the particle as a map, found a array',
  });
  t.throws(() => decodeParticleFrame(Uint8Array.from([0x80, 0x04, 0x7b])), {
    message: /expected JSON after multicodec 0x0200, found invalid text/,
  });
  t.throws(() => decodeParticleFrame(Uint8Array.from([0x81, 0x04, 0xc1])), {
    message: /found the unused type byte 0xc1/,
  });
});
