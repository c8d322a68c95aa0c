// The call channel between a service's host side and its worker thread: one SharedArrayBuffer
// per worker. A call is written into it; the worker, sleeping in Atomics.wait between calls (or
// watching the buffer for a moment right after a reply, see WorkerChannel.next), writes the
// reply in the same buffer; the host watches for it briefly (HostChannel.poll), then waits with
// Atomics.waitAsync (its event loop stays free). Each side calls Atomics.notify only when the
// other sleeps. Compared with postMessage this skips the structured clone into a message, the
// port's event on each side and a task hop in each direction, which were most of a small call's
// time. Values are written in a compact tagged encoding (below); one that does not fit the
// buffer, or of a kind the encoding does not know, goes by postMessage on a MessagePort beside
// it, and the buffer only says so. The same port carries the worker's log records during a call,
// so the host reads them, in order, before the call's reply (receiveMessageOnPort, synchronously).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';

/** Bytes of a channel's data area: calls and replies up to this size skip postMessage. */
export const CHANNEL_DATA_BYTES = 64 * 1024;
/**
 * Int32 slots of the header: request sequence, reply sequence, request length, reply length, and
 * whether each side is asleep (in Atomics.wait / waitAsync) rather than spinning: the other side
 * calls Atomics.notify only then, since a notify costs 10-15 µs even when nobody needs it.
 */
const REQUEST_SEQ = 0;
const REPLY_SEQ = 1;
const REQUEST_LENGTH = 2;
const REPLY_LENGTH = 3;
const WORKER_ASLEEP = 4;
const HOST_ASLEEP = 5;
/** Messages the worker has posted on the port (log records): the host drains it only when this moved. */
const POSTED = 6;
const HEADER_BYTES = 32;

/**
 * How long the worker watches for the next request after each reply before it sleeps, ms. A
 * caller issuing calls back to back sends the next one within microseconds, and the worker takes
 * it without the futex wake-up that cost most of a small call; a service called now and then
 * spins this long after each call and then sleeps (so an idle service costs no CPU).
 */
export const WORKER_SPIN_MS = 0.1;
/** Longest the host watches for a reply before it waits asynchronously, ms (see HostChannel.poll). */
export const HOST_SPIN_MS = 0.1;
/** Most requests a worker takes without watching after its watches kept missing. */
const MAX_SKIP = 1024;
/** A length saying "the value came by postMessage on the channel's port". */
const BY_MESSAGE = -1;

/** A new channel's shared buffer (header and data area). */
export function createChannelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + CHANNEL_DATA_BYTES);
}

// Tags of the encoding. Numbers are int32 or float64, bigints 64-bit when they fit, strings UTF-8,
// typed arrays their bytes; plain arrays and objects recursively. Anything else (a Map, a Date, a
// class instance) is a V8-serialized blob, as postMessage would send it.
const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_I64 = 6;
const T_U64 = 7;
const T_BIGINT_TEXT = 8;
const T_STRING = 9;
const T_ARRAY = 10;
const T_OBJECT = 11;
const T_TYPED = 12;
const T_V8 = 13;

/** Typed array kinds by their code in the encoding. */
const TYPED = [
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array,
  BigInt64Array,
  Uint8ClampedArray,
] as const;
type Typed = InstanceType<(typeof TYPED)[number]>;

/** Raised inside the encoder when a value does not fit the data area (the caller falls back). */
class Overflow extends Error {}
const OVERFLOW = new Overflow('value larger than the channel');

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/** Writes values into a channel's data area. */
class Writer {
  pos = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly encoder = new TextEncoder();

  constructor(buffer: SharedArrayBuffer) {
    this.view = new DataView(buffer, HEADER_BYTES, CHANNEL_DATA_BYTES);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, CHANNEL_DATA_BYTES);
  }

  private room(n: number): void {
    if (this.pos + n > CHANNEL_DATA_BYTES) throw OVERFLOW;
  }

  private u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }

  private u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  private text(s: string): void {
    const n = s.length;
    // Short ASCII strings (names, small arguments) are copied unit by unit; anything else
    // through encodeInto, which needs at most 3 bytes per UTF-16 unit.
    if (n <= 64) {
      this.room(4 + n);
      const start = this.pos + 4;
      let i = 0;
      for (; i < n; i += 1) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.bytes[start + i] = c;
      }
      if (i === n) {
        this.view.setUint32(this.pos, n, true);
        this.pos = start + n;
        return;
      }
    }
    this.room(4 + n);
    const at = this.pos + 4;
    const { read, written } = this.encoder.encodeInto(s, this.bytes.subarray(at));
    if (read !== n) throw OVERFLOW;
    this.view.setUint32(this.pos, written, true);
    this.pos = at + written;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'undefined':
        this.u8(T_UNDEFINED);
        return;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return;
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.u8(T_INT);
          this.room(4);
          this.view.setInt32(this.pos, v, true);
          this.pos += 4;
        } else {
          this.u8(T_FLOAT);
          this.room(8);
          this.view.setFloat64(this.pos, v, true);
          this.pos += 8;
        }
        return;
      case 'bigint':
        if (v >= I64_MIN && v < 0n) {
          this.u8(T_I64);
          this.room(8);
          this.view.setBigInt64(this.pos, v, true);
          this.pos += 8;
        } else if (v >= 0n && v <= U64_MAX) {
          this.u8(T_U64);
          this.room(8);
          this.view.setBigUint64(this.pos, v, true);
          this.pos += 8;
        } else {
          this.u8(T_BIGINT_TEXT);
          this.text(v.toString());
        }
        return;
      case 'string':
        this.u8(T_STRING);
        this.text(v);
        return;
      case 'object':
        if (v === null) this.u8(T_NULL);
        else if (Array.isArray(v)) {
          this.u8(T_ARRAY);
          this.u32(v.length);
          for (const x of v as unknown[]) this.value(x);
        } else if (ArrayBuffer.isView(v) && TYPED.indexOf(v.constructor as never) >= 0) {
          const typed = v as Typed;
          this.u8(T_TYPED);
          this.u8(TYPED.indexOf(v.constructor as never));
          this.u32(typed.length);
          this.room(typed.byteLength);
          this.bytes.set(
            new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength),
            this.pos,
          );
          this.pos += typed.byteLength;
        } else if (Object.getPrototypeOf(v) === Object.prototype) {
          const keys = Object.keys(v);
          this.u8(T_OBJECT);
          this.u32(keys.length);
          for (const key of keys) {
            this.text(key);
            this.value((v as Record<string, unknown>)[key]);
          }
        } else this.blob(v);
        return;
      default:
        this.blob(v);
    }
  }

  private blob(v: unknown): void {
    const bytes = serialize(v);
    this.u8(T_V8);
    this.u32(bytes.length);
    this.room(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Reads values written by a Writer over the same buffer. */
class Reader {
  pos = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly buffer: SharedArrayBuffer;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.view = new DataView(buffer, HEADER_BYTES, CHANNEL_DATA_BYTES);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, CHANNEL_DATA_BYTES);
  }

  private u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private text(): string {
    const n = this.u32();
    const start = this.pos;
    this.pos += n;
    if (n <= 32) {
      let s = '';
      for (let i = start; i < start + n; i += 1) {
        const c = this.bytes[i] as number;
        if (c >= 0x80) return Buffer.from(this.buffer, HEADER_BYTES + start, n).toString('utf8');
        s += String.fromCharCode(c);
      }
      return s;
    }
    return Buffer.from(this.buffer, HEADER_BYTES + start, n).toString('utf8');
  }

  value(): unknown {
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case T_FLOAT: {
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_I64: {
        const v = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_U64: {
        const v = this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_BIGINT_TEXT:
        return BigInt(this.text());
      case T_STRING:
        return this.text();
      case T_ARRAY: {
        const n = this.u32();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i += 1) out[i] = this.value();
        return out;
      }
      case T_OBJECT: {
        const n = this.u32();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i += 1) {
          const key = this.text();
          out[key] = this.value();
        }
        return out;
      }
      case T_TYPED: {
        const Kind = TYPED[this.bytes[this.pos++] as number] as (typeof TYPED)[number];
        const length = this.u32();
        const size = length * Kind.BYTES_PER_ELEMENT;
        // Copied out of the shared buffer (the next call overwrites it), into an aligned buffer.
        const copy = new ArrayBuffer(size);
        new Uint8Array(copy).set(this.bytes.subarray(this.pos, this.pos + size));
        this.pos += size;
        return new Kind(copy);
      }
      case T_V8: {
        const n = this.u32();
        const copy = Buffer.from(this.bytes.subarray(this.pos, this.pos + n));
        this.pos += n;
        return deserialize(copy) as unknown;
      }
      default:
        throw new ChannelError(
          `call channel: expected a value tag 0..${T_V8} at byte ${this.pos - 1}, found ${String(tag)}`,
        );
    }
  }
}

/** The channel's buffer held something that is not a value written by this module. */
export class ChannelError extends Error {
  override name = 'ChannelError';
}

/** Writes `value` into the data area; returns its length, or BY_MESSAGE if it must be posted. */
function put(writer: Writer, value: unknown): number {
  writer.pos = 0;
  try {
    writer.value(value);
    return writer.pos;
  } catch (error) {
    if (error === OVERFLOW) return BY_MESSAGE;
    // A value V8 cannot serialize either: postMessage reports it in its own words.
    if (error instanceof Error && error.name === 'DataCloneError') return BY_MESSAGE;
    throw error;
  }
}

// Atomics.waitAsync is in Node 20 (V8 8.7+) but not in this project's TypeScript lib.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync.bind(Atomics);

/** What a call's wait ended with. */
export type WaitOutcome =
  { kind: 'reply'; value: unknown } | { kind: 'timeout' } | { kind: 'woken' };

/**
 * The host's end of a worker's call channel. One call at a time: `send`, then `wait`. Messages
 * on the port that are not the reply (the worker's log records) go to `onMessage`, in order.
 */
export class HostChannel {
  private readonly header: Int32Array;
  private readonly writer: Writer;
  private readonly reader: Reader;
  private seq = 0;
  private stopped = false;
  /** A reply that came by message and was delivered as a port event before `wait` looked. */
  private posted: { value: unknown } | undefined;
  /** The worker's POSTED count as of the last drain. */
  private drained = 0;

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
    private readonly onMessage: (message: unknown) => void,
  ) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.writer = new Writer(buffer);
    this.reader = new Reader(buffer);
    // Log records posted while no call waits (a restart inside the worker) still arrive.
    port.on('message', (message: unknown) => this.receive(message));
    port.unref();
  }

  /** Sends a request to the worker and wakes it. */
  send(request: unknown): void {
    const length = put(this.writer, request);
    if (length === BY_MESSAGE) this.port.postMessage(request);
    this.header[REQUEST_LENGTH] = length;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.header, REQUEST_SEQ, this.seq);
    // Sequentially consistent: either the worker sees the new sequence before it sleeps, or
    // this sees it asleep (it sets the flag before its last look).
    if (Atomics.load(this.header, WORKER_ASLEEP) !== 0) Atomics.notify(this.header, REQUEST_SEQ);
  }

  private receive(message: unknown): void {
    if ((message as { type?: unknown } | null)?.type === 'reply')
      this.posted = { value: (message as { value: unknown }).value };
    else this.onMessage(message);
  }

  /** Handles what the port holds now (log records, a posted reply) before anything newer. */
  drain(): void {
    for (;;) {
      const next = receiveMessageOnPort(this.port);
      if (next === undefined) return;
      this.receive(next.message);
    }
  }

  /** The reply to the last request, if it is there. */
  private take(): WaitOutcome | undefined {
    if (Atomics.load(this.header, REPLY_SEQ) !== this.seq) return undefined;
    const length = this.header[REPLY_LENGTH] as number;
    if (length !== BY_MESSAGE) {
      // Most calls log nothing: the port (a call into C++ each time) is read only when they did.
      const posted = Atomics.load(this.header, POSTED);
      if (posted !== this.drained) {
        this.drained = posted;
        this.drain();
      }
      this.reader.pos = 0;
      return { kind: 'reply', value: this.reader.value() };
    }
    // The reply was posted after every log record of the call (maybe delivered as an event).
    this.drain();
    const posted = this.posted;
    this.posted = undefined;
    if (!posted) throw new ChannelError('call channel: the reply was announced but not posted');
    return { kind: 'reply', value: posted.value };
  }

  /**
   * Watches for the reply to the last request for at most `spinMs`, blocking this thread, and
   * returns it if it came. A small call's reply comes in microseconds when the worker is awake,
   * far sooner than a waitAsync wake-up (a task posted to this thread's event loop) delivers it.
   */
  poll(spinMs: number): WaitOutcome | undefined {
    const header = this.header;
    const seq = this.seq;
    if (Atomics.load(header, REPLY_SEQ) !== seq) {
      const until = performance.now() + spinMs;
      let spins = 0;
      while (Atomics.load(header, REPLY_SEQ) !== seq) {
        // The clock is read now and then: a read costs more than a look at the buffer.
        spins += 1;
        if ((spins & 63) === 0 && performance.now() >= until) return undefined;
      }
    }
    return this.take();
  }

  /** Waits for the reply to the last request, at most `timeoutMs`, without blocking the thread. */
  async wait(timeoutMs: number): Promise<WaitOutcome> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const ready = this.take();
      if (ready) return ready;
      if (this.stopped) return { kind: 'woken' };
      const left = deadline - performance.now();
      if (left <= 0) return { kind: 'timeout' };
      // Asleep first, then a last look: the worker notifies only a sleeping host (see send).
      Atomics.store(this.header, HOST_ASLEEP, 1);
      const pending = waitAsync(this.header, REPLY_SEQ, (this.seq - 1) | 0, left);
      if (pending.async) await pending.value;
      Atomics.store(this.header, HOST_ASLEEP, 0);
    }
  }

  /** Ends any wait now (the worker is gone): it returns `woken`. */
  stop(): void {
    this.stopped = true;
    Atomics.notify(this.header, REPLY_SEQ);
  }
}

/** The worker's end of a call channel: blocks for a request, answers it. */
export class WorkerChannel {
  private readonly header: Int32Array;
  private readonly writer: Writer;
  private readonly reader: Reader;
  private seen = 0;
  /** Requests still to be taken without watching, and how many the next miss sets (see next). */
  private skip = 0;
  private backoff = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.writer = new Writer(buffer);
    this.reader = new Reader(buffer);
  }

  /** Posts a message that is not a reply (a log record) on the channel's port. */
  post(message: unknown): void {
    this.port.postMessage(message);
    Atomics.add(this.header, POSTED, 1);
  }

  /**
   * Returns the host's next request: watched for during `spinMs` (right after a reply, when the
   * next call of a busy caller is due), then slept for in Atomics.wait. Watching pays only while
   * requests do come within the window: on a machine too loaded to run both threads at once the
   * spinning worker takes the core the host needs, and measured at load 17 on 2 cores every call
   * got slower (35 → 65 µs). So each miss doubles the number of requests taken without watching
   * (up to MAX_SKIP) and each catch halves it: the worker watches while more than about half its
   * watches catch a request.
   */
  next(spinMs = 0): unknown {
    const header = this.header;
    const seen = this.seen;
    if (Atomics.load(header, REQUEST_SEQ) === seen) {
      let watch = spinMs > 0;
      if (watch && this.skip > 0) {
        this.skip -= 1;
        watch = false;
      }
      if (watch && this.watchFor(seen, spinMs)) this.backoff = Math.max(this.backoff >> 1, 0);
      else {
        if (watch) {
          this.skip = this.backoff;
          this.backoff = Math.min(Math.max(this.backoff * 2, 1), MAX_SKIP);
        }
        // Asleep first, then a last look: the host notifies only a sleeping worker (see send).
        Atomics.store(header, WORKER_ASLEEP, 1);
        // A wait can end without a new request (seen under load): only a new sequence counts.
        while (Atomics.load(header, REQUEST_SEQ) === seen) Atomics.wait(header, REQUEST_SEQ, seen);
        Atomics.store(header, WORKER_ASLEEP, 0);
      }
    }
    this.seen = Atomics.load(header, REQUEST_SEQ);
    if (this.header[REQUEST_LENGTH] !== BY_MESSAGE) {
      this.reader.pos = 0;
      return this.reader.value();
    }
    const next = receiveMessageOnPort(this.port);
    if (next === undefined)
      throw new ChannelError('call channel: a request was announced but not posted');
    return next.message;
  }

  /** Answers the request `next` returned and wakes the host. */
  reply(value: unknown): void {
    const length = put(this.writer, value);
    if (length === BY_MESSAGE) this.port.postMessage({ type: 'reply', value });
    this.header[REPLY_LENGTH] = length;
    Atomics.store(this.header, REPLY_SEQ, this.seen);
    if (Atomics.load(this.header, HOST_ASLEEP) !== 0) Atomics.notify(this.header, REPLY_SEQ);
  }

  /** Watches the request sequence for `spinMs`; true if it moved past `seen` meanwhile. */
  private watchFor(seen: number, spinMs: number): boolean {
    const until = performance.now() + spinMs;
    for (let spins = 1; ; spins += 1) {
      if (Atomics.load(this.header, REQUEST_SEQ) !== seen) return true;
      // The clock is read now and then: a read costs more than a look at the buffer.
      if ((spins & 63) === 0 && performance.now() >= until) return false;
    }
  }
}
