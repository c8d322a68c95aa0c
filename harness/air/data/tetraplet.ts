// Security tetraplets: where a value came from (peer, service, function) and the lens applied to it.

/** AquaVM's SecurityTetraplet, with its wire field names. */
export interface SecurityTetraplet {
  readonly peer_pk: string;
  readonly service_id: string;
  readonly function_name: string;
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
