// particle_send_interval_ms and particle_send_hold_ms: node.toml takes 0 (off) and whole numbers
// of ms, refuses the rest with the key's name; a node started without them uses the defaults.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  NODE_DEFAULTS,
  NodeConfigError,
  nodeConfigFromTable,
  resolveNodeConfig,
} from '../index.js';

t.test('node.toml: particle_send_interval_ms', async (t) => {
  t.same(nodeConfigFromTable({ particle_send_interval_ms: 0 }, 'node.toml'), {
    particleSendIntervalMs: 0,
  });
  t.same(nodeConfigFromTable({ particle_send_interval_ms: 50n }, 'node.toml'), {
    particleSendIntervalMs: 50,
  });
  for (const bad of [-1, 2.5, '20'])
    t.throws(
      () => nodeConfigFromTable({ particle_send_interval_ms: bad }, 'node.toml'),
      new NodeConfigError(
        `node.toml: 'particle_send_interval_ms' must be a whole number of ms (0 or more), found ${JSON.stringify(bad)}`,
      ),
    );
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.equal(resolveNodeConfig({ dataDir: dir }).particleSendIntervalMs, 20);
  t.equal(NODE_DEFAULTS.particleSendIntervalMs, 20);
});

t.test('node.toml: particle_send_hold_ms', async (t) => {
  t.same(nodeConfigFromTable({ particle_send_hold_ms: 0 }, 'node.toml'), {
    particleSendHoldMs: 0,
  });
  t.same(nodeConfigFromTable({ particle_send_hold_ms: 500n }, 'node.toml'), {
    particleSendHoldMs: 500,
  });
  for (const bad of [-5, 0.5, '200', true])
    t.throws(
      () => nodeConfigFromTable({ particle_send_hold_ms: bad }, 'node.toml'),
      new NodeConfigError(
        `node.toml: 'particle_send_hold_ms' must be a whole number of ms (0 or more), found ${JSON.stringify(bad)}`,
      ),
    );
  const dir = await mkdtemp(join(tmpdir(), 'marine-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.equal(resolveNodeConfig({ dataDir: dir }).particleSendHoldMs, 200);
  t.equal(resolveNodeConfig({ dataDir: dir, particleSendHoldMs: 0 }).particleSendHoldMs, 0);
});
