/**
 * The lab on your data: a CSV/TSV file with columns chosen by name (lib/nn's column-name loader),
 * or LIBSVM / Criteo TSV, gzipped or not; held-out data from a second file, a random fraction, or
 * the last fraction in the given order (next-period evaluation). `orderBy` sorts the rows by a
 * numeric column (e.g. a timestamp) that is then dropped from the features: it decides the order,
 * not the prediction.
 */
import * as fs from 'node:fs';
import { Dataset, loadCriteo, loadCriteoChunks, loadCsv, loadCsvChunks, loadLibsvm, type CsvOptions, type Loaded } from '../nn';

export type FileFormat = 'csv' | 'tsv' | 'libsvm' | 'criteo';

export type TestSpec = { kind: 'file'; file: string } | { kind: 'fraction'; fraction: number } | { kind: 'last'; fraction: number };

export interface FileDataConfig {
  kind: 'file';
  /** Absolute path of the training file (or of the whole data, split by `test`). */
  file: string;
  format: FileFormat;
  /** CSV / TSV only: columns by header name. */
  label?: string;
  /** Which label cells are positive: '>=4', 'yes', ...; without it the label must be 0 / 1. */
  positive?: string;
  categorical?: string[];
  numeric?: string[];
  /** Bag (multi-valued) columns: name -> separator. */
  bags?: Record<string, string>;
  /** Columns left out. */
  ignore?: string[];
  /** A numeric column giving the order of the rows (sorted ascending, stable), not a feature. */
  orderBy?: string;
  /** Hash buckets per categorical or bag field (the embedding tables' rows). */
  buckets: number;
  test: TestSpec;
  /** Seed of the random test split (`fraction`). */
  seed: number;
  /** Size and modification time of the files: a changed file is new data for the cache. */
  stamp: string;
  /**
   * Single pass over the training file in chunks, never all of it in memory (files larger than
   * memory): needs one pass, a test file, and an order regime that works inside a chunk.
   */
  stream?: boolean;
}

/** Rows per chunk of a streamed file: at least 65536, a whole number of shuffle windows. */
export function streamChunkRows(window: number): number {
  return Math.ceil(Math.max(65536, window) / window) * window;
}

/** The stamp of the files of a config (size and mtime). */
export function fileStamp(files: string[]): string {
  return files.map((f) => {
    const s = fs.statSync(f);
    return `${s.size}:${Math.round(s.mtimeMs)}`;
  }).join(',');
}

function csvOptions(d: FileDataConfig): CsvOptions {
  const numeric = d.orderBy ? [...(d.numeric ?? []), d.orderBy] : d.numeric;
  return {
    header: true, delimiter: d.format === 'tsv' ? '\t' : ',', label: d.label, positive: d.positive,
    categorical: d.categorical ?? [], bags: d.bags ?? {}, ignore: d.ignore ?? [], numeric, buckets: d.buckets,
  };
}

/** Loads one file of the config in its format (`width`: LIBSVM features, the training file's for a test file). */
function loadOne(d: FileDataConfig, file: string, width?: number): Promise<Loaded> {
  if (d.format === 'libsvm') return loadLibsvm(file, { labels: 'binary', numFeatures: width });
  if (d.format === 'criteo') return loadCriteo(file, { buckets: d.buckets });
  return loadCsv(file, csvOptions(d));
}

/** The training file in chunks of `chunkRows` rows, in file order (stream mode). */
export async function* trainingChunks(d: FileDataConfig, chunkRows: number): AsyncGenerator<Dataset> {
  const chunks = d.format === 'criteo' ? loadCriteoChunks(d.file, { buckets: d.buckets, chunkRows }) : loadCsvChunks(d.file, { ...csvOptions(d), chunkRows });
  for await (const c of chunks) {
    checkBinary(c.dataset, d.file);
    yield c.dataset;
  }
}

/** The rows sorted by the last dense column (stable), which is then dropped. */
export function orderByLastColumn(ds: Dataset): Dataset {
  const k = ds.numDense - 1;
  const key = Float64Array.from({ length: ds.n }, (_, i) => ds.dense[i * ds.numDense + k]);
  const order = Array.from({ length: ds.n }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);
  const sorted = ds.subset(order);
  const dense = new Float32Array(ds.n * k);
  for (let i = 0; i < ds.n; i++) dense.set(sorted.dense.subarray(i * ds.numDense, i * ds.numDense + k), i * k);
  return new Dataset({
    labels: sorted.labels, dense, numDense: k, cat: sorted.cat, numCat: sorted.numCat,
    bags: sorted.bags.map((b) => ({ ids: b.ids, offsets: b.offsets })), labelWidth: sorted.labelWidth,
  });
}

async function loadOrdered(d: FileDataConfig, file: string, width?: number): Promise<Dataset> {
  const { dataset } = await loadOne(d, file, width);
  return d.orderBy ? orderByLastColumn(dataset) : dataset;
}

/** Throws a RangeError naming the option when the labels are not all 0 / 1 (binary tasks only). */
function checkBinary(ds: Dataset, file: string): void {
  const bad = ds.labels.findIndex((y) => y !== 0 && y !== 1);
  if (bad >= 0) {
    throw new RangeError(`--label: ${file} row ${bad + 1} has the label ${ds.labels[bad]}, not 0 or 1: give --positive (e.g. --positive '>=4')`);
  }
  // One class only: no AUC, no log loss worth comparing (often a --positive that matches nothing).
  if (ds.n && ds.labels.every((y) => y === ds.labels[0])) throw new RangeError(`--label: every label of ${file} is ${ds.labels[0]} (check --positive)`);
}

/** Mean and standard deviation of each dense column (a constant column gets sd 1). */
export interface Scale {
  mean: Float64Array;
  sd: Float64Array;
}

/** The dense columns' statistics of `ds` (the training rows: never the test set). */
export function scaleOf(ds: Dataset): Scale {
  const k = ds.numDense;
  const mean = new Float64Array(k);
  const sd = new Float64Array(k);
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < k; j++) mean[j] += ds.dense[i * k + j] / ds.n;
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < k; j++) sd[j] += (ds.dense[i * k + j] - mean[j]) ** 2 / ds.n;
  for (let j = 0; j < k; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  return { mean, sd };
}

/** Standardizes the dense columns in place: raw numeric columns (a year, a price) would saturate the tower. */
export function standardize(ds: Dataset, s: Scale): Dataset {
  const k = ds.numDense;
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < k; j++) ds.dense[i * k + j] = (ds.dense[i * k + j] - s.mean[j]) / s.sd[j];
  return ds;
}

/** Train and test sets of a file config; the errors name the option at fault. */
export async function loadFileSplit(d: FileDataConfig): Promise<{ train: Dataset; test: Dataset; scale: Scale }> {
  if (d.stream) {
    // The training rows are read chunk by chunk during training; only the test file is in memory.
    // The dense columns are standardized with the first training chunk's statistics.
    if (d.test.kind !== 'file') throw new RangeError('--stream needs held-out data in a file (--test FILE)');
    const test = await loadOrdered(d, d.test.file);
    if (!test.n) throw new RangeError(`--test: ${d.test.file} has no rows`);
    checkBinary(test, d.test.file);
    const first = await trainingChunks(d, streamChunkRows(1)).next();
    if (first.done) throw new RangeError(`--data: ${d.file} has no rows`);
    const scale = scaleOf(first.value);
    return { train: test.slice(0, 0), test: standardize(test, scale), scale };
  }
  const all = await loadOrdered(d, d.file);
  checkBinary(all, d.file);
  let train: Dataset;
  let test: Dataset;
  if (d.test.kind === 'file') {
    train = all;
    test = await loadOrdered(d, d.test.file, d.format === 'libsvm' ? all.numDense : undefined);
    if (!test.n) throw new RangeError(`--test: ${d.test.file} has no rows`);
    checkBinary(test, d.test.file);
  } else if (d.test.kind === 'fraction') {
    [test, train] = all.split(d.test.fraction, d.seed);
    if (!test.n) throw new RangeError(`--test-fraction ${d.test.fraction} leaves an empty test set (${all.n} rows)`);
  } else {
    const k = all.n - Math.round(d.test.fraction * all.n);
    [train, test] = [all.slice(0, k), all.slice(k)];
    if (!test.n) throw new RangeError(`--test-last ${d.test.fraction} leaves an empty test set (${all.n} rows)`);
  }
  if (!train.n) throw new RangeError(`--data: no training rows are left (${all.n} rows)`);
  const scale = scaleOf(train);
  return { train: standardize(train, scale), test: standardize(test, scale), scale };
}
