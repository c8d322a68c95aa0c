// Interpreter data in a readable form (for `marine air data`): the trace with every CID resolved
// to its value and producer, the last call id and who signed what.
import { decodeData, formatOf, readEnvelopeVersions, type DataFormat } from './interpreter-data.js';
import { collectPeerCids } from './peer-cids.js';
import type { CidStores } from './stores.js';
import type { ExecutedState } from '../trace/states.js';

/** One trace state, resolved. */
export interface DumpedState {
  readonly pos: number;
  readonly kind: ExecutedState['kind'];
  readonly text: string;
}

/** Interpreter data, resolved for reading. */
export interface DataDump {
  /** Which format the data was read in: AquaVM's (rkyv inner data) or our earlier msgpack one. */
  readonly format: DataFormat;
  /** That format in words, for people. */
  readonly formatName: string;
  readonly version: string;
  readonly interpreterVersion: string;
  readonly lastCallId: number;
  readonly trace: DumpedState[];
  readonly signatures: { peer: string; values: number }[];
  readonly storeSizes: Record<string, number>;
}

function resolveServiceResult(stores: CidStores, cid: string): string {
  const r = stores.serviceResults.get(cid);
  if (!r) return `<missing ${cid}>`;
  const t = stores.tetraplets.get(r.tetraplet_cid);
  const value = stores.values.get(r.value_cid) ?? `<missing ${r.value_cid}>`;
  const from = t ? `${t.peer_pk} ${t.service_id}.${t.function_name}` : '<unknown producer>';
  return `${value}  (from ${from})`;
}

function stateText(s: ExecutedState, stores: CidStores): string {
  switch (s.kind) {
    case 'par':
      return `par [${s.left}, ${s.right}]`;
    case 'ap':
      return `ap generation ${s.generation}`;
    case 'fold':
      return `fold ${s.lore.map((e) => `value@${e.valuePos}:${e.length}`).join(' ')}`;
    case 'canon': {
      if (s.canon.kind === 'sent') return `canon sent by ${s.canon.peer}`;
      const r = stores.canonResults.get(s.canon.cid);
      if (!r) return `canon <missing ${s.canon.cid}>`;
      const values = r.values.map((e) => {
        const el = stores.canonElements.get(e);
        return el ? (stores.values.get(el.value) ?? '?') : '?';
      });
      const peer = stores.tetraplets.get(r.tetraplet)?.peer_pk ?? '?';
      return `canon on ${peer}: [${values.join(', ')}]`;
    }
    case 'call': {
      const c = s.call;
      switch (c.kind) {
        case 'sent':
          return c.sender.callId === undefined
            ? `call sent by ${c.sender.peer}`
            : `call requested by ${c.sender.peer} as call ${c.sender.callId}`;
        case 'scalar':
          return `call scalar ${resolveServiceResult(stores, c.cid)}`;
        case 'stream':
          return `call stream generation ${c.generation} ${resolveServiceResult(stores, c.cid)}`;
        case 'unused':
          // The value itself is not kept, only its CID.
          return `call unused value ${c.cid}`;
        case 'legacy_unused':
          return `call unused ${resolveServiceResult(stores, c.cid)}`;
        case 'failed':
          return `call failed ${resolveServiceResult(stores, c.cid)}`;
      }
    }
  }
}

const FORMAT_NAMES: Record<DataFormat, string> = {
  aquavm: "AquaVM's format (rkyv inner data)",
  'marine-ts': "marine-ts's earlier format (msgpack inner data)",
};

/** Decodes interpreter data and resolves it for reading; throws a PreparationError on bad data. */
export function dumpInterpreterData(bytes: Uint8Array): DataDump {
  const versions = readEnvelopeVersions(bytes) ?? { version: '-', interpreterVersion: '-' };
  const data = decodeData(bytes, 'dumped');
  const perPeer = collectPeerCids(data.trace, data.stores, 'dumped');
  const format = formatOf(data) ?? 'marine-ts';
  return {
    format,
    formatName: FORMAT_NAMES[format],
    version: versions.version,
    interpreterVersion: versions.interpreterVersion,
    lastCallId: data.lcid,
    trace: data.trace.map((s, pos) => ({ pos, kind: s.kind, text: stateText(s, data.stores) })),
    signatures: [...data.signatures.keys()].map((peer) => ({
      peer,
      values: perPeer.get(peer)?.length ?? 0,
    })),
    storeSizes: {
      values: data.stores.values.size,
      tetraplets: data.stores.tetraplets.size,
      canonElements: data.stores.canonElements.size,
      canonResults: data.stores.canonResults.size,
      serviceResults: data.stores.serviceResults.size,
    },
  };
}

/** The dump as text, one trace state per line. */
export function formatDataDump(d: DataDump): string {
  const lines = [
    `data format ${d.version}, ${d.formatName}, written by interpreter ${d.interpreterVersion}; last call id ${d.lastCallId}`,
    `trace (${d.trace.length} states):`,
    ...d.trace.map((s) => `  ${String(s.pos).padStart(4)}  ${s.text}`),
    `signatures:`,
    ...d.signatures.map((s) => `  ${s.peer}  signs ${s.values} values`),
    `stores: ${Object.entries(d.storeSizes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  return lines.join('\n') + '\n';
}
