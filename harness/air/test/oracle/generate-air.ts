// Seeded generators of AIR text for differential tests, fuzzing and benchmarks. Test-only.

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

/**
 * A random script that is mostly valid: variables are usually defined before use, folds carry
 * their `next`, but with probability `noise` a slot gets an arbitrary token instead, so both
 * accepted and rejected scripts come out.
 */
export function randomAir(seed: number, options: { depth?: number; noise?: number } = {}): string {
  const r = rng(seed);
  const maxDepth = options.depth ?? 6;
  const noise = options.noise ?? 0.05;
  const scalars: string[] = [];
  const streams: string[] = [];
  const canons: string[] = [];
  const maps: string[] = [];
  const canonMaps: string[] = [];
  let counter = 0;
  const fresh = (prefix: string): string => `${prefix}${counter++}`;
  const junk = [
    '$',
    '#',
    '1.2.3',
    '.5',
    'x.$',
    '%m.$.a',
    '$s.$.a',
    '[1]',
    '"',
    ':error:x',
    'seq',
    '%init_peer_id%.$.a',
    '-',
    'a@b',
    '#c.$.a',
    '9223372036854775808',
    '1.23456789012',
    ')',
    '(',
    'undefined_var',
  ];
  const lensText = (): string => {
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) {
      const k = r();
      if (k < 0.4) parts.push(`.${pick(r, ['a', 'b', 'field', 'x-y', 'z_1'])}`);
      else if (k < 0.7) parts.push(`.[${Math.floor(r() * 10)}]`);
      else if (k < 0.85) parts.push(`[${Math.floor(r() * 3)}]`);
      else if (scalars.length > 0) parts.push(`.[${pick(r, scalars)}]`);
      else parts.push('.[0]');
    }
    return `.$${parts.join('')}${r() < 0.1 ? '!' : ''}`;
  };
  const maybeNoise = (text: string): string => (r() < noise ? pick(r, junk) : text);
  const literal = (): string =>
    pick(r, [
      `"${pick(r, ['a', 'peer', 'hello world', ''])}"`,
      String(Math.floor(r() * 2000) - 1000),
      (r() * 100).toFixed(2),
      'true',
      'false',
      '[]',
      '%init_peer_id%',
      '%timestamp%',
      '%ttl%',
      '%last_error%',
      ':error:',
      ':error:.$.message',
      '%last_error%.$.error_code',
    ]);
  const value = (): string => {
    const k = r();
    if (k < 0.35 || (scalars.length === 0 && canons.length === 0)) return maybeNoise(literal());
    if (k < 0.75 && scalars.length > 0) {
      const s = pick(r, scalars);
      return maybeNoise(r() < 0.4 ? s + lensText() : r() < 0.1 ? `${s}.length` : s);
    }
    if (canons.length > 0) {
      const c = pick(r, canons);
      return maybeNoise(r() < 0.5 ? c + lensText() : c);
    }
    return maybeNoise(literal());
  };
  const peer = (): string => {
    if (scalars.length > 0 && r() < 0.3) return maybeNoise(pick(r, scalars));
    return maybeNoise(r() < 0.5 ? '%init_peer_id%' : `"peer-${Math.floor(r() * 5)}"`);
  };
  const output = (): string => {
    const k = r();
    if (k < 0.3) return '';
    if (k < 0.7) {
      const s = fresh('v');
      scalars.push(s);
      return ` ${s}`;
    }
    const s = streams.length > 0 && r() < 0.5 ? pick(r, streams) : `$${fresh('s')}`;
    streams.push(s);
    return ` ${s}`;
  };

  const gen = (depth: number, iterators: string[]): string => {
    const leaf = depth >= maxDepth || r() < 0.25;
    if (leaf) {
      const k = r();
      if (k < 0.4) {
        const args: string[] = [];
        const n = Math.floor(r() * 4);
        for (let i = 0; i < n; i++) args.push(value());
        return `(call ${peer()} ("${pick(r, ['srv', 'op', 'peer'])}" "${pick(r, ['f', 'identity', 'noop'])}") [${args.join(' ')}]${output()})`;
      }
      if (k < 0.55) {
        const v = value();
        const o = output().trim() || `$${fresh('s')}`;
        if (o.startsWith('$')) streams.push(o);
        return `(ap ${v} ${o})`;
      }
      if (k < 0.62) {
        const m = maps.length > 0 && r() < 0.5 ? pick(r, maps) : `%${fresh('m')}`;
        maps.push(m);
        return `(ap (${pick(r, ['"k"', '1', scalars[0] ?? '"z"'])} ${value()}) ${m})`;
      }
      if (k < 0.72 && streams.length > 0) {
        const c = `#${fresh('c')}`;
        canons.push(c);
        return `(canon ${peer()} ${pick(r, streams)} ${c})`;
      }
      if (k < 0.76 && maps.length > 0) {
        const c = `#%${fresh('cm')}`;
        canonMaps.push(c);
        return `(canon ${peer()} ${pick(r, maps)} ${c})`;
      }
      if (k < 0.8)
        return pick(r, [
          '(fail :error:)',
          '(fail %last_error%)',
          `(fail ${Math.floor(r() * 5)} "boom")`,
        ]);
      if (k < 0.85 && iterators.length > 0) return `(next ${pick(r, iterators)})`;
      return pick(r, ['(null)', '(never)', '(null)']);
    }
    const k = r();
    if (k < 0.45) {
      const kw = pick(r, ['seq', 'seq', 'par', 'xor']);
      const a = gen(depth + 1, iterators);
      const b = gen(depth + 1, iterators);
      return `(${kw} ${a} ${b})`;
    }
    if (k < 0.55) {
      const kw = pick(r, ['match', 'mismatch']);
      return `(${kw} ${value()} ${value()} ${gen(depth + 1, iterators)})`;
    }
    if (k < 0.75) {
      const it = fresh('i');
      let iterable: string;
      const q = r();
      if (q < 0.3 && streams.length > 0) iterable = pick(r, streams);
      else if (q < 0.5 && canons.length > 0) iterable = pick(r, canons);
      else if (q < 0.6 && maps.length > 0) iterable = pick(r, maps);
      else if (q < 0.8 && scalars.length > 0)
        iterable = pick(r, scalars) + (r() < 0.3 ? lensText() : '');
      else iterable = '[]';
      scalars.push(it);
      const inner = [...iterators, it];
      const body =
        r() < 0.7
          ? `(${pick(r, ['seq', 'par'])} ${gen(depth + 1, inner)} (next ${it}))`
          : gen(depth + 1, inner);
      const last = r() < 0.2 ? ` ${pick(r, ['(null)', '(never)'])}` : '';
      return `(fold ${maybeNoise(iterable)} ${it} ${body}${last})`;
    }
    if (k < 0.85) {
      const q = r();
      const name =
        q < 0.4
          ? `$${fresh('s')}`
          : q < 0.6
            ? fresh('n')
            : q < 0.8
              ? `#${fresh('c')}`
              : `%${fresh('m')}`;
      if (name.startsWith('$')) streams.push(name);
      else if (name.startsWith('#')) canons.push(name);
      else if (name.startsWith('%')) maps.push(name);
      else scalars.push(name);
      return `(new ${name} ${gen(depth + 1, iterators)})`;
    }
    return `(xor ${gen(depth + 1, iterators)} (fail :error:))`;
  };
  return gen(0, []);
}

/** Applies `count` random byte-level edits (delete, duplicate, swap, insert a special character). */
export function mutate(text: string, seed: number, count = 3): string {
  const r = rng(seed);
  let s = text;
  const specials = [
    '(',
    ')',
    '[',
    ']',
    '"',
    ' ',
    '$',
    '#',
    '%',
    '.',
    '!',
    ';',
    '\n',
    '0',
    'é',
    ':error:',
    '.$',
    '\u00a0',
  ];
  for (let i = 0; i < count; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const k = r();
    if (k < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 4));
    else if (k < 0.5) s = s.slice(0, at) + pick(r, specials) + s.slice(at);
    else if (k < 0.7) {
      const len = Math.floor(r() * 20);
      s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
    } else if (k < 0.85) s = s.slice(0, at);
    else {
      const b = Math.floor(r() * (s.length + 1));
      const [x, y] = at < b ? [at, b] : [b, at];
      s = s.slice(0, x) + s.slice(y) + s.slice(x, y);
    }
  }
  return s;
}

/** Random printable-and-not bytes decoded as UTF-8 (lossy), for crash fuzzing. */
export function randomBytesText(seed: number, length: number): string {
  const r = rng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++)
    bytes[i] = r() < 0.6 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 256);
  return new TextDecoder().decode(bytes);
}

/**
 * A script shaped like compiled Aqua (argument loading, error-propagating xor wrappers around
 * remote calls, fold fan-outs with canon joins) of about `targetBytes` characters. Blocks are
 * joined with a balanced tree of `seq`s so nesting stays logarithmic.
 */
export function aquaLikeAir(targetBytes: number, seed = 1): string {
  const r = rng(seed);
  const blocks: string[] = [];
  let size = 0;
  let n = 0;
  const header =
    '(seq (seq (call %init_peer_id% ("getDataSrv" "-relay-") [] -relay-) (call %init_peer_id% ("getDataSrv" "peers") [] peers)) (call %init_peer_id% ("getDataSrv" "arg") [] arg))';
  blocks.push(header);
  size += header.length;
  while (size < targetBytes) {
    const i = n++;
    const k = r();
    let b: string;
    if (k < 0.5) {
      b =
        `(xor (seq (seq (call -relay- ("op" "noop") []) (call arg.$.peer ("srv${i % 7}" "fn") [arg arg.$.items.[${i % 5}] "lit${i}"] res${i}))` +
        ` (call -relay- ("op" "noop") [])) (seq (seq (call -relay- ("op" "noop") []) (call %init_peer_id% ("op" "noop") [])) (fail :error:)))`;
    } else if (k < 0.8) {
      b =
        `(new $out${i} (seq (seq (fold peers p${i} (par (xor (seq (call p${i} ("peer" "identify") [] info${i}) (ap info${i} $out${i}))` +
        ` (null)) (next p${i})) (never)) (new $join${i} (seq (fold $out${i} j${i} (seq (seq (ap j${i} $join${i}) (canon %init_peer_id% $join${i} #jc${i}))` +
        ` (xor (match #jc${i}.length 3 (null)) (next j${i}))) (never)) (canon %init_peer_id% $join${i} #res${i})))) (ap #res${i} flat${i})))`;
    } else {
      b =
        `(xor (match arg.$.flag true (seq (ap ("key${i}" arg.$.value) %map${i}) (canon %init_peer_id% %map${i} #%cm${i})))` +
        ` (mismatch :error:.$.error_code 10001 (fail :error:)))`;
    }
    blocks.push(b);
    size += b.length;
  }
  // Balanced seq tree.
  let level = blocks;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] as string;
      const b = level[i + 1];
      next.push(b === undefined ? a : `(seq ${a} ${b})`);
    }
    level = next;
  }
  return level[0] ?? '(null)';
}

/** `(seq (null) (seq (null) ...))` nested `depth` levels deep. */
export function deepAir(depth: number): string {
  return '(seq (null) '.repeat(depth) + '(null)' + ')'.repeat(depth);
}
