// Anomaly records as Nox keeps them (AnomalyData): when a VM run is slow, ends with a non-zero
// ret code, or grows the VM's heap a lot, everything needed to replay it is saved as one JSON file
// under <data-dir>/anomalies/. `marine air run --anomaly <file>` replays it on our VM.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AquaVM, type AquaInvokeOutcome } from '../air/index.js';
import {
  KeyPair,
  callResultText,
  parseJson,
  toBase64,
  type CallResult,
  type RunParameters,
} from '../protocol/index.js';

/** Why a run was recorded. */
export type AnomalyReason = 'slow' | 'ret-code' | 'memory' | 'size-limit' | 'failed';

/** One recorded run: the particle, the AIR, both data, the call results and what came out. */
export interface AnomalyRecord {
  readonly version: 1;
  readonly reasons: readonly AnomalyReason[];
  readonly particle: {
    readonly id: string;
    readonly init_peer_id: string;
    readonly timestamp: number;
    readonly ttl: number;
    readonly current_peer_id: string;
  };
  readonly air: string;
  /** base64 */
  readonly prev_data: string;
  /** base64 */
  readonly current_data: string;
  /** By call id: ret code and the result as exact JSON text. */
  readonly call_results: Readonly<
    Record<string, { readonly ret_code: number; readonly result: string }>
  >;
  readonly ret_code: number;
  readonly error_message: string;
  readonly next_peer_pks: readonly string[];
  readonly execution_time_ms: number;
  readonly memory_delta: number;
  readonly recorded_at: string;
}

/** An anomaly file that cannot be read as a record. */
export class AnomalyFileError extends Error {
  override readonly name = 'AnomalyFileError';
}

/** When a run counts as an anomaly (Nox's defaults: 500 ms, 10 MB). */
export interface AnomalyThresholds {
  readonly slowRunMs: number;
  readonly memoryBytes: number;
}

/** What one run was, for deciding and recording. */
export interface RunFacts {
  readonly air: string;
  readonly prevData: Uint8Array;
  readonly currentData: Uint8Array;
  readonly params: RunParameters;
  readonly callResults: ReadonlyMap<number, CallResult>;
  readonly outcome?: AquaInvokeOutcome;
  /** Why the run threw (deadline, worker died), when it did. */
  readonly failure?: string;
  readonly timeMs: number;
  readonly heapDelta: number;
}

/** The reasons a run is an anomaly (empty: it is not one). */
export function anomalyReasons(run: RunFacts, thresholds: AnomalyThresholds): AnomalyReason[] {
  const reasons: AnomalyReason[] = [];
  if (run.failure !== undefined) reasons.push('failed');
  if (run.timeMs > thresholds.slowRunMs) reasons.push('slow');
  if (run.outcome !== undefined && run.outcome.retCode !== 0) reasons.push('ret-code');
  if (run.heapDelta > thresholds.memoryBytes) reasons.push('memory');
  const o = run.outcome;
  if (
    o &&
    (o.airSizeLimitExceeded || o.particleSizeLimitExceeded || o.callResultSizeLimitExceeded)
  ) {
    reasons.push('size-limit');
  }
  return reasons;
}

/** The record of a run. */
export function anomalyRecord(run: RunFacts, reasons: readonly AnomalyReason[]): AnomalyRecord {
  const callResults: Record<string, { ret_code: number; result: string }> = {};
  for (const [id, r] of run.callResults) {
    callResults[String(id)] = { ret_code: r.retCode, result: callResultText(r.result) };
  }
  return {
    version: 1,
    reasons,
    particle: {
      id: run.params.particleId,
      init_peer_id: run.params.initPeerId,
      timestamp: run.params.timestamp,
      ttl: run.params.ttl,
      current_peer_id: run.params.currentPeerId,
    },
    air: run.air,
    prev_data: toBase64(run.prevData),
    current_data: toBase64(run.currentData),
    call_results: callResults,
    ret_code: run.outcome?.retCode ?? -1,
    error_message: run.outcome?.errorMessage ?? run.failure ?? '',
    next_peer_pks: run.outcome?.nextPeerPks ?? [],
    execution_time_ms: Math.round(run.timeMs * 1000) / 1000,
    memory_delta: run.heapDelta,
    recorded_at: new Date().toISOString(),
  };
}

/** Saves a record as `<dir>/<particle id>-<time>.json`; returns its path. */
export async function saveAnomaly(dir: string, record: AnomalyRecord): Promise<string> {
  await mkdir(dir, { recursive: true });
  const safeId = record.particle.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const path = join(dir, `${safeId}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.json`);
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** Reads a record, checking its shape. */
export async function readAnomaly(path: string): Promise<AnomalyRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new AnomalyFileError(
      `${path}: cannot read an anomaly record: ${(error as Error).message}`,
    );
  }
  const r = parsed as Partial<AnomalyRecord>;
  for (const field of ['air', 'prev_data', 'current_data'] as const) {
    if (typeof r[field] !== 'string') {
      throw new AnomalyFileError(
        `${path}: expected "${field}" to be a string in an anomaly record, found ${JSON.stringify(r[field])}`,
      );
    }
  }
  if (typeof r.particle !== 'object' || r.particle === null || typeof r.particle.id !== 'string') {
    throw new AnomalyFileError(
      `${path}: expected a "particle" object with an "id" in an anomaly record`,
    );
  }
  return parsed as AnomalyRecord;
}

/** What replaying a record gave, beside what was recorded. */
export interface AnomalyReplay {
  readonly recorded: {
    readonly retCode: number;
    readonly errorMessage: string;
    readonly timeMs: number;
  };
  readonly replayed: {
    readonly retCode: number;
    readonly errorMessage: string;
    readonly timeMs: number;
    readonly nextPeerPks: readonly string[];
    readonly callRequests: number;
    readonly dataBytes: number;
  };
}

/**
 * Runs a record again on our VM (in this thread). The node's secret key is never recorded: give
 * it (`secretKey`, e.g. from the node's key.json) for a faithful replay; with a fresh random key
 * the VM refuses data that needs the current peer's own signature, as AquaVM's `air run
 * --random-key` does.
 */
export function replayAnomaly(
  record: AnomalyRecord,
  options: { readonly secretKey?: Uint8Array; readonly vm?: AquaVM } = {},
): AnomalyReplay {
  const vm = options.vm ?? new AquaVM();
  const callResults = new Map<number, CallResult>();
  for (const [id, r] of Object.entries(record.call_results ?? {})) {
    callResults.set(Number(id), { retCode: r.ret_code, result: parseJson(r.result) });
  }
  const started = performance.now();
  const outcome = vm.invoke(
    record.air,
    new Uint8Array(Buffer.from(record.prev_data, 'base64')),
    new Uint8Array(Buffer.from(record.current_data, 'base64')),
    {
      initPeerId: record.particle.init_peer_id,
      currentPeerId: record.particle.current_peer_id,
      timestamp: record.particle.timestamp,
      ttl: record.particle.ttl,
      particleId: record.particle.id,
      secretKey: options.secretKey ?? KeyPair.random().secretKey,
    },
    callResults,
  );
  return {
    recorded: {
      retCode: record.ret_code,
      errorMessage: record.error_message,
      timeMs: record.execution_time_ms,
    },
    replayed: {
      retCode: outcome.retCode,
      errorMessage: outcome.errorMessage,
      timeMs: Math.round((performance.now() - started) * 1000) / 1000,
      nextPeerPks: outcome.nextPeerPks,
      callRequests: outcome.callRequests.size,
      dataBytes: outcome.data.length,
    },
  };
}
