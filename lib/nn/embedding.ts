/**
 * Embedding table for one categorical field: a row lookup for single-valued fields, sum or mean
 * pooling for multi-valued ones (bags). The gradient is row-sparse ({@link SparseParam}): backward
 * touches only the rows of the batch, and so does the optimizer step.
 */
import { checkInitializer, type Initializer } from './init';
import { Buf, checkPositiveInt, type ParamInit } from './layer';
import { SparseParam } from './param';

/** How a bag's rows are combined: their sum, or their mean (an empty bag gives zeros either way). */
export type Pooling = 'sum' | 'mean';

/** Options of {@link Embedding} and {@link embeddingConfig}. */
export interface EmbeddingOptions {
  /** Rows of the table (ids 0 .. vocab-1): a positive integer. */
  vocab: number;
  /** Values per row: a positive integer. */
  dim: number;
  /** Bag pooling (default 'sum'); single-valued lookups ignore it. */
  pooling?: Pooling;
  /** Default normal with std 0.05. */
  init?: Initializer;
  /** Prefix of the table's name ('embedding' by default; the table is `<name>.table`). */
  name?: string;
}

/** An Embedding's JSON config: the options with every default filled in. */
export interface EmbeddingConfig {
  /** Discriminant. */
  type: 'embedding';
  /** Rows of the table. */
  vocab: number;
  /** Values per row. */
  dim: number;
  /** Bag pooling. */
  pooling: Pooling;
  /** Initializer of the table. */
  init: Initializer;
}

/**
 * An embedding table [vocab x dim] with a row-sparse gradient. Synchronous, fixed-order loops:
 * the same ids and values give the same bits.
 */
export class Embedding {
  /** Rows of the table. */
  readonly vocab: number;
  /** Values per row (the output width). */
  readonly dim: number;
  /** Bag pooling. */
  readonly pooling: Pooling;
  /** The table [vocab x dim] and its row-sparse gradient. */
  readonly table: SparseParam;
  private readonly init: Initializer;
  private readonly outBuf = new Buf();
  // What backward needs: the ids and how they map to rows of the batch.
  private ids: Uint32Array = new Uint32Array(0);
  private offsets: Uint32Array | null = null;
  private stride = 1;
  private col = 0;
  private m = 0;

  /**
   * Validates the options and allocates the table (zeros: a model initializes it).
   * @param opts sizes, pooling, initializer, name.
   * @throws TypeError as {@link embeddingConfig}.
   */
  constructor(opts: EmbeddingOptions) {
    const name = opts.name ?? 'embedding';
    const c = embeddingConfig(opts);
    this.vocab = c.vocab;
    this.dim = c.dim;
    this.pooling = c.pooling;
    this.init = c.init;
    this.table = new SparseParam(`${name}.table`, this.vocab, this.dim);
  }

  /**
   * One id per row: row i uses ids[i * stride + col] (a column of a row-major [m x stride] block).
   * Keeps a reference to `ids` for backward.
   * @param ids the ids, each in [0, vocab).
   * @param m rows in the batch.
   * @param stride ids per batch row (default 1).
   * @param col which of them this field reads (default 0).
   * @returns the rows [m x dim], in a buffer owned by the layer (valid until its next forward).
   * @throws RangeError for an id outside [0, vocab), naming the batch row.
   */
  lookup(ids: Uint32Array, m: number, stride = 1, col = 0): Float32Array {
    const d = this.dim;
    const out = this.outBuf.get(m * d);
    const w = this.table.value;
    for (let i = 0; i < m; i++) {
      const o = this.checkId(ids[i * stride + col], i) * d;
      for (let j = 0; j < d; j++) out[i * d + j] = w[o + j];
    }
    this.remember(ids, null, m, stride, col);
    return out;
  }

  /**
   * Bags: row i pools ids[offsets[i] .. offsets[i + 1]) (sum or mean; an empty bag gives zeros).
   * Keeps references to `ids` and `offsets` for backward.
   * @param ids the ids of all bags, each in [0, vocab).
   * @param offsets m + 1 non-decreasing offsets into `ids`.
   * @param m rows in the batch.
   * @returns the pooled rows [m x dim], in a buffer owned by the layer.
   * @throws RangeError for an id outside [0, vocab), naming the batch row.
   */
  pool(ids: Uint32Array, offsets: Uint32Array, m: number): Float32Array {
    const d = this.dim;
    const out = this.outBuf.get(m * d);
    out.fill(0);
    const w = this.table.value;
    for (let i = 0; i < m; i++) {
      const a = offsets[i];
      const e = offsets[i + 1];
      const scale = this.pooling === 'mean' && e > a ? 1 / (e - a) : 1;
      for (let p = a; p < e; p++) {
        const o = this.checkId(ids[p], i) * d;
        for (let j = 0; j < d; j++) out[i * d + j] += w[o + j] * scale;
      }
    }
    this.remember(ids, offsets, m, 1, 0);
    return out;
  }

  /**
   * Accumulates dy [m x dim] into the gradient of the rows used by the last forward (the previous
   * gradient is cleared first; rows get slots in first-use order).
   * @param dy gradient with respect to the last forward's output [m x dim].
   */
  backward(dy: Float32Array): void {
    const t = this.table;
    const d = this.dim;
    t.clearGrad();
    for (let i = 0; i < this.m; i++) {
      let a: number;
      let e: number;
      if (this.offsets) {
        a = this.offsets[i];
        e = this.offsets[i + 1];
      } else {
        a = i * this.stride + this.col;
        e = a + 1;
      }
      const scale = this.pooling === 'mean' && this.offsets && e > a ? 1 / (e - a) : 1;
      for (let p = a; p < e; p += this.offsets ? 1 : this.stride) {
        const o = t.slot(this.ids[p]) * d;
        const g = t.grad; // read after slot(): slot() may grow the array
        for (let j = 0; j < d; j++) g[o + j] += dy[i * d + j] * scale;
      }
    }
  }

  /**
   * The table and its initializer.
   * @returns one entry (fanIn vocab, fanOut dim).
   */
  paramInits(): ParamInit[] {
    return [{ param: this.table, init: this.init, fanIn: this.vocab, fanOut: this.dim }];
  }

  /**
   * The JSON config that rebuilds this layer.
   * @returns a new config object.
   */
  config(): EmbeddingConfig {
    return { type: 'embedding', vocab: this.vocab, dim: this.dim, pooling: this.pooling, init: this.init };
  }

  private checkId(id: number, row: number): number {
    if (!(id < this.vocab)) {
      throw new RangeError(`${this.table.name}: id ${id} in batch row ${row} is outside [0, ${this.vocab})`);
    }
    return id;
  }

  private remember(ids: Uint32Array, offsets: Uint32Array | null, m: number, stride: number, col: number): void {
    this.ids = ids;
    this.offsets = offsets;
    this.m = m;
    this.stride = stride;
    this.col = col;
  }
}

/**
 * Validates Embedding options and fills the defaults, without allocating the table.
 * @param opts the options.
 * @returns the config an {@link Embedding} with these options reports.
 * @throws TypeError for a vocab or dim that is not a positive integer, an unknown pooling or an
 *   invalid initializer.
 */
export function embeddingConfig(opts: EmbeddingOptions): EmbeddingConfig {
  const name = opts.name ?? 'embedding';
  const vocab = checkPositiveInt(`${name}.vocab`, opts.vocab);
  const dim = checkPositiveInt(`${name}.dim`, opts.dim);
  const pooling = opts.pooling ?? 'sum';
  if (pooling !== 'sum' && pooling !== 'mean') {
    throw new TypeError(`${name}.pooling must be 'sum' or 'mean', got ${String(opts.pooling)}`);
  }
  const init = checkInitializer(opts.init ?? { kind: 'normal', std: 0.05 }, `${name}.init`);
  return { type: 'embedding', vocab, dim, pooling, init };
}
