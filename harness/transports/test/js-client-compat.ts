// A workaround for this repository's install of @fluencelabs/js-client 0.9.0, for tests only.
//
// js-client pins @multiformats/multiaddr 12.1.12, but its @libp2p/websockets 8.0.12 filters
// addresses with the hoisted @multiformats/mafmt 12.1.6, whose own nested multiaddr is 12.5.1.
// mafmt's `matches(ma)` re-parses the address with `multiaddr(ma)`; given a 12.1.12 object, 12.5.1
// fails and mafmt answers false, so js-client's WS transport finds "no valid addresses" for every
// relay (measured: `The dial request has no valid addresses`). Given the address as text, the same
// check passes. This wraps the two matchers js-client's `all` filter uses so they see text. The
// real fix is an npm override pinning mafmt's multiaddr to js-client's (package.json, the lead's).
// The one such workaround: the transports', client's and node's js-client tests and the benches
// call it.
import * as mafmt from '@multiformats/mafmt';

interface Matcher {
  matches(a: string | { toString(): string }): boolean;
}

let patched = false;

/** Makes js-client 0.9.0's WebSocket address filter work in this install (idempotent). */
export function patchJsClientWebSocketFilter(): void {
  if (patched) return;
  patched = true;
  for (const matcher of [mafmt.WebSockets, mafmt.WebSocketsSecure] as Matcher[]) {
    const original = matcher.matches.bind(matcher);
    matcher.matches = (a) => original(typeof a === 'string' ? a : a.toString());
  }
}
