/**
 * Synthetic CTR data with a planted nonlinear teacher, so that experiments know the true click
 * probability of every row. The teacher has, per categorical field, an embedding and a bias per
 * value; a linear term on the dense features; pairwise dot-product interactions between the first
 * fields; a tanh hidden layer over everything; and Gaussian noise on the logit. Its intercept is
 * calibrated so the mean click rate is about `baseRate`.
 *
 * Ids follow a heavy-tailed (log-uniform) law, like real categorical traffic. Rows are generated
 * one after another from one stream, so the data depends on the seed only, not on `chunkRows`;
 * chunks keep memory bounded for 10M rows and more.
 */
import { sigmoid } from '../loss';
import { deriveSeed, Rng, type Seed } from '../rng';
import { Dataset } from './dataset';

/** Options of the synthetic CTR generator. Every count must be an integer. */
export interface SyntheticCtrOptions {
  /** Rows to generate, >= 0 (checked, but unused by a {@link SyntheticCtr}, which draws on `next`). */
  rows: number;
  /** Seed of the teacher and the rows (default 0). */
  seed?: Seed;
  /** Dense features, standard normal (default 8). */
  numDense?: number;
  /** Vocabulary size per single-valued field (default [1000, 1000, 500, 200, 100, 50, 20, 10]). */
  fields?: readonly number[];
  /** Multi-valued fields: vocabulary and the longest bag (lengths uniform in 0..maxLen). */
  bags?: ReadonlyArray<{
    /** Vocabulary of the field, a positive integer. */
    vocab: number;
    /** Longest bag, a positive integer. */
    maxLen: number;
  }>;
  /** Teacher embedding width (default 8). */
  teacherDim?: number;
  /** Teacher hidden width (default 16). */
  teacherHidden?: number;
  /** Standard deviation of the logit noise (default 0.3). */
  noise?: number;
  /** Target mean click rate (default 0.25). */
  baseRate?: number;
  /** Rows per chunk for {@link syntheticCtrChunks} (default 65536). */
  chunkRows?: number;
}

const STREAM_TEACHER = 1;
const STREAM_PILOT = 2;
const STREAM_ROWS = 3;

interface Teacher {
  emb: Float32Array[];
  bias: Float32Array[];
  wDense: Float32Array;
  pairs: Array<[number, number, number]>;
  w1: Float32Array;
  w2: Float32Array;
  inSize: number;
  intercept: number;
}

/**
 * The generator: teacher parameters plus the row stream. Deterministic: the same options and seed
 * give the same rows, however they are split into `next` calls.
 */
export class SyntheticCtr {
  /** Dense features per row. */
  readonly numDense: number;
  /** Vocabulary per single-valued field. */
  readonly fields: readonly number[];
  /** Bag fields: vocabulary and longest bag. */
  readonly bags: ReadonlyArray<{
    /** Vocabulary of the field. */
    vocab: number;
    /** Longest bag. */
    maxLen: number;
  }>;
  /** Teacher embedding width. */
  readonly dim: number;
  /** Teacher hidden width. */
  readonly hidden: number;
  /** Standard deviation of the logit noise. */
  readonly noise: number;
  private readonly t: Teacher;
  private readonly rng: Rng;
  private readonly x: Float64Array;
  private readonly h: Float64Array;

  /**
   * Draws the teacher and calibrates its intercept (a pilot of 4096 rows).
   * @param o the options.
   * @throws TypeError for a count that is not an integer in range (rows, numDense, fields,
   *   bags, teacherDim, teacherHidden, chunkRows) or an invalid seed.
   * @throws RangeError for noise < 0 or baseRate outside (0, 1).
   */
  constructor(o: SyntheticCtrOptions) {
    this.numDense = o.numDense ?? 8;
    this.fields = o.fields ?? [1000, 1000, 500, 200, 100, 50, 20, 10];
    this.bags = o.bags ?? [];
    this.dim = o.teacherDim ?? 8;
    this.hidden = o.teacherHidden ?? 16;
    this.noise = o.noise ?? 0.3;
    checkOptions(this, o);
    const seed = o.seed ?? 0;
    this.t = this.makeTeacher(Rng.fromSeed(deriveSeed(seed, STREAM_TEACHER)));
    this.x = new Float64Array(this.t.inSize);
    this.h = new Float64Array(this.hidden);
    this.t.intercept = this.calibrate(Rng.fromSeed(deriveSeed(seed, STREAM_PILOT)), o.baseRate ?? 0.25);
    this.rng = Rng.fromSeed(deriveSeed(seed, STREAM_ROWS));
  }

  private makeTeacher(r: Rng): Teacher {
    const d = this.dim;
    const vocabs = [...this.fields, ...this.bags.map((b) => b.vocab)];
    const normal = (n: number, std: number): Float32Array => Float32Array.from({ length: n }, () => r.normal() * std);
    const emb = vocabs.map((v) => normal(v * d, 1 / Math.sqrt(d)));
    const bias = vocabs.map((v) => normal(v, 0.4));
    const wDense = normal(this.numDense, 0.5);
    const pairs: Array<[number, number, number]> = [];
    const k = Math.min(4, vocabs.length);
    for (let f = 0; f < k; f++) for (let g = f + 1; g < k; g++) pairs.push([f, g, r.normal()]);
    const inSize = vocabs.length * d + this.numDense;
    const w1 = normal(inSize * this.hidden, 1 / Math.sqrt(inSize));
    const w2 = normal(this.hidden, 1.5 / Math.sqrt(this.hidden));
    return { emb, bias, wDense, pairs, w1, w2, inSize, intercept: 0 };
  }

  /** A heavy-tailed id in [0, vocab): floor((vocab + 1)^u) - 1 with u uniform (P(k) ~ 1/k). */
  private id(r: Rng, vocab: number): number {
    return Math.min(vocab - 1, Math.floor(Math.exp(r.next() * Math.log(vocab + 1))) - 1);
  }

  /** Draws one row's features into the scratch arrays; returns the teacher logit without intercept. */
  private draw(r: Rng, dense: Float32Array, d0: number, cat: Uint32Array, c0: number, bagIds: number[][]): number {
    const t = this.t;
    const d = this.dim;
    const x = this.x;
    let logit = 0;
    for (let j = 0; j < this.numDense; j++) {
      const v = Math.fround(r.normal());
      dense[d0 + j] = v;
      x[this.fields.length * d + this.bags.length * d + j] = v;
      logit += t.wDense[j] * v;
    }
    for (let f = 0; f < this.fields.length; f++) {
      const id = this.id(r, this.fields[f]);
      cat[c0 + f] = id;
      for (let k = 0; k < d; k++) x[f * d + k] = t.emb[f][id * d + k];
      logit += t.bias[f][id];
    }
    this.bags.forEach((b, i) => {
      const f = this.fields.length + i;
      const len = r.int(b.maxLen + 1);
      for (let k = 0; k < d; k++) x[f * d + k] = 0;
      for (let p = 0; p < len; p++) {
        const id = this.id(r, b.vocab);
        bagIds[i].push(id);
        for (let k = 0; k < d; k++) x[f * d + k] += t.emb[f][id * d + k] / len;
        logit += t.bias[f][id] / len;
      }
    });
    return logit + this.interactions() + this.hiddenLayer();
  }

  private interactions(): number {
    const d = this.dim;
    let s = 0;
    for (const [f, g, c] of this.t.pairs) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += this.x[f * d + k] * this.x[g * d + k];
      s += c * dot;
    }
    return s;
  }

  private hiddenLayer(): number {
    const { w1, w2, inSize } = this.t;
    const H = this.hidden;
    this.h.fill(0);
    for (let i = 0; i < inSize; i++) {
      const xi = this.x[i];
      for (let j = 0; j < H; j++) this.h[j] += xi * w1[i * H + j];
    }
    let s = 0;
    for (let j = 0; j < H; j++) s += w2[j] * Math.tanh(this.h[j]);
    return s;
  }

  /** Intercept giving mean sigmoid(logit) = rate on a pilot sample (bisection). */
  private calibrate(r: Rng, rate: number): number {
    const n = 4096;
    const dense = new Float32Array(this.numDense);
    const cat = new Uint32Array(this.fields.length);
    const bagIds = this.bags.map(() => [] as number[]);
    const logits = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      logits[i] = this.draw(r, dense, 0, cat, 0, bagIds) + this.noise * r.normal();
      bagIds.forEach((b) => (b.length = 0));
    }
    let lo = -30;
    let hi = 30;
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += sigmoid(logits[i] + mid);
      if (mean / n < rate) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }

  /**
   * The next `n` rows of the stream, with the teacher's click probability in `teacher`.
   * @param n rows to draw.
   * @returns a new dataset (labels 0 / 1).
   */
  next(n: number): Dataset {
    const dense = new Float32Array(n * this.numDense);
    const cat = new Uint32Array(n * this.fields.length);
    const labels = new Float32Array(n);
    const teacher = new Float32Array(n);
    const bagIds = this.bags.map(() => [] as number[]);
    const offsets = this.bags.map(() => new Uint32Array(n + 1));
    const r = this.rng;
    for (let i = 0; i < n; i++) {
      const z = this.draw(r, dense, i * this.numDense, cat, i * this.fields.length, bagIds);
      const p = sigmoid(z + this.t.intercept + this.noise * r.normal());
      teacher[i] = p;
      labels[i] = r.next() < p ? 1 : 0;
      bagIds.forEach((b, f) => (offsets[f][i + 1] = b.length));
    }
    return new Dataset({
      labels, dense, numDense: this.numDense, cat, numCat: this.fields.length,
      bags: bagIds.map((ids, f) => ({ ids: Uint32Array.from(ids), offsets: offsets[f] })), teacher,
    });
  }
}

function checkOptions(g: SyntheticCtr, o: SyntheticCtrOptions): void {
  const posInt = (v: unknown, name: string, min = 1): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  posInt(o.rows, 'rows', 0);
  posInt(g.numDense, 'numDense', 0);
  g.fields.forEach((v, i) => posInt(v, `fields[${i}]`));
  g.bags.forEach((b, i) => (posInt(b.vocab, `bags[${i}].vocab`), posInt(b.maxLen, `bags[${i}].maxLen`)));
  posInt(g.dim, 'teacherDim');
  posInt(g.hidden, 'teacherHidden');
  if (!(g.noise >= 0)) throw new RangeError(`noise must be >= 0, got ${g.noise}`);
  const rate = o.baseRate ?? 0.25;
  if (!(rate > 0 && rate < 1)) throw new RangeError(`baseRate must be in (0, 1), got ${rate}`);
  if (o.chunkRows !== undefined) posInt(o.chunkRows, 'chunkRows');
}

/**
 * The dataset in chunks of `chunkRows` rows (memory bounded by one chunk); the concatenated chunks
 * equal {@link syntheticCtr} with the same options.
 * @param o the options.
 * @returns a generator of datasets.
 * @throws TypeError / RangeError as the {@link SyntheticCtr} constructor, at the first `next()`
 *   (generators start lazily).
 */
export function* syntheticCtrChunks(o: SyntheticCtrOptions): Generator<Dataset> {
  const g = new SyntheticCtr(o);
  const chunk = o.chunkRows ?? 65536;
  for (let done = 0; done < o.rows; done += chunk) yield g.next(Math.min(chunk, o.rows - done));
}

/**
 * The whole dataset in memory.
 * @param o the options.
 * @returns `o.rows` rows.
 * @throws TypeError / RangeError as the {@link SyntheticCtr} constructor.
 */
export function syntheticCtr(o: SyntheticCtrOptions): Dataset {
  return new SyntheticCtr(o).next(o.rows);
}
