/**
 * A fixed pool of worker threads running jobs from one queue. Each worker handles one job at a
 * time, so the pool size is exactly the number of cores the sweep occupies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Message from a worker: the result of job `id`, or its error. */
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

interface Pending {
  id: number;
  job: unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * The package root: the nearest directory above `from` whose package.json is this package. Both
 * dist/repro (the build) and lib/repro (vitest) sit two levels below it, but walking up avoids
 * relying on that.
 */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'smelu') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no smelu package.json above ${from}`);
  }
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly file: string,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(this.file);
    w.on('message', (msg: WorkerReply) => this.finish(w, msg.ok ? null : new Error(msg.error), msg.ok ? msg.result : undefined));
    // An uncaught error or an exit ends the worker: fail its job and put a fresh worker in its place.
    w.on('error', (e) => this.replace(w, e));
    w.on('exit', (code) => this.replace(w, new Error(`worker exited with code ${code}`)));
    return w;
  }

  private replace(w: Worker, err: Error): void {
    if (this.closed || !this.busy.has(w)) return;
    const p = this.busy.get(w)!;
    this.busy.delete(w);
    p.reject(err);
    void w.terminate();
    this.idle.push(this.spawn());
    this.dispatch();
  }

  /** Runs `job` on the next free worker. */
  run<T>(job: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      this.busy.set(w, p);
      w.postMessage({ id: p.id, job: p.job });
    }
  }

  private finish(w: Worker, err: Error | null, result: unknown): void {
    const p = this.busy.get(w);
    if (!p) return;
    this.busy.delete(w);
    if (err) p.reject(err);
    else p.resolve(result);
    this.idle.push(w);
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the worker pool was closed'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }
}
