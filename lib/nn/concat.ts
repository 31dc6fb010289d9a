/** Concatenation of row-major blocks [m x d_i] along features, and the split of its gradient. */
import { Buf } from './layer';

/** Concatenates row-major blocks along features; synchronous, a plain copy (no arithmetic). */
export class Concat {
  /** Width d_i of each part. */
  readonly sizes: readonly number[];
  /** Sum of the widths. */
  readonly outSize: number;
  private readonly outBuf = new Buf();
  private readonly partBufs: Buf[];
  private readonly dParts: Float32Array[];
  private m = 0;

  /**
   * Fixes the part widths (buffers are allocated at the first forward).
   * @param sizes width of each part, in order (at least one; widths may be 0).
   * @throws TypeError for an empty list or a width that is not a non-negative integer.
   */
  constructor(sizes: readonly number[]) {
    if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new TypeError(`Concat: sizes must be non-negative integers, got [${sizes.join(', ')}]`);
    }
    this.sizes = [...sizes];
    this.outSize = sizes.reduce((a, b) => a + b, 0);
    this.partBufs = sizes.map(() => new Buf());
    this.dParts = sizes.map(() => new Float32Array(0));
  }

  /**
   * out[i] = [parts[0][i], parts[1][i], ...].
   * @param parts one block [m x sizes[p]] per part.
   * @param m rows.
   * @returns [m x outSize], in a buffer owned by this object (valid until its next forward).
   * @throws RangeError for a wrong number of parts or a part of the wrong length.
   */
  forward(parts: readonly Float32Array[], m: number): Float32Array {
    if (parts.length !== this.sizes.length) {
      throw new RangeError(`Concat: expected ${this.sizes.length} parts, got ${parts.length}`);
    }
    const out = this.outBuf.get(m * this.outSize);
    let off = 0;
    for (let p = 0; p < parts.length; p++) {
      const d = this.sizes[p];
      const src = parts[p];
      if (src.length !== m * d) throw new RangeError(`Concat: part ${p} must have length ${m * d}, got ${src.length}`);
      for (let i = 0; i < m; i++) {
        const o = i * this.outSize + off;
        for (let j = 0; j < d; j++) out[o + j] = src[i * d + j];
      }
      off += d;
    }
    this.m = m;
    return out;
  }

  /**
   * Splits dy [m x outSize] into one gradient per part (buffers owned by this object).
   * @param dy gradient with respect to the last forward's output [m x outSize].
   * @returns one block [m x sizes[p]] per part.
   */
  backward(dy: Float32Array): readonly Float32Array[] {
    const m = this.m;
    let off = 0;
    for (let p = 0; p < this.sizes.length; p++) {
      const d = this.sizes[p];
      const g = this.partBufs[p].get(m * d);
      for (let i = 0; i < m; i++) {
        const o = i * this.outSize + off;
        for (let j = 0; j < d; j++) g[i * d + j] = dy[o + j];
      }
      this.dParts[p] = g;
      off += d;
    }
    return this.dParts;
  }
}
