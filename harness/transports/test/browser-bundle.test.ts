// harness/transports must bundle for browsers (the client's bundle includes it): no Node built-in
// anywhere in the output, and js-libp2p in chunks of its own, loaded on the first start().
import t from 'tap';
import { build } from 'esbuild';

t.test('the transports area bundles for browsers, with libp2p split out', async (t) => {
  const result = await build({
    entryPoints: ['harness/transports/index.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir: 'out',
    write: false,
    logLevel: 'silent',
  });
  t.same(result.errors, []);
  const files = result.outputFiles;
  t.ok(files.length > 1, `${files.length} chunks`);
  for (const f of files) {
    t.notMatch(f.text, /from\s*["']node:|require\(["']node:/, `${f.path} imports no node: module`);
  }
  const entry = files.find((f) => f.path.endsWith('/out/index.js'));
  if (!entry) throw new Error('expected an index.js chunk');
  const noise = 'Noise_XX_25519_ChaChaPoly_SHA256';
  t.notOk(entry.text.includes(noise), 'the entry chunk holds no libp2p (noise) code');
  t.ok(
    files.some((f) => f.text.includes(noise)),
    'noise is in a lazily loaded chunk',
  );
  t.comment(
    `entry chunk ${(entry.contents.length / 1024).toFixed(0)} KiB, all chunks ${(files.reduce((n, f) => n + f.contents.length, 0) / 1024).toFixed(0)} KiB`,
  );
});
