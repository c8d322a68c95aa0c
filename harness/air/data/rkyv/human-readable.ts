// Interpreter data as the JSON value AquaVM's `to_human_readable_data` prints (serde's shapes of
// its InterpreterData: externally tagged snake_case enums, par as [left, right], fold lore with
// both subtrace descriptors, signatures keyed by base58 of fluence-keypair's encoded key). Lets
// `marine air data --json` print what AquaVM's own tool prints, and lets tests compare our
// reading of data with AquaVM's.
import { base58btc } from 'multiformats/bases/base58';
import type { CallState, ExecutedState } from '../../trace/states.js';
import { publicKeyFromPeerId } from '../../../protocol/index.js';
import { foldAfterPositions, type RkyvInterpreterData } from './interpreter-data.js';

/** A JSON value (what JSON.parse gives). */
export type HumanJson =
  null | boolean | number | string | HumanJson[] | { [key: string]: HumanJson };

function callJson(c: CallState): HumanJson {
  switch (c.kind) {
    case 'sent':
      return {
        sent_by:
          c.sender.callId === undefined
            ? { PeerId: c.sender.peer }
            : { PeerIdWithCallId: { peer_id: c.sender.peer, call_id: c.sender.callId } },
      };
    case 'scalar':
      return { executed: { scalar: c.cid } };
    case 'stream':
      return { executed: { stream: { cid: c.cid, generation: c.generation } } };
    case 'unused':
    case 'legacy_unused':
      return { executed: { unused: c.cid } };
    case 'failed':
      return { failed: c.cid };
  }
}

function stateJson(trace: readonly ExecutedState[], s: ExecutedState, index: number): HumanJson {
  switch (s.kind) {
    case 'par':
      return { par: [s.left, s.right] };
    case 'call':
      return { call: callJson(s.call) };
    case 'ap':
      return { ap: { gens: [s.generation] } };
    case 'canon':
      return {
        canon: s.canon.kind === 'sent' ? { sent_by: s.canon.peer } : { executed: s.canon.cid },
      };
    case 'fold': {
      const after = foldAfterPositions(trace, index, s.lore);
      let begin = index + 1;
      return {
        fold: {
          lore: s.lore.map((e, k) => {
            const before = { pos: e.beforePos ?? begin, len: e.length };
            begin += e.length;
            return { pos: e.valuePos, desc: [before, { pos: after[k]!, len: e.afterLength ?? 0 }] };
          }),
        },
      };
    }
  }
}

function mapJson<V>(m: Map<string, V>, f: (v: V) => HumanJson): HumanJson {
  const out: { [key: string]: HumanJson } = {};
  for (const [k, v] of m) out[k] = f(v);
  return out;
}

/** AquaVM's human-readable JSON of data with the given envelope versions. */
export function humanReadableJson(
  data: RkyvInterpreterData,
  versions: { readonly version: string; readonly interpreterVersion: string },
): HumanJson {
  const signatures: { [key: string]: HumanJson } = {};
  for (const [peer, sig] of data.signatures) {
    const key = new Uint8Array(33);
    key.set(publicKeyFromPeerId(peer), 1);
    const value = new Uint8Array(1 + sig.length);
    value.set(sig, 1);
    signatures[base58btc.baseEncode(key)] = base58btc.baseEncode(value);
  }
  const s = data.stores;
  return {
    data: {
      cid_info: {
        canon_element_store: mapJson(s.canonElements, (e) => ({
          provenance:
            e.provenance.kind === 'literal'
              ? { type: 'literal' }
              : { cid: e.provenance.cid, type: e.provenance.kind },
          tetraplet: e.tetraplet,
          value: e.value,
        })),
        canon_result_store: mapJson(s.canonResults, (r) => ({
          tetraplet: r.tetraplet,
          values: [...r.values],
        })),
        service_result_store: mapJson(s.serviceResults, (r) => ({ ...r })),
        tetraplet_store: mapJson(s.tetraplets, (t) => ({ ...t })),
        value_store: mapJson(s.values, (v) => v),
      },
      lcid: data.lcid,
      signatures,
      trace: data.trace.map((s, i) => stateJson(data.trace, s, i)),
    },
    versions: { interpreter_version: versions.interpreterVersion, version: versions.version },
  };
}
