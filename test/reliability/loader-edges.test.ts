/** Loaders under attack: huge lines, broken gzip, float32 overflow, hexadecimal, a BOM, huge cells in messages. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LineTooLongError, MalformedLineError, loadCriteo, loadCsv, loadLibsvm, parseCriteo, parseCsv, parseLibsvm, parseNumber,
} from '../../lib/nn';

const dir = mkdtempSync(join(tmpdir(), 'smelu-loaders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const criteoRow = (label = '1') => [label, ...Array(13).fill('3'), ...Array(26).fill('68fd1e64')].join('\t');

describe('lines longer than the loader holds', () => {
  it('a small gzip expanding to one huge line rejects with the file and line (limit lowered for speed)', async () => {
    const file = join(dir, 'one-line.csv.gz');
    writeFileSync(file, gzipSync(Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.alloc(4 << 20, 0x31)])));
    const p = loadCsv(file, { label: 0, maxLineChars: 1 << 20 });
    await expect(p).rejects.toBeInstanceOf(LineTooLongError);
    await expect(loadCsv(file, { label: 0, maxLineChars: 1 << 20 })).rejects.toThrow(`${file}:3: the line is longer than 1048576 characters`);
  });

  it('the default limit (64 Mi characters) holds for a 70 MB line from a 70 KB gzip', async () => {
    const file = join(dir, 'huge-line.csv.gz');
    writeFileSync(file, gzipSync(Buffer.alloc(70 << 20, 0x32)));
    await expect(loadCsv(file, { label: 0 })).rejects.toThrow(/huge-line\.csv\.gz:1: the line is longer than 67108864 characters/);
  });

  it('maxLineChars is validated', async () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, '1,2\n');
    await expect(loadCsv(file, { label: 0, maxLineChars: 0 })).rejects.toThrow(/maxLineChars must be an integer/);
  });
});

describe('gzip trouble names the file', () => {
  const rows = Buffer.from(Array.from({ length: 2000 }, (_, i) => `${i % 2},${i}`).join('\n') + '\n');
  const gz = gzipSync(rows);

  it('a truncated stream', async () => {
    const file = join(dir, 'cut.csv.gz');
    writeFileSync(file, gz.subarray(0, gz.length - 20));
    await expect(loadCsv(file, { label: 0 })).rejects.toThrow(new RegExp(`^${file.replace(/[.]/g, '\\.')}: gzip: unexpected end of file`));
  });

  it('a corrupt stream', async () => {
    const file = join(dir, 'bad.csv.gz');
    const bad = Buffer.from(gz);
    bad.fill(0xff, 20, 60);
    writeFileSync(file, bad);
    await expect(loadCsv(file, { label: 0 })).rejects.toThrow(/bad\.csv\.gz: gzip: /);
  });
});

describe('numbers', () => {
  it('values finite in the file but beyond float32 are malformed cells', () => {
    const big = '9'.repeat(400);
    for (const cell of ['1e39', '-3.5e38', big]) {
      expect(Number.isNaN(parseNumber(cell)), cell).toBe(true);
      expect(() => parseCsv(`y,x\n1,${cell}\n`, { label: 'y' })).toThrow(MalformedLineError);
      expect(() => parseLibsvm(`1 1:${cell}\n`)).toThrow(/not a finite number/);
    }
    expect(parseNumber('3.4e38')).toBe(3.4e38);
    const row = criteoRow().split('\t');
    row[1] = big;
    expect(() => parseCriteo(row.join('\t'), { intTransform: 'none' })).toThrow(/I1 '9{80}\.\.\.' \(400 characters\) is beyond the float32 range/);
  });

  it("'0x10' (and 0o / 0b) is not a number unless hex is asked for", () => {
    expect(() => parseCsv('y,x\n1,0x10\n', { label: 'y' })).toThrow(/'0x10' is not a finite number/);
    expect(() => parseCsv('y,x\n1,0b11\n', { label: 'y' })).toThrow(MalformedLineError);
    expect(() => parseLibsvm('0x1 1:2\n')).toThrow(/label '0x1'/);
    expect(parseCsv('y,x\n1,0x10\n', { label: 'y', hex: true }).dataset.dense[0]).toBe(16);
    expect(() => parseCsv('y,x\n1,-0x10\n', { label: 'y', hex: true })).toThrow(MalformedLineError);
  });
});

describe('messages and a BOM', () => {
  it('a huge cell is quoted with 80 characters and its length', () => {
    const cell = 'z'.repeat(5 << 20);
    let msg = '';
    try {
      parseCsv(`y,x\n1,${cell}\n`, { label: 'y' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/<text>:2: column 'x' \(index 1\): 'z{80}\.\.\.' \(5242880 characters\) is not a finite number/);
    expect(msg.length).toBeLessThan(300);
  });

  it('a BOM before a Criteo file is ignored, as before a CSV file', async () => {
    const text = '\uFEFF' + criteoRow('1') + '\n' + criteoRow('0') + '\n';
    expect(Array.from(parseCriteo(text).dataset.labels)).toEqual([1, 0]);
    const file = join(dir, 'bom.tsv');
    writeFileSync(file, text);
    expect(Array.from((await loadCriteo(file)).dataset.labels)).toEqual([1, 0]);
    const csv = parseCsv('\uFEFFy,x\n1,2\n', { label: 'y' });
    expect(Array.from(csv.dataset.labels)).toEqual([1]);
    writeFileSync(join(dir, 'bom.svm'), '\uFEFF1 1:2\n');
    expect(Array.from((await loadLibsvm(join(dir, 'bom.svm'))).dataset.labels)).toEqual([1]);
  });
});

describe('prototype pollution', () => {
  const names = ['intTransform', 'buckets', 'labels', 'zeroBased', 'numFeatures', 'onMalformed', 'limit', 'hex', 'header', 'delimiter', 'label', 'maxLineChars'];
  it('loader options inherited from Object.prototype change no result', () => {
    const criteo = criteoRow('1') + '\n' + criteoRow('0') + '\n';
    const clean = [parseCriteo(criteo).dataset.dense, parseLibsvm('-1 1:2 3:4\n1 2:1\n').dataset.labels, parseCsv('y,x\n1,2\n', { label: 'y' }).dataset.dense];
    try {
      Object.assign(Object.prototype, { intTransform: 'none', buckets: 2, labels: 'binary', zeroBased: true, numFeatures: 1, onMalformed: 'skip', limit: 0, hex: true, header: false, delimiter: ';', label: 1, maxLineChars: 1 });
      const dirty = [parseCriteo(criteo).dataset.dense, parseLibsvm('-1 1:2 3:4\n1 2:1\n').dataset.labels, parseCsv('y,x\n1,2\n', { label: 'y' }).dataset.dense];
      dirty.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(clean[i])));
    } finally {
      for (const k of names) delete (Object.prototype as Record<string, unknown>)[k];
    }
  });
});
