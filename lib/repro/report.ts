/**
 * From finished replicas to results: PD over all pairs of replicas per (activation, source) point,
 * accuracy next to it, the change against ReLU, the ensemble baseline, and the markdown table.
 */
import { activation, type Activation } from '../activation';
import type { ReplicaResult } from './cache';
import { sameActivation, type ExperimentConfig, type Point, type Source } from './config';
import { accuracy, auc, logLoss, multiclassLogLoss } from '../nn/metrics';
import {
  absolutePd,
  l1Pd,
  l2Pd,
  pairwise,
  relativePd,
  top1Disagreement,
  type PairwiseSummary,
} from './metrics';
import type { ActivationCost } from './cost';
import { summarize, tQuantile } from './stats';
import { logJackknife, lossRatio, meanPdInterval, PairValues, pdRatio, type Interval } from './paired';
import { verdicts, type Verdict } from './verdicts';
import { regimeKey, type CurveResult, type EnsembleResult, type PdSummaries, type PointData, type PointResult } from './results';

export { regimeKey, type CurveResult, type EnsembleResult, type PdSummaries, type PointData, type PointResult, type VsRelu } from './results';

/** Binary (one probability per example) or multiclass (`classes` probabilities per example). */
export interface Task {
  classes: number;
  /** Test labels: 0/1 or class indices. */
  labels: ArrayLike<number>;
}

const pct = (f: (a: Float32Array, b: Float32Array) => number) => (a: Float32Array, b: Float32Array) => 100 * f(a, b);

/** PD summaries of a set of models' predictions. */
function pdOf(preds: Float32Array[], task: Task): PdSummaries {
  if (task.classes <= 1) {
    return {
      relative: pairwise(preds, relativePd),
      absolute: pairwise(preds, absolutePd),
      l2: pairwise(preds, l2Pd),
    };
  }
  const c = task.classes;
  return {
    l1: pairwise(preds, pct((a, b) => l1Pd(a, b, c))),
    top1: pairwise(preds, pct((a, b) => top1Disagreement(a, b, c))),
  };
}

/** The PD plotted and tabled first: relative PD (binary) or L1 PD (multiclass). */
export function primaryPd(pd: PdSummaries): PairwiseSummary {
  return (pd.relative ?? pd.l1)!;
}

/** Log loss and AUC / accuracy of one prediction set. */
export function scoreOf(p: Float32Array, task: Task): { loss: number; quality: number } {
  const y = task.labels;
  if (task.classes <= 1) return { loss: logLoss(y, p), quality: auc(y, p) };
  return { loss: multiclassLogLoss(y, p, task.classes), quality: accuracy(y, p, task.classes) };
}

/** Family and swept parameter of an activation, for the chart's curves. */
export function familyOf(a: Activation): { family: string; param: number | null } {
  const d = activation(a).descriptor as Record<string, unknown>;
  const swept = ['smelu', 'swish', 'softplus', 'rescu2'].includes(d.kind as string);
  return { family: d.kind === 'identity' ? 'linear' : (d.kind as string), param: swept ? (d.beta as number) : null };
}

/** Pair summaries of several data seeds pooled into one (the values of every seed, in seed order). */
function poolPd(perSeed: PdSummaries[]): PdSummaries {
  const out: PdSummaries = {};
  for (const k of Object.keys(perSeed[0]) as (keyof PdSummaries)[]) {
    const values = perSeed.flatMap((p) => p[k]!.values);
    out[k] = { ...summarize(values), values };
  }
  return out;
}

/** The primary metric's pair values of one set of models. */
function primaryValues(preds: Float32Array[], task: Task): PairValues {
  return new PairValues(preds.length, primaryPd(pdOf(preds, task)).values);
}


/** byPoint[i][d][r]: replica r of point i on data seed d. */
export type Replicas = ReplicaResult[][][];

function curveOf(rs: ReplicaResult[][], tasks: Task[]): CurveResult | null {
  const c0 = rs[0][0].curve;
  if (!c0 || rs.some((seed) => seed.some((r) => !r.curve || r.curve.examples.length !== c0.examples.length))) return null;
  const at = (e: number) => ({
    loss: summarize(rs.flatMap((seed) => seed.map((r) => r.curve!.loss[e]))).mean,
    pd: summarize(rs.flatMap((seed, d) => primaryPd(pdOf(seed.map((r) => r.curve!.predictions[e]), tasks[d])).values)).mean,
  });
  const pts = c0.examples.map((_, e) => at(e));
  return { examples: c0.examples, loss: pts.map((p) => p.loss), pd: pts.map((p) => p.pd) };
}

function pointResult(p: Point, bySeed: ReplicaResult[][], tasks: Task[], n: number): [PointResult, PointData] {
  const used = bySeed.map((rs) => rs.slice(0, n)); // an ensemble point trains more; its single-model PD uses the first N
  const all = used.flat();
  const data: PointData = { pd: used.map((rs, d) => primaryValues(rs.map((r) => r.predictions), tasks[d])), loss: used.map((rs) => rs.map((r) => r.loss)) };
  const valid = all.every((r) => r.validLoss !== undefined) ? summarize(all.map((r) => r.validLoss!)).mean : null;
  const res: PointResult = {
    label: p.label,
    ...familyOf(p.activation),
    source: p.source,
    shuffle: p.shuffle,
    learningRate: p.learningRate,
    replicas: n,
    dataSeeds: used.length,
    loss: summarize(all.map((r) => r.loss)),
    quality: summarize(all.map((r) => r.quality)),
    pd: poolPd(used.map((rs, d) => pdOf(rs.map((r) => r.predictions), tasks[d]))),
    pdInterval: meanPdInterval(data.pd),
    validLoss: valid,
    chosen: true,
    lossChangePct: null,
    qualityChange: null,
    vsRelu: null,
    curve: curveOf(used, tasks),
    seconds: summarize(all.map((r) => r.seconds)).mean,
  };
  return [res, data];
}


/**
 * Marks each activation's rate: per order regime, the one with the lowest mean validation loss
 * under the first source; every other source of that activation and regime uses the same rate
 * (all rates are chosen when untuned).
 */
function chooseRates(points: PointResult[], first: Source): void {
  const best = new Map<string, number>();
  for (const p of points) {
    if (p.source !== first || p.validLoss === null) continue;
    const k = `${p.label}|${p.shuffle}`;
    const cur = points.find((q) => q.source === first && `${q.label}|${q.shuffle}` === k && q.learningRate === best.get(k));
    if (!cur || p.validLoss < cur.validLoss!) best.set(k, p.learningRate);
  }
  for (const p of points) {
    const rate = best.get(`${p.label}|${p.shuffle}`);
    if (rate !== undefined) p.chosen = p.learningRate === rate;
  }
}

/** The ReLU point a point is compared to: same regime; the same rate on the grid, ReLU's chosen rate for a chosen point. */
function reluFor(p: { source: Source; shuffle: string; learningRate?: number; chosen?: boolean }, points: PointResult[]): PointResult | undefined {
  const relu = points.filter((q) => q.family === 'relu' && regimeKey(q) === regimeKey(p));
  return p.chosen === false ? relu.find((q) => q.learningRate === p.learningRate) : relu.find((q) => q.chosen);
}

function compare(p: PointResult, data: PointData, base: PointResult, baseData: PointData): void {
  p.lossChangePct = (100 * (p.loss.mean - base.loss.mean)) / base.loss.mean;
  p.qualityChange = p.quality.mean - base.quality.mean;
  p.vsRelu = { pd: pdRatio(data.pd, baseData.pd), loss: lossRatio(data.loss, baseData.loss), reluLearningRate: base.learningRate, paired: true };
}

/** Elementwise mean of k prediction arrays. */
export function averagePredictions(preds: Float32Array[]): Float32Array {
  const out = new Float32Array(preds[0].length);
  for (const p of preds) for (let i = 0; i < out.length; i++) out[i] += p[i];
  for (let i = 0; i < out.length; i++) out[i] /= preds.length;
  return out;
}

/** Unpaired ratio of two log-scale intervals: the standard errors add in quadrature. */
function unpairedRatio(a: Interval, b: Interval): Interval {
  const se = Math.sqrt(a.se ** 2 + b.se ** 2);
  const est = a.estimate / b.estimate;
  const half = tQuantile(0.975, Math.max(1, Math.min(a.units, b.units) - 1)) * se;
  return { estimate: est, se, lo: est * Math.exp(-half), hi: est * Math.exp(half), units: Math.min(a.units, b.units) };
}

function ensembleOf(cfg: ExperimentConfig, p: PointResult, bySeed: ReplicaResult[][], tasks: Task[], k: number): [EnsembleResult, PointData] {
  const groups = bySeed.map((rs) => {
    const gs: { preds: Float32Array; secs: number }[] = [];
    for (let j = 0; (j + 1) * k <= rs.length && j < cfg.replicas; j++) {
      const members = rs.slice(j * k, (j + 1) * k);
      gs.push({ preds: averagePredictions(members.map((r) => r.predictions)), secs: members.reduce((a, r) => a + r.seconds, 0) });
    }
    return gs;
  });
  const scores = groups.flatMap((gs, d) => gs.map((g) => scoreOf(g.preds, tasks[d])));
  const data: PointData = {
    pd: groups.map((gs, d) => primaryValues(gs.map((g) => g.preds), tasks[d])),
    loss: groups.map((gs, d) => gs.map((g) => scoreOf(g.preds, tasks[d]).loss)),
  };
  const res: EnsembleResult = {
    label: `${p.label} ensemble`,
    family: p.family,
    k,
    source: p.source,
    shuffle: p.shuffle,
    ensembles: scores.length,
    loss: summarize(scores.map((s) => s.loss)),
    quality: summarize(scores.map((s) => s.quality)),
    pd: poolPd(groups.map((gs, d) => pdOf(gs.map((g) => g.preds), tasks[d]))),
    pdInterval: meanPdInterval(data.pd),
    lossChangePct: null,
    qualityChange: null,
    vsRelu: null,
    cost: k,
    seconds: summarize(groups.flat().map((g) => g.secs)).mean,
  };
  return [res, data];
}

function ensembleResults(cfg: ExperimentConfig, pts: Point[], points: PointResult[], byPoint: Replicas, tasks: Task[], data: Map<object, PointData>): EnsembleResult[] {
  const e = cfg.ensemble;
  if (!e) return [];
  const out: EnsembleResult[] = [];
  points.forEach((p, i) => {
    if (p.source !== e.source || !p.chosen || !e.activations.some((a) => sameActivation(a, pts[i].activation))) return;
    const base = reluFor(p, points);
    for (const k of e.sizes) {
      const [r, d] = ensembleOf(cfg, p, byPoint[i], tasks, k);
      if (base) {
        const bd = data.get(base)!;
        r.lossChangePct = (100 * (r.loss.mean - base.loss.mean)) / base.loss.mean;
        r.qualityChange = r.quality.mean - base.quality.mean;
        const pd = unpairedRatio(r.pdInterval, base.pdInterval);
        r.vsRelu = { pd: { ...pd, pairs: summarize([]) }, loss: unpairedRatio(logJackknife(d.loss.flat().length, (u) => meanOmit(d.loss.flat(), u)), logJackknife(bd.loss.flat().length, (u) => meanOmit(bd.loss.flat(), u))), reluLearningRate: base.learningRate, paired: false };
      }
      data.set(r, d);
      out.push(r);
    }
  });
  return out;
}

const meanOmit = (xs: number[], omit: number): number => {
  let s = 0;
  let c = 0;
  xs.forEach((x, i) => i !== omit && ((s += x), c++));
  return s / c;
};

export interface Results {
  points: PointResult[];
  ensembles: EnsembleResult[];
  /** Verdicts per claim and regime, generated from the intervals (lib/repro/verdicts.ts). */
  verdicts: Verdict[];
  /** Activation kernel cost (forward + backward), measured after training; absent in tests. */
  cost?: ActivationCost[];
}

/** Aggregates the replicas of every point: byPoint[i][d] are the replicas of pts[i] on data seed d, in index order. */
export function aggregate(cfg: ExperimentConfig, pts: Point[], byPoint: Replicas, tasks: Task[]): Results {
  const data = new Map<object, PointData>();
  const points = pts.map((p, i) => {
    const [r, d] = pointResult(p, byPoint[i], tasks, cfg.replicas);
    data.set(r, d);
    return r;
  });
  chooseRates(points, cfg.sources[0]);
  for (const p of points) {
    const base = reluFor(p, points);
    if (base) compare(p, data.get(p)!, base, data.get(base)!);
  }
  const ensembles = ensembleResults(cfg, pts, points, byPoint, tasks, data);
  return { points, ensembles, verdicts: verdicts(points, ensembles, data) };
}
