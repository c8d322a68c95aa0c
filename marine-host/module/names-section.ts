// The `marine-ts:names` custom section of a component: the names the service author wrote in
// Rust for each WIT label `marine build` chose (`field_0` for `field0`, `Result` for `result`).
// WIT cannot spell every Rust name, so the component carries them, and hosts show the author's
// names in JSON, Aqua and TypeScript while calling jco's bindings by the WIT labels.
import { unsignedLeb128 } from '../build/wasm/bytes.js';
import { ModuleLoadError } from '../errors.js';

/** Name of the component-level custom section holding the Rust names. */
export const NAMES_SECTION = 'marine-ts:names';
/**
 * Name of the component-level custom section holding the WIT `marine build` generated. The WIT
 * wasm-tools prints from a component leaves out the packages it depends on (the module's
 * `types` interface, whose records the functions use), so the full text travels in the
 * component itself.
 */
export const WIT_SECTION = 'marine-ts:wit';

/** Rust names of one module's records and exported functions, keyed by WIT label (no `%`). */
export interface ComponentNames {
  /** Record label → the Rust struct name and its fields (label → Rust name). */
  readonly records: Readonly<
    Record<string, { readonly name: string; readonly fields: Readonly<Record<string, string>> }>
  >;
  /** Exported function label → the Rust fn name and its parameters (label → Rust name). */
  readonly functions: Readonly<
    Record<string, { readonly name: string; readonly params: Readonly<Record<string, string>> }>
  >;
}

/** `binary` (a module or component) with a custom section appended. */
export function appendCustomSection(
  binary: Uint8Array,
  name: string,
  data: Uint8Array,
): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const payload = [...unsignedLeb128(nameBytes.length), ...nameBytes];
  const size = payload.length + data.length;
  const header = [0, ...unsignedLeb128(size), ...payload];
  const out = new Uint8Array(binary.length + header.length + data.length);
  out.set(binary, 0);
  out.set(header, binary.length);
  out.set(data, binary.length + header.length);
  return out;
}

/** The payloads of the top-level custom sections called `name` in a module or component. */
export function topLevelCustomSections(binary: Uint8Array, name: string): Uint8Array[] {
  const found: Uint8Array[] = [];
  let at = 8;
  const readLeb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = binary[at];
      if (byte === undefined) throw new RangeError('truncated LEB128');
      at += 1;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (at < binary.length) {
    const id = binary[at];
    at += 1;
    const size = readLeb();
    const end = at + size;
    if (end > binary.length) throw new RangeError('section past the end');
    if (id === 0) {
      const nameLen = readLeb();
      const sectionName = new TextDecoder().decode(binary.subarray(at, at + nameLen));
      if (sectionName === name) found.push(binary.subarray(at + nameLen, end));
    }
    at = end;
  }
  return found;
}

/** Reads the WIT section of a component; undefined when it has none (not built by marine build). */
export function readComponentWitText(component: Uint8Array, where: string): string | undefined {
  let sections: Uint8Array[];
  try {
    sections = topLevelCustomSections(component, WIT_SECTION);
  } catch (error) {
    throw new ModuleLoadError(`${where}: malformed sections: ${(error as Error).message}`);
  }
  const data = sections[0];
  return data === undefined ? undefined : new TextDecoder().decode(data);
}

/** Reads the names section of a component; undefined when it has none (not built by marine build). */
export function readComponentNames(
  component: Uint8Array,
  where: string,
): ComponentNames | undefined {
  let sections: Uint8Array[];
  try {
    sections = topLevelCustomSections(component, NAMES_SECTION);
  } catch (error) {
    throw new ModuleLoadError(`${where}: malformed sections: ${(error as Error).message}`);
  }
  const data = sections[0];
  if (data === undefined) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as Partial<ComponentNames>;
    return { records: parsed.records ?? {}, functions: parsed.functions ?? {} };
  } catch (error) {
    throw new ModuleLoadError(
      `${where}: section ${NAMES_SECTION}: expected JSON, found unreadable data (${(error as Error).message})`,
    );
  }
}
