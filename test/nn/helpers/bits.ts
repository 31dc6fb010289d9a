/** Bitwise comparison helpers for the determinism tests. */
import type { Model } from '../../../lib/nn';

/** True when two float arrays hold exactly the same bits. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Copies of every parameter of a model, in order. */
export function weights(model: Model): Float32Array[] {
  return model.params().map((p) => p.value.slice());
}

export function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => sameBits(x, b[i]));
}
