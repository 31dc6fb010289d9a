/**
 * Embedding table for one categorical field: a row lookup for single-valued fields, sum or mean
 * pooling for multi-valued ones (bags). The gradient is row-sparse ({@link SparseParam}): backward
 * touches only the rows of the batch, and so does the optimizer step.
 */
import { checkInitializer, type Initializer } from './init';
import { Buf, checkPositiveInt, type ParamInit } from './layer';
import { SparseParam } from './param';

export type Pooling = 'sum' | 'mean';

export interface EmbeddingOptions {
  vocab: number;
  dim: number;
  pooling?: Pooling;
  /** Default normal with std 0.05. */
  init?: Initializer;
  name?: string;
}

export interface EmbeddingConfig {
  type: 'embedding';
  vocab: number;
  dim: number;
  pooling: Pooling;
  init: Initializer;
}

export class Embedding {
  readonly vocab: number;
  readonly dim: number;
  readonly pooling: Pooling;
  readonly table: SparseParam;
  private readonly init: Initializer;
  private readonly outBuf = new Buf();
  // What backward needs: the ids and how they map to rows of the batch.
  private ids: Uint32Array = new Uint32Array(0);
  private offsets: Uint32Array | null = null;
  private stride = 1;
  private col = 0;
  private m = 0;

  constructor(opts: EmbeddingOptions) {
    const name = opts.name ?? 'embedding';
    const c = embeddingConfig(opts);
    this.vocab = c.vocab;
    this.dim = c.dim;
    this.pooling = c.pooling;
    this.init = c.init;
    this.table = new SparseParam(`${name}.table`, this.vocab, this.dim);
  }

  /** One id per row: row i uses ids[i * stride + col] (a column of a row-major [m x stride] block). */
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

  /** Bags: row i pools ids[offsets[i] .. offsets[i + 1]) (sum or mean; an empty bag gives zeros). */
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

  /** Accumulates dy [m x dim] into the gradient of the rows used by the last forward. */
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

  paramInits(): ParamInit[] {
    return [{ param: this.table, init: this.init, fanIn: this.vocab, fanOut: this.dim }];
  }

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

/** Validates Embedding options and fills the defaults, without allocating the table. */
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
