/**
 * Prediction difference (PD) between two models evaluated on the same M examples, and its
 * aggregation over every pair of N replicas. Definitions: docs/reproducibility-spec.md.
 *
 * Binary predictions are arrays of M probabilities of the positive label. Multiclass predictions
 * are M x C probability rows, flattened row-major. Ranking scores are one score per candidate,
 * with a query id per candidate.
 */
import { summarize, type Summary } from './stats';

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`predictions differ in length: ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new RangeError('predictions are empty');
  return a.length;
}

function checkRows(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const n = checkSameLength(a, b);
  if (!Number.isInteger(classes) || classes < 2 || n % classes !== 0) {
    throw new RangeError(`length ${n} is not a multiple of classes = ${classes} (>= 2)`);
  }
  return n / classes;
}

/**
 * Relative PD in percent: (100/M) sum |p1 - p2| / ((p1 + p2) / 2). The paper's main number.
 * An example where both probabilities are 0 contributes 0 (the models agree exactly).
 */
export function relativePd(p1: ArrayLike<number>, p2: ArrayLike<number>): number {
  const m = checkSameLength(p1, p2);
  let sum = 0;
  for (let k = 0; k < m; k++) {
    const mean = (p1[k] + p2[k]) / 2;
    if (mean !== 0) sum += Math.abs(p1[k] - p2[k]) / mean;
  }
  return (100 * sum) / m;
}

/** Absolute PD: (1/M) sum |p1 - p2|. */
export function absolutePd(p1: ArrayLike<number>, p2: ArrayLike<number>): number {
  const m = checkSameLength(p1, p2);
  let sum = 0;
  for (let k = 0; k < m; k++) sum += Math.abs(p1[k] - p2[k]);
  return sum / m;
}

/** L2 PD: sqrt((1/M) sum (p1 - p2)^2). */
export function l2Pd(p1: ArrayLike<number>, p2: ArrayLike<number>): number {
  const m = checkSameLength(p1, p2);
  let sum = 0;
  for (let k = 0; k < m; k++) sum += (p1[k] - p2[k]) ** 2;
  return Math.sqrt(sum / m);
}

/** Multiclass L1 PD: the mean total-variation distance (1/2) sum_c |p1(c) - p2(c)|, in [0, 1]. */
export function l1Pd(p1: ArrayLike<number>, p2: ArrayLike<number>, classes: number): number {
  const m = checkRows(p1, p2, classes);
  let sum = 0;
  for (let i = 0; i < m * classes; i++) sum += Math.abs(p1[i] - p2[i]);
  return sum / 2 / m;
}

/** Index of the largest entry of row `k` (the first one on ties, so both models break ties alike). */
function argmaxRow(p: ArrayLike<number>, k: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (p[k * classes + c] > p[k * classes + best]) best = c;
  return best;
}

/** Top-1 disagreement (churn, "Hamming" PD): the fraction of examples whose argmax differs. */
export function top1Disagreement(p1: ArrayLike<number>, p2: ArrayLike<number>, classes: number): number {
  const m = checkRows(p1, p2, classes);
  let differ = 0;
  for (let k = 0; k < m; k++) if (argmaxRow(p1, k, classes) !== argmaxRow(p2, k, classes)) differ++;
  return differ / m;
}

/** Candidate indices grouped by query id, in first-seen order. */
function groupByQuery(queries: ArrayLike<number>): number[][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < queries.length; i++) {
    const g = groups.get(queries[i]);
    if (g) g.push(i);
    else groups.set(queries[i], [i]);
  }
  return [...groups.values()];
}

/**
 * Ranking swap rate, an EXTENSION beyond the papers (which measure pointwise PD only): over all
 * pairs of candidates of the same query, the fraction the two models order differently (the
 * normalized Kendall tau distance, pooled over queries). A pair counts as ordered differently when
 * the signs of the score differences differ, so a tie in one model against an order in the other
 * counts as a swap. Queries with a single candidate have no pairs.
 * @returns a fraction in [0, 1]; 0 when no query has two candidates.
 */
export function swapRate(s1: ArrayLike<number>, s2: ArrayLike<number>, queries: ArrayLike<number>): number {
  checkSameLength(s1, s2);
  if (queries.length !== s1.length) throw new RangeError('queries must have one id per candidate');
  let pairs = 0;
  let swaps = 0;
  for (const g of groupByQuery(queries)) {
    for (let a = 0; a < g.length; a++) {
      for (let b = a + 1; b < g.length; b++) {
        pairs++;
        const i = g[a];
        const j = g[b];
        if (Math.sign(s1[i] - s1[j]) !== Math.sign(s2[i] - s2[j])) swaps++;
      }
    }
  }
  return pairs === 0 ? 0 : swaps / pairs;
}

/** The indices of the k highest scores among `idx` (ties broken by the lower index). */
function topK(s: ArrayLike<number>, idx: number[], k: number): Set<number> {
  const sorted = [...idx].sort((i, j) => s[j] - s[i] || i - j);
  return new Set(sorted.slice(0, k));
}

/**
 * Top-k overlap, an EXTENSION beyond the papers: per query, the Jaccard index |A & B| / |A | B| of
 * the two models' top-k candidate sets, averaged over queries (k is capped at the query's size).
 */
export function topKOverlap(
  s1: ArrayLike<number>,
  s2: ArrayLike<number>,
  queries: ArrayLike<number>,
  k: number,
): number {
  checkSameLength(s1, s2);
  if (queries.length !== s1.length) throw new RangeError('queries must have one id per candidate');
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const groups = groupByQuery(queries);
  let sum = 0;
  for (const g of groups) {
    const a = topK(s1, g, k);
    const b = topK(s2, g, k);
    let inter = 0;
    for (const i of a) if (b.has(i)) inter++;
    sum += inter / (a.size + b.size - inter);
  }
  return sum / groups.length;
}

/** A metric between two models' predictions. */
export type PairMetric<T> = (a: T, b: T) => number;

export interface PairwiseSummary extends Summary {
  /** The metric of every pair (i, j), i < j, in order (0,1), (0,2), ..., (N-2, N-1). */
  values: number[];
}

/**
 * A metric over all N(N-1)/2 pairs of N models: the pair values with their mean, standard deviation
 * and a 95% t-interval. The pairs share models, so they are NOT independent: the interval treats
 * them as if they were and is narrower than an honest interval over replicas; read it as a
 * descriptive band, not a test.
 */
export function pairwise<T>(models: readonly T[], metric: PairMetric<T>): PairwiseSummary {
  if (models.length < 2) throw new RangeError(`need at least 2 models for pairwise PD, got ${models.length}`);
  const values: number[] = [];
  for (let i = 0; i < models.length; i++) {
    for (let j = i + 1; j < models.length; j++) values.push(metric(models[i], models[j]));
  }
  return { ...summarize(values), values };
}
