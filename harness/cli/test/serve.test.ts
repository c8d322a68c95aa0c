// `marine serve`, the host side of #[marine_test]: one service answering JSON-line calls, in
// order, with errors as answers (the process stays up) and a claimed identity taken as given.
import t, { type Test } from 'tap';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../../..');

/** Starts `marine serve` on a config; `ask` sends one line and resolves to the parsed answer. */
function serve(t: Test, config: string) {
  const child = execa('node', ['bin/marine.js', 'serve', '--config', config], {
    cwd: root,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
  });
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  });
  const stdout = child.stdout;
  if (stdout === null || child.stdin === null) throw new Error('serve: no pipes');
  const lines = createInterface({ input: stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('serve closed its stdout');
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ask = (request: unknown): Promise<Record<string, unknown>> => {
    child.stdin?.write(`${JSON.stringify(request)}\n`);
    return next();
  };
  return { child, next, ask };
}

t.test('serve answers calls, errors and call parameters line by line', async (t) => {
  const { child, next, ask } = serve(t, 'fixtures/configs/examples/call-params/Config.toml');
  const ready = await next();
  t.equal(ready['ready'], true, 'says when the service is loaded');
  t.type(ready['service_id'], 'string');
  t.same(await ask({ id: 1, function: 'init_peer_id', args: [] }), { id: 1, result: '' });
  const missing = await ask({ id: 2, function: 'nope', args: [] });
  t.equal(missing['id'], 2);
  t.match(missing['error'], { name: 'NoSuchFunctionError', message: /no function "nope"/ });
  const bad = await ask({ id: 3, args: [] });
  t.match(bad['error'], { name: 'ServeRequestError', message: /expected "function": a string/ });
  // Marine's test runtime takes whole call parameters: a claimed identity becomes the service's,
  // empty fields and empty tetraplets (Rust's Default) claim nothing.
  const cp = {
    particle: { id: 'p-1', init_peer_id: 'peer-1' },
    service_id: 'svc-7',
    service_creator_peer_id: 'owner-1',
    host_id: '',
    worker_id: '',
    tetraplets: [],
  };
  const seen = await ask({
    id: 4,
    module: 'call_params',
    function: 'call_parameters',
    args: [],
    call_parameters: cp,
  });
  t.match(seen['result'], {
    particle: { id: 'p-1', init_peer_id: 'peer-1' },
    service_id: 'svc-7',
    service_creator_peer_id: 'owner-1',
    host_id: 'local',
  });
  child.stdin?.end();
  const done = await child;
  t.equal(done.exitCode, 0, 'ends when stdin closes');
});

t.test('serve says why a service does not load, and exits 1', async (t) => {
  const { child, next } = serve(t, 'fixtures/configs/examples/nope/Config.toml');
  const answer = await next();
  t.equal(answer['ready'], false);
  t.match(answer['error'], { message: /nope/ });
  t.equal((await child).exitCode, 1);
});
