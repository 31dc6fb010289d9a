/**
 * Worker thread of the runner's pool: trains one job at a time and posts its result back. Loaded
 * from dist/ (see ../worker-file.ts). The native kernels get one thread here: the pool already has one
 * worker per core, and more threads would only fight over the same cores.
 */
import { parentPort } from 'node:worker_threads';
import { setThreads } from '../runtime';
import type { Job } from './jobs';
import type { WorkerReply } from './pool';
import { runJob } from './train';

setThreads(1);

parentPort!.on('message', async (msg: { id: number; job: Job }) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = await runJob(msg.job);
    if (result && typeof result === 'object') {
      for (const p of [result.predictions, ...(result.curve?.predictions ?? [])]) transfer.push(p.buffer as ArrayBuffer);
    }
    reply = { id: msg.id, ok: true, result };
  } catch (e) {
    reply = { id: msg.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
