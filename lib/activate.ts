/** Elementwise activation forward and backward over Float32Array, on the selected backend. */
import { activation, type ActivationLike, type ActivationSpec } from './activations';
import { selected } from './backend/select';
import { allocFloat32, checkFloat32, checkLength, checkOutput } from './check';

/**
 * y = f(x), elementwise.
 * @param act activation descriptor, kind name or validated spec.
 * @param x input.
 * @param out optional output of the same length; may be `x` itself (in place).
 * @returns `out`, or a new Float32Array.
 * @throws TypeError / RangeError for a bad descriptor, a non-Float32Array, a length mismatch, or an
 *   `out` that partly overlaps `x`.
 * Bitwise deterministic: the same inputs give the same bits on every run and thread count.
 */
export function forward(act: ActivationLike, x: Float32Array, out?: Float32Array): Float32Array {
  const spec = activation(act);
  checkFloat32('x', x);
  const y = prepareOut('out', out, x.length, [['x', x]]);
  selected().backend.actForward(spec.code, spec.params, x, y);
  return y;
}

/**
 * dz = dy * f'(z), elementwise: the gradient through the activation from the pre-activation z.
 * @param out optional output; may be `z` or `dy` (in place).
 */
export function backward(act: ActivationLike, z: Float32Array, dy: Float32Array, out?: Float32Array): Float32Array {
  const spec = activation(act);
  checkFloat32('z', z);
  checkFloat32('dy', dy);
  checkLength('dy', dy, z.length, 'the length of z');
  const dz = prepareOut('out', out, z.length, [['z', z], ['dy', dy]]);
  selected().backend.actBackward(spec.code, spec.params, z, dy, dz);
  return dz;
}

/**
 * dz = dy * f'(x) from the output y = f(x) alone, for relu and smelu (whose derivative is a
 * function of y), so training need not keep z.
 * @throws TypeError when the activation is not relu or smelu.
 */
export function backwardFromOutput(
  act: ActivationLike,
  y: Float32Array,
  dy: Float32Array,
  out?: Float32Array,
): Float32Array {
  const spec = requireOutputBackward(activation(act));
  checkFloat32('y', y);
  checkFloat32('dy', dy);
  checkLength('dy', dy, y.length, 'the length of y');
  const dz = prepareOut('out', out, y.length, [['y', y], ['dy', dy]]);
  selected().backend.actBackwardFromOutput(spec.code, spec.params, y, dy, dz);
  return dz;
}

/** f'(z) elementwise (backward with dy = 1). */
export function derivative(act: ActivationLike, z: Float32Array, out?: Float32Array): Float32Array {
  checkFloat32('z', z);
  const ones = allocFloat32('derivative: dy (ones)', z.length).fill(1);
  return backward(act, z, ones, out);
}

export function requireOutputBackward(spec: ActivationSpec): ActivationSpec {
  if (!spec.backwardFromOutput) {
    throw new TypeError(
      `backward from the output needs relu or smelu (their derivative is a function of y); ${spec.kind} needs z`,
    );
  }
  return spec;
}

function prepareOut(
  name: string,
  out: Float32Array | undefined,
  length: number,
  inputs: ReadonlyArray<readonly [string, Float32Array]>,
): Float32Array {
  if (out === undefined) return allocFloat32(name, length);
  checkFloat32(name, out);
  checkLength(name, out, length, 'the input length');
  checkOutput(name, out, inputs, true);
  return out;
}
