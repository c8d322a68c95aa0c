// The node's counters in Prometheus' text format, served with /health by plain node:http (off
// unless --http-port is given), as Nox serves /metrics and /health.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Upper bounds (seconds) of the run-time histograms' buckets.
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

class Histogram {
  readonly counts = BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count += 1;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.counts[i]! += 1;
    });
  }

  lines(name: string): string[] {
    return [
      ...BUCKETS.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** Everything a node counts. */
export class NodeMetrics {
  particlesReceived = 0;
  particlesSent = 0;
  readonly dropped = new Map<string, number>();
  readonly vmRunSeconds = new Histogram();
  readonly serviceCallSeconds = new Histogram();
  anomalies = 0;
  /** Read when rendered: the open connections now. */
  connections: () => number = () => 0;
  readonly startedAt = Date.now();

  /** Counts a dropped particle under a short reason label. */
  drop(reason: string): void {
    const label = dropLabel(reason);
    this.dropped.set(label, (this.dropped.get(label) ?? 0) + 1);
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const lines = [
      '# HELP marine_particles_received_total Particles accepted from the network.',
      '# TYPE marine_particles_received_total counter',
      `marine_particles_received_total ${this.particlesReceived}`,
      '# HELP marine_particles_sent_total Particles handed to the network for another peer.',
      '# TYPE marine_particles_sent_total counter',
      `marine_particles_sent_total ${this.particlesSent}`,
      '# HELP marine_particles_dropped_total Particles dropped, by reason.',
      '# TYPE marine_particles_dropped_total counter',
      ...[...this.dropped].map(([r, n]) => `marine_particles_dropped_total{reason="${r}"} ${n}`),
      '# HELP marine_vm_run_seconds Time of one AIR VM run.',
      '# TYPE marine_vm_run_seconds histogram',
      ...this.vmRunSeconds.lines('marine_vm_run_seconds'),
      '# HELP marine_service_call_seconds Time of one service call.',
      '# TYPE marine_service_call_seconds histogram',
      ...this.serviceCallSeconds.lines('marine_service_call_seconds'),
      '# HELP marine_anomalies_total Anomaly records saved.',
      '# TYPE marine_anomalies_total counter',
      `marine_anomalies_total ${this.anomalies}`,
      '# HELP marine_connections Open connections.',
      '# TYPE marine_connections gauge',
      `marine_connections ${this.connections()}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

/** A stable, low-cardinality label for a drop reason (the full text goes to the log). */
export function dropLabel(reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes('expired')) return 'expired';
  if (r.includes('signature')) return 'bad_signature';
  if (r.includes('deadline')) return 'vm_deadline';
  if (r.startsWith('vm failed') || r.includes('vm worker')) return 'vm_error';
  if (r.includes('no address') || r.includes('not found') || r.includes('dial'))
    return 'unreachable';
  if (r.includes('too large') || r.includes('cap')) return 'too_large';
  if (r.includes('store')) return 'storage';
  if (r.includes('ended') || r.includes('abort')) return 'aborted';
  return 'other';
}

/** Serves /health and /metrics on 127.0.0.1 (port 0: a free one); resolves with the server and its port. */
export async function serveMetrics(
  metrics: NodeMetrics,
  port: number,
  health: () => Record<string, unknown>,
  host = '127.0.0.1',
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ status: 'ok', ...health() })}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not found: ${path} (this node serves /health and /metrics)\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
