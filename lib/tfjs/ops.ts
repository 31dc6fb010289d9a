/**
 * SmeLU, gSmeLU and RESCU-2 as TensorFlow.js ops with their analytic gradients (tf.customGrad),
 * and every other smelu activation from tfjs ops (gradients by autodiff). Formulas:
 * docs/activations.md; the branch-free forms are the ones the ONNX export uses.
 */
import type * as TF from '@tensorflow/tfjs';
import { activation, type ActivationLike } from '../activation';
import { tf } from './load';

/** A TensorFlow.js tensor. */
export type Tensor = TF.Tensor;
type GradSave = (tensors: Tensor[]) => void;
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];
/** A parameter: a number, or a tensor broadcastable against x (e.g. one value per unit). */
export type ParamLike = number | Tensor;

/** The five gSmeLU parameters of {@link gsmelu}; omitted ones take gsmelu's defaults. */
export interface GsmeluParams {
  /** Slope left of the transition (default 0). */
  gNeg?: ParamLike;
  /** Slope right of the transition (default 1). */
  gPos?: ParamLike;
  /** The transition starts at -alpha (default 1). */
  alpha?: ParamLike;
  /** The transition ends at beta (default 1); alpha + beta must be > 0. */
  beta?: ParamLike;
  /** Vertical shift (default 0). */
  t?: ParamLike;
}

/** Sums a broadcast gradient back to a parameter's shape. */
function reduceTo(g: Tensor, shape: number[]): Tensor {
  let r = g;
  while (r.rank > shape.length) r = tf.sum(r, 0);
  const axes = shape.flatMap((d, i) => (d === 1 && r.shape[i] !== 1 ? [i] : []));
  if (axes.length) r = tf.sum(r, axes, true);
  return tf.reshape(r, shape);
}

/**
 * q = clip(u / width, 0, 1) and the unit-slope ramp R = q (u - width q / 2), u = relu(x + alpha):
 * 0 left of -alpha, u^2 / (2 width) in the transition, x - (beta - alpha) / 2 right of beta.
 * (relu on u only matters at x = -Infinity, where it avoids 0 * -Infinity.)
 */
function ramp(x: Tensor, alpha: Tensor | number, width: Tensor | number): { q: Tensor; r: Tensor } {
  const u = tf.relu(tf.add(x, alpha));
  const q = tf.clipByValue(tf.div(u, width), 0, 1);
  return { q, r: tf.mul(q, tf.sub(u, tf.mul(q, tf.mul(width, 0.5)))) };
}

const GSMELU_OP = tf.customGrad(((x: Tensor, gNeg: Tensor, gPos: Tensor, alpha: Tensor, beta: Tensor, t: Tensor, save: GradSave) => {
  const { q, r } = ramp(x, alpha, tf.add(alpha, beta));
  const slope = tf.sub(gPos, gNeg);
  save([x, gNeg, gPos, alpha, beta, t, q, r]);
  return {
    value: tf.add(tf.add(t, tf.mul(gNeg, x)), tf.mul(slope, r)),
    // df/dx = gNeg + slope q; df/dgNeg = x - R; df/dgPos = R; df/dalpha = slope (q - q^2/2);
    // df/dbeta = -slope q^2/2; df/dt = 1 (with q clipped these hold on every piece)
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sx, gn, gp, al, be, st, sq, sr] = saved;
      const s = tf.sub(gp, gn);
      const halfQ2 = tf.mul(tf.square(sq), 0.5);
      return [
        tf.mul(dy, tf.add(gn, tf.mul(s, sq))),
        reduceTo(tf.mul(dy, tf.sub(sx, sr)), gn.shape),
        reduceTo(tf.mul(dy, sr), gp.shape),
        reduceTo(tf.mul(dy, tf.mul(s, tf.sub(sq, halfQ2))), al.shape),
        reduceTo(tf.neg(tf.mul(dy, tf.mul(s, halfQ2))), be.shape),
        reduceTo(dy, st.shape),
      ];
    },
  };
}) as unknown as CustomGradientFunc);

function smeluOp(beta: number): (x: Tensor) => Tensor {
  return tf.customGrad(((x: Tensor, save: GradSave) => {
    const { q, r } = ramp(x, beta, 2 * beta);
    save([q]);
    return { value: r, gradFunc: (dy: Tensor, [m]: Tensor[]) => tf.mul(dy, m) };
  }) as unknown as CustomGradientFunc);
}

function rescu2Op(beta: number): (x: Tensor) => Tensor {
  return tf.customGrad(((x: Tensor, save: GradSave) => {
    // f = relu(x) + c^3 / (6 beta^2), c = relu(beta - |x|); f' = 1 - c^2/(2 beta^2) for x > 0, else c^2/(2 beta^2)
    const c = tf.relu(tf.sub(beta, tf.abs(x)));
    const c2 = tf.square(c);
    save([x, c2]);
    return {
      value: tf.add(tf.relu(x), tf.mul(tf.mul(c2, c), 1 / (6 * beta * beta))),
      gradFunc: (dy: Tensor, [sx, sc2]: Tensor[]) => {
        const k = tf.mul(sc2, 1 / (2 * beta * beta));
        return tf.mul(dy, tf.where(tf.greater(sx, 0), tf.sub(1, k), k));
      },
    };
  }) as unknown as CustomGradientFunc);
}

function softplusOp(beta: number, threshold: number): (x: Tensor) => Tensor {
  // analytic gradient: tfjs has no gradient through the comparison inside tf.where
  return tf.customGrad(((x: Tensor, save: GradSave) => {
    const bx = tf.mul(x, beta);
    const linear = tf.greater(bx, threshold);
    save([bx, linear]);
    return {
      value: tf.where(linear, x, tf.div(tf.softplus(bx), beta)),
      gradFunc: (dy: Tensor, [sbx, sl]: Tensor[]) => tf.mul(dy, tf.where(sl, tf.onesLike(sbx), tf.sigmoid(sbx))),
    };
  }) as unknown as CustomGradientFunc);
}

/**
 * SmeLU with half-width beta, elementwise; its gradient is clamp((x + beta) / (2 beta), 0, 1).
 * @param x a float32 tensor.
 * @param beta >= 0 (default 1; 0 is exactly ReLU).
 * @returns a new tensor.
 * @throws TypeError / RangeError for a bad beta, as smelu's `activation`.
 */
export function smelu(x: Tensor, beta = 1): Tensor {
  const b = activation({ kind: 'smelu', beta }).params[0];
  return b === 0 ? tf.relu(x) : smeluOp(b)(x);
}

/**
 * RESCU-2 with half-width beta, elementwise, with its analytic gradient.
 * @param x a float32 tensor.
 * @param beta > 0 (default 1).
 * @returns a new tensor.
 * @throws TypeError / RangeError for a bad beta.
 */
export function rescu2(x: Tensor, beta = 1): Tensor {
  return rescu2Op(activation({ kind: 'rescu2', beta }).params[0])(x);
}

/**
 * Generalized SmeLU, elementwise, with gradients for x and all five parameters (tensor parameters
 * get their gradient summed over the axes they were broadcast along: trainable as tf variables).
 * @param x a float32 tensor.
 * @param p the parameters: numbers (checked like smelu's `activation`) or tensors broadcastable
 *   against x (not checked: alpha + beta must be > 0).
 * @returns a new tensor.
 * @throws TypeError / RangeError for bad number parameters.
 */
export function gsmelu(x: Tensor, p: GsmeluParams = {}): Tensor {
  const numbers = Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'number'));
  const d = activation({ kind: 'gsmelu', ...numbers }).descriptor as Required<Record<keyof GsmeluParams, number>>;
  const t = (k: keyof GsmeluParams) => (p[k] instanceof tf.Tensor ? (p[k] as Tensor) : tf.scalar(d[k]));
  return GSMELU_OP(x, t('gNeg'), t('gPos'), t('alpha'), t('beta'), t('t'));
}

/**
 * Any smelu activation with fixed parameters, from tfjs ops (SmeLU, gSmeLU, RESCU-2 with the
 * analytic gradients above; GELU through erf or tanh, Swish, Softplus with its threshold, sigmoid,
 * relu, identity by autodiff).
 * @param x a float32 tensor.
 * @param act a descriptor, kind name or spec.
 * @returns a new tensor (x itself for identity).
 * @throws TypeError / RangeError for a bad descriptor.
 */
export function activate(x: Tensor, act: ActivationLike): Tensor {
  const s = activation(act);
  const p = s.params;
  switch (s.kind) {
    case 'identity':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'smelu':
      return smelu(x, p[0]);
    case 'rescu2':
      return rescu2(x, p[0]);
    case 'gsmelu':
      return gsmelu(x, s.descriptor as GsmeluParams);
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'gelu_tanh': {
      const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'swish':
      return tf.mul(x, tf.sigmoid(tf.mul(x, p[0])));
    case 'softplus':
      return softplusOp(p[0], p[1])(x);
  }
}
