// Runs the Aqua conformance scenarios (fixtures/aqua/conformance) on a local network with a given
// VM and records everything a user could observe, so two VMs can be compared run for run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFromPath } from '@fluencelabs/aqua-api';
import { LocalNetwork } from '../../index.js';
import { type AirRunner, type PeerEvent } from '../../../peer/index.js';
import { installConformanceServices } from './services.js';

/** The corpus directory. */
export const CONFORMANCE_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'fixtures',
  'aqua',
  'conformance',
);

/** One scenario of scenarios.json. */
export interface Scenario {
  readonly file: string;
  readonly args: readonly unknown[];
  readonly expectError?: boolean;
  /** The result comes from parallel branches: its order depends on timing, so compare sorted. */
  readonly unordered?: boolean;
}

/** What a scenario run showed: the result or error, and every service call per peer. */
export interface ScenarioOutcome {
  readonly result?: unknown;
  readonly error?: string;
  /** Per peer name (client, relay, p1…), the calls it made, sorted so par order does not matter. */
  readonly calls: Readonly<Record<string, readonly string[]>>;
}

/** Reads the scenario list. */
export function loadScenarios(): Scenario[] {
  const raw = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'scenarios.json'), 'utf8')) as {
    scenarios: Scenario[];
  };
  return raw.scenarios;
}

const compiled = new Map<string, Promise<{ script: string; argNames: string[] }>>();

/** Compiles a scenario's `main` with the reference Aqua compiler (cached per file). */
export function compileScenario(file: string): Promise<{ script: string; argNames: string[] }> {
  let entry = compiled.get(file);
  if (!entry) {
    entry = (async () => {
      const result = await compileFromPath({ filePath: join(CONFORMANCE_DIR, file) });
      const main = result.functions['main'];
      if (result.errors.length > 0 || !main) {
        throw new Error(`${file} does not compile: ${result.errors.join('\n')}`);
      }
      const domain = main.funcDef.arrow.domain;
      const argNames = domain.tag === 'labeledProduct' ? Object.keys(domain.fields) : [];
      return { script: main.script, argNames };
    })();
    compiled.set(file, entry);
  }
  return entry;
}

/** Runs one scenario with VMs from `vm` and returns what it showed. */
export async function runScenario(
  scenario: Scenario,
  vm: () => AirRunner,
  timestamp: number,
): Promise<ScenarioOutcome> {
  const { script, argNames } = await compileScenario(scenario.file);
  // Fixed identities so both VMs see the same peer ids, hence the same arguments and tetraplets.
  const network = new LocalNetwork({ peers: 3, vm, seed: 7, services: installConformanceServices });
  const args = Object.fromEntries(
    argNames.map((name, i) => [name, network.withPeerIds(scenario.args[i])]),
  );
  const anonymise = (text: string): string => network.withPeerNames(text);
  let outcome: { result?: unknown; error?: string };
  try {
    outcome = { result: await network.callAquaFunction(script, args, { ttl: 20_000, timestamp }) };
  } catch (error) {
    outcome = {
      error: anonymise(error instanceof Error ? error.message : String(error)).replace(
        /\(particle id: [^)]*\)/,
        '(particle id)',
      ),
    };
  }
  network.stop();
  const calls: Record<string, string[]> = {};
  for (const event of network.events as PeerEvent[]) {
    if (event.type !== 'call') continue;
    const name = network.nameOf(event.peerId);
    const { serviceId, functionName, arguments: callArgs, tetraplets } = event.request;
    (calls[name] ??= []).push(
      anonymise(
        JSON.stringify({
          serviceId,
          functionName,
          args: callArgs,
          tetraplets,
          result: event.result,
        }),
      ),
    );
  }
  for (const list of Object.values(calls)) list.sort();
  return { ...outcome, calls };
}
