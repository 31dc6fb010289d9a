/**
 * The experiment runner: expands a config into replica jobs, takes finished ones from the cache,
 * trains the rest on a pool of worker threads, and writes results.json, results.md and the charts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chartFiles } from '../chart';
import { loadCheckpoint } from '../nn/checkpoint';
import { ReplicaCache, writeAtomic, type ReplicaResult } from './cache';
import { dataFor, points, type ExperimentConfig } from './config';
import { checkpointJob, replicaJob, type CheckpointJob, type Job, type ReplicaJob } from './jobs';
import { activationCosts } from './cost';
import { workerFile } from '../worker-file';
import { packageRoot, WorkerPool } from './pool';
import { curvesSpec, markdown, sourcesSpec, tradeoffSpec, windowsSpec } from './render';
import { aggregate, type Results } from './report';
import { loadTask, prepareData } from './train';
import { costVerdict } from './verdicts';

export interface Progress {
  done: number;
  total: number;
  /** The replica just finished, and whether it came from the cache. */
  label: string;
  cached: boolean;
}

export interface RunOptions {
  /** Output directory: results.* and the charts; the cache goes to <out>/cache. */
  out: string;
  /** Worker threads (default: the available cores). */
  threads?: number;
  onProgress?(p: Progress): void;
  /** Where replicas train: the local pool of worker threads (default) or a job queue (./queue). */
  dispatcher?: Dispatcher;
}

/** Trains jobs somewhere: the seam between the runner and the local pool or a job queue. */
export interface Dispatcher {
  /** The job's result (a checkpoint job's: its path). */
  run<T>(job: Job): Promise<T>;
  close(): Promise<void>;
}

export interface RunSummary {
  results: Results;
  files: string[];
  trained: number;
  cached: number;
  seconds: number;
}

/** The version that enters every cache key: a new release never trusts an older release's replicas. */
export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}

/** A counting semaphore over the cores a sweep may keep busy (first come, first served). */
export class Cores {
  private waiting: Array<{ n: number; go(): void }> = [];

  constructor(private free: number) {}

  acquire(n: number): Promise<void> {
    return new Promise((go) => {
      this.waiting.push({ n, go });
      this.next();
    });
  }

  release(n: number): void {
    this.free += n;
    this.next();
  }

  private next(): void {
    while (this.waiting.length && this.waiting[0].n <= this.free) {
      const w = this.waiting.shift()!;
      this.free -= w.n;
      w.go();
    }
  }
}

/** The local dispatcher: a lazily started pool of worker threads (a fully cached rerun starts none). */
class LocalDispatcher implements Dispatcher {
  private pool: WorkerPool | null = null;
  private readonly cores: Cores;

  constructor(readonly threads: number) {
    this.cores = new Cores(threads);
  }

  /**
   * Runs a job on the pool once its threads are free: an async replica races `asyncThreads`
   * Hogwild threads of its own, so it takes that many of the pool's cores (never more than all).
   */
  async run<T>(job: Job): Promise<T> {
    this.pool ??= new WorkerPool(workerFile(__dirname, 'worker'), this.threads);
    const weight = job.type === 'replica' ? Math.min(this.threads, job.asyncThreads) : 1;
    await this.cores.acquire(weight);
    try {
      return await this.pool.run<T>(job);
    } finally {
      this.cores.release(weight);
    }
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** Runs jobs through the cache and a dispatcher. */
class Scheduler {
  trained = 0;
  cached = 0;
  private readonly fromCache = new Set<string>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: ReplicaCache,
    readonly threads: number,
    private readonly dispatcher: Dispatcher,
  ) {}

  replica(job: ReplicaJob, ckpt: CheckpointJob | null): Promise<ReplicaResult> {
    return this.once(job.key, async () => {
      const hit = this.cache.get(job.key);
      if (hit) {
        this.cached++;
        this.fromCache.add(job.key);
        return hit;
      }
      if (ckpt) await this.checkpoint(ckpt);
      const r = await this.dispatcher.run<ReplicaResult>(job);
      this.cache.put(r);
      this.trained++;
      return r;
    }) as Promise<ReplicaResult>;
  }

  wasCached(key: string): boolean {
    return this.fromCache.has(key);
  }

  private checkpoint(job: CheckpointJob): Promise<unknown> {
    return this.once(job.key, async () => (verifiedCheckpoint(job.path) ? job.path : this.dispatcher.run(job)));
  }

  /** One promise per key: points that share a replica train it once. */
  private once(key: string, f: () => Promise<unknown>): Promise<unknown> {
    let p = this.inflight.get(key);
    if (!p) this.inflight.set(key, (p = f()));
    return p;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Trains (or takes from the cache) every replica of every point on every data seed, then writes the reports. */
export async function runExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const version = packageVersion();
  const cache = new ReplicaCache(path.join(opts.out, 'cache'));
  const threads = opts.threads ?? Math.max(1, os.availableParallelism());
  const sched = new Scheduler(cache, threads, opts.dispatcher ?? new LocalDispatcher(threads));
  const pts = points(cfg);
  const seeds = Array.from({ length: cfg.dataSeeds ?? 1 }, (_, d) => d);
  const total = pts.reduce((a, p) => a + p.replicas, 0) * seeds.length;
  let done = 0;
  opts.onProgress?.({ done, total, label: '', cached: false });
  try {
    const byPoint = await Promise.all(
      pts.map((p) =>
        Promise.all(
          seeds.map((d) => {
            const ckpt = p.source === 'warm' ? checkpointJob(cfg, p, d, version, (k) => cache.file(k, 'ckpt')) : null;
            return Promise.all(
              Array.from({ length: p.replicas }, async (_, r) => {
                const job = replicaJob(cfg, p, r, version, ckpt, d);
                const res = await sched.replica(job, ckpt);
                const tag = seeds.length > 1 ? ` data ${d}` : '';
                opts.onProgress?.({ done: ++done, total, label: `${p.label} ${p.source} ${p.shuffle} lr ${p.learningRate}${tag} #${r}`, cached: sched.wasCached(job.key) });
                return res;
              }),
            );
          }),
        ),
      ),
    );
    for (const d of seeds) await prepareData(dataFor(cfg.data, d));
    const results = aggregate(cfg, pts, byPoint, seeds.map((d) => loadTask(dataFor(cfg.data, d))));
    results.cost = activationCosts(cfg.activations);
    results.verdicts.push(...costVerdict(results.cost));
    const seconds = (Date.now() - t0) / 1000;
    const replicaSeconds = totalSeconds(byPoint.flat());
    const meta = { seconds, replicaSeconds, trained: sched.trained, cached: sched.cached, version, threads: sched.threads };
    const files = await writeReports(cfg, results, opts.out, meta);
    return { results, files, trained: sched.trained, cached: sched.cached, seconds };
  } finally {
    await sched.close();
  }
}

/** Training time summed over the distinct replicas, cached or not: what the whole sweep cost. */
function totalSeconds(byPoint: ReplicaResult[][]): number {
  const seen = new Map<string, number>();
  for (const r of byPoint.flat()) seen.set(r.key, r.seconds);
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

interface Meta {
  seconds: number;
  /** Sum of the replicas' own training times (one worker each). */
  replicaSeconds: number;
  trained: number;
  cached: number;
  version: string;
  /** Worker threads of the pool. */
  threads: number;
}

/** results.json, results.md, the tradeoff chart and (with several sources) the sources chart (see chartFiles). */
async function writeReports(cfg: ExperimentConfig, res: Results, out: string, meta: Meta): Promise<string[]> {
  fs.mkdirSync(out, { recursive: true });
  const env = { node: process.version, cpus: os.cpus().length, platform: `${os.platform()}-${os.arch()}` };
  const files: [string, string][] = [
    ['results.json', `${JSON.stringify({ config: cfg, meta: { ...meta, env }, ...res }, roundNumbers, 1)}\n`],
    ['results.md', markdown(cfg, res, meta)],
    ...(await chartFiles('tradeoff', tradeoffSpec(cfg, res))),
  ];
  if (cfg.sources.length > 1) files.push(...(await chartFiles('sources', sourcesSpec(cfg, res))));
  const windows = windowsSpec(cfg, res);
  if (windows) files.push(...(await chartFiles('windows', windows)));
  const curves = curvesSpec(cfg, res);
  if (curves) files.push(...(await chartFiles('curves', curves)));
  return files.map(([name, text]) => {
    const file = path.join(out, name);
    writeAtomic(file, text);
    return file;
  });
}

/** Keeps results.json commit-sized and readable: 6 significant digits are beyond the spread anyway. */
function roundNumbers(_key: string, v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v;
}

/**
 * Whether a warm-start checkpoint exists and loads whole (checksum, header, tensors). A file that
 * does not is named in a warning and deleted, so the runner trains it again.
 * @param file the checkpoint path.
 * @returns true when it can be used.
 */
export function verifiedCheckpoint(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    loadCheckpoint(file);
    return true;
  } catch (e) {
    process.emitWarning(`discarding the warm-start checkpoint ${file}: ${(e as Error).message}; it is trained again`, 'SmeluCacheWarning');
    fs.rmSync(file, { force: true });
    return false;
  }
}
