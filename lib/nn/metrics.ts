/** Evaluation metrics: log loss, AUC (ties counted as one half), accuracy. */

/**
 * Any array of numbers (number[], Float32Array, ...).
 * @inline
 */
type Num = ArrayLike<number>;

/**
 * Mean binary log loss of probabilities p against labels in [0, 1]. p is clipped to
 * [eps, 1 - eps] so that one confident mistake gives a large finite number, not Infinity.
 * @param labels [n], each in [0, 1].
 * @param probs predicted probabilities [n].
 * @param eps clipping margin (default 1e-7).
 * @returns the mean; NaN for n = 0.
 * @throws RangeError when the lengths differ.
 */
export function logLoss(labels: Num, probs: Num, eps = 1e-7): number {
  sameLength(labels, probs);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probs[i], eps), 1 - eps);
    const y = labels[i];
    sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return labels.length ? sum / labels.length : NaN;
}

/**
 * Mean multiclass log loss: probs [n x classes] (rows of a softmax), labels class indices [n].
 * @param labels [n] class indices (not checked).
 * @param probs [n x classes], row-major.
 * @param classes columns of probs.
 * @param eps smallest probability taken (default 1e-7).
 * @returns the mean of -log(p[label]); NaN for n = 0.
 * @throws RangeError when probs is not n x classes long.
 */
export function multiclassLogLoss(labels: Num, probs: Num, classes: number, eps = 1e-7): number {
  if (probs.length !== labels.length * classes) {
    throw new RangeError(`probs must have length ${labels.length * classes} (n x classes), got ${probs.length}`);
  }
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probs[i * classes + labels[i]], eps));
  return labels.length ? sum / labels.length : NaN;
}

/**
 * Area under the ROC curve = P(score of a random positive > score of a random negative), a tie
 * counting 1/2 (the Mann-Whitney statistic), so it does not depend on how ties are ordered.
 * O(n log n): positives and negatives are sorted apart and merged with two monotone pointers.
 * Labels > 0.5 are positives. NaN when one class is absent.
 * @param labels [n].
 * @param scores [n], any monotone score (probabilities or logits).
 * @returns the AUC in [0, 1], or NaN.
 * @throws RangeError when the lengths differ, or on a NaN score (it has no place in the order).
 */
export function auc(labels: Num, scores: Num): number {
  sameLength(labels, scores);
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) nPos++;
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    const s = scores[i];
    if (Number.isNaN(s)) throw new RangeError(`auc: score ${i} is NaN`);
    if (labels[i] > 0.5) pos[a++] = s;
    else neg[b++] = s;
  }
  pos.sort();
  neg.sort();
  let below = 0; // negatives strictly below the current positive
  let notAbove = 0; // negatives below or equal
  let wins = 0;
  for (let i = 0; i < nPos; i++) {
    const p = pos[i];
    while (below < nNeg && neg[below] < p) below++;
    if (notAbove < below) notAbove = below;
    while (notAbove < nNeg && neg[notAbove] <= p) notAbove++;
    wins += below + 0.5 * (notAbove - below);
  }
  return wins / nPos / nNeg;
}

/**
 * Fraction of correct predictions. classes = 1: binary, scores are probabilities compared with
 * `threshold` (labels > 0.5 are positives). classes > 1: scores [n x classes], the first maximal
 * column is the prediction.
 * @param labels [n]: 0 / 1, or class indices.
 * @param scores [n x classes].
 * @param classes 1 (default) for binary, else the number of classes.
 * @param threshold binary decision threshold (default 0.5; a score equal to it counts as positive).
 * @returns the fraction in [0, 1]; NaN for n = 0.
 * @throws RangeError when scores is not n x classes long.
 */
export function accuracy(labels: Num, scores: Num, classes = 1, threshold = 0.5): number {
  const n = labels.length;
  if (scores.length !== n * classes) {
    throw new RangeError(`scores must have length ${n * classes} (n x classes), got ${scores.length}`);
  }
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (classes === 1) {
      if ((scores[i] >= threshold) === (labels[i] > 0.5)) ok++;
      continue;
    }
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
    if (best === labels[i]) ok++;
  }
  return n ? ok / n : NaN;
}

function sameLength(a: Num, b: Num): void {
  if (a.length !== b.length) throw new RangeError(`labels and scores differ in length: ${a.length} vs ${b.length}`);
}
