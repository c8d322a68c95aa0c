// Restart cost: how long a service is unavailable after a call traps (the worker re-instantiates
// the modules) and after a call times out (the worker thread is terminated and a new one
// started: back to back, just after the load, and with the spare ready), measured against
// references taken in the same run: loading the same service afresh (load + first call) and
// instantiating its component directly with jco in this thread. The same for a service run inline.
import { join } from 'node:path';
import { buildHostFixtures } from '../fixtures/configs/host/build-fixtures.js';
import { loadService } from '../marine-host/service/index.js';
import { directBinding } from './host.js';
import { record } from './report.js';

const ROUNDS = 5;
const TIMEOUT_MS = 200;
const SPACING_MS = 3000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Prints the median over a few rounds of each restart and of the references, in ms. */
export async function run(): Promise<void> {
  const artifacts = await buildHostFixtures();
  const config = join(artifacts, '../Config.toml');
  const rows: [string, number][] = [];
  const service = await loadService(config);
  try {
    await service.call('greeting', ['warm']);
    const call: number[] = [];
    const trap: number[] = [];
    const timeout: number[] = [];
    const timeoutSpaced: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      call.push(await time(() => service.call('greeting', ['x'])));
      // The failed call's answer waits for the re-instantiation, so this spans trap to next answer.
      trap.push(
        await time(async () => {
          await service.call('trap').catch(() => undefined);
          await service.call('greeting', ['after trap']);
        }),
      );
      // From the moment the timeout is reported until the restarted service answers.
      await service.call('spin', [], undefined, { timeoutMs: TIMEOUT_MS }).catch(() => undefined);
      timeout.push(await time(() => service.call('greeting', ['after timeout'])));
    }
    rows.push(['a plain call (greeting)', median(call)]);
    rows.push(['trap → next call answered', median(trap)]);
    // The same once the service has had SPACING_MS to get its spare worker ready again: a
    // service that times out now and then, rather than every half second as above.
    const trapSpaced: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      await service.call('spin', [], undefined, { timeoutMs: TIMEOUT_MS }).catch(() => undefined);
      timeoutSpaced.push(await time(() => service.call('greeting', ['after timeout'])));
      // A trap with the spare ready: it takes the trapped worker's place at once.
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      trapSpaced.push(
        await time(async () => {
          await service.call('trap').catch(() => undefined);
          await service.call('greeting', ['after trap']);
        }),
      );
    }
    rows.push([`timeout (${TIMEOUT_MS} ms) reported → next call answered`, median(timeout)]);
    rows.push([
      `the same, ${SPACING_MS / 1000} s after the previous restart`,
      median(timeoutSpaced),
    ]);
    rows.push([
      `trap → next call answered, ${SPACING_MS / 1000} s after the previous restart`,
      median(trapSpaced),
    ]);
  } finally {
    await service.close();
  }
  // The first timeout of a service just loaded: no spare yet (it starts a while after the load);
  // the call, still running at half its limit, starts one, which the restart waits for if it is
  // not ready yet (before that, the restart booted a worker while the next call waited).
  const first: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const s = await loadService(config);
    try {
      await s.call('greeting', ['warm']);
      await s.call('spin', [], undefined, { timeoutMs: TIMEOUT_MS }).catch(() => undefined);
      first.push(await time(() => s.call('greeting', ['after timeout'])));
    } finally {
      await s.close();
    }
  }
  rows.push([
    'first timeout after the load (spare started at half the limit) → next call',
    median(first),
  ]);
  // A service run inline (execution 'inline'): a failed call re-instantiates the modules in this
  // thread from the compiled (metered) modules; the timeout is the meter stopping the guest.
  const inline = await loadService(config, { execution: 'inline' });
  try {
    await inline.call('greeting', ['warm']);
    const trap: number[] = [];
    const timeout: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      trap.push(
        await time(async () => {
          await inline.call('trap').catch(() => undefined);
          await inline.call('greeting', ['after trap']);
        }),
      );
      // The stopped call's error comes once the modules are instantiated again.
      const began = performance.now();
      await inline.call('spin', [], undefined, { timeoutMs: TIMEOUT_MS }).catch(() => undefined);
      await inline.call('greeting', ['after timeout']);
      timeout.push(performance.now() - began - TIMEOUT_MS);
    }
    rows.push(['inline service: trap → next call answered', median(trap)]);
    rows.push([
      `inline service: timeout (${TIMEOUT_MS} ms) → next call answered, past the limit`,
      median(timeout),
    ]);
  } finally {
    await inline.close();
  }
  const fresh: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    fresh.push(
      await time(async () => {
        const s = await loadService(config);
        await s.call('greeting', ['fresh']);
        await s.close();
      }),
    );
    direct.push(await time(() => directBinding(artifacts)));
  }
  rows.push(['reference: fresh load + first call', median(fresh)]);
  rows.push(['reference: jco instantiation in this thread', median(direct)]);
  const freshMs = median(fresh);
  for (const [what, ms] of rows)
    if (!what.startsWith('reference'))
      record(`${what} (reference: fresh load + first call)`, 'ms', ms, freshMs);
  const header = ['what (median of 5)', 'ms', 'vs fresh load'];
  const cells = rows.map(([what, ms]) => [what, ms.toFixed(1), (ms / freshMs).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(
    `${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${cells.map(line).join('\n')}\n`,
  );
}
