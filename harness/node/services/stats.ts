// Call statistics of a service in the shape of aqua-lib's `ServiceStat` (what Nox's
// `stat.service_stat` returns): request counts, call times and memory deltas, per service and per
// function, keeping the last few measurements as a series.

/** How many of the last measurements a series keeps. */
const SERIES_LENGTH = 5;

/** aqua-lib's SeriesStat. */
export interface SeriesStat {
  avg: number;
  series: number[];
  total: number;
}

/** aqua-lib's Stats. */
export interface Stats {
  success_req_count: number;
  failed_req_count: number;
  call_time_sec: SeriesStat;
  memory_deltas_bytes: SeriesStat;
  timestamps: number[];
}

function emptyStats(): Stats {
  const series = (): SeriesStat => ({ avg: 0, series: [], total: 0 });
  return {
    success_req_count: 0,
    failed_req_count: 0,
    call_time_sec: series(),
    memory_deltas_bytes: series(),
    timestamps: [],
  };
}

function push(stat: SeriesStat, value: number, count: number): void {
  stat.total += value;
  stat.avg = stat.total / count;
  stat.series.push(value);
  if (stat.series.length > SERIES_LENGTH) stat.series.shift();
}

function add(stats: Stats, success: boolean, ms: number, memoryDelta: number): void {
  if (success) stats.success_req_count += 1;
  else stats.failed_req_count += 1;
  const count = stats.success_req_count + stats.failed_req_count;
  push(stats.call_time_sec, ms / 1000, count);
  push(stats.memory_deltas_bytes, memoryDelta, count);
  stats.timestamps.push(Math.floor(Date.now() / 1000));
  if (stats.timestamps.length > SERIES_LENGTH) stats.timestamps.shift();
}

/** The statistics of one service since it was started. */
export class ServiceStats {
  readonly #total = emptyStats();
  readonly #functions = new Map<string, Stats>();

  /** Records one call: its function, whether it succeeded, its time (ms) and memory delta (bytes). */
  record(fn: string, success: boolean, ms: number, memoryDelta: number): void {
    add(this.#total, success, ms, memoryDelta);
    let stats = this.#functions.get(fn);
    if (!stats) {
      stats = emptyStats();
      this.#functions.set(fn, stats);
    }
    add(stats, success, ms, memoryDelta);
  }

  /** aqua-lib's ServiceStat. */
  snapshot(): { total_stats: Stats; functions_stats: { name: string; stats: Stats }[] } {
    const copy = (s: Stats): Stats => structuredClone(s);
    return {
      total_stats: copy(this.#total),
      functions_stats: [...this.#functions].map(([name, stats]) => ({ name, stats: copy(stats) })),
    };
  }
}
