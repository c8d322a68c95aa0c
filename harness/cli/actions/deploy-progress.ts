// `marine deploy`'s progress on a terminal: one bar per peer, redrawn in place as steps finish
// (modules, blueprint, service, alias, removal of the previous deployment). Off a terminal the
// command prints one line per step instead, and nothing with --json.
import type { DeployProgress } from '../../node/index.js';

/** Where the bars are drawn: a TTY stream's write. */
export interface ProgressSink {
  write(text: string): unknown;
}

const WIDTH = 20;

/** What a step did, in a few words (the bar's caption). */
export function stepCaption(p: DeployProgress): string {
  switch (p.step) {
    case 'module':
      return `module ${p.name} ${p.uploaded ? 'uploaded' : 'already there'}`;
    case 'blueprint':
      return 'blueprint added';
    case 'service':
      return `service ${p.serviceId} created`;
    case 'alias':
      return `alias ${p.alias} set`;
    case 'removed':
      return `previous ${p.serviceId} removed`;
  }
}

/** One bar line: `<peer> [#####-----] 3/5 <caption>`. */
export function barLine(peerId: string, done: number, total: number, caption: string): string {
  const filled = total <= 0 ? WIDTH : Math.min(WIDTH, Math.round((WIDTH * done) / total));
  const peer = peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId;
  return `${peer} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total} ${caption}`;
}

/** Bars per peer, drawn with ANSI cursor moves so each peer keeps its own line. */
export class DeployProgressBars {
  readonly #rows: { peerId: string; done: number; caption: string }[] = [];
  #drawn = 0;

  constructor(
    private readonly sink: ProgressSink,
    /** Steps a peer's deploy takes (its last step may add one: the old deployment's removal). */
    private readonly stepsFor: (peerId: string) => number,
  ) {}

  /** Advances the peer's bar by one step and redraws every bar. */
  update(p: DeployProgress): void {
    let row = this.#rows.find((r) => r.peerId === p.peerId);
    if (row === undefined) {
      row = { peerId: p.peerId, done: 0, caption: '' };
      this.#rows.push(row);
    }
    row.done += 1;
    row.caption = stepCaption(p);
    this.#draw();
  }

  #draw(): void {
    // Back to the first bar, then each line cleared and rewritten.
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : '';
    for (const r of this.#rows) {
      const total = Math.max(this.stepsFor(r.peerId), r.done);
      out += `\r\x1b[2K${barLine(r.peerId, r.done, total, r.caption)}\n`;
    }
    this.#drawn = this.#rows.length;
    this.sink.write(out);
  }
}
