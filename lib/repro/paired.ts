/**
 * Paired, replica-level statistics (docs/reproducibility-spec.md, "Statistics"). The N(N-1)/2 pair PDs
 * of N replicas share models, so intervals come from resampling MODELS: the delete-one jackknife
 * leaves one replica out (all its pairs go with it) and recomputes the statistic.
 *
 * Replica r of every activation has the same seeds as ReLU's replica r, so an activation is
 * compared to ReLU as a ratio whose jackknife leaves replica r out of both. Ratios and PDs are
 * positive: their intervals are computed on the log scale and mapped back, so they never leave
 * (0, inf) (no "percentage below 0").
 *
 * With several data seeds the units are the (data seed, replica) pairs; a statistic averages its
 * per-seed log value over the seeds, and leaving a unit out changes only its own seed's term.
 */
import { summarize, tQuantile, type Summary } from './stats';

/** The metric of every pair (i, j), i < j, of n replicas, in the order (0,1), (0,2), ..., (n-2, n-1). */
export class PairValues {
  constructor(
    readonly n: number,
    readonly values: readonly number[],
  ) {
    if (values.length !== (n * (n - 1)) / 2) throw new RangeError(`${n} replicas have ${(n * (n - 1)) / 2} pairs, got ${values.length} values`);
  }

  /** Mean over the pairs that do not involve replica `omit` (-1: all pairs). */
  mean(omit = -1): number {
    let s = 0;
    let c = 0;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      for (let j = i + 1; j < this.n; j++, k++) {
        if (i === omit || j === omit) continue;
        s += this.values[k];
        c++;
      }
    }
    return c ? s / c : NaN;
  }
}

export interface Interval {
  /** The statistic on all units. */
  estimate: number;
  /** Jackknife standard error (on the scale the interval was computed on). */
  se: number;
  /** 95% interval: estimate -+ t(0.975, n - 1) x se (mapped back from the log scale where stated). */
  lo: number;
  hi: number;
  /** Units (replicas x data seeds) resampled. */
  units: number;
}

/**
 * Delete-one jackknife: `stat(-1)` on all n units, `stat(u)` without unit u. The standard error is
 * sqrt((n-1)/n * sum (theta_u - mean theta)^2), the interval estimate -+ t(0.975, n-1) se.
 * Fewer than 3 units, or a non-finite leave-one-out value, give a NaN interval.
 */
export function jackknife(n: number, stat: (omit: number) => number): Interval {
  const estimate = stat(-1);
  const nan = { estimate, se: NaN, lo: NaN, hi: NaN, units: n };
  if (n < 3) return nan;
  const thetas = Array.from({ length: n }, (_, u) => stat(u));
  if (!thetas.every(Number.isFinite)) return nan;
  const mean = thetas.reduce((a, b) => a + b, 0) / n;
  const se = Math.sqrt(((n - 1) / n) * thetas.reduce((a, t) => a + (t - mean) ** 2, 0));
  const half = tQuantile(0.975, n - 1) * se;
  return { estimate, se, lo: estimate - half, hi: estimate + half, units: n };
}

/** The jackknife of log(stat), mapped back: a positive statistic keeps a positive interval. */
export function logJackknife(n: number, stat: (omit: number) => number): Interval {
  const j = jackknife(n, (u) => Math.log(stat(u)));
  return { estimate: Math.exp(j.estimate), se: j.se, lo: Math.exp(j.lo), hi: Math.exp(j.hi), units: n };
}

/** Per data seed values of one point: pair PDs, or per-replica values (loss). */
export type Seeded<T> = readonly T[];

/**
 * Averages f(seed d, omitted replica in d or -1) over the data seeds, for unit `omit` of the
 * flattened (seed, replica) numbering; every seed has `n` replicas.
 */
function overSeeds(seeds: number, n: number, omit: number, f: (d: number, o: number) => number): number {
  let s = 0;
  for (let d = 0; d < seeds; d++) s += f(d, omit >= 0 && Math.floor(omit / n) === d ? omit % n : -1);
  return s / seeds;
}

/** Geometric mean over data seeds of the mean PD, with a log-scale jackknife interval over replicas. */
export function meanPdInterval(pd: Seeded<PairValues>): Interval {
  const n = pd[0].n;
  return logJackknife(pd.length * n, (u) => Math.exp(meanLogPd(pd, u)));
}

export interface PairedRatio extends Interval {
  /** The per-pair ratios PD_act(i, j) / PD_ref(i, j) over all pairs and seeds: their spread. */
  pairs: Summary;
}

/** PD(act) / PD(ref), paired by replica: log-scale jackknife leaving replica r out of both. */
export function pdRatio(act: Seeded<PairValues>, ref: Seeded<PairValues>): PairedRatio {
  const n = ref[0].n;
  if (act.length !== ref.length || act.some((a) => a.n !== n)) throw new RangeError('paired PD needs the same replicas and data seeds on both sides');
  const j = logJackknife(act.length * n, (u) => Math.exp(overSeeds(act.length, n, u, (d, o) => Math.log(act[d].mean(o) / ref[d].mean(o)))));
  const ratios = act.flatMap((a, d) => a.values.map((v, k) => v / ref[d].values[k])).filter(Number.isFinite);
  return { ...j, pairs: summarize(ratios) };
}

const meanOmit = (xs: readonly number[], omit: number): number => {
  let s = 0;
  let c = 0;
  xs.forEach((x, i) => i !== omit && ((s += x), c++));
  return s / c;
};

/** Mean loss(act) / mean loss(ref) over paired replicas (per data seed), log-scale jackknife. */
export function lossRatio(act: Seeded<readonly number[]>, ref: Seeded<readonly number[]>): Interval {
  const n = ref[0].length;
  return logJackknife(act.length * n, (u) => Math.exp(overSeeds(act.length, n, u, (d, o) => Math.log(meanOmit(act[d], o) / meanOmit(ref[d], o)))));
}

/** Mean over data seeds of log mean PD, leaving out unit `omit` of the (seed, replica) numbering. */
export function meanLogPd(pd: Seeded<PairValues>, omit: number): number {
  return overSeeds(pd.length, pd[0].n, omit, (d, o) => Math.log(pd[d].mean(o)));
}
