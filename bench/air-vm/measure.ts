// Child process of bench/air-vm.ts: times one case on one VM and reports peak memory, so each
// measurement's RSS belongs to that VM alone. Prints one JSON line.
import { cases } from './cases.js';
import { AquaVM } from '../../harness/air/index.js';
import type { AirRunner } from '../../harness/peer/index.js';
import { createReferenceAquaVM } from '../../harness/testing/index.js';

const [vmName, caseName] = process.argv.slice(2);
const benchCase = cases.find((c) => c.name === caseName);
if (!benchCase) throw new Error(`unknown case ${caseName}`);

async function loadVm(name: string | undefined): Promise<AirRunner> {
  if (name === 'reference') return createReferenceAquaVM();
  if (name === 'ours') return new AquaVM();
  throw new Error(`expected the VM "ours" or "reference", found ${String(name)}`);
}

const vm = await loadVm(vmName);
const input = await benchCase.prepare(vm);
const rssBefore = process.memoryUsage().rss;
const timings: number[] = [];
const deadline = performance.now() + 3000;
// At least one run, at most 50, within about three seconds per case (the reference takes tens
// of seconds for a 10 MB value, since marine-js passes its arguments as JSON).
while (timings.length === 0 || (timings.length < 50 && performance.now() < deadline)) {
  const start = performance.now();
  const outcome = await vm.invoke(
    input.air,
    input.prevData,
    input.currentData,
    input.params,
    input.callResults,
  );
  timings.push(performance.now() - start);
  if (outcome.retCode !== 0)
    throw new Error(`${caseName}: ret code ${outcome.retCode}: ${outcome.errorMessage}`);
}
timings.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    medianMs: timings[Math.floor(timings.length / 2)],
    runs: timings.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssGrowthMb: (process.memoryUsage().rss - rssBefore) / 1024 / 1024,
  })}\n`,
);
