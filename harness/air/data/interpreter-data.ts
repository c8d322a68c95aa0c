// Interpreter data: a versioned msgpack envelope around the inner data (trace, last call id,
// CID stores, signatures). The envelope's versions stay readable even when the inner data does
// not decode, so errors can name the producer's version.
import { Packr } from 'msgpackr';
import { PreparationErrorCode } from '../errors/codes.js';
import { PreparationError } from '../errors/execution-error.js';
import type { CallState, ExecutedState, FoldLoreEntry } from '../trace/states.js';
import { cidOf, cidOfJsonText } from './cid.js';
import type { JsonValue } from '../../protocol/index.js';
import {
  emptyStores,
  type CanonElement,
  type CanonResult,
  type CidStores,
  type Provenance,
  type ServiceResult,
} from './stores.js';
import type { SecurityTetraplet } from '../../protocol/index.js';
import {
  decodeRkyvData,
  encodeRkyvDataAfter,
  RkyvFormatError,
  UnsupportedDataError,
  UnsupportedKeyError,
  type SharingMemo,
} from './rkyv/interpreter-data.js';

/**
 * Version of the data format this VM writes. 1.1 records an unused call value by the value's CID
 * (1.0 named its service result aggregate); 1.0 data still loads.
 */
export const DATA_FORMAT_VERSION = '1.1.0';
/** Version of this interpreter, written into every envelope. */
export const INTERPRETER_VERSION = '0.1.0';
/** Oldest interpreter version whose data this VM accepts. */
export const MIN_INTERPRETER_VERSION = '0.1.0';

/**
 * AquaVM's data format (air-interpreter-data 0.17.2: the inner data in rkyv 0.7's layout), the
 * format this VM writes by default, so that AquaVM peers (js-client, Nox) read our particles.
 */
export const AQUAVM_DATA_VERSION = '0.17.2';
/**
 * The interpreter version written with AquaVM's format: the AquaVM release whose data and
 * semantics this VM follows. AquaVM refuses data of interpreters before 0.61.0.
 */
export const AQUAVM_INTERPRETER_VERSION = '0.62.0';
/** Oldest interpreter version AquaVM 0.62 (and so this VM) accepts in AquaVM's format. */
export const AQUAVM_MIN_INTERPRETER_VERSION = '0.61.0';

/** The formats this VM reads; it writes either (AquaVM's by default). */
export type DataFormat = 'aquavm' | 'marine-ts';

/** How AquaVM shared values in data we decoded, so that encoding it again gives its bytes. */
const sharing = new WeakMap<InterpreterData, SharingMemo>();
/** Which format each decoded data came in (for dumps). */
const formats = new WeakMap<InterpreterData, DataFormat>();

/** The format a decoded InterpreterData was read from (undefined for data built in memory). */
export function formatOf(data: InterpreterData): DataFormat | undefined {
  return formats.get(data);
}

/** The logical content of interpreter data. */
export interface InterpreterData {
  readonly trace: ExecutedState[];
  /** Last call request id handed out by this peer for the particle. */
  readonly lcid: number;
  readonly stores: CidStores;
  /** Peer id → Ed25519 signature over the sorted CIDs that peer produced. */
  readonly signatures: Map<string, Uint8Array>;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** Empty interpreter data (what an empty byte array means). */
export function emptyData(): InterpreterData {
  return { trace: [], lcid: 0, stores: emptyStores(), signatures: new Map() };
}

function fail(code: number, what: string): never {
  throw new PreparationError(code, what);
}

function parseSemver(text: unknown): [number, number, number] | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function semverLess(a: [number, number, number], b: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  return false;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

function str(x: unknown, where: string): string {
  if (typeof x !== 'string')
    fail(PreparationErrorCode.DataDeFailed, `expected a string at ${where}, found ${typeof x}`);
  return x;
}

function u32(x: unknown, where: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff) {
    fail(PreparationErrorCode.DataDeFailed, `expected a u32 at ${where}, found ${String(x)}`);
  }
  return x;
}

/** What a `call` state's `unused` CID names in data of a given format version. */
type UnusedMeaning = 'value' | 'service_result';

function decodeCall(raw: unknown, where: string, unused: UnusedMeaning): CallState {
  if (!isRecord(raw))
    fail(PreparationErrorCode.DataDeFailed, `expected a call state object at ${where}`);
  if ('sent' in raw) {
    const s = raw['sent'];
    if (!isRecord(s)) fail(PreparationErrorCode.DataDeFailed, `expected a sender at ${where}`);
    const peer = str(s['peer'], `${where}.sent.peer`);
    return s['call_id'] === undefined
      ? { kind: 'sent', sender: { peer } }
      : { kind: 'sent', sender: { peer, callId: u32(s['call_id'], `${where}.sent.call_id`) } };
  }
  if ('scalar' in raw) return { kind: 'scalar', cid: str(raw['scalar'], `${where}.scalar`) };
  if ('unused' in raw) {
    const cid = str(raw['unused'], `${where}.unused`);
    return unused === 'value' ? { kind: 'unused', cid } : { kind: 'legacy_unused', cid };
  }
  if ('legacy_unused' in raw)
    return { kind: 'legacy_unused', cid: str(raw['legacy_unused'], `${where}.legacy_unused`) };
  if ('failed' in raw) return { kind: 'failed', cid: str(raw['failed'], `${where}.failed`) };
  if ('stream' in raw) {
    const s = raw['stream'];
    if (!isRecord(s))
      fail(PreparationErrorCode.DataDeFailed, `expected a stream value at ${where}`);
    return {
      kind: 'stream',
      cid: str(s['cid'], `${where}.stream.cid`),
      generation: u32(s['generation'], `${where}.stream.generation`),
    };
  }
  return fail(
    PreparationErrorCode.DataDeFailed,
    `unknown call state at ${where}: ${Object.keys(raw).join(',')}`,
  );
}

function decodeState(raw: unknown, i: number, unused: UnusedMeaning): ExecutedState {
  const where = `trace[${i}]`;
  if (!isRecord(raw))
    fail(PreparationErrorCode.DataDeFailed, `expected a state object at ${where}`);
  if ('par' in raw) {
    const p = raw['par'];
    if (!Array.isArray(p) || p.length !== 2)
      fail(PreparationErrorCode.DataDeFailed, `expected [left, right] at ${where}.par`);
    return { kind: 'par', left: u32(p[0], `${where}.par[0]`), right: u32(p[1], `${where}.par[1]`) };
  }
  if ('call' in raw)
    return { kind: 'call', call: decodeCall(raw['call'], `${where}.call`, unused) };
  if ('ap' in raw) return { kind: 'ap', generation: u32(raw['ap'], `${where}.ap`) };
  if ('fold' in raw) {
    const lore = raw['fold'];
    if (!Array.isArray(lore))
      fail(PreparationErrorCode.DataDeFailed, `expected a lore array at ${where}.fold`);
    const entries: FoldLoreEntry[] = lore.map((e: unknown, j) => {
      if (!Array.isArray(e) || e.length !== 2)
        fail(PreparationErrorCode.DataDeFailed, `expected [pos, len] at ${where}.fold[${j}]`);
      return {
        valuePos: u32(e[0], `${where}.fold[${j}][0]`),
        length: u32(e[1], `${where}.fold[${j}][1]`),
      };
    });
    return { kind: 'fold', lore: entries };
  }
  if ('canon' in raw) {
    const c = raw['canon'];
    if (isRecord(c) && typeof c['sent'] === 'string')
      return { kind: 'canon', canon: { kind: 'sent', peer: c['sent'] } };
    if (isRecord(c) && typeof c['executed'] === 'string')
      return { kind: 'canon', canon: { kind: 'executed', cid: c['executed'] } };
    fail(PreparationErrorCode.DataDeFailed, `expected {sent} or {executed} at ${where}.canon`);
  }
  return fail(
    PreparationErrorCode.DataDeFailed,
    `unknown state at ${where}: ${Object.keys(raw).join(',')}`,
  );
}

function encodeState(s: ExecutedState): unknown {
  switch (s.kind) {
    case 'par':
      return { par: [s.left, s.right] };
    case 'ap':
      return { ap: s.generation };
    case 'fold':
      return { fold: s.lore.map((e) => [e.valuePos, e.length]) };
    case 'canon':
      return {
        canon: s.canon.kind === 'sent' ? { sent: s.canon.peer } : { executed: s.canon.cid },
      };
    case 'call': {
      const c = s.call;
      switch (c.kind) {
        case 'sent':
          return {
            call: {
              sent:
                c.sender.callId === undefined
                  ? { peer: c.sender.peer }
                  : { peer: c.sender.peer, call_id: c.sender.callId },
            },
          };
        case 'stream':
          return { call: { stream: { cid: c.cid, generation: c.generation } } };
        case 'scalar':
          return { call: { scalar: c.cid } };
        case 'unused':
          return { call: { unused: c.cid } };
        case 'legacy_unused':
          return { call: { legacy_unused: c.cid } };
        case 'failed':
          return { call: { failed: c.cid } };
      }
    }
  }
}

function storeEntries(raw: unknown, where: string): [string, unknown][] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) fail(PreparationErrorCode.DataDeFailed, `expected a CID map at ${where}`);
  return Object.entries(raw);
}

function decodeTetraplet(raw: unknown, where: string): SecurityTetraplet {
  if (!isRecord(raw)) fail(PreparationErrorCode.DataDeFailed, `expected a tetraplet at ${where}`);
  return {
    peer_pk: str(raw['peer_pk'], `${where}.peer_pk`),
    service_id: str(raw['service_id'], `${where}.service_id`),
    function_name: str(raw['function_name'], `${where}.function_name`),
    lens: str(raw['lens'], `${where}.lens`),
  };
}

function decodeProvenance(raw: unknown, where: string): Provenance {
  if (!isRecord(raw)) fail(PreparationErrorCode.DataDeFailed, `expected a provenance at ${where}`);
  if (raw['kind'] === 'literal') return { kind: 'literal' };
  if (raw['kind'] === 'service_result')
    return { kind: 'service_result', cid: str(raw['cid'], `${where}.cid`) };
  if (raw['kind'] === 'canon') return { kind: 'canon', cid: str(raw['cid'], `${where}.cid`) };
  return fail(PreparationErrorCode.DataDeFailed, `unknown provenance at ${where}`);
}

function decodeStores(raw: unknown): CidStores {
  const stores = emptyStores();
  if (raw === undefined) return stores;
  if (!isRecord(raw)) fail(PreparationErrorCode.DataDeFailed, 'expected an object at cid_info');
  for (const [k, v] of storeEntries(raw['value_store'], 'cid_info.value_store'))
    stores.values.set(k, str(v, `value_store[${k}]`));
  for (const [k, v] of storeEntries(raw['tetraplet_store'], 'cid_info.tetraplet_store'))
    stores.tetraplets.set(k, decodeTetraplet(v, `tetraplet_store[${k}]`));
  for (const [k, v] of storeEntries(raw['canon_element_store'], 'cid_info.canon_element_store')) {
    if (!isRecord(v))
      fail(
        PreparationErrorCode.DataDeFailed,
        `expected a canon element at canon_element_store[${k}]`,
      );
    stores.canonElements.set(k, {
      value: str(v['value'], `canon_element_store[${k}].value`),
      tetraplet: str(v['tetraplet'], `canon_element_store[${k}].tetraplet`),
      provenance: decodeProvenance(v['provenance'], `canon_element_store[${k}].provenance`),
    });
  }
  for (const [k, v] of storeEntries(raw['canon_result_store'], 'cid_info.canon_result_store')) {
    if (!isRecord(v) || !Array.isArray(v['values']))
      fail(
        PreparationErrorCode.DataDeFailed,
        `expected a canon result at canon_result_store[${k}]`,
      );
    stores.canonResults.set(k, {
      tetraplet: str(v['tetraplet'], `canon_result_store[${k}].tetraplet`),
      values: (v['values'] as unknown[]).map((x, i) =>
        str(x, `canon_result_store[${k}].values[${i}]`),
      ),
    });
  }
  for (const [k, v] of storeEntries(raw['service_result_store'], 'cid_info.service_result_store')) {
    if (!isRecord(v))
      fail(
        PreparationErrorCode.DataDeFailed,
        `expected a service result at service_result_store[${k}]`,
      );
    stores.serviceResults.set(k, {
      value_cid: str(v['value_cid'], `service_result_store[${k}].value_cid`),
      argument_hash: str(v['argument_hash'], `service_result_store[${k}].argument_hash`),
      tetraplet_cid: str(v['tetraplet_cid'], `service_result_store[${k}].tetraplet_cid`),
    });
  }
  return stores;
}

// AquaVM hashes its aggregates as serde_json writes them: struct fields in declaration order
// (not sorted), so the CIDs, which users see in data dumps and trace errors, are AquaVM's own.
const q = (text: string): string => JSON.stringify(text);

/** The CID a store entry must have; the same function the VM uses when it writes the entry. */
export function canonElementCid(e: CanonElement): string {
  const p = e.provenance;
  const provenance =
    p.kind === 'literal' ? '{"type":"literal"}' : `{"type":${q(p.kind)},"cid":${q(p.cid)}}`;
  return cidOfJsonText(
    `{"value":${q(e.value)},"tetraplet":${q(e.tetraplet)},"provenance":${provenance}}`,
  );
}
/** CID of a canon result aggregate. */
export function canonResultCid(r: CanonResult): string {
  return cidOfJsonText(`{"tetraplet":${q(r.tetraplet)},"values":[${r.values.map(q).join(',')}]}`);
}
/** CID of a service result aggregate. */
export function serviceResultCid(r: ServiceResult): string {
  return cidOfJsonText(
    `{"value_cid":${q(r.value_cid)},"argument_hash":${q(r.argument_hash)},"tetraplet_cid":${q(r.tetraplet_cid)}}`,
  );
}

// A value's tetraplet object goes with it from call to ap to canon, and each of those stores it
// again: its CID is kept per object. The VM never changes a tetraplet once made, and hands copies
// to the host (see AquaVM.run), so an object's CID stays its own.
const tetrapletCids = new WeakMap<SecurityTetraplet, string>();

/** CID of a tetraplet. */
export function tetrapletCid(t: SecurityTetraplet): string {
  let cid = tetrapletCids.get(t);
  if (cid === undefined) {
    cid = cidOfJsonText(
      `{"peer_pk":${q(t.peer_pk)},"service_id":${q(t.service_id)},"function_name":${q(t.function_name)},"lens":${q(t.lens)}}`,
    );
    tetrapletCids.set(t, cid);
  }
  return cid;
}

/** Commit after which tetraplet, service result and canon CIDs hash AquaVM's field order. */
const FIELD_ORDER_CIDS_SINCE = '68a4cda';

/**
 * Refuses format 1.0 data written before FIELD_ORDER_CIDS_SINCE, whose aggregate CIDs hash sorted
 * keys. Such data kept its format version, so it would otherwise fail as a bad CID store (8),
 * which says nothing of versions. It is refused rather than re-hashed: each peer signed the old
 * CIDs, so new ones would break every signature, and merged with data from an upgraded peer the
 * same result would carry two CIDs (a trace mismatch). One tetraplet decides: a tetraplet's sorted
 * keys never come in its field order, and a VM wrote every CID of its data one way.
 */
function refuseSortedKeyCids(
  stores: CidStores,
  label: string,
  version: [number, number, number],
  interpreterVersion: [number, number, number],
): void {
  if (version[0] !== 1 || version[1] !== 0) return;
  const first = stores.tetraplets.entries().next();
  if (first.done === true) return;
  const [cid, tetraplet] = first.value;
  if (tetrapletCid(tetraplet) === cid || cidOf(tetraplet as unknown as JsonValue) !== cid) return;
  fail(
    PreparationErrorCode.EnvelopeDeFailedWithVersions,
    `${label} data: format ${version.join('.')} (interpreter ${interpreterVersion.join('.')}) was written by marine-ts before ${FIELD_ORDER_CIDS_SINCE}, with CIDs over sorted keys; this VM writes format ${DATA_FORMAT_VERSION} and reads only data whose tetraplet, service result and canon CIDs hash AquaVM's field order (format 1.0.0 written since ${FIELD_ORDER_CIDS_SINCE}, or later). The old CIDs cannot be re-hashed because the peers' signatures cover them: restart the particle`,
  );
}

/** Re-hashes every store entry and checks cross-references; throws preparation error 8 on any mismatch. */
export function verifyStores(stores: CidStores, label: string): void {
  const bad = (what: string): never =>
    fail(PreparationErrorCode.CidStoreVerificationError, `${label} data: ${what}`);
  for (const [cid, text] of stores.values) {
    if (cidOfJsonText(text) !== cid) bad(`value store entry ${cid} does not hash to its CID`);
    try {
      JSON.parse(text);
    } catch {
      bad(`value store entry ${cid} is not JSON`);
    }
  }
  for (const [cid, t] of stores.tetraplets)
    if (tetrapletCid(t) !== cid) bad(`tetraplet store entry ${cid} does not hash to its CID`);
  for (const [cid, r] of stores.serviceResults) {
    if (serviceResultCid(r) !== cid)
      bad(`service result store entry ${cid} does not hash to its CID`);
    if (!stores.values.has(r.value_cid))
      bad(`service result ${cid} refers to missing value ${r.value_cid}`);
    if (!stores.tetraplets.has(r.tetraplet_cid))
      bad(`service result ${cid} refers to missing tetraplet ${r.tetraplet_cid}`);
  }
  for (const [cid, e] of stores.canonElements) {
    if (canonElementCid(e) !== cid)
      bad(`canon element store entry ${cid} does not hash to its CID`);
    if (!stores.values.has(e.value)) bad(`canon element ${cid} refers to missing value ${e.value}`);
    if (!stores.tetraplets.has(e.tetraplet))
      bad(`canon element ${cid} refers to missing tetraplet ${e.tetraplet}`);
    if (e.provenance.kind === 'service_result' && !stores.serviceResults.has(e.provenance.cid)) {
      bad(`canon element ${cid} refers to missing service result ${e.provenance.cid}`);
    }
    if (e.provenance.kind === 'canon' && !stores.canonResults.has(e.provenance.cid)) {
      bad(`canon element ${cid} refers to missing canon result ${e.provenance.cid}`);
    }
  }
  for (const [cid, r] of stores.canonResults) {
    if (canonResultCid(r) !== cid) bad(`canon result store entry ${cid} does not hash to its CID`);
    if (!stores.tetraplets.has(r.tetraplet))
      bad(`canon result ${cid} refers to missing tetraplet ${r.tetraplet}`);
    for (const v of r.values)
      if (!stores.canonElements.has(v)) bad(`canon result ${cid} refers to missing element ${v}`);
  }
}

/** Decodes interpreter data bytes; throws PreparationError 2/3/4/6 on malformed input. */
export function decodeData(bytes: Uint8Array, label: string): InterpreterData {
  if (bytes.length === 0) return emptyData();
  let envelope: unknown;
  try {
    envelope = packr.unpack(bytes);
  } catch (e) {
    fail(
      PreparationErrorCode.EnvelopeDeFailed,
      `${label} data: envelope is not msgpack: ${(e as Error).message}`,
    );
  }
  if (!isRecord(envelope))
    fail(
      PreparationErrorCode.EnvelopeDeFailed,
      `${label} data: expected an envelope map, found ${typeof envelope}`,
    );
  const version = parseSemver(envelope['version']);
  const interpreterVersion = parseSemver(envelope['interpreter_version']);
  if (!version || !interpreterVersion) {
    fail(
      PreparationErrorCode.EnvelopeDeFailed,
      `${label} data: envelope has no readable version/interpreter_version`,
    );
  }
  if (semverLess(interpreterVersion, parseSemver(MIN_INTERPRETER_VERSION)!)) {
    fail(
      PreparationErrorCode.UnsupportedInterpreterVersion,
      `${label} data was produced by interpreter ${interpreterVersion.join('.')}, the minimal supported version is ${MIN_INTERPRETER_VERSION}`,
    );
  }
  const inner = envelope['inner_data'];
  // Our own format is 1.x; AquaVM's data versions are 0.x (and AquaVM itself reads any).
  if (version[0] !== 1) return decodeAquaVmData(inner, label, version, interpreterVersion);
  const ours = parseSemver(DATA_FORMAT_VERSION)!;
  if (version[0] !== ours[0] || !(inner instanceof Uint8Array)) {
    fail(
      PreparationErrorCode.EnvelopeDeFailedWithVersions,
      `${label} data: format ${version.join('.')} (interpreter ${interpreterVersion.join('.')}) cannot be read by format ${DATA_FORMAT_VERSION}`,
    );
  }
  let raw: unknown;
  try {
    raw = packr.unpack(inner);
  } catch (e) {
    fail(
      PreparationErrorCode.DataDeFailed,
      `${label} data: inner data is not msgpack: ${(e as Error).message}`,
    );
  }
  if (!isRecord(raw) || !Array.isArray(raw['trace']))
    fail(
      PreparationErrorCode.DataDeFailed,
      `${label} data: expected {trace, lcid, cid_info, signatures}`,
    );
  const unused: UnusedMeaning = version[0] === 1 && version[1] < 1 ? 'service_result' : 'value';
  const trace = (raw['trace'] as unknown[]).map((s, i) => decodeState(s, i, unused));
  const lcid = raw['lcid'] === undefined ? 0 : u32(raw['lcid'], 'lcid');
  const stores = decodeStores(raw['cid_info']);
  refuseSortedKeyCids(stores, label, version, interpreterVersion);
  const signatures = new Map<string, Uint8Array>();
  for (const [peer, sig] of storeEntries(raw['signatures'], 'signatures')) {
    if (!(sig instanceof Uint8Array))
      fail(PreparationErrorCode.DataDeFailed, `expected signature bytes for ${peer}`);
    signatures.set(peer, sig);
  }
  const data = { trace, lcid, stores, signatures };
  formats.set(data, 'marine-ts');
  return data;
}

/** Inner data in AquaVM's format (rkyv); the envelope is already read. */
function decodeAquaVmData(
  inner: unknown,
  label: string,
  version: [number, number, number],
  interpreterVersion: [number, number, number],
): InterpreterData {
  if (semverLess(interpreterVersion, parseSemver(AQUAVM_MIN_INTERPRETER_VERSION)!)) {
    fail(
      PreparationErrorCode.UnsupportedInterpreterVersion,
      `${label} data was produced by interpreter ${interpreterVersion.join('.')}, the minimal supported version is ${AQUAVM_MIN_INTERPRETER_VERSION}`,
    );
  }
  if (!(inner instanceof Uint8Array)) {
    fail(
      PreparationErrorCode.EnvelopeDeFailedWithVersions,
      `${label} data: format ${version.join('.')} (interpreter ${interpreterVersion.join('.')}) has no inner_data bytes`,
    );
  }
  let decoded: ReturnType<typeof decodeRkyvData>;
  try {
    decoded = decodeRkyvData(inner);
  } catch (e) {
    if (e instanceof UnsupportedKeyError)
      fail(PreparationErrorCode.DataSignatureCheckError, `${label} data: ${e.message}`);
    if (e instanceof RkyvFormatError || e instanceof UnsupportedDataError)
      fail(
        PreparationErrorCode.DataDeFailed,
        `${label} data: format ${version.join('.')} inner data cannot be read: ${e.message}`,
      );
    throw e;
  }
  sharing.set(decoded.data, decoded.memo);
  formats.set(decoded.data, 'aquavm');
  return decoded.data;
}

function mapToObject<V, W>(m: Map<string, V>, f: (v: V) => W): Record<string, W> {
  const out: Record<string, W> = {};
  for (const [k, v] of m) out[k] = f(v);
  return out;
}

/**
 * Encodes interpreter data into envelope bytes, in AquaVM's format by default. Data holding a
 * call state of format 1.0 (`legacy_unused`, which AquaVM's format cannot express without
 * breaking its peer's signature) is written in our own format whatever is asked. Data decoded
 * from AquaVM's format and not changed since comes out with the bytes it was read from.
 */
export function encodeData(data: InterpreterData, format: DataFormat = 'aquavm'): Uint8Array {
  if (
    format === 'aquavm' &&
    !data.trace.some((s) => s.kind === 'call' && s.call.kind === 'legacy_unused')
  ) {
    return encodeRkyvDataAfter(data, sharing.get(data), aquaVmEnvelopeHeader);
  }
  return encodeOwnFormat(data);
}

// The envelope msgpackr writes for AquaVM's format, up to the inner data's bytes: a map of three
// (version, interpreter_version, inner_data: bin), keys and versions as fixstr. Written by hand so
// the archive is copied once; a test checks it against msgpackr's bytes at every bin size.
const AQUAVM_ENVELOPE_PREFIX = (() => {
  const head = packr.pack({
    version: AQUAVM_DATA_VERSION,
    interpreter_version: AQUAVM_INTERPRETER_VERSION,
    inner_data: new Uint8Array(0),
  });
  // Without the empty bin's two bytes (0xc4, length 0).
  return head.subarray(0, head.length - 2);
})();

/** The envelope's bytes before an inner data of `length` bytes (msgpack bin 8/16/32 header included). */
export function aquaVmEnvelopeHeader(length: number): Uint8Array {
  const p = AQUAVM_ENVELOPE_PREFIX;
  const bin =
    length < 0x100
      ? Uint8Array.of(0xc4, length)
      : length < 0x10000
        ? Uint8Array.of(0xc5, length >>> 8, length & 0xff)
        : Uint8Array.of(
            0xc6,
            length >>> 24,
            (length >>> 16) & 0xff,
            (length >>> 8) & 0xff,
            length & 0xff,
          );
  const out = new Uint8Array(p.length + bin.length);
  out.set(p);
  out.set(bin, p.length);
  return out;
}

function encodeOwnFormat(data: InterpreterData): Uint8Array {
  const inner = packr.pack({
    trace: data.trace.map(encodeState),
    lcid: data.lcid,
    cid_info: {
      value_store: mapToObject(data.stores.values, (v) => v),
      tetraplet_store: mapToObject(data.stores.tetraplets, (v) => v),
      canon_element_store: mapToObject(data.stores.canonElements, (v) => v),
      canon_result_store: mapToObject(data.stores.canonResults, (v) => v),
      service_result_store: mapToObject(data.stores.serviceResults, (v) => v),
    },
    signatures: mapToObject(data.signatures, (v) => v),
  });
  return packr.pack({
    version: DATA_FORMAT_VERSION,
    interpreter_version: INTERPRETER_VERSION,
    inner_data: inner,
  });
}

/** Reads the versions of an envelope without decoding its inner data (for error messages and dumps). */
export function readEnvelopeVersions(
  bytes: Uint8Array,
): { version: string; interpreterVersion: string } | undefined {
  try {
    const env = packr.unpack(bytes) as unknown;
    if (
      isRecord(env) &&
      typeof env['version'] === 'string' &&
      typeof env['interpreter_version'] === 'string'
    ) {
      return { version: env['version'], interpreterVersion: env['interpreter_version'] };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
