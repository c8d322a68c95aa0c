// Calls the exports of a core module built with #[marine] the way ABI.md describes, without
// `marine build`: reads the interface entries, lowers arguments into the module's memory in the
// Canonical ABI layout, calls `__marine_export_<f>`, lifts the result. A development check of
// the SDK's side of the contract (the component path is tested by marine-host).
//
//   node services-rs/tools/core-abi.mjs <module.wasm> <function> '<json args array>'
//   node services-rs/tools/core-abi.mjs <module.wasm> --entries
import { readFileSync } from 'node:fs';

/**
 * Loads a core module with stub WASI imports; `hostImports[module][name]` implements a
 * #[marine] import as a JS function over lifted values.
 */
export async function loadCore(path, hostImports = {}) {
  const module = new WebAssembly.Module(readFileSync(path));
  const entries = [];
  for (const section of WebAssembly.Module.customSections(module, 'marine-ts:interface')) {
    for (const line of new TextDecoder().decode(section).split('\n')) {
      if (line.trim() !== '') entries.push(JSON.parse(line));
    }
  }
  const records = new Map(entries.filter((e) => e.kind === 'record').map((e) => [e.name, e]));
  let instance;
  const mem = () => new DataView(instance.exports.memory.buffer);
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    const custom = hostImports[imp.module]?.[imp.name];
    imports[imp.module][imp.name] = custom
      ? (args, ret) => importImpl(imp.module, imp.name, custom)(args, ret)
      : (...args) => {
        if (imp.module === 'wasi_snapshot_preview1' && imp.name === 'fd_write') {
          // Forward panics written to stderr so failures are readable.
          const [fd, iovs, n, written] = args;
          let total = 0;
          for (let i = 0; i < n; i++) {
            const p = mem().getUint32(iovs + i * 8, true);
            const l = mem().getUint32(iovs + i * 8 + 4, true);
            process.stderr.write(new Uint8Array(instance.exports.memory.buffer, p, l));
            total += l;
          }
          mem().setUint32(written, total, true);
          return 0;
        }
        if (imp.module === 'wasi_snapshot_preview1' && (imp.name === 'environ_sizes_get' || imp.name === 'args_sizes_get')) {
          mem().setUint32(args[0], 0, true);
          mem().setUint32(args[1], 0, true);
          return 0;
        }
        // No preopened directories (EBADF ends wasi-libc's scan of them).
        if (imp.module === 'wasi_snapshot_preview1' && imp.name === 'fd_prestat_get') return 8;
        if (imp.module === 'wasi_snapshot_preview1') return 0;
        throw new Error(`unexpected import ${imp.module}.${imp.name}`);
      };
  }
  instance = new WebAssembly.Instance(module, imports);
  const ex = instance.exports;
  // A reactor: constructors run once, before any other export (ABI.md).
  ex._initialize?.();

  const alignOf = (t) => {
    if (typeof t === 'string') return { bool: 1, u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8, string: 4 }[t];
    if (t.list) return 4;
    if (t.option) return Math.max(1, alignOf(t.option));
    return Math.max(1, ...records.get(t.record).fields.map((f) => alignOf(f.type)));
  };
  const alignTo = (o, a) => Math.ceil(o / a) * a;
  const sizeOf = (t) => {
    if (typeof t === 'string') return { bool: 1, u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8, string: 8 }[t];
    if (t.list) return 8;
    if (t.option) return alignTo(alignTo(1, alignOf(t.option)) + sizeOf(t.option), alignOf(t));
    return tupleLayout(records.get(t.record).fields.map((f) => f.type)).size;
  };
  const tupleLayout = (types) => {
    let o = 0;
    const offsets = [];
    for (const t of types) {
      o = alignTo(o, alignOf(t));
      offsets.push(o);
      o += sizeOf(t);
    }
    const align = Math.max(1, ...types.map(alignOf));
    return { offsets, size: alignTo(o, align), align };
  };
  const realloc = (size, align) => (size === 0 ? align : ex.cabi_realloc(0, 0, align, size));

  const store = (t, p, v) => {
    const m = mem();
    switch (t) {
      case 'bool': return m.setUint8(p, v ? 1 : 0);
      case 'u8': return m.setUint8(p, v);
      case 'i8': return m.setInt8(p, v);
      case 'u16': return m.setUint16(p, v, true);
      case 'i16': return m.setInt16(p, v, true);
      case 'u32': return m.setUint32(p, v, true);
      case 'i32': return m.setInt32(p, v, true);
      case 'u64': return m.setBigUint64(p, BigInt(v), true);
      case 'i64': return m.setBigInt64(p, BigInt(v), true);
      case 'f32': return m.setFloat32(p, v, true);
      case 'f64': return m.setFloat64(p, v, true);
      case 'string': {
        const bytes = new TextEncoder().encode(v);
        const d = realloc(bytes.length, 1);
        new Uint8Array(ex.memory.buffer, d, bytes.length).set(bytes);
        mem().setUint32(p, d, true);
        mem().setUint32(p + 4, bytes.length, true);
        return;
      }
    }
    if (t.list) {
      const es = sizeOf(t.list);
      const d = realloc(es * v.length, alignOf(t.list));
      v.forEach((x, i) => store(t.list, d + i * es, x));
      mem().setUint32(p, d, true);
      mem().setUint32(p + 4, v.length, true);
    } else if (t.option) {
      if (v === null) mem().setUint8(p, 0);
      else {
        mem().setUint8(p, 1);
        store(t.option, p + alignTo(1, alignOf(t.option)), v);
      }
    } else {
      const fields = records.get(t.record).fields;
      const { offsets } = tupleLayout(fields.map((f) => f.type));
      fields.forEach((f, i) => store(f.type, p + offsets[i], v[f.name]));
    }
  };
  const load = (t, p) => {
    const m = mem();
    switch (t) {
      case 'bool': return m.getUint8(p) !== 0;
      case 'u8': return m.getUint8(p);
      case 'i8': return m.getInt8(p);
      case 'u16': return m.getUint16(p, true);
      case 'i16': return m.getInt16(p, true);
      case 'u32': return m.getUint32(p, true);
      case 'i32': return m.getInt32(p, true);
      case 'u64': return m.getBigUint64(p, true);
      case 'i64': return m.getBigInt64(p, true);
      case 'f32': return m.getFloat32(p, true);
      case 'f64': return m.getFloat64(p, true);
      case 'string': {
        const d = m.getUint32(p, true);
        const l = m.getUint32(p + 4, true);
        return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(ex.memory.buffer, d, l));
      }
    }
    if (t.list) {
      const d = m.getUint32(p, true);
      const l = m.getUint32(p + 4, true);
      const es = sizeOf(t.list);
      return Array.from({ length: l }, (_, i) => load(t.list, d + i * es));
    }
    if (t.option) return m.getUint8(p) === 0 ? null : load(t.option, p + alignTo(1, alignOf(t.option)));
    const fields = records.get(t.record).fields;
    const { offsets } = tupleLayout(fields.map((f) => f.type));
    return Object.fromEntries(fields.map((f, i) => [f.name, load(f.type, p + offsets[i])]));
  };

  /** Calls an exported function with positional arguments. */
  const call = (name, args) => {
    const fn = entries.find((e) => e.kind === 'function' && e.name === name);
    if (!fn) throw new Error(`no function entry named ${name}`);
    const types = fn.params.map((p) => p.type);
    let ptr = 0;
    if (types.length > 0) {
      const layout = tupleLayout(types);
      ptr = realloc(layout.size, layout.align);
      types.forEach((t, i) => store(t, ptr + layout.offsets[i], args[i]));
    }
    const ret = ex[fn.export](ptr);
    return fn.result === null ? undefined : load(fn.result, ret);
  };
  /** Implements a raw import `(args, ret)` with a JS function over lifted values. */
  const importImpl = (moduleName, name, fn) => (args, ret) => {
    const imp = entries.find((e) => e.kind === 'import' && e.module === moduleName && e.link_name === name);
    if (!imp) throw new Error(`no import entry ${moduleName}.${name}`);
    const types = imp.params.map((p) => p.type);
    const layout = tupleLayout(types);
    const values = types.map((t, i) => load(t, args + layout.offsets[i]));
    const result = fn(...values);
    if (imp.result !== null) store(imp.result, ret, result);
  };
  return { module, instance, entries, call, importImpl, load, store, sizeOf, alignOf, tupleLayout, realloc };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, fn, args] = process.argv.slice(2);
  const core = await loadCore(path);
  if (fn === '--entries') console.log(JSON.stringify(core.entries, null, 1));
  else console.log(core.call(fn, JSON.parse(args ?? '[]'), (k, v) => v));
}
