/**
 * Sweeps on a BullMQ queue (Redis): the submitter side. Every replica that is not in the sweep's
 * cache becomes one job whose id is the replica's cache key, so enqueuing twice never duplicates
 * work, and rerunning an interrupted sweep finds its jobs (waiting, running, finished or failed)
 * where it left them. Workers (`smelu worker`, ./queue-worker.ts) train the jobs and return the
 * results; they land in the cache exactly as a local run's.
 *
 * bullmq and ioredis are optional peer dependencies (not installed by default), loaded only here.
 */
import type { ConnectionOptions, Job as QueueJob, Queue } from 'bullmq';
import { decodeResult, type ReplicaResult } from './cache';
import type { DataConfig, QueueOptions } from './config';
import type { CheckpointJob, Job, ReplicaJob } from './jobs';
import { describeData, type DataSource } from './queue-data';
import type { Dispatcher } from './runner';

/** The queue every sweep and worker shares (job ids are content hashes, so sweeps never collide). */
export const QUEUE_NAME = 'smelu-repro';

/** What a queued job carries: the replica, the checkpoint it continues from, and its data's promise. */
export interface QueuePayload {
  job: ReplicaJob;
  /** Warm start: the checkpoint job, trained by the worker itself when it has no copy (it is deterministic). */
  checkpoint: CheckpointJob | null;
  data: DataSource;
}

type Bullmq = typeof import('bullmq');

/** bullmq, or one clear line when it (or ioredis) is not installed. */
export function loadBullmq(): Bullmq {
  try {
    require.resolve('ioredis');
    return require('bullmq') as Bullmq;
  } catch {
    throw new QueueUnavailableError("queue mode needs the optional packages bullmq and ioredis: npm install bullmq ioredis");
  }
}

export class QueueUnavailableError extends Error {}

/**
 * ioredis options for `redis://[:password@]host:port/db`. Commands wait for a reconnection instead of
 * failing (maxRetriesPerRequest null), and reconnection is retried forever with a capped delay, so
 * a Redis restart only pauses a sweep.
 * @throws RangeError when the URL is not redis:// or rediss://.
 */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`--queue: expected redis://HOST:PORT/DB, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RangeError(`--queue: expected redis://HOST:PORT/DB, got '${url}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`--queue: the database must be a number, got '${u.pathname.slice(1)}'`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}


interface Pending {
  job: ReplicaJob;
  payload: QueuePayload;
  resolve(r: ReplicaResult): void;
  reject(e: Error): void;
}

/** A replica that failed all its attempts. */
export interface FailedReplica {
  key: string;
  label: string;
  error: string;
}

/** The error a sweep ends with when replicas failed: every one named, with its last error. */
export class ReplicasFailedError extends Error {
  constructor(readonly failed: FailedReplica[]) {
    super(`${failed.length} replica(s) failed all their attempts (rerun the same command to retry them):\n${failed.map((f) => `  ${f.label} [${f.key}]: ${f.error}`).join('\n')}`);
  }
}

/**
 * The runner's dispatcher in queue mode. Jobs are watched by polling their state, which survives a
 * Redis restart (events sent while the connection was down are not replayed); a job that vanished
 * (Redis restarted without persistence) is enqueued again.
 */
export class QueueDispatcher implements Dispatcher {
  private readonly queue: Queue;
  private readonly pending = new Map<string, Pending>();
  private readonly checkpoints = new Map<string, CheckpointJob>();
  private readonly sources = new Map<string, Promise<DataSource>>();
  private readonly failed: FailedReplica[] = [];
  private readonly waitingForFailures: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private lastError = '';

  constructor(private readonly opts: QueueOptions) {
    const { Queue } = loadBullmq();
    this.queue = new Queue(QUEUE_NAME, { connection: connectionOf(opts.url) });
    this.queue.on('error', (e) => this.warn(e));
  }

  async run<T>(job: Job): Promise<T> {
    if (job.type === 'checkpoint') {
      // Workers train the checkpoint themselves (same bits anywhere): remember it for its replicas.
      this.checkpoints.set(job.key, job);
      return job.path as T;
    }
    const payload: QueuePayload = {
      job,
      checkpoint: job.checkpoint ? this.checkpoints.get(job.checkpoint.key) ?? null : null,
      data: await this.source(job.data),
    };
    const result = new Promise<ReplicaResult>((resolve, reject) => this.pending.set(job.key, { job, payload, resolve, reject }));
    await this.submit(job.key, payload);
    this.timer ??= setInterval(() => void this.poll(), this.opts.pollMs ?? 500);
    return result as Promise<T>;
  }

  /** Adds the job unless it exists; a job that failed in an earlier run is retried. */
  private async submit(key: string, payload: QueuePayload): Promise<void> {
    const existing = await this.queue.getJob(key);
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry('failed');
      return;
    }
    if (existing) return;
    await this.queue.add('replica', payload, {
      jobId: key,
      attempts: this.opts.attempts ?? 3,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  private source(d: DataConfig): Promise<DataSource> {
    const k = JSON.stringify(d);
    let s = this.sources.get(k);
    if (!s) this.sources.set(k, (s = describeData(d, this.opts.dataUrl)));
    return s;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      let lost = 0;
      for (const [key, p] of [...this.pending]) lost += Number(await this.check(key, p));
      if (lost) process.stderr.write(`queue: ${lost} job(s) missing from Redis (restarted without persistence?) enqueued again\n`);
    } catch (e) {
      this.warn(e as Error);
    } finally {
      this.polling = false;
    }
  }

  /** Records a failed replica; the run rejects once every job has settled. */
  private fail(key: string, p: Pending, error: string): void {
    this.failed.push({ key, label: `${p.job.label} ${p.job.source} #${p.job.replica}`, error });
    this.waitingForFailures.push(() => p.reject(new ReplicasFailedError(this.failed)));
  }

  /** Settles the job if it finished; true when it had vanished and was enqueued again. */
  private async check(key: string, p: Pending): Promise<boolean> {
    const state = await this.queue.getJobState(key);
    if (state === 'completed') {
      const j = (await this.queue.getJob(key)) as QueueJob | undefined;
      if (!j) return false;
      this.pending.delete(key);
      // A job's result gets the checks of a cache entry; a bad one fails the replica.
      const r = decodeResult(j.returnvalue, p.job.key);
      if (typeof r === 'string') this.fail(key, p, `bad result from the worker: ${r}`);
      else p.resolve(r);
      // The runner caches the result before this resolves (the cache write is synchronous).
      await j.remove();
    } else if (state === 'failed') {
      const j = await this.queue.getJob(key);
      this.pending.delete(key);
      this.fail(key, p, j?.failedReason ?? 'unknown error');
    } else if (state === 'unknown') {
      await this.submit(key, p.payload);
      return true;
    }
    this.settleFailures();
    return false;
  }

  /** Failed replicas are reported once nothing is pending: the others still land in the cache. */
  private settleFailures(): void {
    if (this.pending.size || !this.waitingForFailures.length) return;
    for (const f of this.waitingForFailures.splice(0)) f();
  }

  /** One line per distinct connection problem (not one per retry). */
  private warn(e: Error): void {
    if (e.message === this.lastError) return;
    this.lastError = e.message;
    process.stderr.write(`queue: ${e.message} (retrying)\n`);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queue.close();
  }
}

/** The queue options of `smelu repro`, as the command line gave them. */
export interface QueueFlags {
  queue?: string;
  attempts?: string;
  'data-url'?: string;
}

/**
 * Checks the queue options of `smelu repro` (parsed with the other options, lib/cli-args.ts):
 * --queue redis://HOST:PORT/DB, --attempts N (default 3), --data-url BASE (workers fetch the data
 * files from BASE/<file name>; default: the same absolute path).
 * @param v the options' values.
 * @returns the queue options, or null without --queue.
 * @throws RangeError naming the option when a value is bad.
 */
export function queueOptions(v: QueueFlags): QueueOptions | null {
  if (v.queue === undefined) {
    const stray = (['attempts', 'data-url'] as const).find((f) => v[f] !== undefined);
    if (stray) throw new RangeError(`--${stray} goes with --queue redis://HOST:PORT/DB`);
    return null;
  }
  connectionOf(v.queue);
  const attempts = v.attempts === undefined ? 3 : Number(v.attempts);
  if (!/^\d+$/.test(v.attempts ?? '3') || attempts < 1) throw new RangeError(`--attempts: expected a positive integer, got '${v.attempts}'`);
  if (v['data-url'] !== undefined && !/^https?:\/\//.test(v['data-url'])) throw new RangeError(`--data-url: expected an http(s) URL, got '${v['data-url']}'`);
  return { url: v.queue, attempts, dataUrl: v['data-url'] };
}
