// marine deploy's progress bars: one line per peer, each redrawn in place (ANSI cursor up and
// line clear) as its steps finish.
import t from 'tap';
import { DeployProgressBars, barLine } from '../actions/deploy-progress.js';

t.test('a bar per peer, redrawn in place', (t) => {
  const writes: string[] = [];
  const bars = new DeployProgressBars({ write: (s) => writes.push(s) }, (peer) =>
    peer === 'peerA' ? 3 : 4,
  );
  bars.update({ peerId: 'peerA', step: 'module', name: 'm', cid: 'bafy', uploaded: true });
  t.equal(writes[0], `\r\x1b[2K${barLine('peerA', 1, 3, 'module m uploaded')}\n`, 'first bar');
  bars.update({ peerId: 'peerA', step: 'blueprint', id: 'bp' });
  bars.update({ peerId: 'peerB', step: 'module', name: 'm', cid: 'bafy', uploaded: false });
  bars.update({ peerId: 'peerA', step: 'service', serviceId: 's1' });
  const last = writes.at(-1) ?? '';
  t.ok(last.startsWith('\x1b[2A'), 'goes back up over both bars before redrawing');
  const lines = last.split('\n').filter(Boolean);
  t.equal(lines.length, 2, 'one line per peer');
  t.match(lines[0], /peerA \[#{20}\] 3\/3 service s1 created$/);
  t.match(lines[1], /peerB \[#{5}-{15}\] 1\/4 module m already there$/);
  t.end();
});

t.test('a long peer id is shortened; an extra step never overflows the bar', (t) => {
  const id = '12D3KooWJZMFDucu8jryiZd6oP4yLDf1NymaaMrgmJu6Efjq2E4c';
  t.equal(barLine(id, 6, 5, 'x'), `12D3KooW…jq2E4c [${'#'.repeat(20)}] 6/5 x`);
  t.end();
});
