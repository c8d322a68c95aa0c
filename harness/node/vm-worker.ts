// The worker side of WorkerAquaVM: one AquaVM, invoked on request. Runs in a worker thread so a
// long AIR run never blocks the host's event loop.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { AquaVM, type AquaVMOptions } from '../air/index.js';
import { fromCloneable, toCloneable, type InvokeRequest, type InvokeReply } from './vm-wire.js';

const vm = new AquaVM(workerData as AquaVMOptions);
const port = parentPort;
if (port === null) throw new Error('vm-worker runs in a worker thread');

port.on('message', (request: InvokeRequest) => {
  let reply: InvokeReply;
  // This thread's own heap: its growth over a run is the run's memory delta (anomalies).
  const heapBefore = getHeapStatistics().used_heap_size;
  try {
    const outcome = vm.invoke(
      request.air,
      request.prevData,
      request.currentData,
      request.params,
      fromCloneable(request.callResults) as Map<number, { retCode: number; result: unknown }>,
    );
    reply = {
      id: request.id,
      outcome: toCloneable(outcome) as typeof outcome,
      heapDelta: getHeapStatistics().used_heap_size - heapBefore,
    };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
