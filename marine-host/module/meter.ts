// Metering ("fuel") for Wasm core modules, so a guest can run on the host's own thread and still
// be stopped: the rewrite adds a fuel counter global and an imported `refuel` function, and puts
// a check at every function entry and every loop header (together they bound the work between
// checks: straight-line code is finite, and every repetition goes through a loop or a call). When
// the fuel runs out the check calls `refuel`, which returns the next budget or throws a JS
// exception that unwinds the guest.
//
// One pass over the module, copying unchanged byte runs in bulk into a growable buffer: every
// instruction is decoded (to find `loop`, `call` and `ref.func` and skip every other immediate
// correctly), but only those are rewritten. Anything the pass does not understand is refused
// with MeterError rather than guessed at, since a misread instruction stream could hide a loop.

import { unsignedLeb128 } from '../build/wasm/bytes.js';

/** Module name of the import the rewrite adds. */
export const METER_IMPORT_MODULE = 'marine-ts:meter';
/** Field name of the import the rewrite adds: `() -> i32`, the next fuel budget. */
export const METER_IMPORT_NAME = 'refuel';

/** The module cannot be metered safely: malformed, or uses something the rewriter does not know. */
export class MeterError extends Error {
  override name = 'MeterError';
}

// Immediates of the one-byte opcodes (KIND[opcode]); 0 = not an opcode the rewriter knows.
const K_NONE = 1;
const K_BLOCK = 2;
const K_LOOP = 3;
const K_END = 4;
const K_U32 = 5;
const K_U32_U32 = 6;
const K_BR_TABLE = 7;
const K_FUNC = 8; // call, return_call, ref.func: a function index to renumber
const K_SELECT_T = 9;
const K_MEMARG = 10;
const K_I32 = 11;
const K_I64 = 12;
const K_F32 = 13;
const K_F64 = 14;
const K_REF_NULL = 15;
const K_FC = 16;
const K_FD = 17;
const K_FE = 18;

const KIND = new Uint8Array(256);
function kinds(kind: number, from: number, to = from): void {
  KIND.fill(kind, from, to + 1);
}
kinds(K_NONE, 0x00, 0x01); // unreachable nop
kinds(K_BLOCK, 0x02); // block
kinds(K_LOOP, 0x03);
kinds(K_BLOCK, 0x04); // if
kinds(K_NONE, 0x05); // else
kinds(K_END, 0x0b);
kinds(K_U32, 0x0c, 0x0d); // br br_if
kinds(K_BR_TABLE, 0x0e);
kinds(K_NONE, 0x0f); // return
kinds(K_FUNC, 0x10); // call
kinds(K_U32_U32, 0x11); // call_indirect type table
kinds(K_FUNC, 0x12); // return_call
kinds(K_U32_U32, 0x13); // return_call_indirect
kinds(K_NONE, 0x1a, 0x1b); // drop select
kinds(K_SELECT_T, 0x1c);
kinds(K_U32, 0x20, 0x26); // local.get/set/tee global.get/set table.get/set
kinds(K_MEMARG, 0x28, 0x3e); // loads and stores
kinds(K_U32, 0x3f, 0x40); // memory.size/grow: memory index (0x00 before multi-memory)
kinds(K_I32, 0x41);
kinds(K_I64, 0x42);
kinds(K_F32, 0x43);
kinds(K_F64, 0x44);
kinds(K_NONE, 0x45, 0xc4); // numeric, conversions, sign extension
kinds(K_REF_NULL, 0xd0);
kinds(K_NONE, 0xd1); // ref.is_null
kinds(K_FUNC, 0xd2); // ref.func
kinds(K_FC, 0xfc);
kinds(K_FD, 0xfd);
kinds(K_FE, 0xfe);

// Opcodes of proposals the rewriter refuses, named in the error.
const REFUSED: Readonly<Record<number, string>> = {
  // A guest `catch_all` would catch the exception `refuel` throws and keep running, so exception
  // handling defeats metering; refused, not decoded.
  0x06: 'try (exception handling)',
  0x07: 'catch (exception handling)',
  0x08: 'throw (exception handling)',
  0x09: 'rethrow (exception handling)',
  0x0a: 'throw_ref (exception handling)',
  0x18: 'delegate (exception handling)',
  0x19: 'catch_all (exception handling)',
  0x1f: 'try_table (exception handling)',
  0x14: 'call_ref (typed function references)',
  0x15: 'return_call_ref (typed function references)',
  0xd3: 'ref.eq (GC)',
  0xd4: 'ref.as_non_null (typed function references)',
  0xd5: 'br_on_null (typed function references)',
  0xd6: 'br_on_non_null (typed function references)',
  0xfb: 'the GC prefix 0xfb',
};

// Immediates of the 0xfd (SIMD) sub-opcodes; 0 = not a SIMD instruction.
const S_NONE = 1;
const S_MEMARG = 2;
const S_MEMARG_LANE = 3;
const S_LANE = 4;
const S_BYTES16 = 5;
const SIMD = new Uint8Array(256).fill(S_NONE);
SIMD.fill(S_MEMARG, 0x00, 0x0c); // v128.load* v128.store
SIMD[0x0c] = S_BYTES16; // v128.const
SIMD[0x0d] = S_BYTES16; // i8x16.shuffle
SIMD.fill(S_LANE, 0x15, 0x23); // extract_lane / replace_lane
SIMD.fill(S_MEMARG_LANE, 0x54, 0x5c); // v128.load*_lane v128.store*_lane
SIMD.fill(S_MEMARG, 0x5c, 0x5e); // v128.load32_zero v128.load64_zero
for (const gap of [
  0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2,
  0xd3, 0xd4, 0xe2, 0xee,
])
  SIMD[gap] = 0;

// Rank of each known section id in the required order (custom sections, id 0, go anywhere).
const RANK: Readonly<Record<number, number>> = {
  1: 1, // type
  2: 2, // import
  3: 3, // function
  4: 4, // table
  5: 5, // memory
  13: 6, // tag
  6: 7, // global
  7: 8, // export
  8: 9, // start
  9: 10, // element
  12: 11, // data count
  10: 12, // code
  11: 13, // data
};
const TYPE_RANK = 1;
const IMPORT_RANK = 2;
const GLOBAL_RANK = 7;

const I32 = 0x7f;

function isValType(b: number): boolean {
  // i32 i64 f32 f64 v128 funcref externref
  return (b >= 0x7b && b <= 0x7f) || b === 0x70 || b === 0x6f;
}

function lebLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len += 1;
  }
  return len;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Returns a copy of the core module with a metering check at every function entry and every loop
 * header, calling the added import `marine-ts:meter`.`refuel` whenever the fuel runs out.
 * Throws MeterError on anything it cannot rewrite safely.
 */
export function meterModule(bytes: Uint8Array): Uint8Array {
  // Only a valid module is rewritten: an invalid one could name the fuel counter or the refuel
  // import by an index that does not exist yet, which the rewrite would make valid (a loop that
  // refills its own fuel would then never be stopped).
  // (Checked after the rewrite, whose errors say what is wrong and where.)
  const metered = new Rewriter(bytes).run();
  if (!Wasm.validate(bytes))
    throw new MeterError(
      'the module is not valid WebAssembly (the engine refuses it), so it is not metered',
    );
  return metered;
}

// This project's lib settings carry no WebAssembly types; the one function used is declared here.
const Wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } })
  .WebAssembly;

interface Section {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly at: number;
  /** Payload start and end. */
  readonly start: number;
  readonly end: number;
}

class Rewriter {
  private readonly src: Uint8Array;
  /** Read position in src. */
  private p = 0;
  /** Reads may not pass this (end of the current section, body or expression region). */
  private limit: number;
  private buf: Uint8Array;
  private len = 0;
  /** Where the current error happened, for messages (e.g. " in section 9"). */
  private where = '';
  /** The function whose body is being read, or -1 (its message is built only on error). */
  private body = -1;

  private importedFuncs = 0;
  private importedGlobals = 0;
  private definedGlobals = 0;
  private refuelType = -1;
  /** The metering check, with the fuel global's and refuel's indices filled in. */
  private check: Uint8Array = new Uint8Array(0);

  constructor(bytes: Uint8Array) {
    // A plain view: a Buffer's subarray builds a Buffer object, and one class of input keeps
    // the hot loop's element reads monomorphic.
    this.src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.limit = bytes.length;
    // The check adds ~16 bytes per function and loop: a little headroom avoids most regrowth.
    this.buf = new Uint8Array(Math.ceil(bytes.length * 1.1) + 256);
  }

  run(): Uint8Array {
    const src = this.src;
    if (src.length < 8)
      throw this.fail(`module is ${src.length} bytes, shorter than its header`, 0);
    if (src[0] !== 0x00 || src[1] !== 0x61 || src[2] !== 0x73 || src[3] !== 0x6d)
      throw this.fail('not a Wasm module: bad magic (expected \\0asm)', 0);
    if (src[4] !== 0x01 || src[5] !== 0x00 || src[6] !== 0x00 || src[7] !== 0x00) {
      const layer = src[6] === 0x01 ? ' (a component, not a core module)' : '';
      throw this.fail(`unsupported binary version${layer}`, 4);
    }
    const sections = this.sections();
    const byId = new Map(sections.filter((s) => s.id !== 0).map((s) => [s.id, s]));
    // Indices the rest of the module depends on, known before any section is rewritten (a name
    // section may come before the imports).
    const imports = byId.get(2);
    if (imports) this.countImports(imports);
    const globals = byId.get(6);
    if (globals) {
      this.region(globals);
      this.definedGlobals = this.u32();
    }
    this.check = this.meterCheck(this.importedGlobals + this.definedGlobals, this.importedFuncs);

    this.copy(0, 8);
    let missingType = !byId.has(1);
    let missingImport = !imports;
    let missingGlobal = !globals;
    // A section the module lacks is created just before the first section that must follow it.
    const addMissing = (rank: number): void => {
      if (missingType && rank > TYPE_RANK) {
        missingType = false;
        const at = this.open(1);
        this.byte(1);
        this.funcTypeReturningI32();
        this.refuelType = 0;
        this.close(at);
      }
      if (missingImport && rank > IMPORT_RANK) {
        missingImport = false;
        const at = this.open(2);
        this.byte(1);
        this.meterImport();
        this.close(at);
      }
      if (missingGlobal && rank > GLOBAL_RANK) {
        missingGlobal = false;
        const at = this.open(6);
        this.byte(1);
        this.fuelGlobal();
        this.close(at);
      }
    };
    for (const s of sections) {
      if (s.id === 0) {
        this.custom(s);
        continue;
      }
      addMissing(RANK[s.id] ?? 0);
      this.region(s);
      switch (s.id) {
        case 1:
          this.typeSection();
          break;
        case 2:
          this.importSection(s);
          break;
        case 4:
          this.tableSection(s);
          break;
        case 6:
          this.globalSection(s);
          break;
        case 7:
          this.exportSection(s);
          break;
        case 8: {
          const at = this.open(8);
          this.u32Out(this.func(this.u32()));
          this.close(at);
          break;
        }
        case 9:
          this.elementSection(s);
          break;
        case 10:
          this.codeSection(s);
          break;
        case 13:
          throw this.fail(
            'tag section (exception handling) not supported: a guest could catch the exception refuel throws',
            s.at,
          );
        default:
          // function, memory, data count, data: nothing in them refers to a function or global.
          this.copy(s.at, s.end);
          this.p = s.end;
      }
      if (this.p !== s.end)
        throw this.fail(
          `section ${s.id} ends at ${this.p}, not at its declared end ${s.end}`,
          s.at,
        );
    }
    addMissing(Infinity);
    return this.buf.slice(0, this.len);
  }

  /** The section headers, checked for order and bounds. */
  private sections(): Section[] {
    const out: Section[] = [];
    const n = this.src.length;
    let lastRank = 0;
    this.p = 8;
    while (this.p < n) {
      const at = this.p;
      const id = this.src[at] as number;
      this.p = at + 1;
      this.limit = n;
      const size = this.u32();
      const start = this.p;
      const end = start + size;
      if (end > n)
        throw this.fail(`section ${id} of ${size} bytes runs past the end of the module`, at);
      if (id !== 0) {
        const rank = RANK[id];
        if (rank === undefined) throw this.fail(`unknown section id ${id}`, at);
        if (rank <= lastRank) throw this.fail(`section ${id} is repeated or out of order`, at);
        lastRank = rank;
      }
      out.push({ id, at, start, end });
      this.p = end;
    }
    return out;
  }

  private region(s: Section): void {
    this.p = s.start;
    this.limit = s.end;
    this.where = ` in section ${s.id}`;
  }

  private countImports(s: Section): void {
    this.region(s);
    for (let count = this.u32(); count > 0; count -= 1) {
      this.name();
      this.name();
      const kind = this.u8();
      switch (kind) {
        case 0:
          this.importedFuncs += 1;
          this.u32();
          break;
        case 1:
          this.refType();
          this.limits();
          break;
        case 2:
          this.limits();
          break;
        case 3:
          this.importedGlobals += 1;
          this.valType();
          this.u8();
          break;
        case 4:
          throw this.fail(
            'tag import (exception handling) not supported: a guest could catch the exception refuel throws',
            this.p - 1,
          );
        default:
          throw this.fail(`unknown import kind ${kind}`, this.p - 1);
      }
    }
    if (this.p !== s.end) throw this.fail('import section has bytes past its last import', this.p);
  }

  private typeSection(): void {
    const count = this.u32();
    const first = this.p;
    for (let i = 0; i < count; i += 1) {
      const form = this.u8();
      if (form !== 0x60)
        throw this.fail(`type form ${hex(form)} not supported (only function types)`, this.p - 1);
      const params = this.u32();
      for (let j = 0; j < params; j += 1) this.valType();
      const results = this.u32();
      let result = 0;
      for (let j = 0; j < results; j += 1) result = this.valType();
      if (this.refuelType < 0 && params === 0 && results === 1 && result === I32)
        this.refuelType = i;
    }
    const at = this.open(1);
    // Appended at the end, so no existing type index changes.
    this.u32Out(this.refuelType < 0 ? count + 1 : count);
    this.copy(first, this.p);
    if (this.refuelType < 0) {
      this.refuelType = count;
      this.funcTypeReturningI32();
    }
    this.close(at);
  }

  private importSection(s: Section): void {
    const count = this.u32();
    const at = this.open(2);
    this.u32Out(count + 1);
    this.copy(this.p, s.end);
    this.p = s.end;
    // Last, so the imports before it keep their indices.
    this.meterImport();
    this.close(at);
  }

  private tableSection(s: Section): void {
    for (let count = this.u32(); count > 0; count -= 1) {
      if (this.src[this.p] === 0x40)
        throw this.fail(
          'table initialiser expression (typed function references) not supported',
          this.p,
        );
      this.refType();
      this.limits();
    }
    this.copy(s.at, s.end);
  }

  private globalSection(s: Section): void {
    const count = this.u32();
    const at = this.open(6);
    this.u32Out(count + 1);
    for (let i = 0; i < count; i += 1) {
      const from = this.p;
      this.valType();
      this.u8();
      this.copy(from, this.p);
      this.where = ` in the initialiser of global ${this.importedGlobals + i}`;
      this.expr(s.end, false);
    }
    this.fuelGlobal();
    this.close(at);
  }

  private exportSection(s: Section): void {
    const at = this.open(7);
    let count = this.u32();
    this.u32Out(count);
    for (; count > 0; count -= 1) {
      const from = this.p;
      this.name();
      const kind = this.u8();
      if (kind > 3) throw this.fail(`unknown export kind ${kind}`, this.p - 1);
      this.copy(from, this.p);
      const index = this.u32();
      this.u32Out(kind === 0 ? this.func(index) : index);
    }
    this.close(at);
    if (this.p !== s.end) throw this.fail('export section has bytes past its last export', this.p);
  }

  private elementSection(s: Section): void {
    const at = this.open(9);
    let count = this.u32();
    this.u32Out(count);
    for (let segment = 0; count > 0; count -= 1, segment += 1) {
      this.where = ` in element segment ${segment}`;
      const flags = this.u32();
      if (flags > 7) throw this.fail(`unknown element segment flags ${flags}`, this.p - 1);
      this.u32Out(flags);
      // Bit 0: passive or declarative; bit 1: explicit table index (active) or declarative
      // (passive); bit 2: expressions instead of function indices.
      if ((flags & 1) === 0) {
        if (flags & 2) this.u32Out(this.u32());
        this.expr(s.end, false);
      }
      if (flags & 3) {
        // elemkind 0x00 (funcref) for index vectors, a reference type for expression vectors.
        const kind = this.u8();
        if (flags & 4 ? kind !== 0x70 && kind !== 0x6f : kind !== 0x00)
          throw this.fail(`unknown element kind ${hex(kind)}`, this.p - 1);
        this.byte(kind);
      }
      let items = this.u32();
      this.u32Out(items);
      if (flags & 4) for (; items > 0; items -= 1) this.expr(s.end, false);
      else for (; items > 0; items -= 1) this.u32Out(this.func(this.u32()));
    }
    this.close(at);
  }

  private codeSection(s: Section): void {
    const at = this.open(10);
    const count = this.u32();
    this.u32Out(count);
    for (let i = 0; i < count; i += 1) {
      this.body = this.importedFuncs + i;
      this.limit = s.end;
      const size = this.u32();
      const bodyStart = this.p;
      const bodyEnd = bodyStart + size;
      if (bodyEnd > s.end)
        throw this.fail(`body of ${size} bytes runs past the code section`, bodyStart);
      this.limit = bodyEnd;
      const sizeAt = this.reserve();
      for (let groups = this.u32(); groups > 0; groups -= 1) {
        this.u32();
        this.valType();
      }
      this.copy(bodyStart, this.p);
      this.out(this.check);
      this.expr(bodyEnd, true);
      if (this.p !== bodyEnd)
        throw this.fail('bytes after the final end of a function body', this.p);
      this.closeSized(sizeAt);
    }
    this.body = -1;
    this.limit = s.end;
    this.close(at);
  }

  /**
   * Copies one expression (a function body after its locals, or a constant expression) up to and
   * including its final `end`, renumbering function indices and, with `meter`, adding the check
   * after every loop's block type.
   */
  private expr(limit: number, meter: boolean): void {
    const src = this.src;
    const shift = this.importedFuncs;
    this.limit = limit;
    let p = this.p;
    let from = p; // start of the bytes read but not yet copied
    let depth = 0;
    for (;;) {
      if (p >= limit) throw this.fail('expression runs past its end without a final end', p);
      const op = src[p] as number;
      p += 1;
      const kind = KIND[op];
      if (kind === K_NONE) continue;
      switch (kind) {
        case K_END:
          if (depth === 0) {
            this.copy(from, p);
            this.p = p;
            return;
          }
          depth -= 1;
          break;
        case K_BLOCK:
          p = src[p] === 0x40 ? p + 1 : this.blockType(p);
          depth += 1;
          break;
        case K_LOOP:
          p = src[p] === 0x40 ? p + 1 : this.blockType(p);
          depth += 1;
          if (meter) {
            this.copy(from, p);
            this.out(this.check);
            from = p;
          }
          break;
        // One-byte immediates inline (most of them): the method calls cost more than the
        // decoding before the JIT has optimised this loop, which matters for a one-off rewrite.
        // A read past `limit` is caught by the check at the top of the loop.
        case K_U32:
          if ((src[p] as number) < 0x80) p += 1;
          else p = this.skipU32(p);
          break;
        case K_U32_U32:
          p = this.skipU32(this.skipU32(p));
          break;
        case K_FUNC: {
          this.p = p;
          const index = this.u32();
          if (index >= shift) {
            this.copy(from, p);
            this.u32Out(index + 1);
            from = this.p;
          }
          p = this.p;
          break;
        }
        case K_BR_TABLE: {
          this.p = p;
          const targets = this.u32();
          p = this.p;
          for (let i = 0; i <= targets; i += 1) p = this.skipU32(p);
          break;
        }
        case K_SELECT_T: {
          this.p = p;
          for (let n = this.u32(); n > 0; n -= 1) this.valType();
          p = this.p;
          break;
        }
        case K_MEMARG:
          if ((src[p] as number) < 0x40 && (src[p + 1] as number) < 0x80) p += 2;
          else p = this.memarg(p);
          break;
        case K_I32:
          if ((src[p] as number) < 0x80) p += 1;
          else p = this.skipLeb(p, 5);
          break;
        case K_I64:
          p = this.skipLeb(p, 10);
          break;
        case K_F32:
          p += 4;
          break;
        case K_F64:
          p += 8;
          break;
        case K_REF_NULL: {
          const heap = src[p];
          if (heap !== 0x70 && heap !== 0x6f)
            throw this.fail(`ref.null with unsupported heap type ${hex(heap ?? 0)}`, p);
          p += 1;
          break;
        }
        case K_FC:
          p = this.prefixFC(p);
          break;
        case K_FD:
          p = this.prefixFD(p);
          break;
        case K_FE:
          p = this.prefixFE(p);
          break;
        default: {
          const refused = REFUSED[op];
          throw this.fail(
            refused ? `unsupported opcode ${hex(op)}: ${refused}` : `unknown opcode ${hex(op)}`,
            p - 1,
          );
        }
      }
    }
  }

  private blockType(p: number): number {
    const b = this.src[p];
    if (b === undefined || p >= this.limit) throw this.fail('block type past the end', p);
    if (b === 0x40 || isValType(b)) return p + 1;
    // Otherwise a type index, as a signed 33-bit LEB that must not be negative.
    let end = p;
    let last = b;
    while (last >= 0x80) {
      end += 1;
      if (end >= this.limit || end - p >= 5) throw this.fail('malformed block type', p);
      last = this.src[end] as number;
    }
    if (last & 0x40) throw this.fail(`unsupported block type ${hex(b)}`, p);
    return end + 1;
  }

  private memarg(p: number): number {
    this.p = p;
    const align = this.u32();
    // Bit 6 of the alignment announces a memory index (multi-memory).
    if (align & 0x40) this.u32();
    return this.skipLeb(this.p, 10); // offset: u64 for memory64
  }

  private prefixFC(p: number): number {
    this.p = p;
    const sub = this.u32();
    p = this.p;
    if (sub <= 7) return p; // saturating truncations
    if (sub === 8 || sub === 10 || sub === 12 || sub === 14) return this.skipU32(this.skipU32(p));
    if (sub <= 17) return this.skipU32(p);
    throw this.fail(`unknown opcode 0xfc ${sub}`, p - 1);
  }

  private prefixFD(p: number): number {
    this.p = p;
    const sub = this.u32();
    p = this.p;
    switch (sub < 256 ? SIMD[sub] : 0) {
      case S_NONE:
        return p;
      case S_MEMARG:
        return this.memarg(p);
      case S_MEMARG_LANE:
        return this.memarg(p) + 1;
      case S_LANE:
        return p + 1;
      case S_BYTES16:
        return p + 16;
      default:
        throw this.fail(`unknown SIMD opcode 0xfd ${sub}`, p - 1);
    }
  }

  private prefixFE(p: number): number {
    this.p = p;
    const sub = this.u32();
    p = this.p;
    if (sub === 0x03) return p + 1; // atomic.fence 0x00
    if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) return this.memarg(p);
    throw this.fail(`unknown atomics opcode 0xfe ${sub}`, p - 1);
  }

  /** The name section with function indices shifted; dropped (like engines ignore it) if malformed. */
  private nameSection(s: Section, payload: number): void {
    const len = this.len;
    try {
      const at = this.open(0);
      this.copy(s.start, payload);
      this.p = payload;
      while (this.p < s.end) {
        const subAt = this.p;
        const id = this.u8();
        const size = this.u32();
        const start = this.p;
        const end = start + size;
        if (end > s.end) throw this.fail('name subsection runs past the section', subAt);
        this.limit = end;
        if (id === 1) {
          // function names: function index → name
          const sub = this.open(1);
          let count = this.u32();
          this.u32Out(count);
          for (; count > 0; count -= 1) {
            this.u32Out(this.func(this.u32()));
            const from = this.p;
            this.name();
            this.copy(from, this.p);
          }
          this.close(sub);
        } else if (id === 2 || id === 3) {
          // local and label names: function index → a name map of local or label indices
          const sub = this.open(id);
          let count = this.u32();
          this.u32Out(count);
          for (; count > 0; count -= 1) {
            this.u32Out(this.func(this.u32()));
            const from = this.p;
            for (let names = this.u32(); names > 0; names -= 1) {
              this.u32();
              this.name();
            }
            this.copy(from, this.p);
          }
          this.close(sub);
        } else {
          // Module, type, table, memory, global, element, data, field and tag names (0, 4–11)
          // hold no function index and the rewrite renumbers no type or global: kept as they
          // are. An unknown subsection might be keyed by function index: dropped.
          if (id === 0 || (id >= 4 && id <= 11)) this.copy(subAt, end);
          this.p = end;
        }
        if (this.p !== end) throw this.fail('name subsection size mismatch', subAt);
        this.limit = s.end;
      }
      this.close(at);
    } catch (error) {
      if (!(error instanceof MeterError)) throw error;
      this.len = len;
    }
  }

  private custom(s: Section): void {
    this.region(s);
    const nameLen = this.u32();
    const nameStart = this.p;
    const payload = nameStart + nameLen;
    if (payload > s.end) throw this.fail('custom section name runs past the section', nameStart);
    if (
      nameLen === 4 &&
      this.src[nameStart] === 0x6e && // n
      this.src[nameStart + 1] === 0x61 && // a
      this.src[nameStart + 2] === 0x6d && // m
      this.src[nameStart + 3] === 0x65 // e
    )
      this.nameSection(s, payload);
    else this.copy(s.at, s.end);
    this.p = s.end;
  }

  /** The new function index of function `index`: defined functions move up past refuel. */
  private func(index: number): number {
    return index >= this.importedFuncs ? index + 1 : index;
  }

  private meterCheck(fuel: number, refuel: number): Uint8Array {
    const g = unsignedLeb128(fuel);
    const f = unsignedLeb128(refuel);
    // fuel -= 1; if (fuel < 1) fuel = refuel(). Wasm has no global.tee, hence set then get.
    return Uint8Array.from([
      ...[0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g], // global.get i32.const 1 i32.sub global.set
      ...[0x23, ...g, 0x41, 0x01, 0x48], // global.get i32.const 1 i32.lt_s
      ...[0x04, 0x40, 0x10, ...f, 0x24, ...g, 0x0b], // if call $refuel global.set end
    ]);
  }

  private funcTypeReturningI32(): void {
    this.out(Uint8Array.of(0x60, 0x00, 0x01, I32));
  }

  private meterImport(): void {
    for (const name of [METER_IMPORT_MODULE, METER_IMPORT_NAME]) {
      const bytes = new TextEncoder().encode(name);
      this.u32Out(bytes.length);
      this.out(bytes);
    }
    this.byte(0x00);
    this.u32Out(this.refuelType);
  }

  private fuelGlobal(): void {
    // mutable i32, initially 0: the first check calls refuel.
    this.out(Uint8Array.of(I32, 0x01, 0x41, 0x00, 0x0b));
  }

  // Reading. Every read checks `limit`, so malformed input ends in MeterError, never in a loop
  // or a read past the buffer.

  private u8(): number {
    if (this.p >= this.limit) throw this.fail('unexpected end', this.p);
    const b = this.src[this.p] as number;
    this.p += 1;
    return b;
  }

  private u32(): number {
    const src = this.src;
    let p = this.p;
    if (p >= this.limit) throw this.fail('unexpected end', p);
    let b = src[p] as number;
    if (b < 0x80) {
      this.p = p + 1;
      return b;
    }
    const start = p;
    let result = b & 0x7f;
    for (let shift = 7; ; shift += 7) {
      p += 1;
      if (p >= this.limit) throw this.fail('unexpected end inside an integer', start);
      b = src[p] as number;
      if (shift === 28) {
        if (b > 0x0f) throw this.fail('malformed u32 (too long or too large)', start);
        this.p = p + 1;
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.p = p + 1;
        return result;
      }
    }
  }

  private skipU32(p: number): number {
    if (p < this.limit && (this.src[p] as number) < 0x80) return p + 1;
    this.p = p;
    this.u32();
    return this.p;
  }

  private skipLeb(p: number, max: number): number {
    const start = p;
    for (;;) {
      if (p >= this.limit) throw this.fail('unexpected end inside an integer', start);
      const b = this.src[p] as number;
      p += 1;
      if (b < 0x80) return p;
      if (p - start >= max) throw this.fail('malformed integer (too long)', start);
    }
  }

  private name(): void {
    const len = this.u32();
    if (this.p + len > this.limit) throw this.fail('name runs past its section', this.p);
    this.p += len;
  }

  private valType(): number {
    const b = this.u8();
    if (!isValType(b)) throw this.fail(`unsupported value type ${hex(b)}`, this.p - 1);
    return b;
  }

  private refType(): void {
    const b = this.u8();
    if (b !== 0x70 && b !== 0x6f)
      throw this.fail(`unsupported reference type ${hex(b)}`, this.p - 1);
  }

  private limits(): void {
    const flags = this.u8();
    if (flags > 7) throw this.fail(`unknown limits flags ${hex(flags)}`, this.p - 1);
    this.p = this.skipLeb(this.p, 10);
    if (flags & 1) this.p = this.skipLeb(this.p, 10);
  }

  // Writing into the growable output buffer.

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private copy(from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.grow(n);
    const buf = this.buf;
    const src = this.src;
    // Short runs (between two calls) are cheaper byte by byte than through a subarray view.
    if (n < 32) for (let i = 0; i < n; i += 1) buf[this.len + i] = src[from + i] as number;
    else buf.set(src.subarray(from, to), this.len);
    this.len += n;
  }

  private out(bytes: Uint8Array): void {
    this.grow(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private byte(b: number): void {
    this.grow(1);
    this.buf[this.len] = b;
    this.len += 1;
  }

  private u32Out(n: number): void {
    this.grow(5);
    const buf = this.buf;
    let len = this.len;
    while (n >= 0x80) {
      buf[len] = (n & 0x7f) | 0x80;
      n >>>= 7;
      len += 1;
    }
    buf[len] = n;
    this.len = len + 1;
  }

  /** Writes a section id and room for its size; `close` fills the size in. */
  private open(id: number): number {
    this.byte(id);
    return this.reserve();
  }

  private close(at: number): void {
    this.closeSized(at);
  }

  /** Room for a u32 size written later (5 bytes, the most a u32 LEB takes). */
  private reserve(): number {
    this.grow(5);
    const at = this.len;
    this.len += 5;
    return at;
  }

  /** Writes the size of everything after the reserved room, then closes the gap left. */
  private closeSized(at: number): void {
    const start = at + 5;
    const size = this.len - start;
    const n = lebLength(size);
    let v = size;
    for (let i = 0; i < n; i += 1) {
      this.buf[at + i] = (v & 0x7f) | (i < n - 1 ? 0x80 : 0);
      v >>>= 7;
    }
    if (n < 5) {
      this.buf.copyWithin(at + n, start, this.len);
      this.len -= 5 - n;
    }
  }

  private fail(message: string, offset: number): MeterError {
    const where = this.body >= 0 ? ` in the body of function ${this.body}` : this.where;
    return new MeterError(`meterModule: ${message}${where} at byte offset ${offset}`);
  }
}
