/** Argument checks shared by the public API: each error names the argument and what was expected. */
import { describeValue } from './activations';

export function checkFloat32(name: string, v: unknown): Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new TypeError(`${name} must be a Float32Array, got ${describeValue(v)}`);
  }
  if (isDetached(v)) throw new TypeError(`${name} is a Float32Array over a detached ArrayBuffer`);
  return v;
}

export function checkLength(name: string, v: Float32Array, expected: number, what: string): void {
  if (v.length !== expected) {
    throw new RangeError(`${name} must have length ${expected} (${what}), got ${v.length}`);
  }
}

/** A dimension: a non-negative safe integer. */
export function checkDim(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${describeValue(v)}`);
  }
  if (v > 0x7fffffff) throw new RangeError(`${name} must be < 2^31, got ${v}`);
  return v;
}

/** m * k as an element count that a Float32Array can hold (refused before any allocation). */
export function checkProduct(names: string, a: number, b: number): number {
  const p = a * b;
  if (!Number.isSafeInteger(p) || p > MAX_ELEMENTS) {
    throw new RangeError(`${names} = ${p} elements exceeds the largest Float32Array (${MAX_ELEMENTS})`);
  }
  return p;
}

/** The largest typed array V8 allocates on 64-bit builds (2^32 - 1 elements since Node 14? 2^30 to be safe for Float32 views). */
export const MAX_ELEMENTS = 2 ** 32 - 1;

function isDetached(v: Float32Array): boolean {
  // A detached buffer reports byteLength 0 while the view still claims its original length in
  // some engines; checking the buffer avoids reading freed memory in the native layer.
  return (v.buffer as ArrayBuffer).byteLength === 0 && v.length === 0 && (v.buffer as { detached?: boolean }).detached === true;
}

/** True when the two views share any byte. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer) return false;
  const a0 = a.byteOffset;
  const a1 = a0 + a.byteLength;
  const b0 = b.byteOffset;
  const b1 = b0 + b.byteLength;
  return a0 < b1 && b0 < a1;
}

/** Exactly the same memory: the only kind of aliasing the in-place kernels allow. */
export function sameView(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}

/** An output may be exactly in place over the listed inputs, but must not partly overlap them. */
export function checkOutput(
  outName: string,
  out: Float32Array,
  inputs: ReadonlyArray<readonly [string, Float32Array]>,
  allowInPlace: boolean,
): void {
  for (const [name, input] of inputs) {
    if (!overlaps(out, input)) continue;
    if (allowInPlace && sameView(out, input)) continue;
    throw new RangeError(
      allowInPlace
        ? `${outName} overlaps ${name} without being exactly the same view: pass the same array for in place, or a separate one`
        : `${outName} must not share memory with ${name}`,
    );
  }
}
