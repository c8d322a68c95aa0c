// The rkyv layout rules our reader and writer follow, on small hand-made archives: strings of up
// to 7 UTF-8 bytes inline (length in the last byte), longer ones out of line (big-endian length,
// little-endian negative offset), and what the validator refuses as AquaVM's rkyv does.
import t from 'tap';
import { RkyvFormatError, RkyvReader } from '../data/rkyv/reader.js';
import { RkyvWriter } from '../data/rkyv/writer.js';
import { decodeRkyvData, encodeRkyvData } from '../data/rkyv/interpreter-data.js';
import { emptyStores } from '../data/stores.js';
import { testPeer } from './vm-harness.js';

/** One ArchivedString as the root of an archive. */
function stringArchive(s: string): Uint8Array {
  const w = new RkyvWriter(16);
  const r = w.stringDeps(s);
  const at = w.alloc(8, 4);
  w.string(at, r);
  return w.finish();
}

const readRootString = (bytes: Uint8Array): string => {
  const r = new RkyvReader(bytes);
  const { at, saved } = r.root(8, 4);
  const s = r.string(at);
  r.release(saved);
  return s;
};

t.test('short strings are inline, long ones out of line', async (t) => {
  t.same([...stringArchive('abcdefg')], [97, 98, 99, 100, 101, 102, 103, 7], '7 bytes inline');
  t.same(
    [...stringArchive('ééé')],
    [0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0, 6],
    '6 UTF-8 bytes inline',
  );
  const long = stringArchive('abcdefgh');
  // 8 bytes of text, then the 8-byte slot: BE length 8, LE offset -8.
  t.same([...long.subarray(8)], [0, 0, 0, 8, 0xf8, 0xff, 0xff, 0xff]);
  const multi = stringArchive('éééé');
  t.equal(multi.length, 16, '4 characters but 8 UTF-8 bytes: out of line');
  for (const s of ['', 'abcdefg', 'abcdefgh', 'ééé', 'éééé', 'x'.repeat(300)])
    t.equal(readRootString(stringArchive(s)), s, `round trip of ${JSON.stringify(s.slice(0, 9))}`);
});

t.test('the validator refuses what rkyv refuses', async (t) => {
  t.throws(
    () => readRootString(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
    RkyvFormatError,
    'inline length 8',
  );
  t.throws(
    () => readRootString(Uint8Array.of(0, 0, 0, 8, 0xf8, 0xff, 0xff, 0xff)),
    RkyvFormatError,
    'offset before the buffer',
  );
  t.throws(
    () => readRootString(Uint8Array.of(0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0)),
    RkyvFormatError,
    'root too short or unaligned',
  );
  t.throws(
    () => readRootString(Uint8Array.of(0xc3, 0x28, 0, 0, 0, 0, 0, 2)),
    RkyvFormatError,
    'not UTF-8',
  );
  // An out-of-line string whose bytes lie after its slot (outside the subtree rkyv allows).
  const after = Uint8Array.of(0, 0, 0, 4, 8, 0, 0, 0x80, 97, 98, 99, 100);
  t.throws(
    () => {
      const r = new RkyvReader(after);
      r.string(0);
    },
    RkyvFormatError,
    'offset must point back',
  );
});

t.test('InterpreterData: empty data is the 60-byte root alone, all zero but lengths', async (t) => {
  const bytes = encodeRkyvData({
    trace: [],
    lcid: 0,
    stores: emptyStores(),
    signatures: new Map(),
  });
  t.equal(bytes.length, 60);
  // Every empty vector points at the root's own start: offset = -(its field offset).
  const view = new DataView(bytes.buffer);
  t.equal(view.getInt32(0, false), 0);
  t.equal(view.getInt32(12, false), -12);
  t.equal(view.getInt32(52, false), -52);
  t.same(decodeRkyvData(bytes).data.trace, []);
});

t.test('equal strings are written once and shared; a wrong shared type is refused', async (t) => {
  const peer = testPeer(0).peerId;
  const bytes = encodeRkyvData({
    trace: [
      { kind: 'call', call: { kind: 'sent', sender: { peer } } },
      { kind: 'canon', canon: { kind: 'sent', peer } },
    ],
    lcid: 0,
    stores: emptyStores(),
    signatures: new Map(),
  });
  const text = new TextDecoder().decode(bytes);
  t.equal(text.split(peer).length - 1, 1, 'the peer id is written once');
  const { data, memo } = decodeRkyvData(bytes);
  t.same(memo, [-1, 0], 'the second reference shares the first');
  t.same(encodeRkyvData(data, memo), bytes);
});

t.test('a signature store entry of another key format is a signature error (9)', async (t) => {
  const { AquaVM, PreparationErrorCode } = await import('../vm.js');
  const { encodeData, decodeData } = await import('../data/interpreter-data.js');
  const A = testPeer(0);
  const params = {
    initPeerId: A.peerId,
    currentPeerId: A.peerId,
    timestamp: 1,
    ttl: 1000,
    particleId: 'p',
    secretKey: A.seed,
  };
  const vm = new AquaVM();
  const out = vm.invoke('(null)', new Uint8Array(), new Uint8Array(), params, new Map());
  const bytes = out.data;
  t.equal(decodeData(bytes, 'x').signatures.size, 1, 'the peer signs even an empty list');
  // The key's format byte sits just before its 32 key bytes: make it 1 (RSA).
  const again = encodeData(decodeData(bytes, 'x'));
  const key = (await import('../../protocol/index.js')).publicKeyFromPeerId(A.peerId);
  const at = again.findIndex((_, i) => key.every((b, j) => again[i + j] === b));
  t.ok(at > 0);
  const forged = Uint8Array.from(again);
  forged[at - 1] = 1;
  const B = testPeer(1);
  const result = vm.invoke(
    '(null)',
    new Uint8Array(),
    forged,
    { ...params, currentPeerId: B.peerId, secretKey: B.seed },
    new Map(),
  );
  t.equal(result.retCode, PreparationErrorCode.DataSignatureCheckError);
  const { createReferenceAquaVM } = await import('../../testing/index.js');
  const reference = await createReferenceAquaVM();
  const theirs = await reference.invoke(
    '(null)',
    new Uint8Array(),
    forged,
    { ...params, currentPeerId: B.peerId, secretKey: B.seed },
    new Map(),
  );
  t.equal(theirs.retCode, PreparationErrorCode.DataSignatureCheckError, 'as AquaVM refuses it');
});
