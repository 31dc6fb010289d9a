/**
 * The shapes of a sweep's results, shared by the aggregation (report.ts), the verdicts and the
 * rendering (kept apart so that none of them imports another in a circle).
 */
import type { Source } from './config';
import type { PairwiseSummary } from './metrics';
import type { Interval, PairedRatio, PairValues } from './paired';
import type { Summary } from './stats';

export interface PdSummaries {
  /** Binary: relative PD (%), absolute PD, L2 PD. */
  relative?: PairwiseSummary;
  absolute?: PairwiseSummary;
  l2?: PairwiseSummary;
  /** Multiclass: L1 PD (total variation, as %) and top-1 disagreement (%). */
  l1?: PairwiseSummary;
  top1?: PairwiseSummary;
}

export interface VsRelu {
  /** PD(activation) / PD(ReLU), paired by replica, log-scale jackknife 95% interval; per-pair spread. */
  pd: PairedRatio;
  /** Mean test loss(activation) / mean test loss(ReLU), paired, log-scale jackknife. */
  loss: Interval;
  /** The ReLU point compared to (its learning rate may differ when tuned). */
  reluLearningRate: number;
  /** False for ensembles: their replicas are not paired with ReLU's, the interval combines both jackknifes. */
  paired: boolean;
}

/** Mean test loss and mean pair PD at each evaluation during training. */
export interface CurveResult {
  examples: number[];
  loss: number[];
  pd: number[];
}

export interface PointResult {
  label: string;
  family: string;
  /** The swept parameter (beta) where the family has one. */
  param: number | null;
  source: Source;
  /** Order regime: full, none, window:W. */
  shuffle: string;
  learningRate: number;
  /** Replicas per data seed. */
  replicas: number;
  dataSeeds: number;
  loss: Summary;
  /** AUC (binary) or accuracy (multiclass). */
  quality: Summary;
  /** Pair values pooled over the data seeds (mean ± sd over pairs: descriptive). */
  pd: PdSummaries;
  /** The primary PD's mean with a log-scale jackknife interval over replicas (never below 0). */
  pdInterval: Interval;
  /** Mean validation loss (tuning only). */
  validLoss: number | null;
  /** The rate with the lowest validation loss for this activation, source and regime (always true untuned). */
  chosen: boolean;
  /** 100 (loss - loss_ReLU) / loss_ReLU, against ReLU of the same source and regime; null without a ReLU point. */
  lossChangePct: number | null;
  /** quality - quality_ReLU (AUC or accuracy points). */
  qualityChange: number | null;
  vsRelu: VsRelu | null;
  curve: CurveResult | null;
  /** Mean wall-clock seconds to train one replica. */
  seconds: number;
}

export interface EnsembleResult {
  label: string;
  /** The members' activation family. */
  family: string;
  k: number;
  source: Source;
  shuffle: string;
  /** Number of ensembles (each of k disjoint replicas), over all data seeds. */
  ensembles: number;
  loss: Summary;
  quality: Summary;
  pd: PdSummaries;
  pdInterval: Interval;
  lossChangePct: number | null;
  qualityChange: number | null;
  vsRelu: VsRelu | null;
  /** Training compute relative to one model: k. */
  cost: number;
  seconds: number;
}

/** What the paired statistics need of a point: per data seed, the primary pair PDs and the losses. */
export interface PointData {
  pd: PairValues[];
  loss: number[][];
}

/** A (source, regime) pair: the setting in which activations are compared. */
export const regimeKey = (r: { source: Source; shuffle: string }): string => `${r.source} ${r.shuffle}`;
