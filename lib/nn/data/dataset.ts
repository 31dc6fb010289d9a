/**
 * In-memory datasets: dense features, single-valued categorical ids, multi-valued bags and labels,
 * each a flat typed array (row-major), plus a batch gatherer that fills reusable buffers.
 */
import { createHash } from 'crypto';
import type { Bag, Batch, DatasetColumns, DataShape } from '../batch';
import { permutation, Rng, type Seed } from '../rng';

export type { DatasetColumns } from '../batch';

/** The columns of a {@link Dataset}; n is labels.length / labelWidth. Arrays are used, not copied. */
export interface DatasetInit {
  /** Labels [n x labelWidth]. */
  labels: Float32Array;
  /** Dense features [n x numDense], row-major. */
  dense?: Float32Array;
  /** Dense features per row (default dense.length / n, or 0). */
  numDense?: number;
  /** Single-valued categorical ids [n x numCat], row-major. */
  cat?: Uint32Array;
  /** Categorical fields per row (default cat.length / n, or 0). */
  numCat?: number;
  /** One per multi-valued field; offsets has n + 1 entries starting at 0. */
  bags?: Bag[];
  /** Label values per row (default 1). */
  labelWidth?: number;
  /** For classification: the number of classes (labels are indices). */
  numClasses?: number;
  /** Optional per-row extra: e.g. the true probability of a synthetic teacher. */
  teacher?: Float32Array;
  /** Optional column names (kept by subset, slice, split and concat). */
  columns?: DatasetColumns;
}

/**
 * An in-memory dataset of n rows: flat row-major arrays, shared with whoever made them (not copied).
 * Its methods are synchronous; none changes the data.
 */
export class Dataset {
  /** Rows. */
  readonly n: number;
  /** Dense features per row. */
  readonly numDense: number;
  /** Single-valued categorical fields per row. */
  readonly numCat: number;
  /** Label values per row. */
  readonly labelWidth: number;
  /** Classes, for class-index labels. */
  readonly numClasses: number | undefined;
  /** Dense features [n x numDense]. */
  readonly dense: Float32Array;
  /** Categorical ids [n x numCat]. */
  readonly cat: Uint32Array;
  /** One bag per multi-valued field. */
  readonly bags: readonly Bag[];
  /** Labels [n x labelWidth]. */
  readonly labels: Float32Array;
  /** Optional per-row extra (e.g. the synthetic teacher's probability) [n]. */
  readonly teacher: Float32Array | undefined;
  /** Column names, when the data came with them (e.g. a CSV header). */
  readonly columns: DatasetColumns | undefined;

  /**
   * Checks the column lengths against n.
   * @param init the columns.
   * @throws TypeError when labels is not a Float32Array.
   * @throws RangeError when labels is not a multiple of labelWidth long, dense / cat / teacher do
   *   not have n rows, or a bag's offsets are not n + 1 non-decreasing entries from 0 to ids.length.
   */
  constructor(init: DatasetInit) {
    this.labelWidth = init.labelWidth ?? 1;
    if (!(init.labels instanceof Float32Array)) throw new TypeError('labels must be a Float32Array');
    if (init.labels.length % this.labelWidth) throw new RangeError(`labels length ${init.labels.length} is not a multiple of labelWidth ${this.labelWidth}`);
    this.n = init.labels.length / this.labelWidth;
    this.labels = init.labels;
    this.numDense = init.numDense ?? (init.dense && this.n ? init.dense.length / this.n : 0);
    this.dense = init.dense ?? new Float32Array(0);
    this.numCat = init.numCat ?? (init.cat && this.n ? init.cat.length / this.n : 0);
    this.cat = init.cat ?? new Uint32Array(0);
    this.bags = init.bags ?? [];
    this.numClasses = init.numClasses;
    this.teacher = init.teacher;
    this.columns = init.columns;
    this.validate();
  }

  private validate(): void {
    const n = this.n;
    if (!Number.isInteger(this.numDense) || this.dense.length !== n * this.numDense) {
      throw new RangeError(`dense must have n x numDense = ${n} x ${this.numDense} values, got ${this.dense.length}`);
    }
    if (!Number.isInteger(this.numCat) || this.cat.length !== n * this.numCat) {
      throw new RangeError(`cat must have n x numCat = ${n} x ${this.numCat} values, got ${this.cat.length}`);
    }
    this.bags.forEach((b, f) => {
      if (b.offsets.length !== n + 1 || b.offsets[0] !== 0 || b.offsets[n] !== b.ids.length) {
        throw new RangeError(`bag ${f}: offsets must have n + 1 = ${n + 1} entries from 0 to ids.length`);
      }
      for (let i = 0; i < n; i++) {
        if (b.offsets[i + 1] < b.offsets[i]) throw new RangeError(`bag ${f}: offsets decrease at row ${i}`);
      }
    });
    if (this.teacher && this.teacher.length !== n) throw new RangeError(`teacher must have n = ${n} values`);
    const c = this.columns;
    if (c && (c.dense.length !== this.numDense || c.cat.length !== this.numCat || c.bags.length !== this.bags.length)) {
      throw new RangeError(`columns must name ${this.numDense} dense, ${this.numCat} categorical and ${this.bags.length} bag columns`);
    }
  }

  /** Multi-valued fields per row. */
  get numBags(): number {
    return this.bags.length;
  }

  /**
   * SHA-1 over every value (labels, features, ids, bags): equal data, equal fingerprint.
   * A full pass over the data.
   * @returns 40 hex digits.
   */
  fingerprint(): string {
    const h = createHash('sha1');
    const add = (a: Float32Array | Uint32Array): void => void h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    h.update(JSON.stringify([this.n, this.numDense, this.numCat, this.labelWidth, this.bags.length]));
    add(this.labels);
    add(this.dense);
    add(this.cat);
    for (const b of this.bags) (add(b.ids), add(b.offsets));
    return h.digest('hex');
  }

  /**
   * The columns, for `Model.checkShape`.
   * @returns numDense, numCat and numBags.
   */
  shape(): DataShape {
    return { numDense: this.numDense, numCat: this.numCat, numBags: this.bags.length, columns: this.columns };
  }

  /**
   * The rows at `indices`, copied into a new dataset.
   * @param indices row numbers in [0, n), in the order wanted (repeats allowed).
   * @returns a new dataset.
   */
  subset(indices: ArrayLike<number>): Dataset {
    const g = new BatchGatherer(this, indices.length);
    const idx = Uint32Array.from(indices as ArrayLike<number>);
    const b = g.gather(idx, 0, idx.length);
    return new Dataset({
      labels: b.labels.slice(), dense: b.dense.slice(), numDense: this.numDense,
      cat: b.cat.slice(), numCat: this.numCat,
      bags: b.bags.map((x) => ({ ids: x.ids.slice(), offsets: x.offsets.slice() })),
      labelWidth: this.labelWidth, numClasses: this.numClasses,
      teacher: this.teacher ? Float32Array.from(idx, (i) => this.teacher![i]) : undefined,
      columns: this.columns,
    });
  }

  /**
   * Rows [start, end), copied.
   * @param start first row.
   * @param end row after the last (default n; clamped to n).
   * @returns a new dataset.
   */
  slice(start: number, end = this.n): Dataset {
    const idx = new Uint32Array(Math.max(0, Math.min(end, this.n) - start));
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    return this.subset(idx);
  }

  /**
   * Splits into (first, second) with round(fraction * n) rows in the first. With a seed the rows
   * are shuffled first (deterministically); without, the split keeps the file order.
   * @param fraction share of rows in the first part, in [0, 1].
   * @param seed optional shuffle seed.
   * @returns two new datasets.
   * @throws RangeError when fraction is outside [0, 1].
   * @throws TypeError for an invalid seed.
   */
  split(fraction: number, seed?: Seed): [Dataset, Dataset] {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
    const order = seed === undefined ? Uint32Array.from({ length: this.n }, (_, i) => i) : permutation(this.n, Rng.fromSeed(seed));
    const k = Math.round(fraction * this.n);
    return [this.subset(order.subarray(0, k)), this.subset(order.subarray(k))];
  }

  /**
   * Rows of several datasets with the same columns, in order.
   * @param parts at least one dataset.
   * @returns a new dataset (the teacher column is kept only when every part has one).
   * @throws RangeError for an empty list or datasets with different columns.
   */
  static concat(parts: readonly Dataset[]): Dataset {
    if (!parts.length) throw new RangeError('Dataset.concat needs at least one dataset');
    const a = parts[0];
    for (const p of parts) {
      if (p.numDense !== a.numDense || p.numCat !== a.numCat || p.bags.length !== a.bags.length || p.labelWidth !== a.labelWidth) {
        throw new RangeError('Dataset.concat: the datasets have different columns');
      }
    }
    const cat32 = (xs: Uint32Array[]): Uint32Array => {
      const out = new Uint32Array(xs.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of xs) (out.set(x, o), (o += x.length));
      return out;
    };
    const cat = <T extends Float32Array>(xs: T[]): Float32Array => {
      const out = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of xs) (out.set(x, o), (o += x.length));
      return out;
    };
    const bags = a.bags.map((_, f) => concatBags(parts.map((p) => p.bags[f])));
    const hasTeacher = parts.every((p) => p.teacher);
    return new Dataset({
      labels: cat(parts.map((p) => p.labels)), dense: cat(parts.map((p) => p.dense)), numDense: a.numDense,
      cat: cat32(parts.map((p) => p.cat)), numCat: a.numCat, bags, labelWidth: a.labelWidth,
      numClasses: a.numClasses, teacher: hasTeacher ? cat(parts.map((p) => p.teacher!)) : undefined,
      columns: a.columns,
    });
  }
}

function concatBags(bags: Bag[]): Bag {
  const ids = new Uint32Array(bags.reduce((s, b) => s + b.ids.length, 0));
  const offsets = new Uint32Array(bags.reduce((s, b) => s + b.offsets.length - 1, 0) + 1);
  let io = 0;
  let oo = 0;
  for (const b of bags) {
    ids.set(b.ids, io);
    for (let i = 1; i < b.offsets.length; i++) offsets[++oo] = b.offsets[i] + io;
    io += b.ids.length;
  }
  return { ids, offsets };
}

/**
 * Gathers rows of a dataset into reusable batch buffers (allocated once for `capacity` rows;
 * bag id buffers grow only when a batch has more ids than any before).
 */
export class BatchGatherer {
  private readonly dense: Float32Array;
  private readonly cat: Uint32Array;
  private readonly labels: Float32Array;
  private readonly bagIds: Uint32Array[];
  private readonly bagOffsets: Uint32Array[];
  private readonly batch: Batch;

  /**
   * Allocates batch buffers for `capacity` rows of `data`'s columns.
   * @param data the dataset to read.
   * @param capacity the most rows per batch.
   */
  constructor(
    readonly data: Dataset,
    readonly capacity: number,
  ) {
    this.dense = new Float32Array(capacity * data.numDense);
    this.cat = new Uint32Array(capacity * data.numCat);
    this.labels = new Float32Array(capacity * data.labelWidth);
    this.bagIds = data.bags.map(() => new Uint32Array(Math.max(16, capacity * 4)));
    this.bagOffsets = data.bags.map(() => new Uint32Array(capacity + 1));
    this.batch = { m: 0, dense: this.dense, cat: this.cat, bags: data.bags.map(() => ({ ids: new Uint32Array(0), offsets: new Uint32Array(0) })), labels: this.labels };
  }

  /**
   * The rows order[start .. end) as a batch (views into buffers reused by the next call).
   * @param order row numbers of the dataset.
   * @param start first position in `order`.
   * @param end position after the last.
   * @returns the batch (the same object on every call).
   * @throws RangeError when end - start exceeds the capacity.
   */
  gather(order: Uint32Array, start: number, end: number): Batch {
    const d = this.data;
    const m = end - start;
    if (m > this.capacity) throw new RangeError(`batch of ${m} rows exceeds the gatherer's capacity ${this.capacity}`);
    copyRows(d.dense, this.dense, d.numDense, order, start, m);
    copyRows(d.cat, this.cat, d.numCat, order, start, m);
    copyRows(d.labels, this.labels, d.labelWidth, order, start, m);
    const b = this.batch;
    b.m = m;
    if (b.dense.length !== m * d.numDense) b.dense = this.dense.subarray(0, m * d.numDense);
    if (b.cat.length !== m * d.numCat) b.cat = this.cat.subarray(0, m * d.numCat);
    if (b.labels.length !== m * d.labelWidth) b.labels = this.labels.subarray(0, m * d.labelWidth);
    for (let f = 0; f < d.bags.length; f++) this.gatherBag(f, order, start, m);
    return b;
  }

  private gatherBag(f: number, order: Uint32Array, start: number, m: number): void {
    const src = this.data.bags[f];
    let total = 0;
    for (let i = 0; i < m; i++) total += src.offsets[order[start + i] + 1] - src.offsets[order[start + i]];
    if (total > this.bagIds[f].length) this.bagIds[f] = new Uint32Array(total * 2);
    const ids = this.bagIds[f];
    const off = this.bagOffsets[f];
    let o = 0;
    for (let i = 0; i < m; i++) {
      off[i] = o;
      const r = order[start + i];
      for (let p = src.offsets[r]; p < src.offsets[r + 1]; p++) ids[o++] = src.ids[p];
    }
    off[m] = o;
    const bag = this.batch.bags[f];
    bag.ids = ids.subarray(0, o);
    bag.offsets = off.subarray(0, m + 1);
  }
}

function copyRows<T extends Float32Array | Uint32Array>(src: T, dst: T, width: number, order: Uint32Array, start: number, m: number): void {
  if (width === 0) return;
  for (let i = 0; i < m; i++) {
    const s = order[start + i] * width;
    const o = i * width;
    for (let j = 0; j < width; j++) dst[o + j] = src[s + j];
  }
}
