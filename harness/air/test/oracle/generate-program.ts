// Seeded generator of valid, terminating AIR programs for the VM differential fuzzer. Unlike
// generate-air.ts (which feeds the parser noise), every program here parses, uses only variables
// it defined, keeps streams and folds small, and ends by calling the client's
// callbackSrv.response, so a run shows its results. Peers are "$p1"-style placeholders that the
// local network replaces with peer ids; the services are those of the AIR conformance corpus
// (harness/test/conformance/air-scenarios.ts). Test-only.
import { rng } from './generate-air.js';

/** A generated program: the AIR (with "$name" peer placeholders) and the peers it needs. */
export interface GeneratedProgram {
  readonly seed: number;
  /** Peers besides the relay and the client (2–4). */
  readonly peers: number;
  readonly air: string;
}

/** Options of the generator. */
export interface GenerateOptions {
  /** Nesting depth of composite instructions (default 5). */
  readonly depth?: number;
  /** How many composite instructions a program may have at most (default 14). */
  readonly size?: number;
}

// What a value is known to hold, so lenses and calls on it are mostly meaningful.
type Shape =
  | 'data' // data.object: {a:{b:[10,20,{c}]}, n, f, s, t, list:[x,y,z], idx:1, key:"s", empty:[], err, bad_err}
  | 'numbers' // [3,-1,2.5]
  | 'nested' // [[1,2],[3],[]]
  | 'peers' // array of peer ids
  | 'peer' // one peer id
  | 'int' // a small integer (also a valid index into data.list)
  | 'str'
  | 'kv' // a stream map / canon map element {key, value}
  | 'error' // an error object
  | 'any';

interface Scalar {
  readonly name: string;
  readonly shape: Shape;
}

interface Env {
  readonly scalars: readonly Scalar[];
  /** Canon streams and the shape of their elements. */
  readonly canons: readonly Scalar[];
  readonly canonMaps: readonly string[];
  /** Iterators of the folds around this point, innermost last. */
  readonly iterators: readonly Scalar[];
  /** Inside the right branch of a xor, where `:error:` and `%last_error%` hold the caught error. */
  readonly inXorRight: boolean;
  /** Streams and maps folded around this point: writing to them would recurse without bound. */
  readonly folded: readonly string[];
}

interface Generated {
  readonly text: string;
  /** Scalars and canons this subtree defines that code after it (in a seq) may use. */
  readonly scalars: readonly Scalar[];
  readonly canons: readonly Scalar[];
  readonly canonMaps: readonly string[];
}

const GENERAL_STREAMS = ['$s0', '$s1', '$s2'];
const MAPS = ['%m0', '%m1'];
const MAP_KEYS = ['"a"', '"b"', '1', '2'];

/** Generates program number `seed`: deterministic for a seed. */
export function generateProgram(seed: number, options: GenerateOptions = {}): GeneratedProgram {
  const r = rng(seed);
  const maxDepth = options.depth ?? 5;
  const peerCount = 2 + Math.floor(r() * 3);
  const peerNames = Array.from({ length: peerCount }, (_, i) => `"$p${i + 1}"`);
  let counter = 0;
  const fresh = (prefix: string): string => `${prefix}${counter++}`;
  const chance = (p: number): boolean => r() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  // Budget of composite instructions so programs stay small (and runs fast) whatever the dice say.
  let budget = options.size ?? 14;
  // Streams written somewhere (a fold over a never-written stream just waits).
  const written = new Set<string>();

  const literal = (): string =>
    pick([
      '"a"',
      '""',
      '"s"',
      '1',
      '-5',
      '2.5',
      '0',
      'true',
      'false',
      '%init_peer_id%',
      '%timestamp%',
      '%ttl%',
      pick(peerNames),
    ]);

  const lensFor = (shape: Shape, env: Env): { text: string; shape: Shape } | undefined => {
    const indexScalar = env.scalars.find((s) => s.shape === 'int');
    const keyScalar = env.scalars.find((s) => s.shape === 'str' && s.name.startsWith('key'));
    switch (shape) {
      case 'data':
        return pick([
          { text: '.$.a.b.[1]', shape: 'int' as Shape },
          { text: '.$.a.b.[2].c', shape: 'str' as Shape },
          { text: '.$.list.[0]', shape: 'str' as Shape },
          { text: '.$.n', shape: 'int' as Shape },
          { text: '.$.s', shape: 'str' as Shape },
          { text: '.$.list', shape: 'any' as Shape },
          { text: '.$.err', shape: 'error' as Shape },
          { text: '.$.missing', shape: 'any' as Shape },
          { text: '.$.list.[5]', shape: 'any' as Shape },
          indexScalar
            ? { text: `.$.list.[${indexScalar.name}]`, shape: 'str' as Shape }
            : { text: '.$.idx', shape: 'int' as Shape },
          keyScalar
            ? { text: `.$.[${keyScalar.name}]`, shape: 'any' as Shape }
            : { text: '.$.key', shape: 'str' as Shape },
        ]);
      case 'numbers':
        return pick([
          { text: '.$.[0]', shape: 'int' as Shape },
          { text: '.$.[2]', shape: 'any' as Shape },
          { text: '.$[1]', shape: 'int' as Shape },
        ]);
      case 'nested':
        return pick([
          { text: '.$.[0].[1]', shape: 'int' as Shape },
          { text: '.$.[1]', shape: 'any' as Shape },
          { text: '.$.[2].[0]', shape: 'any' as Shape },
        ]);
      case 'peers':
        return { text: '.$.[0]', shape: 'peer' };
      case 'kv':
        return pick([
          { text: '.$.key', shape: 'any' as Shape },
          { text: '.$.value', shape: 'any' as Shape },
        ]);
      case 'error':
        return pick([
          { text: '.$.message', shape: 'str' as Shape },
          { text: '.$.error_code', shape: 'int' as Shape },
        ]);
      case 'any':
        return chance(0.2) ? { text: '.$.[0]', shape: 'any' } : undefined;
      default:
        return undefined;
    }
  };

  // A value for a call argument, an ap source or a match operand.
  const value = (env: Env, wanted?: Shape): { text: string; shape: Shape } => {
    const k = r();
    const vars = [...env.scalars, ...env.iterators];
    if (wanted === 'peer') {
      const peers = vars.filter((v) => v.shape === 'peer');
      if (peers.length > 0 && chance(0.4)) return { text: pick(peers).name, shape: 'peer' };
      const canonPeers = env.canons.filter((c) => c.shape === 'peer');
      if (canonPeers.length > 0 && chance(0.2))
        return { text: `${pick(canonPeers).name}.$.[0]`, shape: 'peer' };
      return { text: chance(0.25) ? '%init_peer_id%' : pick(peerNames), shape: 'peer' };
    }
    if (k < 0.25 || (vars.length === 0 && env.canons.length === 0)) {
      const text = literal();
      return { text, shape: /^-?\d+$/.test(text) ? 'int' : text.startsWith('"$') ? 'peer' : 'any' };
    }
    if (k < 0.65 && vars.length > 0) {
      const v = pick(vars);
      if (chance(0.45)) {
        const lens = lensFor(v.shape, env);
        if (lens) return { text: v.name + lens.text, shape: lens.shape };
      }
      if (chance(0.1) && ['numbers', 'nested', 'peers'].includes(v.shape))
        return { text: `${v.name}.length`, shape: 'int' };
      return { text: v.name, shape: v.shape };
    }
    if (k < 0.8 && env.canons.length > 0) {
      const c = pick(env.canons);
      const q = r();
      if (q < 0.3) return { text: `${c.name}.$.[0]`, shape: c.shape };
      if (q < 0.45) return { text: `${c.name}.length`, shape: 'int' };
      if (q < 0.5) return { text: `${c.name}.$.[7]`, shape: 'any' };
      return { text: c.name, shape: 'any' };
    }
    if (k < 0.88 && env.canonMaps.length > 0) {
      const c = pick(env.canonMaps);
      return pick([
        { text: c, shape: 'any' as Shape },
        { text: `${c}.length`, shape: 'int' as Shape },
        { text: `${c}.$.a`, shape: 'any' as Shape },
        { text: `${c}.$.[1]`, shape: 'any' as Shape },
        { text: `${c}.$.b.[0]`, shape: 'any' as Shape },
      ]);
    }
    if (k < 0.96 || !env.inXorRight) {
      return pick([
        { text: ':error:', shape: 'error' as Shape },
        { text: ':error:.$.message', shape: 'str' as Shape },
        { text: '%last_error%.$.error_code', shape: 'int' as Shape },
        { text: literal(), shape: 'any' as Shape },
      ]);
    }
    return pick([
      { text: '%last_error%', shape: 'error' as Shape },
      { text: ':error:.$.error_code', shape: 'int' as Shape },
      { text: ':error:.$.instruction', shape: 'str' as Shape },
      { text: ':error:.$.peer_id', shape: 'any' as Shape },
    ]);
  };

  const nothing = (text: string): Generated => ({ text, scalars: [], canons: [], canonMaps: [] });

  const streamTarget = (env: Env, shape: Shape): string => {
    // $peers only ever holds peer ids and $n small integers, so folds over them can call and count.
    const free = GENERAL_STREAMS.filter((s) => !env.folded.includes(s));
    const s =
      shape === 'peer' && chance(0.5) && !env.folded.includes('$peers')
        ? '$peers'
        : free.length > 0
          ? pick(free)
          : '$s3';
    written.add(s);
    return s;
  };

  const mapTarget = (env: Env): string => {
    const free = MAPS.filter((m) => !env.folded.includes(m));
    const m = free.length > 0 ? pick(free) : '%m2';
    written.add(m);
    return m;
  };

  const call = (env: Env, output?: string): Generated => {
    const peer = value(env, 'peer').text;
    const services: { sig: string; args: () => string[]; shape: Shape }[] = [
      { sig: '"op" "identity"', args: () => [value(env).text], shape: 'any' },
      { sig: '"op" "array"', args: () => [value(env).text, value(env).text], shape: 'any' },
      { sig: '"op" "array"', args: () => [pick(peerNames), pick(peerNames)], shape: 'peers' },
      { sig: '"op" "noop"', args: () => [], shape: 'str' },
      { sig: '"echo" "echo"', args: () => [value(env).text], shape: 'any' },
      { sig: '"data" "object"', args: () => [], shape: 'data' },
      { sig: '"data" "numbers"', args: () => [], shape: 'numbers' },
      { sig: '"data" "nested"', args: () => [], shape: 'nested' },
      { sig: '"peer_info" "whoami"', args: () => [], shape: 'peer' },
      { sig: '"counter" "next"', args: () => [], shape: 'int' },
      { sig: '"math" "add"', args: () => [pick(['1', '2', '-3']), pick(['1', '7'])], shape: 'int' },
      { sig: '"join" "concat"', args: () => [value(env).text, '"-x"'], shape: 'str' },
      {
        sig: '"errors" "code"',
        args: () => [pick(['1', '3', '42']), pick(['"bad"', '"no such thing"'])],
        shape: 'any',
      },
      { sig: '"failing" "fail"', args: () => [pick(['"boom"', '"down"'])], shape: 'any' },
      { sig: '"nosuch" "service"', args: () => [], shape: 'any' },
    ];
    const svc = pick(services);
    const args = svc.args().join(' ');
    if (output !== undefined) return nothing(`(call ${peer} (${svc.sig}) [${args}] ${output})`);
    const o = r();
    if (o < 0.25) return nothing(`(call ${peer} (${svc.sig}) [${args}])`);
    if (o < 0.65) {
      const name = svc.shape === 'str' && chance(0.3) ? fresh('key') : fresh('x');
      return {
        text: `(call ${peer} (${svc.sig}) [${args}] ${name})`,
        scalars: [{ name, shape: svc.shape }],
        canons: [],
        canonMaps: [],
      };
    }
    return nothing(`(call ${peer} (${svc.sig}) [${args}] ${streamTarget(env, svc.shape)})`);
  };

  const apSource = (env: Env): { text: string; shape: Shape } => {
    const picked = value(env);
    // A bare canon map is no ap argument (the parser wants a lens on it).
    return picked.text.startsWith('#%') && !picked.text.includes('.')
      ? { text: `${picked.text}.length`, shape: 'int' }
      : picked;
  };

  const ap = (env: Env): Generated => {
    const q = r();
    if (q < 0.2) {
      // Keys the parser accepts: string and integer literals, scalars (lensed or not), canon lenses.
      const keyed = [...env.scalars, ...env.iterators];
      const canonKeys = env.canons.map((c) => `${c.name}.$.[0]`);
      const key =
        chance(0.7) || keyed.length + canonKeys.length === 0
          ? pick(MAP_KEYS)
          : chance(0.7) && keyed.length > 0
            ? (() => {
                const v = pick(keyed);
                return v.name + (lensFor(v.shape, env)?.text ?? '');
              })()
            : pick(canonKeys.length > 0 ? canonKeys : MAP_KEYS);
      const map = mapTarget(env);
      return nothing(`(ap (${key} ${apSource(env).text}) ${map})`);
    }
    const v = apSource(env);
    if (q < 0.5) {
      const name = fresh('y');
      return {
        text: `(ap ${v.text} ${name})`,
        scalars: [{ name, shape: v.shape }],
        canons: [],
        canonMaps: [],
      };
    }
    return nothing(`(ap ${v.text} ${streamTarget(env, v.shape)})`);
  };

  const canon = (env: Env): Generated => {
    const peer = value(env, 'peer').text;
    const q = r();
    if (q < 0.6) {
      const s = chance(0.3) ? '$peers' : pick(GENERAL_STREAMS);
      const name = `#${fresh('c')}`;
      return {
        text: `(canon ${peer} ${s} ${name})`,
        scalars: [],
        canons: [{ name, shape: s === '$peers' ? 'peer' : 'any' }],
        canonMaps: [],
      };
    }
    if (q < 0.85) {
      const name = `#%${fresh('cm')}`;
      return {
        text: `(canon ${peer} ${pick(MAPS)} ${name})`,
        scalars: [],
        canons: [],
        canonMaps: [name],
      };
    }
    const name = fresh('obj');
    return {
      text: `(canon ${peer} ${pick(MAPS)} ${name})`,
      scalars: [{ name, shape: 'any' }],
      canons: [],
      canonMaps: [],
    };
  };

  const fail = (env: Env): Generated => {
    const errors = env.scalars.filter((s) => s.shape === 'error');
    const data = env.scalars.filter((s) => s.shape === 'data');
    const forms = [`(fail ${pick(['1', '7', '-2'])} "${pick(['oops', 'bad', ''])}")`];
    if (errors.length > 0) forms.push(`(fail ${pick(errors).name})`);
    if (data.length > 0) forms.push(`(fail ${pick(data).name}.$.${pick(['err', 'bad_err'])})`);
    if (env.inXorRight) forms.push('(fail :error:)', '(fail %last_error%)', '(fail :error:)');
    return nothing(pick(forms));
  };

  const leaf = (env: Env): Generated => {
    const k = r();
    if (k < 0.45) return call(env);
    if (k < 0.68) return ap(env);
    if (k < 0.8) return canon(env);
    if (k < 0.88) return fail(env);
    if (k < 0.97) return nothing('(null)');
    return nothing('(never)');
  };

  const extend = (env: Env, g: Generated): Env => ({
    ...env,
    scalars: [...env.scalars, ...g.scalars],
    canons: [...env.canons, ...g.canons],
    canonMaps: [...env.canonMaps, ...g.canonMaps],
  });

  const join = (a: Generated, b: Generated): Omit<Generated, 'text'> => ({
    scalars: [...a.scalars, ...b.scalars],
    canons: [...a.canons, ...b.canons],
    canonMaps: [...a.canonMaps, ...b.canonMaps],
  });

  // A fold in one of the shapes real scripts use; `next` at the end, at the start (scalar folds),
  // inside a par (parallel iterations, recursive streams) or absent (the body runs once).
  const fold = (env: Env, depth: number): Generated => {
    const it = fresh('i');
    const q = r();
    let iterable: string;
    let shape: Shape = 'any';
    let overStream = false;
    const scalarArrays = env.scalars.filter((s) =>
      ['numbers', 'nested', 'peers', 'data'].includes(s.shape),
    );
    if (q < 0.3 && scalarArrays.length > 0) {
      const s = pick(scalarArrays);
      if (s.shape === 'data') {
        iterable = `${s.name}.$.${pick(['list', 'a.b', 'empty'])}`;
      } else {
        iterable = s.name;
        shape = s.shape === 'peers' ? 'peer' : 'any';
      }
    } else if (q < 0.45 && env.canons.length > 0) {
      const c = pick(env.canons);
      iterable = c.name;
      shape = c.shape;
    } else if (q < 0.52 && env.canonMaps.length > 0) {
      iterable = pick(env.canonMaps);
      shape = 'kv';
    } else if (q < 0.57) {
      iterable = '[]';
    } else if (q < 0.8 && [...written].some((s) => s.startsWith('$') && !s.startsWith('$n'))) {
      // The parser wants a stream written (textually) before a fold over it.
      iterable = pick([...written].filter((s) => s.startsWith('$') && !s.startsWith('$n')));
      shape = iterable === '$peers' ? 'peer' : 'any';
      overStream = true;
    } else if (q < 0.88 && MAPS.some((m) => written.has(m))) {
      // The parser wants a stream map written (textually) before a fold over it.
      iterable = pick(MAPS.filter((m) => written.has(m)));
      shape = 'kv';
      overStream = true;
    } else {
      return recursiveFold(env, depth);
    }
    const inner: Env = {
      ...env,
      iterators: [...env.iterators, { name: it, shape }],
      folded: overStream ? [...env.folded, iterable] : env.folded,
    };
    const body = gen(inner, depth + 1);
    const next = `(next ${it})`;
    const place = r();
    let bodyText: string;
    if (place < 0.4) bodyText = `(seq ${body.text} ${next})`;
    else if (place < 0.7) bodyText = `(par ${body.text} ${next})`;
    else if (place < 0.85 && !overStream) bodyText = `(seq ${next} ${body.text})`;
    else if (place < 0.92 && !overStream)
      bodyText = `(seq (seq ${body.text} ${next}) ${gen(inner, depth + 2).text})`;
    else bodyText = body.text;
    // The ap form marks its stream written, so it is built only when it is the one picked.
    const lastForm = chance(0.35) ? Math.floor(r() * 4) : -1;
    const last =
      lastForm < 0
        ? ''
        : lastForm < 3
          ? ` ${['(null)', '(null)', '(never)'][lastForm]!}`
          : ` (ap "end" ${streamTarget(inner, 'str')})`;
    const text = `(fold ${iterable} ${it} ${bodyText}${last})`;
    // A stream fold without a last instruction never completes: real scripts put it beside a null.
    return nothing(overStream && last === '' && chance(0.8) ? `(par ${text} (null))` : text);
  };

  // A fold over a counting stream whose body appends the successor of each value until it
  // reaches a bound: a recursive stream that grows while it is iterated, then stops. Each such fold
  // has its own stream, so nested ones do not feed each other without bound.
  const recursiveFold = (env: Env, depth: number): Generated => {
    const it = fresh('i');
    const stream = `$n${counter++}`;
    const bound = 1 + Math.floor(r() * 3);
    const peer = value(env, 'peer').text;
    const grow = `(xor (match ${it} ${bound} (null)) (call ${peer} ("math" "add") [${it} 1] ${stream}))`;
    const inner: Env = { ...env, iterators: [...env.iterators, { name: it, shape: 'int' }] };
    const extra = chance(0.5) ? gen(inner, depth + 2).text : '(null)';
    const body = chance(0.6)
      ? `(par (seq ${grow} ${extra}) (next ${it}))`
      : `(seq (seq ${grow} ${extra}) (next ${it}))`;
    written.add(stream);
    const seedValue = chance(0.3) ? `(ap 1 ${stream})` : `(ap 0 ${stream})`;
    const fold = `(fold ${stream} ${it} ${body}${chance(0.3) ? ' (null)' : ''})`;
    return nothing(`(seq ${seedValue} (par ${fold} (null)))`);
  };

  const newScope = (env: Env, depth: number): Generated => {
    const q = r();
    if (q < 0.35) {
      const s = pick([...GENERAL_STREAMS, '$peers']);
      const body = gen(env, depth + 1);
      // The canon of the scoped stream shows what the scope saw.
      const name = `#${fresh('c')}`;
      return {
        text: `(new ${s} (seq ${body.text} (canon %init_peer_id% ${s} ${name})))`,
        scalars: [],
        canons: [],
        canonMaps: [],
      };
    }
    if (q < 0.55) {
      const m = pick(MAPS);
      const body = gen(env, depth + 1);
      return nothing(`(new ${m} ${body.text})`);
    }
    if (q < 0.8 && env.scalars.length > 0) {
      // Re-bind an existing scalar inside the scope: the body sees only the new binding.
      const old = pick(env.scalars);
      const inner: Env = { ...env, scalars: env.scalars.filter((s) => s !== old) };
      const v = apSource(inner);
      const body = gen(
        extend(inner, { ...nothing(''), scalars: [{ name: old.name, shape: v.shape }] }),
        depth + 1,
      );
      return nothing(`(new ${old.name} (seq (ap ${v.text} ${old.name}) ${body.text}))`);
    }
    // A fresh scalar that exists only in the scope.
    const name = fresh('z');
    const defined = chance(0.5) ? call(env, name).text : `(ap ${apSource(env).text} ${name})`;
    const inner = extend(env, { ...nothing(''), scalars: [{ name, shape: 'any' }] });
    return nothing(`(new ${name} (seq ${defined} ${gen(inner, depth + 1).text}))`);
  };

  const xor = (env: Env, depth: number): Generated => {
    const left = gen(env, depth + 1);
    const right = (): string => gen({ ...env, inXorRight: true }, depth + 1).text;
    // Handlers that look at the error, as compiled Aqua does.
    const form = r();
    let handler: string;
    if (form < 0.35) handler = right();
    else if (form < 0.55) {
      handler = `(seq (ap :error: ${streamTarget(env, 'error')}) ${right()})`;
    } else if (form < 0.8) {
      const error = pick([':error:', ':error:.$.message', '%last_error%', ':error:.$.error_code']);
      handler = `(call ${value(env, 'peer').text} ("op" "identity") [${error}] ${streamTarget(env, 'any')})`;
    } else {
      handler = `(seq ${right()} (call %init_peer_id% ("op" "array") [:error:.$.error_code %last_error%.$.message]))`;
    }
    return nothing(`(xor ${left.text} ${handler})`);
  };

  const match = (env: Env, depth: number): Generated => {
    const kw = chance(0.5) ? 'match' : 'mismatch';
    const left = value(env);
    // Operands that are equal about half the time.
    const right = chance(0.4) ? left : value(env);
    const body = gen(env, depth + 1);
    return nothing(`(${kw} ${left.text} ${right.text} ${body.text})`);
  };

  function gen(env: Env, depth: number): Generated {
    if (depth >= maxDepth || budget <= 0 || chance(0.2)) return leaf(env);
    budget--;
    const k = r();
    if (k < 0.3) {
      const a = gen(env, depth + 1);
      const b = gen(extend(env, a), depth + 1);
      return { text: `(seq ${a.text} ${b.text})`, ...join(a, b) };
    }
    if (k < 0.45) {
      const a = gen(env, depth + 1);
      const b = gen(env, depth + 1);
      // Sometimes later code uses what a branch defined: it then waits for that branch (join).
      const defs = chance(0.3) ? join(a, b) : join(nothing(''), nothing(''));
      return { text: `(par ${a.text} ${b.text})`, ...defs };
    }
    if (k < 0.6) return xor(env, depth);
    if (k < 0.68) return match(env, depth);
    if (k < 0.86) return fold(env, depth);
    if (k < 0.95) return newScope(env, depth);
    return leaf(env);
  }

  const start: Env = {
    scalars: [],
    canons: [],
    canonMaps: [],
    iterators: [],
    inXorRight: false,
    folded: [],
  };
  // A prologue so most programs have structured data, a peer list and a stream to work on.
  const prologue = `(seq (call ${pick(peerNames)} ("data" "object") [] d) (call %init_peer_id% ("op" "array") [${peerNames.slice(0, 2).join(' ')}] ps))`;
  const env0: Env = {
    ...start,
    scalars: [
      { name: 'd', shape: 'data' },
      { name: 'ps', shape: 'peers' },
    ],
  };
  const body = gen(env0, 0);
  const env1 = extend(env0, body);
  // The response: a few defined values and the final contents of the streams the body wrote.
  const shown = [
    ...env1.scalars.slice(-2).map((s) => s.name),
    ...env1.canons.slice(-1).map((c) => c.name),
  ];
  const finals: string[] = [];
  let epilogue = '';
  const counting = [...written].filter((s) => s.startsWith('$n')).slice(0, 2);
  for (const s of [...GENERAL_STREAMS, '$peers', ...counting].filter(
    (s) => written.has(s) || s === '$s0',
  )) {
    const name = `#fin_${s.slice(1)}`;
    finals.push(name);
    const c = `(canon %init_peer_id% ${s} ${name})`;
    epilogue = epilogue === '' ? c : `(seq ${epilogue} ${c})`;
  }
  const m = `(canon %init_peer_id% %m0 #%fin_m0)`;
  epilogue = `(seq ${epilogue} ${m})`;
  finals.push('#%fin_m0');
  const response = `(call %init_peer_id% ("callbackSrv" "response") [${[...shown, ...finals].join(' ')}])`;
  const air = `(xor (seq (seq ${prologue} ${body.text}) (seq ${epilogue} ${response})) (call %init_peer_id% ("errorHandlingSrv" "error") [:error: 0]))`;
  return { seed, peers: peerCount, air };
}
