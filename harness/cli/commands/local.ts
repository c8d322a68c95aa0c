import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseCount } from '../numbers.js';

/** One node of a local network, as the state file records it. */
export interface LocalNode {
  readonly index: number;
  readonly pid: number;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly httpPort?: number;
  readonly dataDir: string;
  readonly log: string;
}

/** The state file of `marine local`: which processes make the network. */
export interface LocalState {
  readonly dir: string;
  readonly startedAt: string;
  readonly nodes: readonly LocalNode[];
}

/** Where `marine local` keeps its nodes unless told. */
export const DEFAULT_LOCAL_DIR = '.marine-local';

const stateFile = (dir: string): string => join(dir, 'state.json');

const HELP_UP = `
Starts N nodes on 127.0.0.1 as separate, detached processes (marine node --json), each with its
data dir under --dir (node-0, node-1, …) and its log beside it; node i > 0 bootstraps from node 0.
Records their pids and multiaddrs in <dir>/state.json; marine local status and down read it.

Examples:
  $ marine local up --peers 3 --dir /tmp/marine-local-example --json && marine local status --dir /tmp/marine-local-example; marine local down --dir /tmp/marine-local-example`;

/** Whether a process with this pid is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the state file, or says there is no network there. */
export async function readLocalState(dir: string): Promise<LocalState> {
  const path = stateFile(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(
      `no local network in ${dir} (expected ${path}; start one with marine local up)`,
    );
  }
  return JSON.parse(text) as LocalState;
}

// Starts one node process, detached, and waits for its ready line in its log.
async function startNodeProcess(
  dir: string,
  index: number,
  bootstrap: string | undefined,
  timeoutMs: number,
  extraArgs: readonly string[] = [],
): Promise<LocalNode> {
  const dataDir = join(dir, `node-${index}`);
  const log = join(dir, `node-${index}.log`);
  const out = openSync(log, 'w');
  const script = process.argv[1]!;
  const args = [script, 'node', '--data-dir', dataDir, '--json', '--http-port', '0'];
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap);
  args.push(...extraArgs);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`node ${index}: the process did not start`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const line = text.split('\n').find((l) => l.startsWith('{"event":"ready"'));
    if (line !== undefined) {
      const ready = JSON.parse(line) as { peerId: string; multiaddrs: string[]; httpPort?: number };
      return {
        index,
        pid,
        peerId: ready.peerId,
        multiaddrs: ready.multiaddrs,
        ...(ready.httpPort === undefined ? {} : { httpPort: ready.httpPort }),
        dataDir,
        log,
      };
    }
    if (!alive(pid)) {
      throw new Error(`node ${index} exited before it was ready; its log (${log}):\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.kill(pid, 'SIGKILL');
  throw new Error(`node ${index} was not ready after ${timeoutMs} ms (log: ${log})`);
}

/** Stops exactly the recorded pids: SIGTERM, then SIGKILL for any still alive after `graceMs`. */
export async function stopLocalNodes(nodes: readonly LocalNode[], graceMs = 10_000): Promise<void> {
  for (const n of nodes) if (alive(n.pid)) process.kill(n.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (nodes.some((n) => alive(n.pid)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const n of nodes) if (alive(n.pid)) process.kill(n.pid, 'SIGKILL');
}

/** Adds `marine local` (up, status, down). */
export function register(program: Command): void {
  const local = program
    .command('local')
    .description('run a network of nodes on this machine (separate processes on 127.0.0.1)');
  local
    .command('up')
    .description('start N nodes; node i > 0 bootstraps from node 0')
    .option('--peers <n>', 'how many nodes', '3')
    .option('--dir <dir>', 'where the nodes keep data, logs and state.json', DEFAULT_LOCAL_DIR)
    .option('--timeout <ms>', 'how long to wait for each node to be ready', '60000')
    .option('--json', 'print the state as JSON')
    .option(
      '--management-peer <peer id>',
      'a peer allowed to deploy on every node (repeatable)',
      (value: string, list: string[] = []) => [...list, value],
    )
    .option('--open', 'let any peer deploy on the nodes')
    .addHelpText('after', HELP_UP)
    .action(
      async (options: {
        peers: string;
        dir: string;
        timeout: string;
        json?: boolean;
        managementPeer?: string[];
        open?: boolean;
      }) => {
        const extra = [
          ...(options.managementPeer ?? []).flatMap((p) => ['--management-peer', p]),
          ...(options.open ? ['--open'] : []),
        ];
        const dir = resolve(options.dir);
        const peers = parseCount(options.peers, '--peers', 1, 64);
        const timeout = parseCount(options.timeout, '--timeout', 1000, 600_000);
        if (existsSync(stateFile(dir))) {
          const old = await readLocalState(dir);
          if (old.nodes.some((n) => alive(n.pid))) {
            throw new Error(
              `a local network is already running in ${dir} (marine local down --dir ${options.dir})`,
            );
          }
        }
        await mkdir(dir, { recursive: true });
        const nodes: LocalNode[] = [];
        try {
          const first = await startNodeProcess(dir, 0, undefined, timeout, extra);
          nodes.push(first);
          const bootstrap = first.multiaddrs.find((a) => !a.includes('/ws')) ?? first.multiaddrs[0];
          const rest = await Promise.allSettled(
            Array.from({ length: peers - 1 }, (_, i) =>
              startNodeProcess(dir, i + 1, bootstrap, timeout, extra),
            ),
          );
          for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value);
          const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        } catch (error) {
          await stopLocalNodes(nodes);
          throw error;
        }
        const state: LocalState = { dir, startedAt: new Date().toISOString(), nodes };
        await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
        if (options.json) process.stdout.write(`${JSON.stringify(state)}\n`);
        else {
          for (const n of nodes)
            process.stdout.write(
              `node ${n.index} (pid ${n.pid}) ${n.peerId}\n  ${n.multiaddrs.join('\n  ')}\n`,
            );
        }
      },
    );
  local
    .command('status')
    .description('which recorded nodes are alive and healthy')
    .option('--dir <dir>', 'the network folder', DEFAULT_LOCAL_DIR)
    .option('--json', "print the state with each node's status as JSON")
    .action(async (options: { dir: string; json?: boolean }) => {
      const state = await readLocalState(resolve(options.dir));
      const nodes = await Promise.all(
        state.nodes.map(async (n) => {
          const running = alive(n.pid);
          let healthy = false;
          if (running && n.httpPort !== undefined) {
            healthy = await fetch(`http://127.0.0.1:${n.httpPort}/health`, {
              signal: AbortSignal.timeout(3000),
            })
              .then((r) => r.ok)
              .catch(() => false);
          }
          return { ...n, running, healthy };
        }),
      );
      if (options.json) process.stdout.write(`${JSON.stringify({ ...state, nodes })}\n`);
      else {
        for (const n of nodes) {
          process.stdout.write(
            `node ${n.index} pid ${n.pid} ${n.running ? (n.healthy ? 'running, healthy' : 'running, not answering /health') : 'not running'} ${n.peerId}\n`,
          );
        }
      }
      if (nodes.some((n) => !n.running || !n.healthy)) process.exitCode = 1;
    });
  local
    .command('down')
    .description('stop exactly the recorded node processes')
    .option('--dir <dir>', 'the network folder', DEFAULT_LOCAL_DIR)
    .option('--clean', "also remove the nodes' data dirs and logs")
    .action(async (options: { dir: string; clean?: boolean }) => {
      const dir = resolve(options.dir);
      const state = await readLocalState(dir);
      await stopLocalNodes(state.nodes);
      await rm(stateFile(dir), { force: true });
      if (options.clean) {
        for (const n of state.nodes) {
          await rm(n.dataDir, { recursive: true, force: true });
          await rm(n.log, { force: true });
        }
      }
      process.stdout.write(`stopped ${state.nodes.length} node(s)\n`);
    });
}
