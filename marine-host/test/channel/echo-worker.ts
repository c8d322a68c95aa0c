// A worker thread for channel.test.ts: answers every request of its call channel with the
// request itself, watching for the next one as a service worker does, until it gets `null`.
import { workerData, type MessagePort } from 'node:worker_threads';
import { WORKER_SPIN_MS, WorkerChannel } from '../../service/channel.js';

const data = workerData as { buffer: SharedArrayBuffer; port: MessagePort };
const channel = new WorkerChannel(data.buffer, data.port);
for (;;) {
  const request = channel.next(WORKER_SPIN_MS);
  channel.reply(request);
  if (request === null) break;
}
