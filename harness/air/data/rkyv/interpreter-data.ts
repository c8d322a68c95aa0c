// AquaVM 0.62's InterpreterData (air-interpreter-data 0.17.2) in rkyv's archived layout, mapped to
// and from our in-memory InterpreterData. Layout of every archived type (big-endian, 4-aligned;
// offsets in bytes; enum variants are a u8 tag, then the variant's fields as a repr(C) struct):
//
//   InterpreterData (60)   trace Vec<ExecutedState> @0, last_call_request_id u32 @8,
//                          cid_info: value, tetraplet, canon_element, canon_result and
//                          service_result stores @12 @20 @28 @36 @44, signatures @52
//   ExecutedState (24)     0 Par {left_size @4, right_size @8} | 1 Call(CallResult @4) |
//                          2 Fold(Vec<FoldSubTraceLore> @4) | 3 Ap(Vec<u32> @4) |
//                          4 Canon(CanonResult @4)
//   CallResult (20)        0 RequestSentBy(Sender @4) | 1 Executed(ValueRef @4) | 2 Failed(CID @4)
//   Sender (12)            0 PeerId(Rc<String> @4) | 1 PeerIdWithCallId {Rc<String> @4, call_id @8}
//   ValueRef (16)          0 Scalar(CID @4) | 1 Stream {CID @4, generation @12} | 2 Unused(CID @4)
//   CanonResult (12)       0 RequestSentBy(Rc<String> @4) | 1 Executed(CID @4)
//   FoldSubTraceLore (12)  value_pos @0, Vec<SubTraceDesc {begin_pos, subtrace_len}> @4
//   CID (8)                Rc<str>: offset, length
//   store (CidStore, `AsVec`): Vec<{key CID @0, value Rc<V> @8}> (12 per entry), V being
//     RawValue (8: Box<str>), SecurityTetraplet (32: four ArchivedStrings),
//     CanonCidAggregate (28: value CID, tetraplet CID, Provenance @16 (12): 0 Literal |
//       1 ServiceResult {CID @4} | 2 Canon {CID @4}),
//     CanonResultCidAggregate (16: tetraplet CID, Vec<CID>),
//     ServiceResultCidAggregate (24: value_cid CID, argument_hash Rc<str>, tetraplet_cid CID)
//   signatures (`AsVec`): Vec<{PublicKey Box<[u8]> @0, Signature Box<[u8]> @8}> (16 per entry),
//     both as fluence-keypair encodes them: a key format byte (0 = Ed25519), then the raw bytes.
//
// No rkyv ArchivedHashMap (with its hash index) appears: AquaVM archives each of its HashMaps
// with `#[with(AsVec)]`, a vector of entries in the map's iteration order, which is random in
// AquaVM (std's RandomState) and insertion order here.
//
// Rc values that AquaVM shares are written once and pointed to from every place. Which places
// share depends on how AquaVM built its values, so decoding records it (a SharingMemo) and
// encoding the same data replays it, giving back the reference's bytes; data of our own VM shares
// every equal CID and peer id string, which AquaVM reads the same way.

import type { CallState, ExecutedState, FoldLoreEntry } from '../../trace/states.js';
import {
  emptyStores,
  type CanonElement,
  type CanonResult,
  type CidStores,
  type Provenance,
  type ServiceResult,
} from '../stores.js';
import {
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  type SecurityTetraplet,
} from '../../../protocol/index.js';
import { RkyvFormatError, RkyvReader } from './reader.js';
import { RkyvWriter } from './writer.js';

/** The logical content, as our VM keeps it (same shape as InterpreterData in ../interpreter-data.ts). */
export interface RkyvInterpreterData {
  readonly trace: ExecutedState[];
  readonly lcid: number;
  readonly stores: CidStores;
  readonly signatures: Map<string, Uint8Array>;
}

/**
 * Which Rc occurrence (in rkyv's traversal order) points where an earlier one does: -1 for a
 * newly written value, else the index of the first occurrence it shares.
 */
export type SharingMemo = readonly number[];

/** Raised for archived data our model cannot hold (it is valid rkyv, but not data this VM reads). */
export class UnsupportedDataError extends Error {
  override readonly name: string = 'UnsupportedDataError';
}

const ROOT_SIZE = 60;
const STATE_SIZE = 24;
const LORE_SIZE = 12;
const DESC_SIZE = 8;
const STORE_ENTRY_SIZE = 12;
const SIGNATURE_ENTRY_SIZE = 16;
const TETRAPLET_SIZE = 32;
const CANON_ELEMENT_SIZE = 28;
const CANON_RESULT_SIZE = 16;
const SERVICE_RESULT_SIZE = 24;
const RAW_VALUE_SIZE = 8;
/**
 * Raised for a signature store entry that is no Ed25519 key or signature: valid rkyv, refused by
 * AquaVM when it checks the signatures (so as a signature error, 9, not a decoding one).
 */
export class UnsupportedKeyError extends UnsupportedDataError {
  override readonly name: string = 'UnsupportedKeyError';
}

/** fluence-keypair's key format byte of Ed25519, the only format AquaVM accepts. */
const ED25519_FORMAT = 0;
// Shared-pointer types, as rkyv's validator tells them apart (by the archived Rc type).
const RC_STR = 'Rc<str>';
const RC_STRING = 'Rc<String>';

/** Decodes rkyv bytes of AquaVM's InterpreterData; throws RkyvFormatError or UnsupportedDataError. */
export function decodeRkyvData(bytes: Uint8Array): {
  data: RkyvInterpreterData;
  memo: SharingMemo;
} {
  const r = new RkyvReader(bytes);
  const memo: number[] = [];
  const firstAt = new Map<number, number>();
  const note = (to: number, first: boolean): void => {
    if (first) {
      firstAt.set(to, memo.length);
      memo.push(-1);
    } else memo.push(firstAt.get(to)!);
  };
  const cid = (at: number): string => r.rcStr(at, RC_STR, note);
  const rcString = (at: number): string => r.rc(at, RC_STRING, 8, 4, (p) => r.string(p), note);
  const rcOf = <T>(at: number, type: string, size: number, read: (p: number) => T): T =>
    r.rc(at, type, size, 4, read, note);

  const { at: root, saved } = r.root(ROOT_SIZE, 4);
  const trace: ExecutedState[] = [];
  r.vec(root, STATE_SIZE, 4, (at, i) => trace.push(readState(r, at, i, cid, rcString)));
  const lcid = r.u32(root + 8);
  const stores = emptyStores();
  r.vec(root + 12, STORE_ENTRY_SIZE, 4, (at) => {
    const key = cid(at);
    stores.values.set(
      key,
      rcOf(at + 8, 'Rc<RawValue>', RAW_VALUE_SIZE, (p) => r.boxedStr(p)),
    );
  });
  r.vec(root + 20, STORE_ENTRY_SIZE, 4, (at) => {
    const key = cid(at);
    stores.tetraplets.set(
      key,
      rcOf(at + 8, 'Rc<SecurityTetraplet>', TETRAPLET_SIZE, (p) => ({
        peer_pk: r.string(p),
        service_id: r.string(p + 8),
        function_name: r.string(p + 16),
        lens: r.string(p + 24),
      })),
    );
  });
  r.vec(root + 28, STORE_ENTRY_SIZE, 4, (at) => {
    const key = cid(at);
    stores.canonElements.set(
      key,
      rcOf(at + 8, 'Rc<CanonCidAggregate>', CANON_ELEMENT_SIZE, (p): CanonElement => {
        const value = cid(p);
        const tetraplet = cid(p + 8);
        const tag = r.tag(p + 16, 3, 'Provenance');
        const provenance: Provenance =
          tag === 0
            ? { kind: 'literal' }
            : { kind: tag === 1 ? 'service_result' : 'canon', cid: cid(p + 20) };
        return { value, tetraplet, provenance };
      }),
    );
  });
  r.vec(root + 36, STORE_ENTRY_SIZE, 4, (at) => {
    const key = cid(at);
    stores.canonResults.set(
      key,
      rcOf(at + 8, 'Rc<CanonResultCidAggregate>', CANON_RESULT_SIZE, (p): CanonResult => {
        const tetraplet = cid(p);
        const values: string[] = [];
        r.vec(p + 8, 8, 4, (v) => values.push(cid(v)));
        return { tetraplet, values };
      }),
    );
  });
  r.vec(root + 44, STORE_ENTRY_SIZE, 4, (at) => {
    const key = cid(at);
    stores.serviceResults.set(
      key,
      rcOf(at + 8, 'Rc<ServiceResultCidAggregate>', SERVICE_RESULT_SIZE, (p): ServiceResult => {
        const value_cid = cid(p);
        const argument_hash = cid(p + 8);
        const tetraplet_cid = cid(p + 16);
        return { value_cid, argument_hash, tetraplet_cid };
      }),
    );
  });
  const signatures = new Map<string, Uint8Array>();
  r.vec(root + 52, SIGNATURE_ENTRY_SIZE, 4, (at) => {
    const key = r.ownedBytes(at);
    const sig = r.ownedBytes(at + 8);
    if (key.length !== 33 || key[0] !== ED25519_FORMAT)
      throw new UnsupportedKeyError(
        `signature store: expected an Ed25519 public key (format byte 0, 32 bytes), found format ${key[0] ?? '-'} with ${key.length - 1} bytes`,
      );
    if (sig.length !== 65 || sig[0] !== ED25519_FORMAT)
      throw new UnsupportedKeyError(
        `signature store: expected an Ed25519 signature (format byte 0, 64 bytes), found format ${sig[0] ?? '-'} with ${sig.length - 1} bytes`,
      );
    signatures.set(peerIdFromPublicKey(key.subarray(1)), sig.slice(1));
  });
  r.release(saved);
  return { data: { trace, lcid, stores, signatures }, memo };
}

function readState(
  r: RkyvReader,
  at: number,
  index: number,
  cid: (at: number) => string,
  rcString: (at: number) => string,
): ExecutedState {
  switch (r.tag(at, 5, 'ExecutedState')) {
    case 0:
      return { kind: 'par', left: r.u32(at + 4), right: r.u32(at + 8) };
    case 1:
      return { kind: 'call', call: readCall(r, at + 4, cid, rcString) };
    case 2: {
      const lore: FoldLoreEntry[] = [];
      const raw: { valuePos: number; descs: [number, number][] }[] = [];
      r.vec(at + 4, LORE_SIZE, 4, (l) => {
        const descs: [number, number][] = [];
        r.vec(l + 4, DESC_SIZE, 4, (d) => descs.push([r.u32(d), r.u32(d + 4)]));
        raw.push({ valuePos: r.u32(l), descs });
      });
      // Our trace keeps, per value, the length of its subtrace before `next`: the parts before
      // `next` follow one another from just after the fold state. The part after `next` is
      // always empty in a stream fold (AquaVM rejects instructions after it); where AquaVM
      // recorded it is kept as read.
      let begin = index + 1;
      for (const e of raw) {
        const [before, after] = e.descs;
        if (e.descs.length !== 2)
          throw new UnsupportedDataError(
            `trace[${index}]: fold lore entry ${JSON.stringify(e)} has ${e.descs.length} subtrace descriptors, expected 2`,
          );
        const entry: { -readonly [K in keyof FoldLoreEntry]: FoldLoreEntry[K] } = {
          valuePos: e.valuePos,
          length: before![1],
          afterPos: after![0],
        };
        if (before![0] !== begin) entry.beforePos = before![0];
        if (after![1] !== 0) entry.afterLength = after![1];
        lore.push(entry);
        begin += before![1];
      }
      return { kind: 'fold', lore };
    }
    case 3: {
      const gens: number[] = [];
      r.vec(at + 4, 4, 4, (g) => gens.push(r.u32(g)));
      if (gens.length !== 1)
        throw new UnsupportedDataError(
          `trace[${index}]: ap state with ${gens.length} generations, expected 1`,
        );
      return { kind: 'ap', generation: gens[0]! };
    }
    default:
      return r.tag(at + 4, 2, 'CanonResult') === 0
        ? { kind: 'canon', canon: { kind: 'sent', peer: rcString(at + 8) } }
        : { kind: 'canon', canon: { kind: 'executed', cid: cid(at + 8) } };
  }
}

function readCall(
  r: RkyvReader,
  at: number,
  cid: (at: number) => string,
  rcString: (at: number) => string,
): CallState {
  switch (r.tag(at, 3, 'CallResult')) {
    case 0:
      return r.tag(at + 4, 2, 'Sender') === 0
        ? { kind: 'sent', sender: { peer: rcString(at + 8) } }
        : { kind: 'sent', sender: { peer: rcString(at + 8), callId: r.u32(at + 12) } };
    case 1:
      switch (r.tag(at + 4, 3, 'ValueRef')) {
        case 0:
          return { kind: 'scalar', cid: cid(at + 8) };
        case 1:
          return { kind: 'stream', cid: cid(at + 8), generation: r.u32(at + 16) };
        default:
          return { kind: 'unused', cid: cid(at + 8) };
      }
    default:
      return { kind: 'failed', cid: cid(at + 4) };
  }
}

/**
 * Where AquaVM records the empty part after `next` of each value of the fold at `index`: AquaVM
 * iterates a stream one generation at a time, and a generation's parts after `next` are written
 * as its recursion unwinds, so they all start where that generation's last part before `next`
 * ends. Consecutive values of one generation form a group (the generation is that of the value's
 * ap or stream call state). A value read from AquaVM's data keeps the position it came with.
 */
export function foldAfterPositions(
  trace: readonly ExecutedState[],
  index: number,
  lore: readonly FoldLoreEntry[],
): number[] {
  const generationOf = (pos: number): number | undefined => {
    const s = trace[pos];
    if (s?.kind === 'ap') return s.generation;
    if (s?.kind === 'call' && s.call.kind === 'stream') return s.call.generation;
    return undefined;
  };
  const out: number[] = [];
  let begin = index + 1;
  let k = 0;
  while (k < lore.length) {
    const generation = generationOf(lore[k]!.valuePos);
    let end = k;
    let groupEnd = begin;
    do {
      groupEnd += lore[end]!.length;
      end++;
    } while (
      end < lore.length &&
      generation !== undefined &&
      generationOf(lore[end]!.valuePos) === generation
    );
    for (let j = k; j < end; j++) out.push(lore[j]!.afterPos ?? groupEnd);
    begin = groupEnd;
    k = end;
  }
  return out;
}

/** Writes the shared values: once per position, as the memo or (without one) equality decides. */
class Sharer {
  // Per pointer type, then by key: no key strings are built per occurrence.
  private readonly byType = new Map<string, Map<string, number>>();
  private occurrence = 0;
  private readonly occurrenceTypes: string[] = [];
  private readonly occurrenceKeys: string[] = [];
  private readonly occurrencePos: number[] = [];

  constructor(private readonly memo: SharingMemo | undefined) {}

  share(type: string, key: string, write: () => number): number {
    const i = this.occurrence++;
    let byKey = this.byType.get(type);
    if (byKey === undefined) {
      byKey = new Map();
      this.byType.set(type, byKey);
    }
    let pos: number | undefined;
    const m = this.memo;
    if (m !== undefined && i < m.length) {
      const earlier = m[i]!;
      if (
        earlier >= 0 &&
        this.occurrenceKeys[earlier] === key &&
        this.occurrenceTypes[earlier] === type
      )
        pos = this.occurrencePos[earlier];
      else if (earlier < 0) pos = write();
    }
    if (pos === undefined) {
      const known = byKey.get(key);
      if (known === undefined) {
        pos = write();
        byKey.set(key, pos);
      } else pos = known;
    } else if (!byKey.has(key)) byKey.set(key, pos);
    if (m !== undefined) {
      this.occurrenceTypes.push(type);
      this.occurrenceKeys.push(key);
      this.occurrencePos.push(pos);
    }
    return pos;
  }
}

/** An Rc<str> written (or shared) before its owner: position and byte length. */
interface StrRef {
  readonly pos: number;
  readonly len: number;
}

const encoder = new TextEncoder();

/**
 * Encodes our InterpreterData in AquaVM's rkyv layout. With the memo decoding gave, unchanged data
 * comes out byte for byte as it was read.
 */
export function encodeRkyvData(data: RkyvInterpreterData, memo?: SharingMemo): Uint8Array {
  return writeRkyvData(data, memo).finish();
}

/**
 * Encodes like encodeRkyvData, behind a header made for the archive's length (an envelope's), so
 * the archive is copied once rather than sliced and then copied into the envelope.
 */
export function encodeRkyvDataAfter(
  data: RkyvInterpreterData,
  memo: SharingMemo | undefined,
  header: (archiveLength: number) => Uint8Array,
): Uint8Array {
  return writeRkyvData(data, memo).finishAfter(header);
}

function writeRkyvData(data: RkyvInterpreterData, memo: SharingMemo | undefined): RkyvWriter {
  return new DataArchiver(memo).write(data);
}

/** Which of the five CID stores a value belongs to (so one method writes any store's values). */
const enum StoreKind {
  Values,
  Tetraplets,
  CanonElements,
  CanonResults,
  ServiceResults,
}

/**
 * One encoding of InterpreterData. A class with methods rather than closures made per call: an
 * invoke encodes its data once, and closures (one per store entry, as before) were created and,
 * under tsx, named every time.
 */
class DataArchiver {
  private readonly w = RkyvWriter.scratch();
  private readonly sharer: Sharer;
  private readonly strLen = new Map<number, number>();
  // Without a memo (data this VM built, the usual case) every equal string is shared: the first
  // occurrence is written and later ones point to it, which plain maps decide without the
  // sharer's per-occurrence bookkeeping (the sharer does the same when it has no memo).
  private readonly cidRefs = new Map<string, StrRef>();
  private readonly rcStrings = new Map<string, number>();

  constructor(private readonly memo: SharingMemo | undefined) {
    this.sharer = new Sharer(memo);
  }

  cid(text: string): StrRef {
    const w = this.w;
    if (this.memo === undefined) {
      let ref = this.cidRefs.get(text);
      if (ref === undefined) {
        ref = w.utf8(text);
        this.cidRefs.set(text, ref);
      }
      return ref;
    }
    const pos = this.sharer.share(RC_STR, text, () => {
      const { pos, len } = w.utf8(text);
      this.strLen.set(pos, len);
      return pos;
    });
    return { pos, len: this.strLen.get(pos) ?? encoder.encode(text).length };
  }

  private writeRcString(text: string): number {
    const w = this.w;
    const r = w.stringDeps(text);
    const at = w.alloc(8, 4);
    w.string(at, r);
    return at;
  }

  rcString(text: string): number {
    if (this.memo === undefined) {
      let at = this.rcStrings.get(text);
      if (at === undefined) {
        at = this.writeRcString(text);
        this.rcStrings.set(text, at);
      }
      return at;
    }
    return this.sharer.share(RC_STRING, text, () => this.writeRcString(text));
  }

  write(data: RkyvInterpreterData): RkyvWriter {
    const w = this.w;
    // trace: what each state owns, in order, then the states.
    const trace = data.trace;
    const owned: (number | StrRef | undefined)[] = new Array(trace.length);
    for (let i = 0; i < trace.length; i++) owned[i] = stateDeps(w, trace, trace[i]!, i, this);
    const traceAt = w.alloc(STATE_SIZE * trace.length, 4);
    for (let i = 0; i < trace.length; i++)
      writeState(w, traceAt + i * STATE_SIZE, trace[i]!, owned[i]);

    // stores: each entry's key, then its value's owned parts and the value; then the entries.
    const st = data.stores;
    const valueStore = this.store(st.values, StoreKind.Values);
    const tetrapletStore = this.store(st.tetraplets, StoreKind.Tetraplets);
    const canonElementStore = this.store(st.canonElements, StoreKind.CanonElements);
    const canonResultStore = this.store(st.canonResults, StoreKind.CanonResults);
    const serviceResultStore = this.store(st.serviceResults, StoreKind.ServiceResults);

    const sigKeys: number[] = [];
    const sigValues: number[] = [];
    for (const [peer, sig] of data.signatures) {
      const key = new Uint8Array(33);
      key.set(publicKeyFromPeerId(peer), 1);
      const value = new Uint8Array(1 + sig.length);
      value.set(sig, 1);
      sigKeys.push(w.bytes(key));
      sigValues.push(w.bytes(value));
    }
    const sigAt = w.alloc(SIGNATURE_ENTRY_SIZE * sigKeys.length, 4);
    for (let i = 0; i < sigKeys.length; i++) {
      w.slicePtr(sigAt + i * SIGNATURE_ENTRY_SIZE, sigKeys[i]!, 33);
      w.slicePtr(sigAt + i * SIGNATURE_ENTRY_SIZE + 8, sigValues[i]!, 65);
    }

    const root = w.alloc(ROOT_SIZE, 4);
    w.slicePtr(root, traceAt, trace.length);
    w.u32(root + 8, data.lcid);
    w.slicePtr(root + 12, valueStore.pos, valueStore.len);
    w.slicePtr(root + 20, tetrapletStore.pos, tetrapletStore.len);
    w.slicePtr(root + 28, canonElementStore.pos, canonElementStore.len);
    w.slicePtr(root + 36, canonResultStore.pos, canonResultStore.len);
    w.slicePtr(root + 44, serviceResultStore.pos, serviceResultStore.len);
    w.slicePtr(root + 52, sigAt, sigKeys.length);
    return w;
  }

  private store<V>(entries: Map<string, V>, kind: StoreKind): { pos: number; len: number } {
    const w = this.w;
    const keys: StrRef[] = [];
    const values: number[] = [];
    for (const [k, v] of entries) {
      keys.push(this.cid(k));
      // Without a memo each value is new: a store's keys are distinct and each store is of its
      // own pointer type, so the sharer would write every one.
      values.push(
        this.memo === undefined
          ? this.storeValue(kind, v)
          : this.sharer.share(STORE_TYPES[kind]!, k, () => this.storeValue(kind, v)),
      );
    }
    const pos = w.alloc(STORE_ENTRY_SIZE * keys.length, 4);
    for (let i = 0; i < keys.length; i++) {
      const at = pos + i * STORE_ENTRY_SIZE;
      w.slicePtr(at, keys[i]!.pos, keys[i]!.len);
      w.relPtr(at + 8, values[i]!);
    }
    return { pos, len: keys.length };
  }

  /** Writes one store value: first what it owns, then the value itself; returns its position. */
  private storeValue(kind: StoreKind, v: unknown): number {
    const w = this.w;
    switch (kind) {
      case StoreKind.Values: {
        const { pos, len } = w.utf8(v as string);
        const at = w.alloc(RAW_VALUE_SIZE, 4);
        w.slicePtr(at, pos, len);
        return at;
      }
      case StoreKind.Tetraplets: {
        const t = v as SecurityTetraplet;
        const peer = w.stringDeps(t.peer_pk);
        const service = w.stringDeps(t.service_id);
        const fn = w.stringDeps(t.function_name);
        const lens = w.stringDeps(t.lens);
        const at = w.alloc(TETRAPLET_SIZE, 4);
        w.string(at, peer);
        w.string(at + 8, service);
        w.string(at + 16, fn);
        w.string(at + 24, lens);
        return at;
      }
      case StoreKind.CanonElements: {
        const e = v as CanonElement;
        const value = this.cid(e.value);
        const tetraplet = this.cid(e.tetraplet);
        const p = e.provenance;
        const provenance = p.kind === 'literal' ? undefined : this.cid(p.cid);
        const at = w.alloc(CANON_ELEMENT_SIZE, 4);
        w.slicePtr(at, value.pos, value.len);
        w.slicePtr(at + 8, tetraplet.pos, tetraplet.len);
        w.u8(at + 16, p.kind === 'literal' ? 0 : p.kind === 'service_result' ? 1 : 2);
        if (provenance) w.slicePtr(at + 20, provenance.pos, provenance.len);
        return at;
      }
      case StoreKind.CanonResults: {
        const c = v as CanonResult;
        const tetraplet = this.cid(c.tetraplet);
        const values: StrRef[] = [];
        for (const value of c.values) values.push(this.cid(value));
        const vecAt = w.alloc(8 * values.length, 4);
        for (let i = 0; i < values.length; i++)
          w.slicePtr(vecAt + i * 8, values[i]!.pos, values[i]!.len);
        const at = w.alloc(CANON_RESULT_SIZE, 4);
        w.slicePtr(at, tetraplet.pos, tetraplet.len);
        w.slicePtr(at + 8, vecAt, values.length);
        return at;
      }
      case StoreKind.ServiceResults: {
        const s = v as ServiceResult;
        const valueCid = this.cid(s.value_cid);
        const argumentHash = this.cid(s.argument_hash);
        const tetrapletCid = this.cid(s.tetraplet_cid);
        const at = w.alloc(SERVICE_RESULT_SIZE, 4);
        w.slicePtr(at, valueCid.pos, valueCid.len);
        w.slicePtr(at + 8, argumentHash.pos, argumentHash.len);
        w.slicePtr(at + 16, tetrapletCid.pos, tetrapletCid.len);
        return at;
      }
    }
  }
}

/** The archived pointer type of each store's values (the sharer tells occurrences apart by it). */
const STORE_TYPES: readonly string[] = [
  'Rc<RawValue>',
  'Rc<SecurityTetraplet>',
  'Rc<CanonCidAggregate>',
  'Rc<CanonResultCidAggregate>',
  'Rc<ServiceResultCidAggregate>',
];

/** Writes what one state owns; returns what its slot needs (a CID, an Rc position, a vec). */
function stateDeps(
  w: RkyvWriter,
  trace: readonly ExecutedState[],
  s: ExecutedState,
  index: number,
  a: DataArchiver,
): number | StrRef | undefined {
  switch (s.kind) {
    case 'par':
      return undefined;
    case 'ap': {
      const at = w.alloc(4, 4);
      w.u32(at, s.generation);
      return at;
    }
    case 'fold': {
      // Per value, its two subtrace descriptors (before and after `next`), then the lore.
      const descs: number[] = [];
      const after = foldAfterPositions(trace, index, s.lore);
      let begin = index + 1;
      s.lore.forEach((e, k) => {
        const at = w.alloc(2 * DESC_SIZE, 4);
        w.u32(at, e.beforePos ?? begin);
        w.u32(at + 4, e.length);
        begin += e.length;
        w.u32(at + DESC_SIZE, after[k]!);
        w.u32(at + DESC_SIZE + 4, e.afterLength ?? 0);
        descs.push(at);
      });
      const loreAt = w.alloc(LORE_SIZE * s.lore.length, 4);
      s.lore.forEach((e, k) => {
        w.u32(loreAt + k * LORE_SIZE, e.valuePos);
        w.slicePtr(loreAt + k * LORE_SIZE + 4, descs[k]!, 2);
      });
      return loreAt;
    }
    case 'canon':
      return s.canon.kind === 'sent' ? a.rcString(s.canon.peer) : a.cid(s.canon.cid);
    case 'call': {
      const c = s.call;
      if (c.kind === 'sent') return a.rcString(c.sender.peer);
      return a.cid(c.cid);
    }
  }
}

function writeState(
  w: RkyvWriter,
  at: number,
  s: ExecutedState,
  owned: number | StrRef | undefined,
): void {
  switch (s.kind) {
    case 'par':
      w.u8(at, 0);
      w.u32(at + 4, s.left);
      w.u32(at + 8, s.right);
      return;
    case 'ap':
      w.u8(at, 3);
      w.slicePtr(at + 4, owned as number, 1);
      return;
    case 'fold':
      w.u8(at, 2);
      w.slicePtr(at + 4, owned as number, s.lore.length);
      return;
    case 'canon': {
      w.u8(at, 4);
      if (s.canon.kind === 'sent') {
        w.relPtr(at + 8, owned as number);
      } else {
        const ref = owned as StrRef;
        w.u8(at + 4, 1);
        w.slicePtr(at + 8, ref.pos, ref.len);
      }
      return;
    }
    case 'call': {
      w.u8(at, 1);
      const c = s.call;
      if (c.kind === 'sent') {
        // CallResult::RequestSentBy (tag 0), Sender::PeerId or PeerIdWithCallId.
        if (c.sender.callId !== undefined) {
          w.u8(at + 8, 1);
          w.u32(at + 16, c.sender.callId);
        }
        w.relPtr(at + 12, owned as number);
        return;
      }
      const ref = owned as StrRef;
      if (c.kind === 'failed') {
        w.u8(at + 4, 2);
        w.slicePtr(at + 8, ref.pos, ref.len);
        return;
      }
      w.u8(at + 4, 1);
      w.u8(at + 8, c.kind === 'scalar' ? 0 : c.kind === 'stream' ? 1 : 2);
      w.slicePtr(at + 12, ref.pos, ref.len);
      if (c.kind === 'stream') w.u32(at + 20, c.generation);
      return;
    }
  }
}

export { RkyvFormatError };
