// Security tetraplets: where a value came from (peer, service, function) and the lens applied to it.

/** AquaVM's SecurityTetraplet, with its wire field names (Marine host API v3's too). */
export interface SecurityTetraplet {
  /** Peer that produced the value. */
  readonly peer_pk: string;
  /** Service that produced it (empty for literals). */
  readonly service_id: string;
  /** Function that produced it (empty for literals). */
  readonly function_name: string;
  /** Lens applied to the result, e.g. `.$.field`. */
  readonly lens: string;
}

/** A tetraplet for a literal or built-in value produced on `peerPk`. */
export function literalTetraplet(peerPk: string): SecurityTetraplet {
  return { peer_pk: peerPk, service_id: '', function_name: '', lens: '' };
}

/** The tetraplet extended by a lens (provenance keeps the whole path applied so far). */
export function withLens(tetraplet: SecurityTetraplet, lens: string): SecurityTetraplet {
  return { ...tetraplet, lens: tetraplet.lens + lens };
}
