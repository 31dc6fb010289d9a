/**
 * Row-at-a-time construction of a {@link Dataset} for loaders that do not know the row count in
 * advance. Rows go into fixed-size chunks (no doubling and re-copying of one huge array); the
 * final arrays are assembled once, in `finish`.
 */
import { Dataset, type DatasetColumns } from './dataset';

const CHUNK_ROWS = 16384;

/** The columns of the rows a {@link DatasetBuilder} collects. */
export interface BuilderShape {
  /** Dense features per row. */
  numDense: number;
  /** Single-valued categorical fields per row. */
  numCat: number;
  /** Bag fields per row (default 0). */
  numBags?: number;
  /** Label values per row (default 1). */
  labelWidth?: number;
  /** Classes, for class-index labels. */
  numClasses?: number;
  /** Column names, passed on to the datasets. */
  columns?: DatasetColumns;
}

/** Collects rows one at a time, then assembles a {@link Dataset}. */
export class DatasetBuilder {
  /** Dense features per row. */
  readonly numDense: number;
  /** Categorical fields per row. */
  readonly numCat: number;
  /** Bag fields per row. */
  readonly numBags: number;
  /** Label values per row. */
  readonly labelWidth: number;
  /** Classes, passed on to the dataset. */
  readonly numClasses: number | undefined;
  /** Column names, passed on to the datasets. */
  readonly columns: DatasetColumns | undefined;
  /** Scratch row a parser fills before {@link commit}: nothing reaches the data before that. */
  readonly rowDense: Float32Array;
  /** Scratch categorical ids of the current row. */
  readonly rowCat: Uint32Array;
  /** Scratch labels of the current row. */
  readonly rowLabel: Float32Array;
  /** Scratch bag ids of the current row, per bag field. */
  readonly rowBags: number[][];
  private dense: Float32Array[] = [];
  private cat: Uint32Array[] = [];
  private labels: Float32Array[] = [];
  private bagIds: number[][];
  private bagLens: number[][];
  private inChunk = CHUNK_ROWS;
  private total = 0;

  /**
   * An empty builder with scratch rows for `shape`.
   * @param shape the columns.
   */
  constructor(shape: BuilderShape) {
    this.numDense = shape.numDense;
    this.numCat = shape.numCat;
    this.numBags = shape.numBags ?? 0;
    this.labelWidth = shape.labelWidth ?? 1;
    this.numClasses = shape.numClasses;
    this.columns = shape.columns;
    this.rowDense = new Float32Array(this.numDense);
    this.rowCat = new Uint32Array(this.numCat);
    this.rowLabel = new Float32Array(this.labelWidth);
    this.rowBags = Array.from({ length: this.numBags }, () => []);
    this.bagIds = Array.from({ length: this.numBags }, () => []);
    this.bagLens = Array.from({ length: this.numBags }, () => []);
  }

  /** Rows committed since the last {@link finish}. */
  get rows(): number {
    return this.total;
  }

  /** Appends the scratch row (a copy) and empties the scratch bags. */
  commit(): void {
    if (this.inChunk === CHUNK_ROWS) {
      this.dense.push(new Float32Array(CHUNK_ROWS * this.numDense));
      this.cat.push(new Uint32Array(CHUNK_ROWS * this.numCat));
      this.labels.push(new Float32Array(CHUNK_ROWS * this.labelWidth));
      this.inChunk = 0;
    }
    const c = this.dense.length - 1;
    const r = this.inChunk++;
    this.dense[c].set(this.rowDense, r * this.numDense);
    this.cat[c].set(this.rowCat, r * this.numCat);
    this.labels[c].set(this.rowLabel, r * this.labelWidth);
    for (let f = 0; f < this.numBags; f++) {
      const row = this.rowBags[f];
      for (const id of row) this.bagIds[f].push(id);
      this.bagLens[f].push(row.length);
      row.length = 0;
    }
    this.total++;
  }

  /**
   * The rows so far as a Dataset; the builder is emptied (chunks are released as they are copied).
   * @returns a new dataset of {@link rows} rows.
   */
  finish(): Dataset {
    const n = this.total;
    const take = <T extends Float32Array | Uint32Array>(chunks: T[], width: number, out: T): T => {
      let o = 0;
      while (chunks.length) {
        const ch = chunks.shift()!;
        const len = Math.min(ch.length, n * width - o);
        out.set(ch.subarray(0, len), o);
        o += len;
      }
      return out;
    };
    const dense = take(this.dense, this.numDense, new Float32Array(n * this.numDense));
    const cat = take(this.cat, this.numCat, new Uint32Array(n * this.numCat));
    const labels = take(this.labels, this.labelWidth, new Float32Array(n * this.labelWidth));
    const bags = this.bagIds.map((ids, f) => {
      const offsets = new Uint32Array(n + 1);
      for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + this.bagLens[f][i];
      return { ids: Uint32Array.from(ids), offsets };
    });
    this.bagIds = this.bagIds.map(() => []);
    this.bagLens = this.bagLens.map(() => []);
    this.total = 0;
    this.inChunk = CHUNK_ROWS;
    return new Dataset({
      labels, dense, numDense: this.numDense, cat, numCat: this.numCat, bags,
      labelWidth: this.labelWidth, numClasses: this.numClasses, columns: this.columns,
    });
  }
}
