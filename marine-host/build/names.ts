// Name conversions: Rust names → WIT identifiers (kebab-case, `%`-escaped keywords), Aqua and
// TypeScript spellings.
import { WitNameError } from './errors.js';

// Every WIT keyword (and type name); escaping a non-keyword with `%` is harmless, so the list
// errs on the side of including words.
const WIT_KEYWORDS: ReadonlySet<string> = new Set([
  'as',
  'async',
  'bool',
  'borrow',
  'char',
  'constructor',
  'enum',
  'error-context',
  'export',
  'f32',
  'f64',
  'flags',
  'float32',
  'float64',
  'from',
  'func',
  'future',
  'import',
  'include',
  'interface',
  'list',
  'option',
  'own',
  'package',
  'record',
  'resource',
  'result',
  's8',
  's16',
  's32',
  's64',
  'static',
  'stream',
  'string',
  'tuple',
  'type',
  'u8',
  'u16',
  'u32',
  'u64',
  'use',
  'variant',
  'with',
  'world',
]);

/** Splits a snake_case or CamelCase Rust name into lower-case words, or returns null when a part is empty. */
function words(name: string): string[] | null {
  const spaced = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
  const parts = spaced.split(/[_-]/);
  return parts.some((p) => p.length === 0) ? null : parts;
}

/**
 * The kebab-case WIT label of a Rust name; throws naming `what` when there is none (a name with
 * characters other than ASCII letters, digits and underscores). WIT words must start with a
 * letter, so a name users chose freely is mapped, not refused: a word starting with a digit joins
 * the word before it (`field_0` → `field0`, or `n0` when it comes first) and empty words vanish
 * (`_private` → `private`, `a__b` → `a-b`). The Rust name itself travels beside the component
 * (its `marine-ts:names` section), so hosts show the user's names, not these labels.
 */
export function kebabName(name: string, what: string): string {
  const raw = words(name.replace(/_+/g, '_').replace(/^_|_$/g, '')) ?? [];
  const parts: string[] = [];
  for (const part of raw) {
    if (!/^[a-z0-9]+$/.test(part)) {
      parts.length = 0;
      break;
    }
    if (/^[0-9]/.test(part)) {
      if (parts.length === 0) parts.push(`n${part}`);
      else parts[parts.length - 1] += part;
    } else parts.push(part);
  }
  if (parts.length === 0) {
    throw new WitNameError(
      `${what}: the name ${JSON.stringify(name)} cannot be a WIT identifier: expected ASCII letters, digits and underscores (e.g. "get_user", "UserRecord"). Rename the item.`,
    );
  }
  return parts.join('-');
}

/** The WIT identifier of a Rust name as written in WIT source: kebab-case, `%`-escaped when a keyword. */
export function witIdent(name: string, what: string): string {
  const label = kebabName(name, what);
  return WIT_KEYWORDS.has(label) ? `%${label}` : label;
}

/** Throws when two Rust names map to the same WIT label in one scope. */
export function checkUnique(
  names: readonly string[],
  scope: string,
  what: (name: string) => string = () => scope,
): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const label = kebabName(name, what(name));
    const other = seen.get(label);
    if (other !== undefined && other !== name) {
      throw new WitNameError(
        `${scope}: ${JSON.stringify(other)} and ${JSON.stringify(name)} both become the WIT name "${label}"; rename one`,
      );
    }
    seen.set(label, name);
  }
}

/** UpperCamelCase of a snake_case name, e.g. `url_downloader` → `UrlDownloader`. */
export function pascalCase(name: string): string {
  // From the WIT label, as jco derives its JS names from it (`field_0` → `Field0`).
  let parts: string[];
  try {
    parts = kebabName(name, name).split('-');
  } catch {
    parts = [name];
  }
  return parts.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** lowerCamelCase of a snake_case name (jco's spelling of WIT names in JavaScript). */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}
