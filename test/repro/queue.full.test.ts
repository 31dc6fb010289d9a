/**
 * Queue mode end to end on a private loopback Redis: (1) a sweep of the deterministic sources
 * trained by 3 worker processes gives bitwise the predictions of the local run; (2) a worker
 * SIGKILLed mid-job, a Redis restart and a Ctrl-C of the submitter lose nothing: rerunning the
 * command completes the sweep and every replica was finished exactly once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smelu } from './run';
import { cachedResults, TestRedis, WorkerProc } from './queue-helpers';
import { spawn } from 'node:child_process';
import { CLI, ROOT } from '../helpers/build';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-queue-full-'));
let redis: TestRedis | null = null;
let workers: WorkerProc[] = [];

afterEach(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  workers = [];
  await redis?.stop();
  redis = null;
});

const sweep = ['repro', '--preset', 'quick', '--replicas', '3', '--activations', 'relu,smelu:1', '--sources', 'init,order,ulp,warm',
  '--shuffle', 'full,window:256', '--lr', '0.05'];
const local = path.join(tmp, 'local');

describe('smelu repro --queue across worker processes', () => {
  it('init, order, ulp and warm on full and windowed shuffles: the same bits as the local run with 3 workers', async () => {
    const queued = path.join(tmp, 'queued');
    const l = await smelu([...sweep, '--out', local, '--threads', '2']);
    expect(l.code, l.stderr).toBe(0);
    redis = await TestRedis.start(path.join(tmp, 'redis1'));
    workers = [0, 1, 2].map((i) => new WorkerProc(redis!.url, path.join(tmp, `w${i}`)));
    const q = await smelu([...sweep, '--out', queued, '--queue', redis.url]);
    expect(q.code, q.stderr).toBe(0);

    const a = cachedResults(local);
    const b = cachedResults(queued);
    expect(a.size).toBeGreaterThan(40);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, p] of a) expect(b.get(k), k).toBe(p);
    expect(b.get([...a.keys()][0])).toMatch(/"predictions":"[A-Za-z0-9+/]{100,}/);
    // Every worker took part.
    for (const w of workers) expect(w.done().length).toBeGreaterThan(0);
  });

  it('a SIGKILLed worker, a Redis restart and a Ctrl-C of the submitter: rerunning completes, each replica finished exactly once', async () => {
    redis = await TestRedis.start(path.join(tmp, 'redis2'));
    const out = path.join(tmp, 'faults');
    // Longer replicas (30 epochs) so that the kill lands in the middle of a job.
    const args = ['repro', '--preset', 'quick', '--replicas', '3', '--activations', 'relu,smelu:1', '--sources', 'init,order',
      '--shuffle', 'full', '--lr', '0.05', '--epochs', '30', '--out', out, '--queue', redis.url];
    const [victim, a] = [new WorkerProc(redis.url, path.join(tmp, 'v')), new WorkerProc(redis.url, path.join(tmp, 'a'))];
    workers = [victim, a];

    // First submitter: interrupted with SIGINT (Ctrl-C) once some replicas are done.
    const first = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, SMELU_THREADS: '1' }, stdio: 'ignore' });
    const firstExit = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));

    await victim.until(() => victim.started().length >= 2);
    const killedJob = victim.started().at(-1)!;
    await victim.stop('SIGKILL');
    expect(victim.done()).not.toContain(killedJob); // it died mid-job

    await a.until(() => a.done().length >= 2);
    await redis.restart();
    const b = new WorkerProc(redis.url, path.join(tmp, 'b'));
    workers.push(b);
    await a.until(() => a.done().length >= 4);
    first.kill('SIGINT');
    await firstExit;

    const second = await smelu(args);
    expect(second.code, second.stderr).toBe(0);

    const cached = cachedResults(out);
    const done = workers.flatMap((w) => w.done());
    expect(done).toContain(killedJob);
    expect(done.length).toBe(cached.size);
    expect(new Set(done).size).toBe(done.length);
    expect([...new Set(done)].sort()).toEqual([...cached.keys()].sort());
  });

  it('Redis killed and restarted empty mid-sweep: the lost jobs are enqueued again and the sweep ends with the local bits', async () => {
    redis = await TestRedis.start(path.join(tmp, 'redis3'));
    const out = path.join(tmp, 'crash');
    workers = [0, 1].map((i) => new WorkerProc(redis!.url, path.join(tmp, `c${i}`)));
    const run = smelu([...sweep, '--out', out, '--queue', redis.url]);
    await workers[0].until(() => workers[0].done().length >= 3);
    await redis.crash();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/queue: \d+ job\(s\) missing from Redis \(restarted without persistence\?\) enqueued again/);
    const a = cachedResults(local);
    const b = cachedResults(out);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, p] of a) expect(b.get(k), k).toBe(p);
  });
});
