// A libp2p stream error that nobody can catch (a write from a microtask or event listener to a
// stream whose connection closed) must not end a process that runs a transport; an
// application's own uncaught error still does, as in plain Node. Each case runs in a child
// process, because the point is whether the process survives.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import t from 'tap';
import { loadLibp2p } from '../libp2p/load.js';
import { isLibp2pStreamError } from '../libp2p/stream-error-guard.js';

// What the test reaches inside libp2p's connection: its muxer and the stream under it.
interface MuxerInternals {
  readonly maConn: { close(): Promise<void> };
  createStream(): Promise<{ readonly status: string }>;
}

const root = resolve(import.meta.dirname, '../../..');
const fixture = join(root, 'harness/transports/test/fixtures/stray-write.ts');
const running = new Set<number>();
t.teardown(() => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function run(mode: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) running.add(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (child.pid !== undefined) running.delete(child.pid);
  return { code, out, err };
}

// Both children start at once: each spends most of its time loading libp2p.
const stray = run('stray');
const app = run('app');

t.test('a stray libp2p write survives while the transport runs, not after', async (t) => {
  const r = await stray;
  t.match(r.out, /alive after a stray write while running/, r.err);
  t.match(r.err, /libp2p: ignored an error on a closed stream \(StreamStateError/);
  // Once the transport stopped the guard is gone: Node's own behaviour is back.
  t.notMatch(r.out, /once stopped/);
  t.equal(r.code, 1);
  t.match(r.err, /Cannot write to a stream that is closed/);
});

t.test("an application's own uncaught error still ends the process", async (t) => {
  const r = await app;
  t.notMatch(r.out, /alive after an application error/);
  t.equal(r.code, 1);
  t.match(r.err, /Uncaught exception: TypeError: boom from the application/);
});

t.test('only libp2p errors thrown by libp2p code are excused', async (t) => {
  const own = new Error('closed');
  own.name = 'StreamStateError';
  own.stack = 'StreamStateError: closed\n    at mine (/app/src/index.js:1:1)';
  t.notOk(isLibp2pStreamError(own), 'same name, thrown by the application');
  const libp2p = new Error('Cannot write to a stream that is closed');
  libp2p.name = 'StreamStateError';
  libp2p.stack = `StreamStateError: x\n    at send (${root}/node_modules/@libp2p/utils/dist/src/abstract-message-stream.js:123:19)`;
  t.ok(isLibp2pStreamError(libp2p));
  t.notOk(isLibp2pStreamError(new TypeError('x')));
  t.notOk(isLibp2pStreamError('StreamStateError'));
});

t.test('a stream opened as its connection closes is aborted, not an uncaught error', async (t) => {
  // yamux opens a new stream's window from a microtask; closing the connection under it in the
  // same tick made that write throw where nobody could catch it (tap counts such a throw as a
  // failure of this test). loadLibp2p patches it: the stream is aborted instead.
  const lib = await loadLibp2p();
  const { createLibp2p } = await import('libp2p');
  const { tcp } = await import('@libp2p/tcp');
  const make = () =>
    createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [lib.noise()],
      streamMuxers: [lib.yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
    });
  const [a, b] = await Promise.all([make(), make()]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  for (let round = 0; round < 3; round++) {
    const connection = await a.dial(b.getMultiaddrs()[0]!);
    const muxer = (connection as unknown as { muxer: MuxerInternals }).muxer;
    void muxer.maConn.close().catch(() => undefined);
    const stream = await muxer.createStream();
    await new Promise((done) => setTimeout(done, 50));
    t.not(stream.status, 'open', `round ${round}: the stream did not stay open`);
  }
});
