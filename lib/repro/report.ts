/**
 * From finished replicas to results: PD over all pairs of replicas per (activation, source) point,
 * accuracy next to it, the change against ReLU, the ensemble baseline, and the markdown table.
 */
import { activation, activationLabel, type Activation } from '../activation';
import type { ReplicaResult } from './cache';
import type { ExperimentConfig, Point, Source } from './config';
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
import { summarize, type Summary } from './stats';

/** Binary (one probability per example) or multiclass (`classes` probabilities per example). */
export interface Task {
  classes: number;
  /** Test labels: 0/1 or class indices. */
  labels: ArrayLike<number>;
}

export interface PdSummaries {
  /** Binary: relative PD (%), absolute PD, L2 PD. */
  relative?: PairwiseSummary;
  absolute?: PairwiseSummary;
  l2?: PairwiseSummary;
  /** Multiclass: L1 PD (total variation, as %) and top-1 disagreement (%). */
  l1?: PairwiseSummary;
  top1?: PairwiseSummary;
}

export interface PointResult {
  label: string;
  family: string;
  /** The swept parameter (beta) where the family has one. */
  param: number | null;
  source: Source;
  replicas: number;
  loss: Summary;
  /** AUC (binary) or accuracy (multiclass). */
  quality: Summary;
  pd: PdSummaries;
  /** 100 (loss - loss_ReLU) / loss_ReLU, with ReLU of the same source; null without a ReLU point. */
  lossChangePct: number | null;
  /** quality - quality_ReLU (AUC or accuracy points). */
  qualityChange: number | null;
  /** Mean wall-clock seconds to train one replica. */
  seconds: number;
}

export interface EnsembleResult {
  label: string;
  k: number;
  source: Source;
  /** Number of ensembles (each of k disjoint replicas). */
  ensembles: number;
  loss: Summary;
  quality: Summary;
  pd: PdSummaries;
  lossChangePct: number | null;
  qualityChange: number | null;
  /** Training compute relative to one model: k. */
  cost: number;
  seconds: number;
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
  return { family: d.kind as string, param: swept ? (d.beta as number) : null };
}

function pointResult(p: Point, rs: ReplicaResult[], task: Task, n: number): PointResult {
  const used = rs.slice(0, n); // the ensemble point trains more; its single-model PD uses the first N
  return {
    label: p.label,
    ...familyOf(p.activation),
    source: p.source,
    replicas: used.length,
    loss: summarize(used.map((r) => r.loss)),
    quality: summarize(used.map((r) => r.quality)),
    pd: pdOf(used.map((r) => r.predictions), task),
    lossChangePct: null,
    qualityChange: null,
    seconds: summarize(used.map((r) => r.seconds)).mean,
  };
}

/** Fills the changes against the ReLU point of the same source. */
function compareToRelu<T extends { source: Source; loss: Summary; quality: Summary; lossChangePct: number | null; qualityChange: number | null }>(
  rows: T[],
  relu: Map<Source, PointResult>,
): void {
  for (const r of rows) {
    const base = relu.get(r.source);
    if (!base) continue;
    r.lossChangePct = (100 * (r.loss.mean - base.loss.mean)) / base.loss.mean;
    r.qualityChange = r.quality.mean - base.quality.mean;
  }
}

/** Elementwise mean of k prediction arrays. */
export function averagePredictions(preds: Float32Array[]): Float32Array {
  const out = new Float32Array(preds[0].length);
  for (const p of preds) for (let i = 0; i < out.length; i++) out[i] += p[i];
  for (let i = 0; i < out.length; i++) out[i] /= preds.length;
  return out;
}

function ensembleResults(cfg: ExperimentConfig, pts: Point[], byPoint: ReplicaResult[][], task: Task): EnsembleResult[] {
  const e = cfg.ensemble;
  if (!e) return [];
  const i = pts.findIndex((p) => p.source === e.source && p.label === activationLabel(e.activation));
  if (i < 0) return [];
  const rs = byPoint[i];
  return e.sizes.map((k) => {
    const groups: Float32Array[] = [];
    let secs = 0;
    for (let j = 0; (j + 1) * k <= rs.length && j < cfg.replicas; j++) {
      const members = rs.slice(j * k, (j + 1) * k);
      groups.push(averagePredictions(members.map((r) => r.predictions)));
      secs += members.reduce((a, r) => a + r.seconds, 0);
    }
    const scores = groups.map((g) => scoreOf(g, task));
    return {
      label: `${pts[i].label} ensemble`,
      k,
      source: e.source,
      ensembles: groups.length,
      loss: summarize(scores.map((s) => s.loss)),
      quality: summarize(scores.map((s) => s.quality)),
      pd: pdOf(groups, task),
      lossChangePct: null,
      qualityChange: null,
      cost: k,
      seconds: secs / groups.length,
    };
  });
}

export interface Results {
  points: PointResult[];
  ensembles: EnsembleResult[];
  /** Activation kernel cost (forward + backward), measured after training; absent in tests. */
  cost?: ActivationCost[];
}

/** Aggregates the replicas of every point (byPoint[i] are the replicas of pts[i], in index order). */
export function aggregate(cfg: ExperimentConfig, pts: Point[], byPoint: ReplicaResult[][], task: Task): Results {
  const points = pts.map((p, i) => pointResult(p, byPoint[i], task, cfg.replicas));
  const relu = new Map<Source, PointResult>();
  for (const r of points) if (r.family === 'relu') relu.set(r.source, r);
  compareToRelu(points, relu);
  const ensembles = ensembleResults(cfg, pts, byPoint, task);
  compareToRelu(ensembles, relu);
  return { points, ensembles };
}
