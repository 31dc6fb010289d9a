/**
 * What models read: batches of rows (dense features, categorical ids, bags, labels) and the shape
 * of a dataset's columns. Types only; shared by the models, the datasets and the feature specs.
 */

/** Names of a dataset's columns (from a file's header), for messages that name them. */
export interface DatasetColumns {
  /** One name per dense feature. */
  dense: string[];
  /** One name per single-valued categorical field. */
  cat: string[];
  /** One name per bag field. */
  bags: string[];
}

/** A multi-valued categorical field of a batch: row i has ids[offsets[i] .. offsets[i + 1]). */
export interface Bag {
  /** The ids of all rows, one after another. */
  ids: Uint32Array;
  /** m + 1 non-decreasing offsets into `ids`, from 0 to ids.length. */
  offsets: Uint32Array;
}

/** What a model reads: m rows of dense features, single-valued ids, bags and labels. */
export interface Batch {
  /** Rows in the batch. */
  m: number;
  /** Dense features [m x numDense], row-major. */
  dense: Float32Array;
  /** Single-valued categorical ids [m x numCat], row-major. */
  cat: Uint32Array;
  /** One bag per multi-valued field. */
  bags: Bag[];
  /** Labels [m x labelWidth]: a 0 or 1, a class index, or regression targets. */
  labels: Float32Array;
}

/** The columns a dataset provides, checked against what a model expects before training. */
export interface DataShape {
  /** Dense features per row. */
  numDense: number;
  /** Single-valued categorical fields. */
  numCat: number;
  /** Multi-valued (bag) fields. */
  numBags: number;
  /** Column names, when known: messages about columns a model cannot take name them. */
  columns?: DatasetColumns;
}
