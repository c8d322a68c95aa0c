// Canonical ABI memory layout and flattening of interface types (ABI.md §2 and §4).
import type { RecordEntry, Ty } from './types.js';

/** A core Wasm value type of a flattened value. */
export type CoreType = 'i32' | 'i64' | 'f32' | 'f64';

/** How one flat value sits in memory: its offset and the width/signedness of its load and store. */
export type LeafKind = 'u8' | 's8' | 'u16' | 's16' | 'i32' | 'i64' | 'f32' | 'f64';

/** One flat value of a type laid out in memory. */
export interface Leaf {
  readonly offset: number;
  readonly kind: LeafKind;
}

/** Size and alignment of a type in linear memory. */
export interface SizeAlign {
  readonly size: number;
  readonly align: number;
}

/** Layout of a record (or of a params tuple): field offsets, size and alignment. */
export interface RecordLayout extends SizeAlign {
  readonly offsets: readonly number[];
}

/** Rounds `offset` up to a multiple of `align`. */
export function alignTo(offset: number, align: number): number {
  return Math.ceil(offset / align) * align;
}

/** The core type of a leaf's flat value. */
export function coreTypeOf(kind: LeafKind): CoreType {
  return kind === 'i64' || kind === 'f32' || kind === 'f64' ? kind : 'i32';
}

/** Computes layouts against a module's records, memoizing per record. */
export class Layouts {
  readonly #records: ReadonlyMap<string, RecordEntry>;
  readonly #cache = new Map<string, RecordLayout>();

  constructor(records: ReadonlyMap<string, RecordEntry>) {
    this.#records = records;
  }

  /** Size and alignment of a type. */
  sizeAlign(ty: Ty): SizeAlign {
    if (typeof ty === 'string') {
      switch (ty) {
        case 'bool':
        case 'u8':
        case 'i8':
          return { size: 1, align: 1 };
        case 'u16':
        case 'i16':
          return { size: 2, align: 2 };
        case 'u32':
        case 'i32':
        case 'f32':
          return { size: 4, align: 4 };
        case 'u64':
        case 'i64':
        case 'f64':
          return { size: 8, align: 8 };
        case 'string':
          return { size: 8, align: 4 };
      }
    }
    if ('list' in ty) return { size: 8, align: 4 };
    if ('option' in ty) {
      const payload = this.sizeAlign(ty.option);
      const align = Math.max(1, payload.align);
      const payloadOffset = alignTo(1, payload.align);
      return { size: alignTo(payloadOffset + payload.size, align), align };
    }
    return this.record(ty.record);
  }

  /** Offset of an option's payload. */
  optionPayloadOffset(ty: Ty): number {
    return alignTo(1, this.sizeAlign(ty).align);
  }

  /** Layout of a named record. */
  record(name: string): RecordLayout {
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    const entry = this.#records.get(name);
    if (entry === undefined) throw new Error(`layout: unknown record ${name}`);
    const layout = this.tuple(entry.fields.map((f) => f.type));
    this.#cache.set(name, layout);
    return layout;
  }

  /** Layout of fields in order: each at its own alignment, size rounded up to the largest. */
  tuple(types: readonly Ty[]): RecordLayout {
    let offset = 0;
    let align = 1;
    const offsets: number[] = [];
    for (const ty of types) {
      const sa = this.sizeAlign(ty);
      offset = alignTo(offset, sa.align);
      offsets.push(offset);
      offset += sa.size;
      align = Math.max(align, sa.align);
    }
    return { size: alignTo(offset, align), align, offsets };
  }

  /** The flat values of a type stored at `base`, in Canonical ABI flattening order. */
  leaves(ty: Ty, base = 0): Leaf[] {
    if (typeof ty === 'string') {
      switch (ty) {
        case 'bool':
        case 'u8':
          return [{ offset: base, kind: 'u8' }];
        case 'i8':
          return [{ offset: base, kind: 's8' }];
        case 'u16':
          return [{ offset: base, kind: 'u16' }];
        case 'i16':
          return [{ offset: base, kind: 's16' }];
        case 'u32':
        case 'i32':
          return [{ offset: base, kind: 'i32' }];
        case 'u64':
        case 'i64':
          return [{ offset: base, kind: 'i64' }];
        case 'f32':
          return [{ offset: base, kind: 'f32' }];
        case 'f64':
          return [{ offset: base, kind: 'f64' }];
        case 'string':
          return [
            { offset: base, kind: 'i32' },
            { offset: base + 4, kind: 'i32' },
          ];
      }
    }
    if ('list' in ty) {
      return [
        { offset: base, kind: 'i32' },
        { offset: base + 4, kind: 'i32' },
      ];
    }
    if ('option' in ty) {
      // A variant with one payload case: the discriminant, then the payload's own flat values
      // (no type joining is needed with a single case).
      return [
        { offset: base, kind: 'u8' },
        ...this.leaves(ty.option, base + this.optionPayloadOffset(ty.option)),
      ];
    }
    const entry = this.#records.get(ty.record);
    if (entry === undefined) throw new Error(`layout: unknown record ${ty.record}`);
    const layout = this.record(ty.record);
    return entry.fields.flatMap((f, i) => this.leaves(f.type, base + (layout.offsets[i] ?? 0)));
  }

  /** The leaves of a params tuple, in order. */
  tupleLeaves(types: readonly Ty[]): Leaf[] {
    const layout = this.tuple(types);
    return types.flatMap((ty, i) => this.leaves(ty, layout.offsets[i] ?? 0));
  }

  /** Canonical ABI flattening of a type. */
  flatten(ty: Ty): CoreType[] {
    return this.leaves(ty).map((leaf) => coreTypeOf(leaf.kind));
  }
}

/** Largest number of flat parameters passed directly (Canonical ABI MAX_FLAT_PARAMS). */
export const MAX_FLAT_PARAMS = 16;
/** Largest number of flat results returned directly (Canonical ABI MAX_FLAT_RESULTS). */
export const MAX_FLAT_RESULTS = 1;
