// The client in a real browser: a node started here (a relay Peer with builtins, the greeting
// example as a Marine service, libp2p over WebSocket on 127.0.0.1), the example page bundled
// with esbuild for browsers and served over HTTP, Debian's chromium driven headless by
// puppeteer-core. The page connects, calls the service, and the test reads its result and saves
// a screenshot.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join, resolve, extname } from 'node:path';
import t from 'tap';
import { webSockets } from '@libp2p/websockets';
import puppeteer from 'puppeteer-core';
import { loadService } from '../../../marine-host/index.js';
import { AquaVM } from '../../air/index.js';
import { registerBuiltins } from '../../builtins/index.js';
import { marineService } from '../../node/index.js';
import { Peer, ServiceRegistry } from '../../peer/index.js';
import { KeyPair } from '../../protocol/index.js';
import { Libp2pTransport } from '../../transports/index.js';
import { bundleBrowserExample } from '../../../examples/browser/bundle.js';

const root = resolve(import.meta.dirname, '../../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const greetingConfig = join(root, 'fixtures/configs/examples/greeting/Config.toml');
const skip = !existsSync(CHROMIUM)
  ? `no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`
  : !existsSync(join(root, 'services-rs/artifacts/greeting.wasm'))
    ? 'example artifacts missing: run `marine build services-rs/examples`'
    : false;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

interface PageResult {
  ok: boolean;
  value?: unknown;
  error?: string;
  peerId?: string;
  states: string[];
  timeToFirstResultMs?: number;
  trace: string[];
}

t.test(
  'the example page connects to a node over WebSocket and calls its service',
  { skip },
  async (t) => {
    // The node.
    const keyPair = KeyPair.random();
    const transport = new Libp2pTransport({
      keyPair,
      transports: [webSockets()],
      listen: ['/ip4/127.0.0.1/tcp/0/ws'],
    });
    await transport.start();
    t.teardown(() => transport.stop());
    const services = new ServiceRegistry();
    registerBuiltins(services);
    const greeting = await loadService(greetingConfig);
    t.teardown(() => greeting.close());
    services.register('greeting', marineService('greeting', greeting));
    const node = new Peer({ keyPair, vm: new AquaVM(), transport, services });
    node.start();
    t.teardown(() => node.stop());
    const relay = transport.multiaddrs().find((a) => a.includes('/ws/'));
    if (!relay) throw new Error('the node listens on no WebSocket address');

    // The page, bundled and served.
    const outDir = join(root, 'bench/out/browser');
    const bundle = await bundleBrowserExample(outDir);
    t.ok(bundle.bundleBytes > 0, `bundle.js: ${bundle.bundleBytes} bytes`);
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      const file = join(outDir, path === '/' ? 'index.html' : path.slice(1));
      readFile(file).then(
        (body) => {
          response.writeHead(200, {
            'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          });
          response.end(body);
        },
        () => {
          response.writeHead(404);
          response.end();
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(
      () =>
        new Promise<void>((r) => {
          // The browser's keep-alive connections would hold close() open.
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const port = (server.address() as { port: number }).port;

    // The browser.
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`page error: ${String(e)}`));
    const url = `http://127.0.0.1:${port}/?relay=${encodeURIComponent(relay)}&name=Chromium`;
    await page.goto(url);
    await page.waitForFunction(
      () => (globalThis as { marineResult?: unknown }).marineResult !== undefined,
      {
        timeout: 60_000,
      },
    );
    const result = (await page.evaluate(
      () => (globalThis as { marineResult?: unknown }).marineResult,
    )) as PageResult;
    await mkdir(outDir, { recursive: true });
    const screenshot = join(outDir, 'screenshot.png');
    await page.screenshot({ path: screenshot as `${string}.png` });
    t.ok(existsSync(screenshot), `screenshot saved: ${screenshot}`);
    t.equal(result.error, undefined, `console: ${consoleLines.join('\n')}`);
    t.equal(result.ok, true);
    t.equal(result.value, 'Hi, Chromium');
    t.equal(result.states.at(-1), 'connected');
    t.match(result.peerId, /^12D3KooW/);
    t.ok(
      result.trace.some((line) => line.startsWith('sent: to ' + node.peerId)),
      'the page traced its particle',
    );
    t.equal(await page.$eval('#status', (e) => e.textContent), 'connected');
    t.comment(`time to first result in the page: ${result.timeToFirstResultMs} ms`);
  },
);
