/**
 * The UCI optical digits test set (1797 images of 8x8 pixels 0..16, labels 0..9), as shipped in
 * data/digits.csv.gz, which the package ships (so `repro --preset digits` and `smelu train` work from an
 * installed package). Read synchronously: it is 57 KB.
 */
import { existsSync, readFileSync } from 'fs';
import { resolve } from 'path';
import { gunzipSync } from 'zlib';
import type { Dataset } from './dataset';
import { parseCsv } from './csv';

/**
 * Where the file is looked for when no path is given (from lib/nn/data and dist/nn/data alike).
 * @returns absolute paths, in the order tried.
 */
export function digitsCandidates(): string[] {
  return [
    resolve(__dirname, '../../../data/digits.csv.gz'),
    resolve(__dirname, '../../../../shared/data/digits.csv.gz'),
  ];
}

/**
 * Loads the digits: 64 dense features (pixel / 16 when `scale`, the default, else 0..16) and the
 * digit as a class index (numClasses 10). Malformed lines are fatal. Synchronous.
 * @param path the file (plain or gzipped CSV); default: the first of {@link digitsCandidates} that exists.
 * @param opts `scale` (default true).
 * @returns the 1797 rows.
 * @throws Error when no file is found, or from the file system.
 * @throws MalformedLineError for a malformed line.
 * @throws RangeError when the file does not have 64 pixel columns.
 */
export function loadDigits(path?: string, opts: { scale?: boolean } = {}): Dataset {
  const file = path ?? digitsCandidates().find((p) => existsSync(p));
  if (!file) throw new Error(`digits.csv.gz not found; looked in ${digitsCandidates().join(', ')}`);
  const raw = readFileSync(file);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const { dataset } = parseCsv(text, { file, header: 'auto', labelColumn: -1, numClasses: 10 });
  if (dataset.numDense !== 64) throw new RangeError(`${file}: expected 64 pixel columns, got ${dataset.numDense}`);
  if (opts.scale !== false) {
    const d = dataset.dense;
    for (let i = 0; i < d.length; i++) d[i] /= 16;
  }
  return dataset;
}
