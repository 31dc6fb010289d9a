/**
 * Trainable tensors. A {@link Param} is dense: its gradient has the same size as its value. A
 * {@link SparseParam} is an embedding table whose gradient covers only the rows a batch used, so a
 * step costs O(rows used x dim), not O(vocabulary x dim).
 *
 * `value` is a plain field on purpose: the asynchronous trainer rebinds it to a view of a
 * SharedArrayBuffer, and every layer reads `param.value` at use time instead of caching it.
 */

export class Param {
  readonly sparse = false as const;
  value: Float32Array;
  readonly grad: Float32Array;

  /**
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
  readonly sparse = true as const;
  readonly decay = true;
  value: Float32Array;
  /** Rows touched by the last backward, in first-use order; the first `count` entries are valid. */
  rows: Uint32Array;
  /** Gradient of the touched rows: slot s holds row rows[s] at [s * dim, (s + 1) * dim). */
  grad: Float32Array;
  count = 0;
  /** rows -> slot + 1 (0 = untouched); reset after each backward for the rows used only. */
  private readonly slotOf: Int32Array;

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

  get length(): number {
    return this.value.length;
  }

  get shape(): readonly number[] {
    return [this.numRows, this.dim];
  }

  /** Forgets the previous gradient (touching only the rows it used). */
  clearGrad(): void {
    for (let s = 0; s < this.count; s++) this.slotOf[this.rows[s]] = 0;
    this.count = 0;
  }

  /** The slot of `row` in {@link grad}, adding it (with a zero gradient) on first use. */
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

export type AnyParam = Param | SparseParam;

/** Total number of trainable values. */
export function countParams(params: readonly AnyParam[]): number {
  let n = 0;
  for (const p of params) n += p.value.length;
  return n;
}
