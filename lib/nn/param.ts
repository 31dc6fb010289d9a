/**
 * Trainable tensors. A {@link Param} is dense: its gradient has the same size as its value. A
 * {@link SparseParam} is an embedding table whose gradient covers only the rows a batch used, so a
 * step costs O(rows used x dim), not O(vocabulary x dim).
 *
 * `value` is a plain field on purpose: the asynchronous trainer rebinds it to a view of a
 * SharedArrayBuffer, and every layer reads `param.value` at use time instead of caching it.
 */

/** A dense trainable tensor: value and gradient of the same length. */
export class Param {
  /** Discriminant of {@link AnyParam}. */
  readonly sparse = false as const;
  /** The values (zeros until the model initializes them). Rebindable: read it at use time. */
  value: Float32Array;
  /** The gradient, same length; layers overwrite it on each backward. */
  readonly grad: Float32Array;

  /**
   * Allocates value and grad, both zeroed.
   * @param name stable name (checkpoints match tensors by it).
   * @param shape dims; the product is the length.
   * @param decay whether weight decay applies (not to biases, norms, activation parameters).
   */
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly decay: boolean,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    this.value = new Float32Array(n);
    this.grad = new Float32Array(n);
  }

  /** Number of values (the product of the shape). */
  get length(): number {
    return this.value.length;
  }
}

/**
 * An embedding table [rows x dim] with a row-sparse gradient. During backward a layer calls
 * {@link slot} for each row it touches; rows get slots in first-use order, which keeps the
 * optimizer's loop order (and so the bits) a function of the batch alone.
 */
export class SparseParam {
  /** Discriminant of {@link AnyParam}. */
  readonly sparse = true as const;
  /** Always true: weight decay applies to embedding rows (only to the rows a step touches). */
  readonly decay = true;
  /** The table [numRows x dim], row-major. Rebindable: read it at use time. */
  value: Float32Array;
  /** Rows touched by the last backward, in first-use order; the first `count` entries are valid. */
  rows: Uint32Array;
  /** Gradient of the touched rows: slot s holds row rows[s] at [s * dim, (s + 1) * dim). */
  grad: Float32Array;
  /** Number of valid entries in {@link rows} (rows touched since the last {@link clearGrad}). */
  count = 0;
  /** rows -> slot + 1 (0 = untouched); reset after each backward for the rows used only. */
  private readonly slotOf: Int32Array;

  /**
   * Allocates the table (zeroed) and gradient slots for `initialCapacity` rows (grown on demand).
   * @param name stable name (checkpoints match tensors by it).
   * @param numRows rows of the table (the vocabulary).
   * @param dim values per row.
   * @param initialCapacity starting number of gradient slots (default 256, at most numRows).
   */
  constructor(
    readonly name: string,
    readonly numRows: number,
    readonly dim: number,
    initialCapacity = 256,
  ) {
    this.value = new Float32Array(numRows * dim);
    this.slotOf = new Int32Array(numRows);
    const cap = Math.max(1, Math.min(initialCapacity, numRows));
    this.rows = new Uint32Array(cap);
    this.grad = new Float32Array(cap * dim);
  }

  /** Number of values, numRows * dim. */
  get length(): number {
    return this.value.length;
  }

  /** [numRows, dim]. */
  get shape(): readonly number[] {
    return [this.numRows, this.dim];
  }

  /** Forgets the previous gradient (touching only the rows it used). */
  clearGrad(): void {
    for (let s = 0; s < this.count; s++) this.slotOf[this.rows[s]] = 0;
    this.count = 0;
  }

  /**
   * The slot of `row` in {@link grad}, adding it (with a zero gradient) on first use.
   * May replace `grad` and `rows` by larger arrays: read them after calling.
   * @param row a row of the table, in [0, numRows) (not checked).
   * @returns the slot index s: the row's gradient is grad[s * dim, (s + 1) * dim).
   */
  slot(row: number): number {
    const s = this.slotOf[row];
    if (s !== 0) return s - 1;
    if (this.count === this.rows.length) this.grow();
    const slot = this.count++;
    this.rows[slot] = row;
    this.slotOf[row] = slot + 1;
    this.grad.fill(0, slot * this.dim, (slot + 1) * this.dim);
    return slot;
  }

  /** Doubles the slot capacity: happens only while batches grow, never in the steady state. */
  private grow(): void {
    const cap = Math.min(this.numRows, this.rows.length * 2);
    const rows = new Uint32Array(cap);
    rows.set(this.rows);
    const grad = new Float32Array(cap * this.dim);
    grad.set(this.grad);
    this.rows = rows;
    this.grad = grad;
  }
}

/** Any trainable tensor; `sparse` tells which kind. */
export type AnyParam = Param | SparseParam;

/**
 * Total number of trainable values.
 * @param params the tensors, e.g. `model.params()`.
 * @returns the sum of their lengths (embedding tables count in full).
 */
export function countParams(params: readonly AnyParam[]): number {
  let n = 0;
  for (const p of params) n += p.value.length;
  return n;
}
