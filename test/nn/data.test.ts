import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auc, BatchGatherer, Dataset, loadCriteo, loadCriteoChunks, loadCsv, loadDigits, loadLibsvm, logLoss,
  MalformedLineError, parseCsv, parseLibsvm, splitCsvLine, syntheticCtr, syntheticCtrChunks,
} from '../../lib/nn';
import { sameBits } from './helpers/bits';

const dir = mkdtempSync(join(tmpdir(), 'smelu-nn-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('CSV', () => {
  it('splits quoted fields', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(splitCsvLine('a,"b')).toBeNull();
    expect(splitCsvLine('1;2', ';')).toEqual(['1', '2']);
  });

  it('reads a header, dense and categorical columns, streaming a gzipped file', async () => {
    const text = 'x1,color,x2,label\n1.5,red,2,1\n-3,blue,0.25,0\n\n4,red,1e2,1\n';
    const { dataset, report } = await loadCsv(file('a.csv.gz', gzipSync(text)), { categorical: [1], buckets: 1000 });
    expect(report).toMatchObject({ header: true, rows: 3, blank: 1, skipped: 0, lines: 5 });
    expect(dataset.numDense).toBe(2);
    expect(Array.from(dataset.dense)).toEqual([1.5, 2, -3, 0.25, 4, 100]);
    expect(Array.from(dataset.labels)).toEqual([1, 0, 1]);
    const [red, blue, red2] = dataset.cat;
    expect(red).toBe(red2);
    expect(red).not.toBe(blue);
    expect(red).toBeGreaterThan(0); // 0 is reserved for missing
    expect(red).toBeLessThan(1000);
  });

  it('reports malformed lines by number: fatal by default, skipped on request', async () => {
    const text = '1,2,0\n1,x,1\n1,2\n3,4,1\n';
    const p = file('bad.csv', text);
    await expect(loadCsv(p, { header: false })).rejects.toThrow(/bad\.csv:2: column index 1: 'x' is not a finite number/);
    const seen: number[] = [];
    const { dataset, report } = await loadCsv(p, { header: false, onMalformed: 'skip', onIssue: (i) => seen.push(i.line) });
    expect(dataset.n).toBe(2);
    expect(report.skipped).toBe(2);
    expect(report.issues.map((i) => [i.line, i.reason])).toEqual([[2, "column index 1: 'x' is not a finite number"], [3, 'expected 3 columns, got 2']]);
    expect(seen).toEqual([2, 3]);
    const err = await loadCsv(p, { header: false }).catch((e) => e);
    expect(err).toBeInstanceOf(MalformedLineError);
    expect(err.line).toBe(2);
  });

  it('fails cleanly on a missing file and on a truncated gzip stream', async () => {
    await expect(loadCsv(join(dir, 'absent.csv'))).rejects.toThrow(/ENOENT/);
    const gz = gzipSync(Buffer.from('1,2\n'.repeat(50000)));
    await expect(loadCsv(file('cut.csv.gz', gz.subarray(0, gz.length >> 1)))).rejects.toThrow(/unexpected end of file/);
  });

  it('checks class labels and fills missing values only when asked', () => {
    expect(() => parseCsv('1,7\n', { numClasses: 5 })).toThrow(/label 7 is not a class index/);
    expect(() => parseCsv('1,,1\n', { header: false })).toThrow(/column index 1: empty cell/);
    expect(Array.from(parseCsv('1,,1\n', { header: false, missingValue: -1 }).dataset.dense)).toEqual([1, -1]);
    expect(() => parseCsv('1,inf,1\n', { header: false })).toThrow(/not a finite number/);
  });
});

describe('LIBSVM', () => {
  it('parses sparse rows into dense vectors, finding the width by a first pass', async () => {
    const p = file('a.svm', '+1 1:0.5 3:2 # comment\n-1 qid:3 2:1\n');
    const { dataset } = await loadLibsvm(p, { labels: 'binary' });
    expect(dataset.numDense).toBe(3);
    expect(Array.from(dataset.dense)).toEqual([0.5, 0, 2, 0, 1, 0]);
    expect(Array.from(dataset.labels)).toEqual([1, 0]);
  });

  it('reports malformed pairs, indices and labels', () => {
    expect(() => parseLibsvm('1 2:1 2:3\n')).toThrow(/<text>:1: index 2 is not above the previous one/);
    expect(() => parseLibsvm('1 0:1\n', { numFeatures: 3 })).toThrow(/outside/);
    expect(() => parseLibsvm('1 1:1\n2 1:x\n', { numFeatures: 3 })).toThrow(/:2: value 'x'/);
    expect(() => parseLibsvm('2 1:1\n', { labels: 'binary' })).toThrow(/not binary/);
    expect(() => parseLibsvm('1 a\n')).toThrow(/not index:value/);
    expect(parseLibsvm('0 0:1 4:2\n', { zeroBased: true }).dataset.numDense).toBe(5);
    expect(Array.from(parseLibsvm('3 1:1\n', { labels: 'class', numClasses: 4 }).dataset.labels)).toEqual([3]);
  });
});

function criteoLine(label: string, ints: string[], cats: string[]): string {
  return [label, ...ints, ...cats].join('\t');
}

describe('Criteo TSV', () => {
  const ints = ['1', '', '5', '0', '-2', '', '', '10', '', '', '', '', '3'];
  const cats = Array.from({ length: 26 }, (_, i) => (i % 5 === 4 ? '' : (0x68fd1e64 + i * 977).toString(16)));
  const good = criteoLine('1', ints, cats);

  it('parses labels, log-transformed integers and hashed categoricals (0 = missing)', async () => {
    const p = file('c.tsv', `${good}\n${criteoLine('0', ints, cats)}\n`);
    const { dataset } = await loadCriteo(p, { buckets: 1000 });
    expect(dataset.n).toBe(2);
    expect(Array.from(dataset.labels)).toEqual([1, 0]);
    expect(dataset.dense[0]).toBeCloseTo(Math.log(2), 6);
    expect(dataset.dense[1]).toBe(0);
    expect(dataset.dense[4]).toBeCloseTo(-Math.log(3), 6);
    expect(dataset.cat[4]).toBe(0);
    for (let f = 0; f < 26; f++) if (f % 5 !== 4) expect(dataset.cat[f]).toBeGreaterThan(0);
    expect(dataset.cat.subarray(0, 26)).toEqual(dataset.cat.subarray(26, 52));
    const raw = await loadCriteo(p, { intTransform: 'none' });
    expect(raw.dataset.dense[7]).toBe(10);
  });

  it('reports the line number of a bad row and can skip it', async () => {
    const badHex = criteoLine('1', ints, cats.map((c, i) => (i === 3 ? 'zz' : c)));
    const p = file('c-bad.tsv', [good, good, badHex, 'x', good].join('\n'));
    await expect(loadCriteo(p)).rejects.toThrow(/c-bad\.tsv:3: C4 'zz' is not a hex hash/);
    const { dataset, report } = await loadCriteo(p, { onMalformed: 'skip' });
    expect(dataset.n).toBe(3);
    expect(report.issues.map((i) => i.line)).toEqual([3, 4]);
    expect(report.issues[1].reason).toMatch(/expected 40 tab-separated columns, got 1/);
    await expect(loadCriteo(file('c-lab.tsv', criteoLine('2', ints, cats)))).rejects.toThrow(/label '2'/);
  });

  it('streams a gzipped file in bounded chunks', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => criteoLine(String(i % 2), ints, cats));
    const p = file('c.tsv.gz', gzipSync(lines.join('\n') + '\n'));
    const sizes: number[] = [];
    let labels: number[] = [];
    for await (const { dataset } of loadCriteoChunks(p, { chunkRows: 10 })) {
      sizes.push(dataset.n);
      labels = labels.concat(Array.from(dataset.labels));
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(labels).toEqual(lines.map((_, i) => i % 2));
  });
});

describe('synthetic CTR generator', () => {
  it('is seeded, independent of the chunk size, and calibrated to the base rate', () => {
    const opts = { rows: 6000, seed: 4, bags: [{ vocab: 50, maxLen: 3 }] };
    const a = syntheticCtr(opts);
    const chunks = [...syntheticCtrChunks({ ...opts, chunkRows: 1000 })];
    expect(chunks.map((c) => c.n)).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    const b = Dataset.concat(chunks);
    expect(sameBits(a.dense, b.dense)).toBe(true);
    expect(Array.from(a.cat)).toEqual(Array.from(b.cat));
    expect(Array.from(a.bags[0].ids)).toEqual(Array.from(b.bags[0].ids));
    expect(sameBits(a.labels, b.labels)).toBe(true);
    const c = syntheticCtr({ ...opts, seed: 5 });
    expect(sameBits(a.labels, c.labels)).toBe(false);
    const rate = a.labels.reduce((s, y) => s + y, 0) / a.n;
    expect(rate).toBeGreaterThan(0.21);
    expect(rate).toBeLessThan(0.29);
  });

  it('plants a teacher that explains the labels (its AUC beats chance by far)', () => {
    const d = syntheticCtr({ rows: 20000, seed: 1 });
    const t = d.teacher!;
    expect(auc(d.labels, t)).toBeGreaterThan(0.8);
    expect(logLoss(d.labels, t)).toBeLessThan(0.45);
    // ids are heavy-tailed: id 0 of a 1000-value field is far more frequent than id 500
    let low = 0;
    let high = 0;
    for (let i = 0; i < d.n; i++) {
      const id = d.cat[i * d.numCat];
      if (id < 10) low++;
      else if (id >= 500 && id < 510) high++;
    }
    expect(low).toBeGreaterThan(10 * high);
  });

  it('rejects bad options', () => {
    expect(() => syntheticCtr({ rows: -1 })).toThrow(/rows/);
    expect(() => syntheticCtr({ rows: 10, baseRate: 1 })).toThrow(/baseRate/);
  });
});

describe('digits', () => {
  it('loads 1797 images of 64 pixels scaled to [0, 1] with labels 0..9', () => {
    const d = loadDigits();
    expect(d.n).toBe(1797);
    expect(d.numDense).toBe(64);
    expect(d.numClasses).toBe(10);
    expect(Math.max(...d.dense)).toBe(1);
    expect(Math.min(...d.dense)).toBe(0);
    const counts = new Array(10).fill(0);
    for (const y of d.labels) counts[y]++;
    for (const c of counts) expect(c).toBeGreaterThan(170);
    expect(loadDigits(undefined, { scale: false }).dense[2]).toBe(5); // first row: 0,0,5,13,...
    expect(() => loadDigits(join(dir, 'missing.csv.gz'))).toThrow(/ENOENT/);
  });
});

describe('Dataset', () => {
  const d = new Dataset({
    labels: Float32Array.of(0, 1, 0, 1), dense: Float32Array.of(1, 2, 3, 4), cat: Uint32Array.of(10, 11, 12, 13),
    bags: [{ ids: Uint32Array.of(7, 8, 9), offsets: Uint32Array.of(0, 0, 2, 2, 3) }],
  });

  it('gathers batches (with bags) into reused buffers', () => {
    const g = new BatchGatherer(d, 3);
    const b = g.gather(Uint32Array.of(3, 1, 0, 2), 0, 3);
    expect(b.m).toBe(3);
    expect(Array.from(b.dense)).toEqual([4, 2, 1]);
    expect(Array.from(b.cat)).toEqual([13, 11, 10]);
    expect(Array.from(b.bags[0].ids)).toEqual([9, 7, 8]);
    expect(Array.from(b.bags[0].offsets)).toEqual([0, 1, 3, 3]);
    const b2 = g.gather(Uint32Array.of(3, 1, 0, 2), 3, 4);
    expect(b2.m).toBe(1);
    expect(Array.from(b2.labels)).toEqual([0]);
    expect(() => g.gather(Uint32Array.of(0, 1, 2, 3), 0, 4)).toThrow(/capacity/);
  });

  it('splits (seeded), slices and validates', () => {
    const [a, b] = d.split(0.5, 3);
    expect(a.n + b.n).toBe(4);
    expect([...a.cat, ...b.cat].sort()).toEqual([10, 11, 12, 13]);
    expect(Array.from(d.slice(1, 3).bags[0].offsets)).toEqual([0, 2, 2]);
    expect(() => new Dataset({ labels: new Float32Array(2), dense: new Float32Array(3), numDense: 2 })).toThrow(/n x numDense/);
    expect(() => new Dataset({ labels: new Float32Array(2), bags: [{ ids: new Uint32Array(1), offsets: Uint32Array.of(0, 1) }] })).toThrow(/n \+ 1/);
  });
});
