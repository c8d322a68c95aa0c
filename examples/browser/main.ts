// The example page's program: connect to the node named in `?relay=`, call its `greeting`
// service through compiled Aqua, and show the result, the connection state and the particle
// trace. Bundled for browsers by bundle.ts (no Node built-ins).
import { createClient, type ConnectionState } from '../../harness/client/index.js';

// Compiled by aqua-api 0.14.6 from:
//   service Greeting("greeting"):
//     greeting(name: string) -> string
//   func greet(name: string) -> string:
//     on HOST_PEER_ID:
//       r <- Greeting.greeting(name)
//     <- r
const GREET = `
(xor
 (seq
  (seq
   (seq
    (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-)
    (call %init_peer_id% ("getDataSrv" "name") [] -name-arg-)
   )
   (xor
    (call -relay- ("greeting" "greeting") [-name-arg-] r)
    (fail :error:)
   )
  )
  (call %init_peer_id% ("callbackSrv" "response") [r])
 )
 (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0])
)`;

/** What the page reports; the browser test reads it from `window.marineResult`. */
interface PageResult {
  ok: boolean;
  value?: unknown;
  error?: string;
  peerId?: string;
  states: ConnectionState[];
  timeToFirstResultMs?: number;
  trace: string[];
}

interface Element {
  textContent: string | null;
  setAttribute(name: string, value: string): void;
}
interface PageGlobals {
  document: { getElementById(id: string): Element | null };
  location: { search: string };
  performance: { now(): number };
  marineResult?: PageResult;
}
const page = globalThis as unknown as PageGlobals;

function show(id: string, text: string): void {
  const element = page.document.getElementById(id);
  if (element) element.textContent = text;
}

async function main(): Promise<void> {
  const started = page.performance.now();
  const params = new URLSearchParams(page.location.search);
  const relay = params.get('relay');
  const name = params.get('name') ?? 'browser';
  const result: PageResult = { ok: false, states: [], trace: [] };
  try {
    if (!relay) throw new Error('no relay: open this page with ?relay=/ip4/…/ws/p2p/…');
    const client = await createClient(relay, {
      trace: (event) => result.trace.push(`${event.kind}: ${event.detail}`),
      connectionOptions: { dialTimeoutMs: 10_000 },
    });
    const status = page.document.getElementById('status');
    const onState = (state: ConnectionState): void => {
      result.states.push(state);
      status?.setAttribute('data-state', state);
      show('status', state);
    };
    onState(client.onConnectionStateChange(onState));
    result.peerId = client.getPeerId();
    show('peer-id', client.getPeerId());
    result.value = await client.callScript(GREET, { name });
    result.timeToFirstResultMs = Math.round(page.performance.now() - started);
    result.ok = true;
    show(
      'result',
      `${JSON.stringify(result.value)}\n(first result after ${result.timeToFirstResultMs} ms)`,
    );
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    page.document.getElementById('status')?.setAttribute('data-state', 'error');
    show('result', result.error);
  }
  show('trace', result.trace.join('\n'));
  page.marineResult = result;
}

void main();
