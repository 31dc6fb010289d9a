/**
 * `smelu repro --data`: a small generated ratings file through the whole pipeline (the plumbing,
 * not the science), and bad specifications exiting 2 with the option named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReproArgs } from '../../lib/repro/cli';
import { ratingsCsv } from '../../lib/repro/ratings';
import { smelu, type Run } from './run';

describe('the ratings generator', () => {
  it('has the columns, ratings 1..5, a popularity skew, and rows out of time order', () => {
    const lines = ratingsCsv({ rows: 3000, seed: 2 }).trim().split('\n');
    expect(lines[0]).toBe('user,item,genres,year,timestamp,rating');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(3000);
    for (const r of rows) {
      expect(r).toHaveLength(6);
      expect(['1', '2', '3', '4', '5']).toContain(r[5]);
      expect(r[2]).toMatch(/^[A-Za-z]+(\|[A-Za-z]+)*$/);
    }
    const count = new Map<string, number>();
    for (const r of rows) count.set(r[1], (count.get(r[1]) ?? 0) + 1);
    const sorted = [...count.values()].sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(10 * sorted[Math.floor(sorted.length / 2)]);
    const ts = rows.map((r) => Number(r[4]));
    expect(ts.some((t, i) => i > 0 && t < ts[i - 1])).toBe(true);
    expect(ratingsCsv({ rows: 50, seed: 2 })).toBe(ratingsCsv({ rows: 50, seed: 2 }));
  });
});

describe('smelu repro --data', () => {
  let dir: string;
  let file: string;
  let run: Run;
  // The good specification; each bad case below changes it (a value per option, null drops the option).
  const SPEC: Record<string, string> = { label: 'rating', positive: '>=4', categorical: 'user,item', bag: 'genres:|', numeric: 'year', 'order-by': 'timestamp' };
  const argsOf = (o: Record<string, string | null>): string[] =>
    Object.entries({ ...SPEC, ...o }).flatMap(([k, v]) => (v === null ? [] : v === '' ? [`--${k}`] : [`--${k}`, v]));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-repro-file-'));
    file = path.join(dir, 'ratings.csv.gz');
    const made = await smelu(['repro', '--make-ratings', file, '--rows', '3000']);
    expect(made.code).toBe(0);
    run = await smelu([
      'repro',
      '--data', file, ...argsOf({}), '--test-last', '0.2', '--replicas', '3', '--activations', 'relu,smelu:1',
      '--shuffle', 'window:256', '--passes', '1', '--hidden', '16', '--embedding-dim', '4', '--buckets', '512',
      '--eval-every', '1200', '--out', path.join(dir, 'out'), '--threads', '2',
    ]);
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs the pipeline on the file: points, paired ratios, curves, the data described', () => {
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'));
    expect(r.config.data).toMatchObject({ kind: 'file', format: 'csv', label: 'rating', orderBy: 'timestamp', test: { kind: 'last', fraction: 0.2 } });
    expect(r.points.map((p: { label: string; shuffle: string }) => `${p.label} ${p.shuffle}`)).toEqual(['relu window:256', 'smelu(beta=1) window:256']);
    for (const p of r.points) {
      expect(p.pd.relative.values).toHaveLength(3);
      expect(p.quality.mean).toBeGreaterThan(0);
      // numeric columns are standardized: raw years saturated the tower (log loss about 6)
      expect(p.loss.mean).toBeLessThan(0.8);
      expect(p.curve.examples.at(-1)).toBe(2400);
    }
    expect(r.points[1].vsRelu.pd.estimate).toBeGreaterThan(0);
    const md = fs.readFileSync(path.join(dir, 'out', 'results.md'), 'utf8');
    expect(md).toContain('label rating (positive >=4)');
    expect(md).toContain('ordered by timestamp');
  });

  it.each([
    [{ categorical: 'usr,item' }, /--categorical: no column named 'usr'/],
    [{ label: 'item', positive: null, categorical: 'user', ignore: 'rating' }, /--label 'm\d+' is not a (finite )?number/],
    [{ positive: 'yes' }, /--label: every label of .* is 0 \(check --positive\)/],
    [{ label: 'genres' }, /--label and --bag both name the column 'genres'/],
    [{ 'test-fraction': '0.0001' }, /--test-fraction 0.0001 leaves an empty test set/],
    [{ categorical: 'user,year' }, /--categorical and --numeric both name the column 'year'/],
    [{ bag: 'genres' }, /--bag expects column:separator/],
    [{ 'test-last': '0.2', 'test-fraction': '0.1' }, /one of --test, --test-fraction, --test-last/],
    [{ format: 'parquet' }, /--format must be one of csv, tsv, libsvm, criteo/],
    [{ stream: '', passes: '1', shuffle: 'none', 'order-by': null }, /--stream needs --test FILE/],
  ] as Array<[Record<string, string | null>, RegExp]>)('a bad specification %j exits 2 naming the option', async (o, msg) => {
    const bad = await smelu(['repro', '--data', file, ...argsOf(o), '--replicas', '2', '--out', path.join(dir, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(msg);
  });

  it('--stream: one pass over the training file in chunks, in file order, windows inside chunks', async () => {
    // the same ratings in time order, split into a training and a next-period test file
    const [head, ...rows] = ratingsCsv({ rows: 3000, seed: 4 }).trim().split('\n');
    rows.sort((a, b) => Number(a.split(',')[4]) - Number(b.split(',')[4]));
    const train = path.join(dir, 'train.csv');
    const test = path.join(dir, 'test.csv');
    fs.writeFileSync(train, `${[head, ...rows.slice(0, 2400)].join('\n')}\n`);
    fs.writeFileSync(test, `${[head, ...rows.slice(2400)].join('\n')}\n`);
    const out = path.join(dir, 'stream');
    const r = await smelu([
      'repro', '--data', train, '--test', test, ...argsOf({ 'order-by': null, ignore: 'timestamp' }), '--stream', '--passes', '1',
      '--shuffle', 'none,window:256', '--replicas', '3', '--activations', 'relu', '--sources', 'both,ulp', '--hidden', '8',
      '--embedding-dim', '4', '--buckets', '512', '--out', out, '--threads', '2',
    ]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(res.config.data.stream).toBe(true);
    expect(res.points.map((p: { source: string; shuffle: string }) => `${p.source} ${p.shuffle}`)).toEqual(['both none', 'both window:256', 'ulp none', 'ulp window:256']);
    for (const p of res.points) expect(Number.isFinite(p.loss.mean)).toBe(true);
  });

  it('refuses data options without --data, and --data with --preset', () => {
    expect(() => parseReproArgs(['--preset', 'quick', '--label', 'x'])).toThrow(/--label needs --data FILE/);
    expect(() => parseReproArgs(['--preset', 'quick', '--data', file, '--label', 'rating'])).toThrow(/--preset or --data, not both/);
    expect(() => parseReproArgs(['--data', path.join(dir, 'missing.csv'), '--label', 'rating'])).toThrow(/--data: no such file/);
    expect(() => parseReproArgs(['--data', file])).toThrow(/--label is required/);
  });
});
