/**
 * Elementwise activation forward and backward over Float32Array, on the selected backend.
 *
 * Every function here is synchronous and runs on the calling thread. Results are bitwise
 * deterministic: the same inputs give the same bits on every run, for every thread count and on
 * every native ISA tier. The TypeScript backend is deterministic too; it and the native backend
 * each stay within the spec's error bound of the float64 `reference` but need not agree bit for bit.
 */
import { activation, type ActivationLike, type ActivationSpec } from './activations';
import { selected } from './backend/select';
import { allocFloat32, checkFloat32, checkLength, checkOutput } from './check';

/**
 * y = f(x), elementwise.
 *
 * Synchronous, on the calling thread. Bitwise deterministic: the same inputs give the same bits on
 * every run, thread count and native ISA tier.
 * @param act activation descriptor, kind name or validated spec.
 * @param x input, any length.
 * @param out optional output of `x.length`; may be `x` itself (in place), but must not partly
 *   overlap it.
 * @returns `out`, or a new Float32Array.
 * @throws TypeError for a bad descriptor (see {@link activation}) or an `x` / `out` that is not a
 *   Float32Array (or is detached).
 * @throws RangeError for a parameter out of its domain, an `out` of another length or partly
 *   overlapping `x`, or a failed allocation of `out`.
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
 *
 * Synchronous, on the calling thread. Bitwise deterministic, as {@link forward}.
 * @param act activation descriptor, kind name or validated spec.
 * @param z the pre-activation (the forward's input).
 * @param dy gradient of the loss with respect to y = f(z), of `z.length`.
 * @param out optional output of `z.length`; may be `z` or `dy` (exactly in place), but must not
 *   partly overlap either.
 * @returns `out`, or a new Float32Array: dL/dz.
 * @throws TypeError for a bad descriptor or an array that is not a Float32Array.
 * @throws RangeError for a parameter out of its domain, `dy` / `out` of another length than `z`,
 *   an `out` partly overlapping an input, or a failed allocation.
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
 *
 * Synchronous, on the calling thread. Bitwise deterministic, as {@link forward}.
 * @param act a relu or smelu descriptor, kind name or spec.
 * @param y the forward's output.
 * @param dy gradient of the loss with respect to y, of `y.length`.
 * @param out optional output of `y.length`; may be `y` or `dy` (exactly in place), but must not
 *   partly overlap either.
 * @returns `out`, or a new Float32Array: dL/dx.
 * @throws TypeError when the activation is not relu or smelu, for a bad descriptor, or for an
 *   array that is not a Float32Array.
 * @throws RangeError for a parameter out of its domain, `dy` / `out` of another length than `y`,
 *   an `out` partly overlapping an input, or a failed allocation.
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

/**
 * f'(z) elementwise (backward with dy = 1).
 *
 * Allocates a temporary array of ones of `z.length`. Synchronous, bitwise deterministic.
 * @param act activation descriptor, kind name or validated spec.
 * @param z points at which to evaluate f'.
 * @param out optional output of `z.length`; may be `z` itself.
 * @returns `out`, or a new Float32Array.
 * @throws TypeError / RangeError as {@link backward}.
 */
export function derivative(act: ActivationLike, z: Float32Array, out?: Float32Array): Float32Array {
  checkFloat32('z', z);
  const ones = allocFloat32('derivative: dy (ones)', z.length).fill(1);
  return backward(act, z, ones, out);
}

/**
 * Returns `spec` when its backward can work from y alone (relu, smelu).
 * @throws TypeError otherwise.
 * @internal
 */
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
