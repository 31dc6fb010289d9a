/**
 * Losses computed from logits (never from probabilities: log(sigmoid(z)) and log-softmax are
 * evaluated in forms that neither overflow nor lose the small probabilities). Each returns the
 * mean loss over the rows and, when `grad` is given, writes d(mean loss)/d(logits) into it.
 */

export type LossName = 'bce' | 'softmax_ce' | 'mse';

export interface Loss {
  readonly name: LossName;
  /** Mean loss over m rows of `outputs` logits; fills `grad` (same length as logits) if given. */
  compute(logits: Float32Array, labels: Float32Array, m: number, outputs: number, grad?: Float32Array): number;
  /** Logits to predictions: probabilities (bce, softmax) or values (mse). `out` may be `logits`. */
  predict(logits: Float32Array, m: number, outputs: number, out: Float32Array): Float32Array;
  /** Label values per row the loss expects (1 for bce and softmax: a 0/1 or a class index). */
  labelWidth(outputs: number): number;
}

/** sigmoid(z) without overflow: exp is only ever taken of a non-positive number. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + exp(z)) without overflow. */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Binary cross-entropy of sigmoid(logit) against labels in [0, 1]:
 * mean of softplus(z) - y z, with gradient (sigmoid(z) - y) / m.
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

/** Mean squared error over all m x outputs values; gradient 2 (p - y) / (m outputs). */
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

export const bce: Loss = {
  name: 'bce',
  compute(logits, labels, m, outputs, grad) {
    if (outputs !== 1) throw new RangeError(`bce needs 1 output per row, the model has ${outputs}`);
    return sigmoidBce(logits, labels, grad);
  },
  predict(logits, m, outputs, out) {
    for (let i = 0; i < m * outputs; i++) out[i] = sigmoid(logits[i]);
    return out;
  },
  labelWidth: () => 1,
};

export const softmaxCe: Loss = {
  name: 'softmax_ce',
  compute(logits, labels, m, outputs, grad) {
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

export const mse: Loss = {
  name: 'mse',
  compute(logits, labels, m, outputs, grad) {
    return meanSquaredError(logits, labels, grad);
  },
  predict(logits, m, outputs, out) {
    if (out !== logits) out.set(logits.subarray(0, m * outputs));
    return out;
  },
  labelWidth: (outputs) => outputs,
};

const LOSSES: Record<LossName, Loss> = { bce, softmax_ce: softmaxCe, mse };

/** A loss by name ('bce', 'softmax_ce', 'mse'), or the object itself. */
export function getLoss(loss: LossName | Loss): Loss {
  if (typeof loss === 'object' && loss && typeof loss.compute === 'function') return loss;
  const l = LOSSES[loss as LossName];
  if (!l) throw new TypeError(`loss must be one of ${Object.keys(LOSSES).join(', ')}, got ${String(loss)}`);
  return l;
}
