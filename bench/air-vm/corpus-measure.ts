// Child process of bench/air-vm.ts: runs the 136-scenario AIR conformance corpus (each scenario
// once, natural delivery order, on a local network of 2–5 peers) with one VM, and times only the
// VM's invokes. `cold` is the first pass in this fresh process (JIT and caches cold, as a CLI run
// or a freshly started peer sees it); `warm` runs the corpus twice more and times the last pass.
// Prints one JSON line: invokes, total invoke ms, invokes per second.
import { AquaVM } from '../../harness/air/index.js';
import type { AirRunner, CallResult, RunParameters } from '../../harness/peer/index.js';
import { createReferenceAquaVM } from '../../harness/testing/index.js';
import {
  loadAirScenarios,
  runAirScenario,
} from '../../harness/testing/test/conformance/air-scenarios.js';

const [vmName, mode] = process.argv.slice(2);
if (mode !== 'cold' && mode !== 'warm')
  throw new Error(`expected the mode "cold" or "warm", found ${String(mode)}`);

// The reference is costly to instantiate and keeps no state between invokes: one instance
// serves every peer. Ours is built per peer, as a network would.
const reference = vmName === 'reference' ? await createReferenceAquaVM() : undefined;
if (vmName !== 'reference' && vmName !== 'ours')
  throw new Error(`expected the VM "ours" or "reference", found ${String(vmName)}`);

let invokes = 0;
let invokeMs = 0;
// CPU time as well as wall time: on a shared machine wall time counts other processes' turns.
let invokeCpuMs = 0;

/** Wraps a VM so that only its invokes are timed (the network's own work is not). */
function timed(vm: AirRunner): AirRunner {
  return {
    invoke(
      air: string,
      prevData: Uint8Array,
      currentData: Uint8Array,
      params: RunParameters,
      callResults: ReadonlyMap<number, CallResult>,
    ) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const outcome = vm.invoke(air, prevData, currentData, params, callResults);
      const cpu = process.cpuUsage(cpuStart);
      invokeMs += performance.now() - start;
      invokeCpuMs += (cpu.user + cpu.system) / 1000;
      if (outcome instanceof Promise) throw new Error('expected a synchronous invoke');
      invokes++;
      return outcome;
    },
  };
}

const makeVm = (): AirRunner => timed(reference ?? new AquaVM());
const scenarios = loadAirScenarios();
const passes = mode === 'cold' ? 1 : 3;
for (let pass = 0; pass < passes; pass++) {
  invokes = 0;
  invokeMs = 0;
  invokeCpuMs = 0;
  for (const scenario of scenarios)
    await runAirScenario(scenario, makeVm, { timestamp: Date.now() });
}
process.stdout.write(
  `${JSON.stringify({
    scenarios: scenarios.length,
    invokes,
    invokeMs,
    invokeCpuMs,
    invokesPerSecond: (invokes / invokeMs) * 1000,
    invokesPerCpuSecond: (invokes / invokeCpuMs) * 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
