/**
 * `smelu worker --queue redis://HOST:PORT/DB`: trains the queue's replica jobs on this machine's
 * cores. Training runs on the lab's worker-thread pool, so the event loop stays free to renew job
 * locks: a killed worker's jobs go back to the queue after the lock expires (BullMQ's stalled-job
 * check), a live one never loses its job to a long training run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job as QueueJob, Worker } from 'bullmq';
import { encodeResult, type ReplicaResult, type StoredResult } from './cache';
import type { CheckpointJob } from './jobs';
import { WorkerPool } from './pool';
import { connectionOf, loadBullmq, QUEUE_NAME, QueueUnavailableError, type QueuePayload } from './queue';
import { DataMismatchError, localData } from './queue-data';
import { workerFile } from '../worker-file';
import { runCommand, UsageError, type CommandSpec, type ParsedArgs } from '../cli-args';
import { verifiedCheckpoint } from './runner';

export const WORKER_USAGE = `usage: smelu worker --queue redis://HOST:PORT/DB [options]
  trains the replica jobs of queued sweeps (smelu repro --queue ...) until stopped (Ctrl-C)
  --threads N     jobs trained at once, one core each (default: the available cores)
  --dir DIR       downloaded data and warm-start checkpoints (default: <tmp>/smelu-worker)
  --lock-ms MS    job lock; a killed worker's job is retried after about this long (default 30000)
  --once          exit when the queue has no job left (default: wait for more)`;

const WORKER: CommandSpec = {
  name: 'smelu worker',
  usage: WORKER_USAGE,
  options: { queue: { type: 'string' }, threads: { type: 'string' }, dir: { type: 'string' }, 'lock-ms': { type: 'string' }, once: { type: 'boolean' } },
};

export interface WorkerOptions {
  url: string;
  threads: number;
  dir: string;
  lockMs: number;
  once: boolean;
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer, got '${v}'`);
  return n;
}

/**
 * Checks the options of `smelu worker`, as lib/cli-args.ts parsed them.
 * @param values the parsed option values.
 * @returns the worker's options.
 * @throws UsageError naming the option when one is missing or bad.
 */
export function workerOptions(values: ParsedArgs['values']): WorkerOptions {
  const str = (k: string): string | undefined => (values[k] === undefined ? undefined : String(values[k]));
  const url = str('queue');
  if (!url) throw new UsageError('--queue: required (redis://HOST:PORT/DB)');
  try {
    connectionOf(url);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    url,
    threads: positiveInt('threads', str('threads'), Math.max(1, os.availableParallelism())),
    dir: path.resolve(str('dir') ?? path.join(os.tmpdir(), 'smelu-worker')),
    lockMs: positiveInt('lock-ms', str('lock-ms'), 30_000),
    once: values.once === true,
  };
}

/** Trains one queued replica: data checked, checkpoint made if needed, then the pool. */
class Trainer {
  private readonly checkpoints = new Map<string, Promise<string>>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly dir: string,
  ) {}

  async train(p: QueuePayload): Promise<StoredResult> {
    const data = await localData(p.job.data, p.data, path.join(this.dir, 'data'));
    const checkpoint = p.checkpoint && p.job.checkpoint ? { ...p.job.checkpoint, path: await this.checkpoint({ ...p.checkpoint, data }) } : null;
    const r = await this.pool.run<ReplicaResult>({ ...p.job, data, checkpoint });
    return encodeResult(r);
  }

  /** The warm-start checkpoint in this worker's directory, trained once per worker (deterministic). */
  private checkpoint(job: CheckpointJob): Promise<string> {
    let c = this.checkpoints.get(job.key);
    if (!c) {
      const file = path.join(this.dir, 'checkpoints', `${job.key}.ckpt`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      c = verifiedCheckpoint(file) ? Promise.resolve(file) : this.pool.run<string>({ ...job, path: file });
      c.catch(() => this.checkpoints.delete(job.key));
      this.checkpoints.set(job.key, c);
    }
    return c;
  }
}

/** Runs until SIGINT/SIGTERM (or, with `once`, until the queue is drained); one line per started and per finished job on stdout. */
export async function runQueueWorker(o: WorkerOptions): Promise<void> {
  const { Worker, UnrecoverableError } = loadBullmq();
  const pool = new WorkerPool(workerFile(__dirname, 'worker'), o.threads);
  const trainer = new Trainer(pool, o.dir);
  const trainJob = async (job: QueueJob<QueuePayload>): Promise<StoredResult> => {
    try {
      return await trainer.train(job.data);
    } catch (e) {
      // Other data stay other data: no point in the remaining attempts.
      throw e instanceof DataMismatchError ? new UnrecoverableError(e.message) : e;
    }
  };
  const worker: Worker = new Worker(QUEUE_NAME, trainJob, {
    connection: connectionOf(o.url),
    concurrency: o.threads,
    lockDuration: o.lockMs,
    stalledInterval: Math.max(500, Math.round(o.lockMs / 2)),
    maxStalledCount: 5,
  });
  worker.on('active', (j) => process.stdout.write(`start ${j.id}\n`));
  worker.on('completed', (j) => process.stdout.write(`done ${j.id} ${j.data.job.label} ${j.data.job.source} #${j.data.job.replica}\n`));
  worker.on('failed', (j, e) => process.stderr.write(`failed ${j?.id} (attempt ${j?.attemptsMade}): ${e.message}\n`));
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) process.stderr.write(`worker: ${e.message}\n`);
    lastError = e.message;
  });
  const stop = new Promise<void>((resolve) => {
    let stopping = false;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.on(sig, () => {
        // A second signal does not wait for the running jobs (they go back to the queue).
        if (stopping) process.exit(130);
        stopping = true;
        resolve();
      });
    }
    if (o.once) worker.on('drained', () => resolve());
  });
  process.stderr.write(`worker: ${o.threads} thread(s) on ${QUEUE_NAME} at ${o.url}\n`);
  await stop;
  // Finishes the running jobs; with Redis unreachable that could wait forever, hence the bound.
  const closed = await Promise.race([worker.close().then(() => true), new Promise<boolean>((r) => setTimeout(r, CLOSE_MS, false).unref())]);
  if (!closed) process.stderr.write(`worker: Redis unreachable for ${CLOSE_MS / 1000} s while stopping; running jobs go back to the queue\n`);
  await pool.close();
}

/** How long a stopping worker waits to hand in its running jobs. */
const CLOSE_MS = 10_000;

/** The `smelu worker` command; resolves to the exit code (a finished worker exits the process). */
export function workerCommand(args: string[]): Promise<number> {
  return runCommand(WORKER, args, async ({ values }) => {
    const o = workerOptions(values);
    try {
      await runQueueWorker(o);
      // The Redis client's reconnection timers would keep a stopped worker alive.
      process.exit(0);
    } catch (e) {
      if (e instanceof QueueUnavailableError) {
        process.stderr.write(`smelu worker: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  });
}
