/** lib/repro/filedata.ts in-process: the formats, the three test splits, ordering and scaling. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../../lib/nn';
import { optionNamed } from '../../lib/repro/cli';
import { loadFileSplit, orderByLastColumn, scaleOf, standardize, streamChunkRows, type FileDataConfig } from '../../lib/repro/filedata';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-filedata-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const base = (file: string, o: Partial<FileDataConfig>): FileDataConfig => ({ kind: 'file', file, format: 'libsvm', buckets: 64, test: { kind: 'last', fraction: 0.25 }, seed: 1, stamp: '', ...o });

describe('file data', () => {
  it('LIBSVM: +1/-1 labels, the last share as the test set, the test file read at the training width', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => `${i % 2 ? '+1' : '-1'} 1:${i} 3:${2 * i}`);
    const file = write('a.svm', `${rows.join('\n')}\n`);
    const { train, test } = await loadFileSplit(base(file, {}));
    expect([train.n, test.n, train.numDense]).toEqual([6, 2, 3]);
    expect(Array.from(test.labels)).toEqual([0, 1]);
    const other = write('b.svm', '1 2:5\n-1 1:1\n');
    const t = await loadFileSplit(base(file, { test: { kind: 'file', file: other } }));
    expect([t.train.n, t.test.n, t.test.numDense]).toEqual([8, 2, 3]);
  });

  it('Criteo TSV: 13 counts and 26 hashed fields; a random test share with a seed', async () => {
    const line = (y: number, i: number) => [String(y), ...Array.from({ length: 13 }, (_, j) => String(i + j)), ...Array.from({ length: 26 }, (_, j) => (j + i).toString(16).padStart(8, '0'))].join('\t');
    const file = write('c.tsv', `${Array.from({ length: 10 }, (_, i) => line(i % 2, i)).join('\n')}\n`);
    const d = base(file, { format: 'criteo', test: { kind: 'fraction', fraction: 0.3 } });
    const a = await loadFileSplit(d);
    expect([a.train.n, a.test.n, a.train.numDense, a.train.numCat]).toEqual([7, 3, 13, 26]);
    expect((await loadFileSplit({ ...d, seed: 2 })).test.dense).not.toEqual(a.test.dense);
  });

  it('refuses labels other than 0/1, one class, and an empty test set, naming the option', async () => {
    const file = write('d.svm', '2 1:1\n1 1:2\n0 1:3\n1 1:4\n');
    await expect(loadFileSplit(base(file, {}))).rejects.toThrow(/label 2 is not binary/); // the loader's message; the CLI names --label
    const one = write('e.svm', '1 1:1\n1 1:2\n1 1:3\n1 1:4\n');
    await expect(loadFileSplit(base(one, {}))).rejects.toThrow(/--label: every label .* is 1/);
    const ok = write('f.svm', '0 1:1\n1 1:2\n0 1:3\n1 1:4\n');
    await expect(loadFileSplit(base(ok, { test: { kind: 'last', fraction: 0.01 } }))).rejects.toThrow(/--test-last 0.01 leaves an empty test set/);
  });

  it('orders rows by the last dense column (stable), drops it, and standardizes with training statistics', () => {
    const ds = new Dataset({ labels: Float32Array.of(0, 1, 0, 1), dense: Float32Array.of(10, 3, 20, 1, 30, 2, 40, 1), numDense: 2 });
    const o = orderByLastColumn(ds);
    expect(Array.from(o.dense)).toEqual([20, 40, 30, 10]);
    expect(Array.from(o.labels)).toEqual([1, 1, 0, 0]);
    const s = scaleOf(o);
    expect(s.mean[0]).toBe(25);
    const z = standardize(o, s);
    expect(z.dense.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(z.dense.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 6);
  });

  it('stream chunks hold whole windows', () => {
    expect(streamChunkRows(1)).toBe(65536);
    expect(streamChunkRows(4096) % 4096).toBe(0);
    expect(streamChunkRows(100000)).toBe(100000);
    expect(streamChunkRows(3000) % 3000).toBe(0);
  });
});

describe('loader messages in the CLI words', () => {
  it('name the flag of the option at fault', () => {
    expect(optionNamed("categorical: no column named 'usr'")).toBe("--categorical: no column named 'usr'");
    expect(optionNamed('f.svm:1: label 2 is not binary (-1, 0, +1)')).toBe('--data: f.svm:1: --label 2 is not binary (-1, 0, +1)');
    expect(optionNamed("column(s) 'ts' (index 4) have no role: list them in numeric, categorical, bags or ignore")).toMatch(/--numeric, --categorical, --bag or --ignore/);
    expect(optionNamed('--test-last 0.5 leaves an empty test set')).toBe('--test-last 0.5 leaves an empty test set');
  });
});
