// Which content ids each peer produced in a trace (the multiset its signature covers), and the
// checks AquaVM makes on incoming data: every producing peer signed exactly what the trace holds,
// and a peer's CIDs in prev and current data only ever grow (nothing of another peer is dropped).
import { PreparationErrorCode } from '../errors/codes.js';
import { PreparationError } from '../errors/execution-error.js';
import type { ExecutedState } from '../trace/states.js';
import type { InterpreterData } from './interpreter-data.js';
import type { CidStores } from './stores.js';
import { verifyCids } from './signatures.js';

/** Peer id → sorted CIDs it signs: its call results (unused values aside) and canon results. */
export function collectPeerCids(
  trace: readonly ExecutedState[],
  stores: CidStores,
  label: string,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // A plain loop, and the error's place written only on an error: this runs on every invoke.
  for (let i = 0; i < trace.length; i++) {
    const s = trace[i]!;
    let cid: string;
    let tetraplet: string;
    // An unused value is not a service result, so nobody signs it (a legacy one was signed).
    if (s.kind === 'call' && s.call.kind !== 'sent' && s.call.kind !== 'unused') {
      cid = s.call.cid;
      const r = stores.serviceResults.get(cid);
      if (!r)
        throw new PreparationError(
          PreparationErrorCode.CidStoreVerificationError,
          `${label} data, trace[${i}]: missing service result ${cid}`,
        );
      tetraplet = r.tetraplet_cid;
    } else if (s.kind === 'canon' && s.canon.kind === 'executed') {
      cid = s.canon.cid;
      const r = stores.canonResults.get(cid);
      if (!r)
        throw new PreparationError(
          PreparationErrorCode.CidStoreVerificationError,
          `${label} data, trace[${i}]: missing canon result ${cid}`,
        );
      tetraplet = r.tetraplet;
    } else continue;
    const t = stores.tetraplets.get(tetraplet);
    if (!t)
      throw new PreparationError(
        PreparationErrorCode.CidStoreVerificationError,
        `${label} data, trace[${i}]: missing tetraplet ${tetraplet}`,
      );
    const list = out.get(t.peer_pk);
    if (list) list.push(cid);
    else out.set(t.peer_pk, [cid]);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** Checks every producing peer's signature over its CIDs; throws preparation error 9. */
export function verifySignatures(
  data: InterpreterData,
  particleId: string,
  label: string,
  collected?: ReadonlyMap<string, readonly string[]>,
): Map<string, readonly string[]> {
  // A copy when the CIDs come collected already: they may be shared (see loaded-data.ts).
  const perPeer: Map<string, readonly string[]> =
    collected === undefined ? collectPeerCids(data.trace, data.stores, label) : new Map(collected);
  for (const [peer, cids] of perPeer) {
    const sig = data.signatures.get(peer);
    if (!sig) {
      // AquaVM's message, spelling included.
      throw new PreparationError(
        PreparationErrorCode.DataSignatureCheckError,
        `peer_id doens't match any available public key: ${JSON.stringify(peer)}`,
      );
    }
    if (!verifyCids(peer, sig, cids, particleId)) {
      throw new PreparationError(
        PreparationErrorCode.DataSignatureCheckError,
        `${label} data: signature of peer ${peer} does not match the ${cids.length} values it produced in particle ${particleId}`,
      );
    }
  }
  // AquaVM checks every signature the data carries: one of a peer that produced nothing here
  // must sign the empty list (so a forged or damaged key or signature is refused, not ignored).
  for (const [peer, sig] of data.signatures) {
    if (perPeer.has(peer)) continue;
    if (!verifyCids(peer, sig, [], particleId)) {
      throw new PreparationError(
        PreparationErrorCode.DataSignatureCheckError,
        `${label} data: signature of peer ${peer}, which produced no values, does not match the empty list in particle ${particleId}`,
      );
    }
    perPeer.set(peer, []);
  }
  return perPeer;
}

/**
 * The CIDs each peer produced, with an empty list for every other peer the data has a signature
 * of: AquaVM keeps the signatures of such peers when it merges data, and so do we.
 */
export function collectSignedPeerCids(
  data: InterpreterData,
  label: string,
): Map<string, readonly string[]> {
  return withSignedPeers(collectPeerCids(data.trace, data.stores, label), data);
}

/** A copy of collected CIDs with an empty list added for every other peer `data` has a signature of. */
export function withSignedPeers(
  collected: ReadonlyMap<string, readonly string[]>,
  data: InterpreterData,
): Map<string, readonly string[]> {
  const perPeer = new Map(collected);
  for (const peer of data.signatures.keys()) if (!perPeer.has(peer)) perPeer.set(peer, []);
  return perPeer;
}

/** True when multiset `small` is contained in multiset `big` (both sorted). */
export function isSubMultiset(small: readonly string[], big: readonly string[]): boolean {
  let j = 0;
  for (const x of small) {
    while (j < big.length && big[j]! < x) j++;
    if (j >= big.length || big[j] !== x) return false;
    j++;
  }
  return true;
}

/** Checks that for each peer one of prev/current CID sets contains the other; throws preparation error 9. */
export function checkCidsOnlyGrow(
  prev: ReadonlyMap<string, readonly string[]>,
  current: ReadonlyMap<string, readonly string[]>,
): void {
  for (const [peer, cur] of current) {
    const old = prev.get(peer);
    if (!old) continue;
    if (!isSubMultiset(old, cur) && !isSubMultiset(cur, old)) {
      // AquaVM's wording: the longer list is printed as "prev", the other as "current".
      const [larger, smaller] = old.length < cur.length ? [cur, old] : [old, cur];
      const list = (cids: readonly string[]): string =>
        `[${cids.map((c) => JSON.stringify(c)).join(', ')}]`;
      throw new PreparationError(
        PreparationErrorCode.DataSignatureCheckError,
        `inconsistent CID multisets on merge for peer ${JSON.stringify(peer)}, prev: ${list(larger)}, current: ${list(smaller)}`,
      );
    }
  }
}
