// Runtime values: every value carries its tetraplet (where it came from) and its provenance
// (which stored aggregate it is part of), so canon elements and call arguments can be traced.
import { UncatchableErrorCode } from '../errors/codes.js';
import { UncatchableError } from '../errors/execution-error.js';
import type { JsonValue } from '../../protocol/index.js';
import type { Provenance } from '../data/stores.js';
import type { SecurityTetraplet } from '../../protocol/index.js';
import type { NewLeaf } from '../trace/tree.js';

/** A value with its tetraplet and provenance. */
export interface ValueAggregate {
  readonly value: JsonValue;
  readonly tetraplet: SecurityTetraplet;
  readonly provenance: Provenance;
}

/** Where a stream value came from, which decides its place in the stream's order. */
export type ValueSource = 'prev' | 'current' | 'new';

const SOURCE_RANK: Record<ValueSource, number> = { prev: 0, current: 1, new: 2 };

/** A value in a stream, with the generation it had in its source and the state that produced it. */
export interface StreamValue {
  readonly aggregate: ValueAggregate;
  readonly source: ValueSource;
  readonly generation: number;
  readonly leaf: NewLeaf;
  /** Generation after compaction (set at the end of the run). */
  finalGeneration: number;
}

/** AquaVM's cap on values per stream (stops endless recursive streams). */
export const STREAM_SIZE_LIMIT = 1024;

/**
 * An append-only stream. Values are ordered by source (previous data, then current data, then
 * this run), then by generation, then by arrival, which is AquaVM's generation order.
 */
export class Stream {
  readonly values: StreamValue[] = [];
  /**
   * How many generation slots this run has opened (AquaVM's matrix of new values, empty slots
   * included); values produced in this run go to the last one.
   */
  newSlots = 0;
  // Kept as values arrive, so that a fold's rounds over a long recursive stream cost what they
  // return, not the whole stream each time (scanning it made such folds quadratic): values and
  // non-empty generations per source, indexed by SOURCE_RANK.
  private readonly counts = [0, 0, 0];
  private readonly groups = [0, 0, 0];
  constructor(readonly name: string) {}

  /** Generation that values produced in this run go to. */
  get newGeneration(): number {
    return Math.max(this.newSlots - 1, 0);
  }

  /** Opens an empty generation for values produced from now on. */
  openNewGeneration(): void {
    this.newSlots++;
  }

  /** Drops the last generation of this run if nothing went into it. */
  dropEmptyLastNewGeneration(): void {
    if (this.newSlots === 0) return;
    const last = this.newSlots - 1;
    // This run's values are last in the array, in generation order: look from the end.
    for (let i = this.values.length - 1; i >= 0; i--) {
      const v = this.values[i]!;
      if (v.source !== 'new' || v.generation < last) break;
      if (v.generation === last) return;
    }
    this.newSlots--;
  }

  /**
   * How many generation slots each source has (empty ones included), as AquaVM's stream cursor
   * counts them: a recursive fold later skips that many *non-empty* generations per source.
   */
  cursor(): StreamCursor {
    return { prev: this.slotsOf(0), current: this.slotsOf(1), new: this.newSlots };
  }

  /** One past the highest generation of a source's values (they are in generation order). */
  private slotsOf(rank: number): number {
    if (this.counts[rank] === 0) return 0;
    let end = 0;
    for (let r = 0; r <= rank; r++) end += this.counts[r]!;
    return this.values[end - 1]!.generation + 1;
  }

  /**
   * The non-empty generations past a cursor, each a snapshot of its values in order. Empty
   * generations are skipped before the cursor's counts are applied, exactly as AquaVM does; when a
   * source has gaps this skips generations a fold has not seen (observable, so kept).
   */
  generationsAfter(cursor: StreamCursor): StreamValue[][] {
    const out: StreamValue[][] = [];
    let start = 0;
    for (let rank = 0; rank < 3; rank++) {
      const count = this.counts[rank]!;
      const end = start + count;
      const wanted = this.groups[rank]! - cursor[SOURCES[rank]!];
      if (wanted > 0) {
        // Walk back from the source's end over the `wanted` last generations.
        const groups: StreamValue[][] = [];
        let i = end - 1;
        while (groups.length < wanted && i >= start) {
          const generation = this.values[i]!.generation;
          let j = i;
          while (j > start && this.values[j - 1]!.generation === generation) j--;
          groups.push(this.values.slice(j, i + 1));
          i = j - 1;
        }
        for (let g = groups.length - 1; g >= 0; g--) out.push(groups[g]!);
      }
      start = end;
    }
    return out;
  }

  /** Adds a value in generation order; throws 20013 past the size cap. */
  add(
    aggregate: ValueAggregate,
    source: ValueSource,
    generation: number,
    leaf: NewLeaf,
  ): StreamValue {
    // AquaVM counts the value being added: a stream never reaches the limit itself.
    if (this.values.length + 1 >= STREAM_SIZE_LIMIT) {
      throw new UncatchableError(
        UncatchableErrorCode.StreamSizeLimitExceeded,
        `stream size goes over the allowed limit of ${STREAM_SIZE_LIMIT}`,
      );
    }
    if (source === 'new' && this.newSlots === 0) this.newSlots = 1;
    const v: StreamValue = { aggregate, source, generation, leaf, finalGeneration: 0 };
    const rank = SOURCE_RANK[source];
    let i = this.values.length;
    while (i > 0) {
      const before = this.values[i - 1]!;
      const r = SOURCE_RANK[before.source];
      if (r < rank || (r === rank && before.generation <= generation)) break;
      i--;
    }
    // A value joins a generation only right after that generation's last value.
    const before = i > 0 ? this.values[i - 1] : undefined;
    if (before === undefined || before.source !== source || before.generation !== generation)
      this.groups[rank]!++;
    this.counts[rank]!++;
    if (i === this.values.length) this.values.push(v);
    else this.values.splice(i, 0, v);
    return v;
  }

  /** Numbers generations densely: previous-data generations, then current-data ones, then this run's. */
  compact(): void {
    let next = -1;
    let last: StreamValue | undefined;
    for (const v of this.values) {
      if (last === undefined || last.source !== v.source || last.generation !== v.generation)
        next++;
      last = v;
      v.finalGeneration = next;
    }
  }
}

const SOURCES: readonly ValueSource[] = ['prev', 'current', 'new'];

/** Generation slots per source of a stream at one moment (AquaVM's stream cursor). */
export type StreamCursor = Record<ValueSource, number>;

/** An immutable canon stream (or canon map, whose values are `{key, value}` objects). */
export interface CanonValue {
  readonly values: readonly ValueAggregate[];
  /** Tetraplet of the canon peer (service and function empty). */
  readonly tetraplet: SecurityTetraplet;
  /** CID of the canon result aggregate. */
  readonly cid: string;
  readonly isMap: boolean;
}

/** What a fold iterator is bound to. */
export interface IteratorBinding {
  readonly name: string;
  readonly item: ValueAggregate;
  /** Runs the next iteration (bound by the fold that owns the iterator). */
  readonly next: () => void;
  /** Items of canon streams and canon maps: a lens on them leaves their tetraplet as it is (as in AquaVM). */
  readonly fromCanon?: boolean;
}
