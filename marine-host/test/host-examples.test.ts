import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadService } from '../service/index.js';

// The example services of services-rs, built by `marine build services-rs/examples` (scripts/test.sh
// does that before the tests), run through the host.
const root = resolve(import.meta.dirname, '../..');
const artifacts = join(root, 'services-rs/artifacts');
const built = [
  'greeting',
  'records',
  'call_params',
  'local_storage',
  'curl_adapter',
  'url_downloader',
].every((m) => existsSync(join(artifacts, `${m}.wasm`)));
const config = (name: string) => join(root, 'fixtures/configs/examples', name, 'Config.toml');

t.test(
  'example services through the host',
  { skip: built ? false : 'example artifacts missing: run `marine build services-rs/examples`' },
  async (t) => {
    t.test('greeting', async (t) => {
      const svc = await loadService(config('greeting'));
      t.teardown(() => svc.close());
      t.equal(await svc.call('greeting', ['world']), 'Hi, world');
    });

    t.test('records: every supported type round-trips exactly', async (t) => {
      const svc = await loadService(config('records'));
      t.teardown(() => svc.close());
      t.equal(await svc.call('echo_u64', ['18446744073709551615']), 18446744073709551615n);
      t.equal(await svc.call('echo_i64', [-9223372036854775808n]), -9223372036854775808n);
      const numbers = {
        flag: true,
        val_u8: 255,
        val_u16: 65535,
        val_u32: 4294967295,
        val_u64: 12345678901234567890n,
        val_i8: -128,
        val_i16: -2,
        val_i32: -3,
        val_i64: -4,
        val_f32: 1.5,
        val_f64: 2.25,
        text: 'tëxt',
      };
      const nested = {
        name: 'n',
        numbers,
        children: [numbers],
        matrix: [[1, 2], [3]],
        maybe: [numbers],
        tags: [['a'], []],
      };
      t.same(await svc.call('echo_nested', [nested]), nested);
      t.same(await svc.call('echo_option_u64', [[]]), []);
      t.same(await svc.call('echo_bytes', [[0, 1, 255]]), [0, 1, 255]);
    });

    t.test('call parameters reach the facade', async (t) => {
      // The host id is the service's identity, given at load, not something a call may set.
      const svc = await loadService(config('call-params'), { owner: 'owner', hostId: 'H' });
      t.teardown(() => svc.close());
      const cp = await svc.call('call_parameters', [], {
        particle: { id: 'P', init_peer_id: 'I', timestamp: 1700000000000, ttl: 7000 },
      });
      t.match(cp, {
        particle: { id: 'P', init_peer_id: 'I', timestamp: 1700000000000, ttl: 7000 },
        host_id: 'H',
        service_creator_peer_id: 'owner',
        service_id: svc.serviceId,
      });
      const tp = { peer_pk: 'p', service_id: 's', function_name: 'f', lens: '.$.a' };
      t.same(await svc.call('tetraplets', ['x', 1], { tetraplets: [[tp], []] }), [[tp], []]);
    });

    t.test(
      'url-downloader fetches a page from 127.0.0.1 with curl and stores it in its mapped dir',
      async (t) => {
        const server = createServer((req, res) => res.end(`<html>page ${req.url ?? ''}</html>`));
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        t.teardown(() => server.close());
        const port = (server.address() as AddressInfo).port;
        const dir = t.testdir({});
        const file = join(dir, 'Config.toml');
        // The example's own Config.toml, with modules_dir made absolute so its mapped dir lands in dir.
        const original = readFileSync(
          join(root, 'services-rs/examples/url-downloader/Config.toml'),
          'utf8',
        );
        writeFileSync(
          file,
          original.replace(/modules_dir = ".*"/, `modules_dir = ${JSON.stringify(artifacts)}`),
        );
        const svc = await loadService(file);
        t.teardown(() => svc.close());
        t.equal(await svc.call('get_n_save', [`http://127.0.0.1:${port}/a`, 'a.html']), 'OK');
        t.equal(readFileSync(join(dir, 'sites/a.html'), 'utf8'), '<html>page /a</html>');
        t.equal(await svc.call('load', ['a.html']), '<html>page /a</html>');
        t.ok(
          svc
            .logs()
            .some((r) => r.module === 'curl_adapter' && r.text.includes(`127.0.0.1:${port}/a`)),
        );
      },
    );
  },
);
