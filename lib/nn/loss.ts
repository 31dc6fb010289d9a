/**
 * Losses computed from logits (never from probabilities: log(sigmoid(z)) and log-softmax are
 * evaluated in forms that neither overflow nor lose the small probabilities). Each returns the
 * mean loss over the rows and, when `grad` is given, writes d(mean loss)/d(logits) into it.
 */

/** The built-in losses: binary cross-entropy, softmax cross-entropy, mean squared error. */
export type LossName = 'bce' | 'softmax_ce' | 'mse';

/** A loss over logits, as the train loop uses it. Synchronous, fixed-order float64 sums. */
export interface Loss {
  /** Which loss; checkpoints and `checkTask` read it. */
  readonly name: LossName;
  /**
   * Mean loss over m rows of `outputs` logits; fills `grad` (same length as logits) if given.
   * @param logits [m x outputs].
   * @param labels [m x labelWidth(outputs)].
   * @param m rows.
   * @param outputs logits per row.
   * @param grad optional [m x outputs] that receives d(mean loss)/d(logits).
   * @returns the mean loss (0 for m = 0).
   * @throws RangeError for a label out of range or mismatched lengths.
   */
  compute(logits: Float32Array, labels: Float32Array, m: number, outputs: number, grad?: Float32Array): number;
  /**
   * Logits to predictions: probabilities (bce, softmax) or values (mse). `out` may be `logits`.
   * @param logits [m x outputs].
   * @param m rows.
   * @param outputs logits per row.
   * @param out [m x outputs] to fill.
   * @returns `out`.
   */
  predict(logits: Float32Array, m: number, outputs: number, out: Float32Array): Float32Array;
  /**
   * Label values per row the loss expects (1 for bce and softmax: a 0/1 or a class index).
   * @param outputs the model's logits per row.
   * @returns 1, or `outputs` for mse.
   */
  labelWidth(outputs: number): number;
}

/**
 * sigmoid(z) without overflow: exp is only ever taken of a non-positive number.
 * @param z any number.
 * @returns 1 / (1 + exp(-z)), in [0, 1].
 */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * log(1 + exp(z)) without overflow.
 * @param z any number.
 * @returns softplus(z), >= 0.
 */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Binary cross-entropy of sigmoid(logit) against labels in [0, 1]:
 * mean of softplus(z) - y z, with gradient (sigmoid(z) - y) / m.
 * @param logits one logit per row [m].
 * @param labels [m], each in [0, 1] (soft labels allowed).
 * @param grad optional [m] that receives the gradient.
 * @returns the mean loss (0 for m = 0).
 * @throws RangeError when the lengths differ or a label is outside [0, 1] (or NaN).
 */
export function sigmoidBce(logits: Float32Array, labels: Float32Array, grad?: Float32Array): number {
  const m = logits.length;
  checkSame('labels', labels.length, m);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const z = logits[i];
    const y = labels[i];
    if (!(y >= 0 && y <= 1)) throw new RangeError(`bce: label ${y} of row ${i} is outside [0, 1]`);
    sum += softplus(z) - y * z;
    if (grad) grad[i] = (sigmoid(z) - y) / m;
  }
  return m ? sum / m : 0;
}

/**
 * Softmax cross-entropy, logits [m x classes], labels = class indices [m]:
 * mean of logsumexp(z) - z[label], gradient (softmax(z) - onehot) / m. The max is subtracted
 * before exp, so any finite logits work.
 * @param logits [m x classes], row-major.
 * @param labels [m] class indices, integers in [0, classes).
 * @param classes logits per row.
 * @param grad optional [m x classes] that receives the gradient.
 * @returns the mean loss (0 for m = 0).
 * @throws RangeError when logits is not m x classes long or a label is not a class index.
 */
export function softmaxCrossEntropy(
  logits: Float32Array, labels: Float32Array, classes: number, grad?: Float32Array,
): number {
  const m = labels.length;
  checkSame('logits', logits.length, m * classes);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const o = i * classes;
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) {
      throw new RangeError(`softmax_ce: label ${y} of row ${i} is not a class index in [0, ${classes})`);
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c] - max);
    const lse = max + Math.log(s);
    sum += lse - logits[o + y];
    if (grad) {
      for (let c = 0; c < classes; c++) {
        grad[o + c] = (Math.exp(logits[o + c] - lse) - (c === y ? 1 : 0)) / m;
      }
    }
  }
  return m ? sum / m : 0;
}

/**
 * Mean squared error over all m x outputs values; gradient 2 (p - y) / (m outputs).
 * @param pred predictions [m x outputs].
 * @param targets of the same length.
 * @param grad optional array of the same length that receives the gradient.
 * @returns the mean (0 for empty input).
 * @throws RangeError when the lengths differ.
 */
export function meanSquaredError(pred: Float32Array, targets: Float32Array, grad?: Float32Array): number {
  const n = pred.length;
  checkSame('targets', targets.length, n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - targets[i];
    sum += d * d;
    if (grad) grad[i] = (2 * d) / n;
  }
  return n ? sum / n : 0;
}

function checkSame(name: string, got: number, want: number): void {
  if (got !== want) throw new RangeError(`${name} must have length ${want}, got ${got}`);
}

/** Binary cross-entropy on one logit per row ({@link sigmoidBce}); predicts probabilities. */
export const bce: Loss = {
  name: 'bce',
  compute(logits, labels, _m, outputs, grad) {
    if (outputs !== 1) throw new RangeError(`bce needs 1 output per row, the model has ${outputs}`);
    return sigmoidBce(logits, labels, grad);
  },
  predict(logits, m, outputs, out) {
    for (let i = 0; i < m * outputs; i++) out[i] = sigmoid(logits[i]);
    return out;
  },
  labelWidth: () => 1,
};

/** Softmax cross-entropy over C logits per row ({@link softmaxCrossEntropy}); predicts probabilities. */
export const softmaxCe: Loss = {
  name: 'softmax_ce',
  compute(logits, labels, _m, outputs, grad) {
    return softmaxCrossEntropy(logits, labels, outputs, grad);
  },
  predict(logits, m, outputs, out) {
    for (let i = 0; i < m; i++) {
      const o = i * outputs;
      let max = -Infinity;
      for (let c = 0; c < outputs; c++) max = Math.max(max, logits[o + c]);
      let s = 0;
      for (let c = 0; c < outputs; c++) s += Math.exp(logits[o + c] - max);
      for (let c = 0; c < outputs; c++) out[o + c] = Math.exp(logits[o + c] - max) / s;
    }
    return out;
  },
  labelWidth: () => 1,
};

/** Mean squared error ({@link meanSquaredError}); predicts the logits themselves. */
export const mse: Loss = {
  name: 'mse',
  compute(logits, labels, _m, _outputs, grad) {
    return meanSquaredError(logits, labels, grad);
  },
  predict(logits, m, outputs, out) {
    if (out !== logits) out.set(logits.subarray(0, m * outputs));
    return out;
  },
  labelWidth: (outputs) => outputs,
};

const LOSSES: Record<LossName, Loss> = { bce, softmax_ce: softmaxCe, mse };

/**
 * A loss by name ('bce', 'softmax_ce', 'mse'), or the object itself.
 * @param loss a name, or any object with a `compute` method (returned as is).
 * @returns the loss.
 * @throws TypeError for an unknown name.
 */
export function getLoss(loss: LossName | Loss): Loss {
  if (typeof loss === 'object' && loss && typeof loss.compute === 'function') return loss;
  const l = LOSSES[loss as LossName];
  if (!l) throw new TypeError(`loss must be one of ${Object.keys(LOSSES).join(', ')}, got ${String(loss)}`);
  return l;
}
