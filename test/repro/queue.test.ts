/**
 * Queue mode, small and fast: a worker fetching the sweep's data over http (loopback) refuses bytes
 * whose sha256 differs from the job's (without retrying), the sweep reports the failed replicas
 * with that error, and rerunning the same command once the right data are served retries them and
 * completes; without --data-url the worker reads (and checks) the same path. A job's result gets
 * the checks of a cache entry.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult, encodeResult, type ReplicaResult } from '../../lib/repro/cache';
import { smelu } from './run';
import { cachedResults, TestRedis, WorkerProc } from './queue-helpers';

/** A small LIBSVM file: 3 dense features, a label from two of them. */
function svm(rows: number, seed: number): string {
  let x = seed;
  const r = (): number => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const [a, b, c] = [r(), r(), r()];
    lines.push(`${a + 0.5 * b > 0.7 ? 1 : 0} 1:${a.toFixed(4)} 2:${b.toFixed(4)} 3:${c.toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('smelu repro --queue with data over http', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-queue-'));
  let redis: TestRedis;
  let worker: WorkerProc;
  let server: http.Server;
  let served = '';
  let base = '';

  beforeAll(async () => {
    redis = await TestRedis.start(path.join(tmp, 'redis'));
    worker = new WorkerProc(redis.url, path.join(tmp, 'worker'));
    server = http.createServer((_req, res) => res.end(served));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });

  afterAll(async () => {
    await worker?.stop();
    await redis?.stop();
    server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fails the replicas on other data with the hash in the message; a rerun on the right data completes them', async () => {
    const data = path.join(tmp, 'd.svm');
    fs.writeFileSync(data, svm(400, 7));
    const out = path.join(tmp, 'out');
    const args = ['repro', '--data', data, '--replicas', '2', '--activations', 'relu', '--sources', 'init', '--shuffle', 'full', '--lr', '0.05',
      '--out', out, '--queue', redis.url, '--data-url', base];
    served = svm(400, 8); // not the sweep's file
    const bad = await smelu(args);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/2 replica\(s\) failed all their attempts/);
    expect(bad.stderr).toMatch(/has sha256 [0-9a-f]{64}, the sweep's is [0-9a-f]{64}: not training on other data/);
    expect(fs.existsSync(path.join(out, 'cache')) ? cachedResults(out).size : 0).toBe(0);
    // Other data are not retried (3 attempts by default): one failure per replica.
    expect(worker.err.match(/^failed \S+ \(attempt 1\): data http:\S+ has sha256/gm)).toHaveLength(2);
    expect(worker.err).not.toMatch(/attempt 2/);

    served = fs.readFileSync(data, 'utf8');
    const good = await smelu(args);
    expect(good.stderr).toMatch(/trained 2, cached 0/);
    expect(good.code).toBe(0);
    expect(cachedResults(out).size).toBe(2);
    expect(worker.done().length).toBe(2);

    // Without --data-url the worker reads the same path (a shared file system), checked the same way.
    const shared = path.join(tmp, 'shared');
    const viaPath = await smelu([...args.slice(0, args.indexOf('--out')), '--out', shared, '--queue', redis.url]);
    expect(viaPath.code, viaPath.stderr).toBe(0);
    expect(viaPath.stderr).toMatch(/trained 2, cached 0/);
    expect(cachedResults(shared)).toEqual(cachedResults(out));
  });

  it('refuses bad queue options with exit 2 naming the option', async () => {
    const noQueue = await smelu(['repro', '--preset', 'quick', '--attempts', '2']);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/--attempts goes with --queue/);
    const badUrl = await smelu(['repro', '--preset', 'quick', '--queue', 'http://x']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--queue: expected redis:\/\/HOST:PORT\/DB/);
    const noUrl = await smelu(['worker']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--queue: required/);
  });

  it('says in one line what to install when bullmq is missing', async () => {
    // A preload that makes 'bullmq' unresolvable, as in a default install (bullmq is an optional peer).
    const hide = path.join(tmp, 'hide-bullmq.js');
    fs.writeFileSync(hide, `const M = require('module'); const r = M._resolveFilename;
M._resolveFilename = function (req, ...a) { if (req === 'bullmq') throw Object.assign(new Error('hidden'), { code: 'MODULE_NOT_FOUND' }); return r.call(this, req, ...a); };`);
    for (const args of [['worker', '--queue', redis.url], ['repro', '--preset', 'quick', '--out', path.join(tmp, 'none'), '--queue', redis.url]]) {
      const r = await smelu(args, { NODE_OPTIONS: `--require ${hide}` });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/queue mode needs the optional packages bullmq and ioredis: npm install bullmq ioredis$/)]);
    }
  });
});

describe("a queue job's result", () => {
  const result = { key: 'k1', label: 'relu', source: 'init', shuffle: 'none', learningRate: 0.1, replica: 0, loss: 0.5, quality: 0.8, predictions: new Float32Array([0.25, 0.75]), seconds: 1 } as unknown as ReplicaResult;

  it('decodes to the same bits, with the checks of a cache entry', () => {
    const back = decodeResult(JSON.parse(JSON.stringify(encodeResult(result))), 'k1');
    expect(typeof back).toBe('object');
    expect(Array.from((back as ReplicaResult).predictions)).toEqual([0.25, 0.75]);
    expect(decodeResult(encodeResult(result), 'k2')).toBe('the entry is for another replica');
    expect(decodeResult(null, 'k1')).toBe('the entry is for another replica');
    expect(decodeResult({ ...encodeResult(result), loss: null }, 'k1')).toBe('non-finite metrics');
    const nan = encodeResult({ ...result, predictions: new Float32Array([NaN, 0.5]) });
    expect(decodeResult(nan, 'k1')).toBe('non-finite predictions');
  });
});
