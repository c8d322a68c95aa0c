// Runs the hand-written AIR conformance scenarios (fixtures/air/conformance/*.air) on a local
// network with a given VM and records everything a user could observe, so two VMs can be
// compared run for run. Delivery to one peer can be held and released in a forced order (and
// twice), which is how the merge-order scenarios make AquaVM's merge rules observable.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalNetwork } from '../../index.js';
import { type AirRunner, type Peer, type PeerEvent } from '../../../peer/index.js';
import { type CallResult, type Particle } from '../../../protocol/index.js';
import { type RunOutcome } from '../../../client/index.js';
import { installConformanceServices } from './services.js';

/** The corpus directory. */
export const AIR_CONFORMANCE_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'fixtures',
  'air',
  'conformance',
);

/** How a scenario is expected to end on the reference (checked so scenarios keep their intent). */
export type ScenarioEnd = 'result' | 'error' | 'idle';

/** Particles to one peer held back until `count` have arrived, then released in a forced order. */
export interface HoldSpec {
  /** Peer name: client, relay, p1… */
  readonly peer: string;
  readonly count: number;
}

/** One hand-written AIR scenario. */
export interface AirScenario {
  readonly name: string;
  readonly file: string;
  /** The AIR as written, with "$p1"-style peer placeholders inside string literals. */
  readonly air: string;
  /** Peers besides the relay and the client. */
  readonly peers: number;
  readonly ends: ScenarioEnd;
  readonly hold?: HoldSpec;
}

/** A forced delivery order for a held scenario: indices into the arrival order, maybe doubled. */
export interface Delivery {
  readonly order: readonly number[];
  readonly duplicate: boolean;
}

/** What a scenario run showed: how it ended, every peer's calls, VM failures and hops. */
export interface AirOutcome {
  readonly end: unknown;
  /** Per peer name, its service calls in the order they were made. */
  readonly calls: Readonly<Record<string, readonly string[]>>;
  /** Per peer name, every VM run with a non-zero ret code: "code: message". */
  readonly failures: Readonly<Record<string, readonly string[]>>;
  /** The distinct (from, to) hops, sorted: which peers each peer sent the particle to. */
  readonly hops: readonly string[];
}

/** Thrown when a scenario file does not follow the corpus format (README.md). */
export class ScenarioFormatError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ScenarioFormatError';
  }
}

const RESPONSE = (args: string): string =>
  `(call %init_peer_id% ("callbackSrv" "response") [${args}])`;
const ERROR_HANDLER = '(call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0])';

/** Parses one corpus file: blocks starting with `;; @scenario <name>`, then `;; key: value` lines. */
export function parseScenarioFile(file: string, text: string): AirScenario[] {
  const blocks = text.split(/^;; @scenario /m).slice(1);
  return blocks.map((block) => {
    const newline = block.indexOf('\n');
    const name = block.slice(0, newline).trim();
    const directives = new Map<string, string>();
    const body: string[] = [];
    for (const line of block.slice(newline + 1).split('\n')) {
      const directive = /^;; ([a-z]+): ?(.*)$/.exec(line);
      if (directive) directives.set(directive[1]!, directive[2]!.trim());
      else body.push(line);
    }
    const code = body.join('\n').trim();
    if (code === '') throw new ScenarioFormatError(file, `scenario '${name}' has no AIR`);
    const ends = directives.get('ends') ?? 'result';
    if (ends !== 'result' && ends !== 'error' && ends !== 'idle') {
      throw new ScenarioFormatError(
        file,
        `scenario '${name}': ends must be result, error or idle, found '${ends}'`,
      );
    }
    // `respond: a b` wraps the body the way compiled Aqua does: the response, or the error.
    const respond = directives.get('respond');
    const air =
      respond === undefined ? code : `(xor (seq ${code} ${RESPONSE(respond)}) ${ERROR_HANDLER})`;
    const holdText = directives.get('hold');
    let hold: HoldSpec | undefined;
    if (holdText !== undefined) {
      const match = /^([a-z0-9]+) (\d+)$/.exec(holdText);
      if (!match) {
        throw new ScenarioFormatError(
          file,
          `scenario '${name}': hold must be '<peer> <count>', found '${holdText}'`,
        );
      }
      hold = { peer: match[1]!, count: Number(match[2]) };
    }
    return {
      name,
      file,
      air,
      peers: Number(directives.get('peers') ?? '3'),
      ends,
      ...(hold === undefined ? {} : { hold }),
    };
  });
}

/** Reads every scenario of the corpus, file by file in name order. */
export function loadAirScenarios(dir: string = AIR_CONFORMANCE_DIR): AirScenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.air'))
    .sort()
    .flatMap((f) => parseScenarioFile(f, readFileSync(join(dir, f), 'utf8')));
}

/** Every permutation of 0..n-1, in lexicographic order. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1)
    .flatMap((rest) =>
      Array.from({ length: n }, (_, i) => [...rest.slice(0, i), n - 1, ...rest.slice(i)]),
    )
    .sort((a, b) => a.join().localeCompare(b.join()));
}

// Services the AIR corpus needs beyond the Aqua suite's: fixed structured data for lenses and a
// service that fails with a chosen ret code and message.
const DATA = {
  a: { b: [10, 20, { c: 'deep' }] },
  n: -5,
  f: 1.5,
  s: 'str',
  t: true,
  list: ['x', 'y', 'z'],
  idx: 1,
  key: 's',
  empty: [],
  err: { error_code: 77, message: 'from data' },
  bad_err: { message: 'no code' },
};

function installAirServices(peer: Peer): void {
  installConformanceServices(peer);
  peer.registerService('data', {
    object: () => DATA,
    numbers: () => [3, -1, 2.5],
    nested: () => [[1, 2], [3], []],
  });
  peer.addHandler((call): CallResult | undefined =>
    call.serviceId === 'errors' && call.functionName === 'code'
      ? { retCode: Number(call.args[0]), result: String(call.args[1]) }
      : undefined,
  );
}

/**
 * A network with deterministic delivery. The reference AquaVM lists next peers in no fixed order
 * (they come out of a hash set), so sends made by one VM run are batched and handed on in peer
 * order (relay, p1…, client). Deliveries to one peer can also be held until `count` have
 * arrived and then released in a forced order, maybe twice.
 */
class OrderedNetwork extends LocalNetwork {
  #hold: { peerId: string; count: number; delivery: Delivery } | undefined;
  readonly #held: { from: string; particle: Particle }[] = [];
  #batch: { from: string; to: string; particle: Particle }[] = [];

  holdDeliveries(peerId: string, count: number, delivery: Delivery): void {
    this.#hold = { peerId, count, delivery };
  }

  override send(from: string, to: string, particle: Particle): void {
    if (this.#batch.length === 0) queueMicrotask(() => this.#flush());
    this.#batch.push({ from, to, particle });
  }

  #flush(): void {
    const rank = new Map(this.all.map((peer, i) => [peer.peerId, i]));
    const batch = this.#batch.sort((a, b) => (rank.get(a.to) ?? -1) - (rank.get(b.to) ?? -1));
    this.#batch = [];
    for (const { from, to, particle } of batch) this.#deliver(from, to, particle);
  }

  #deliver(from: string, to: string, particle: Particle): void {
    const hold = this.#hold;
    if (!hold || to !== hold.peerId || this.#held.length >= hold.count) {
      super.send(from, to, particle);
      return;
    }
    this.#held.push({ from, particle });
    if (this.#held.length < hold.count) return;
    const order = hold.delivery.duplicate
      ? [...hold.delivery.order, ...hold.delivery.order]
      : hold.delivery.order;
    for (const index of order) {
      const item = this.#held[index];
      if (!item) throw new Error(`delivery order names particle ${index} of ${hold.count}`);
      super.send(item.from, to, item.particle);
    }
  }
}

const TTL_MS = 20_000;

/** Runs one scenario with VMs from `vm` and returns what it showed. */
export async function runAirScenario(
  scenario: AirScenario,
  vm: () => AirRunner,
  options: {
    timestamp: number;
    delivery?: Delivery;
    /** Receives every peer event, anonymised, as it happens (for debugging a scenario). */
    trace?: (line: string) => void;
  },
): Promise<AirOutcome> {
  // Fixed identities so both VMs see the same peer ids, hence the same arguments and tetraplets.
  const network = new OrderedNetwork({
    peers: scenario.peers,
    vm,
    seed: 11,
    services: installAirServices,
    clientViaRelay: false,
  });
  const air = network.withPeerIdsInAir(scenario.air);
  if (scenario.hold) {
    const peerId = network.peerIdOf(scenario.hold.peer);
    if (peerId === undefined) throw new Error(`${scenario.name}: no peer ${scenario.hold.peer}`);
    network.holdDeliveries(
      peerId,
      scenario.hold.count,
      options.delivery ?? {
        order: Array.from({ length: scenario.hold.count }, (_, i) => i),
        duplicate: false,
      },
    );
  }
  const anonymise = (text: string): string => network.withPeerNames(text);
  const trace = options.trace;
  if (trace) network.onEvent((event) => trace(anonymise(JSON.stringify(event))));
  const outcome: RunOutcome = await network.runScript(air, {
    ttl: TTL_MS,
    timestamp: options.timestamp,
    settleWhenIdle: true,
  });
  // Work may go on after the response (other par branches): wait until none is left.
  await network.whenIdle();
  network.stop();

  const end =
    outcome.status === 'result'
      ? { status: 'result', value: outcome.value }
      : outcome.status === 'error'
        ? { status: 'error', message: outcome.message, detail: outcome.detail }
        : { status: outcome.status };
  const calls: Record<string, string[]> = {};
  const failures: Record<string, string[]> = {};
  const hops = new Set<string>();
  for (const event of network.events as PeerEvent[]) {
    if (event.type === 'call') {
      const { serviceId, functionName, arguments: args, tetraplets } = event.request;
      (calls[network.nameOf(event.peerId)] ??= []).push(
        anonymise(
          JSON.stringify({ serviceId, functionName, args, tetraplets, result: event.result }),
        ),
      );
    } else if (event.type === 'invoked' && event.retCode !== 0) {
      (failures[network.nameOf(event.peerId)] ??= []).push(
        anonymise(`${event.retCode}: ${event.errorMessage}`),
      );
    } else if (event.type === 'sent') {
      hops.add(`${network.nameOf(event.from)} -> ${network.nameOf(event.to)}`);
    }
  }
  return {
    end: JSON.parse(anonymise(JSON.stringify(end))) as unknown,
    calls,
    failures,
    hops: [...hops].sort(),
  };
}
