/**
 * Verdicts on the claims of docs/reproducibility-spec.md, generated from the paired intervals (never
 * written by hand). Every rule is stated in RULES and printed with the results. Only points at
 * their chosen learning rate enter; "similar accuracy" is a mean test loss within
 * SIMILAR_LOSS_PCT of ReLU's.
 */
import { jackknife, meanLogPd } from './paired';
import { regimeKey, type EnsembleResult, type PointData, type PointResult } from './results';
import { fixed } from './stats';

export type VerdictValue = 'holds' | 'does not hold' | 'inconclusive';

export interface Verdict {
  claim: number;
  /** `source shuffle`, e.g. `both window:4096`. */
  regime: string;
  /** What the verdict is about: an activation, a family, or `all`. */
  subject: string;
  verdict: VerdictValue;
  /** The interval(s) the verdict follows from. */
  evidence: string;
}

export const SIMILAR_LOSS_PCT = 1;
const LOSS_TOLERANCE = 1 + SIMILAR_LOSS_PCT / 100;

export const RULES = [
  `Intervals: 95% delete-one-replica jackknife on the log scale (ratios stay positive). "Similar accuracy": mean test loss within ${SIMILAR_LOSS_PCT}% of ReLU's. Only each activation's chosen learning rate enters.`,
  '1 (ReLU has the highest PD among activations of similar accuracy): holds if every such activation has PD ratio hi < 1; does not hold if one has lo > 1; else inconclusive.',
  `2 (a smooth activation reduces PD at equal or better accuracy), per activation: holds if PD ratio hi < 1 and loss ratio hi <= ${LOSS_TOLERANCE}; does not hold if PD ratio lo > 1 or loss ratio lo > ${LOSS_TOLERANCE}; else inconclusive. "all": holds / does not hold when every activation does, else inconclusive.`,
  '3 (SmeLU matches the other smooth activations\' tradeoff, being the cheapest): cost: holds if every SmeLU setting costs less per element than every GELU, Swish and Softplus setting (a median timing, no interval). Tradeoff, per regime: the lowest-PD SmeLU point within the loss tolerance against each other smooth family\'s: does not hold if a family\'s PD ratio hi < SmeLU\'s lo; holds if none is and SmeLU\'s interval is narrower than hi/lo = 1.25; else inconclusive.',
  '4 (PD falls as SmeLU beta grows; PD half only): slope of log PD against log beta over the SmeLU points (>= 3 betas): holds if hi < 0, does not hold if lo > 0, else inconclusive.',
  '5 (ensembles reduce PD; a single smooth model can replace them): ReLU ensemble PD ratio (unpaired) hi < 1 holds, lo > 1 does not; replacement: the smooth point with the lowest PD ratio against the smallest ReLU ensemble: holds if its hi < the ensemble lo, does not hold if its lo > the ensemble hi.',
  '6 (heavier shuffling shrinks the smooth advantage), per smooth activation and windowed/unshuffled regime: the paired log-ratio difference log(PD ratio, full) - log(PD ratio, regime): holds if lo > 0, does not hold if hi < 0, else inconclusive.',
];

const SMOOTH = new Set(['smelu', 'gsmelu', 'rescu2', 'gelu', 'gelu_tanh', 'swish', 'softplus']);
const f = (x: number | null): string => (x !== null && Number.isFinite(x) ? fixed(x, 3) : 'undefined');
/** A ratio is undefined when a PD it rests on is 0 (replicas that predict bit for bit alike). */
const iv = (x: { estimate: number; lo: number; hi: number }): string =>
  x.estimate !== null && Number.isFinite(x.estimate)
    ? `${f(x.estimate)} [${f(x.lo)}, ${f(x.hi)}]`
    : 'undefined (a PD of 0: replicas that predict identically)';

function decide(holds: boolean, fails: boolean): VerdictValue {
  if (holds && !fails) return 'holds';
  if (fails) return 'does not hold';
  return 'inconclusive';
}

function combine(vs: VerdictValue[]): VerdictValue {
  if (vs.length && vs.every((v) => v === 'holds')) return 'holds';
  if (vs.length && vs.every((v) => v === 'does not hold')) return 'does not hold';
  return 'inconclusive';
}

function claim1(regime: string, pts: PointResult[]): Verdict {
  const similar = pts.filter((p) => SMOOTH.has(p.family) && p.vsRelu && Math.abs(p.lossChangePct!) <= SIMILAR_LOSS_PCT);
  const holds = similar.length > 0 && similar.every((p) => p.vsRelu!.pd.hi < 1);
  const fails = similar.some((p) => p.vsRelu!.pd.lo > 1);
  const evidence = similar.length ? similar.map((p) => `${p.label} ${iv(p.vsRelu!.pd)}`).join('; ') : 'no smooth activation within the loss tolerance';
  return { claim: 1, regime, subject: 'all', verdict: decide(holds, fails), evidence };
}

function claim2(regime: string, pts: PointResult[]): Verdict[] {
  const rows = pts.filter((p) => SMOOTH.has(p.family) && p.vsRelu).map((p): Verdict => {
    const { pd, loss } = p.vsRelu!;
    return {
      claim: 2, regime, subject: p.label,
      verdict: decide(pd.hi < 1 && loss.hi <= LOSS_TOLERANCE, pd.lo > 1 || loss.lo > LOSS_TOLERANCE),
      evidence: `PD ratio ${iv(pd)}, loss ratio ${iv(loss)}`,
    };
  });
  return [...rows, { claim: 2, regime, subject: 'all', verdict: combine(rows.map((r) => r.verdict)), evidence: `${rows.filter((r) => r.verdict === 'holds').length} of ${rows.length} hold` }];
}

const OTHER_SMOOTH = ['gelu', 'gelu_tanh', 'swish', 'softplus'];

/** The lowest-PD-ratio point of a family among those of similar accuracy. */
function bestOf(pts: PointResult[], family: string): PointResult | undefined {
  const ok = pts.filter((p) => p.family === family && p.vsRelu && Math.abs(p.lossChangePct!) <= SIMILAR_LOSS_PCT);
  return ok.length ? ok.reduce((a, b) => (b.vsRelu!.pd.estimate < a.vsRelu!.pd.estimate ? b : a)) : undefined;
}

function claim3(regime: string, pts: PointResult[]): Verdict[] {
  const s = bestOf(pts, 'smelu');
  const others = OTHER_SMOOTH.map((f) => bestOf(pts, f)).filter((p): p is PointResult => !!p);
  if (!s || !others.length) return [];
  const sp = s.vsRelu!.pd;
  const better = others.filter((o) => o.vsRelu!.pd.hi < sp.lo);
  const verdict: VerdictValue = better.length ? 'does not hold' : sp.hi / sp.lo <= 1.25 ? 'holds' : 'inconclusive';
  const evidence = [`${s.label} ${iv(sp)}`, ...others.map((o) => `${o.label} ${iv(o.vsRelu!.pd)}`)].join('; ');
  return [{ claim: 3, regime, subject: 'tradeoff', verdict, evidence }];
}

/** Claim 3's cost half, from the activation cost table (a timing, no interval). */
export function costVerdict(cost: ReadonlyArray<{ label: string; nsPerElement: number }>): Verdict[] {
  const smelu = cost.filter((c) => c.label.startsWith('smelu('));
  const others = cost.filter((c) => OTHER_SMOOTH.some((f) => c.label === f || c.label.startsWith(`${f}(`)));
  if (!smelu.length || !others.length) return [];
  const worst = smelu.reduce((a, b) => (b.nsPerElement > a.nsPerElement ? b : a));
  const cheapest = others.reduce((a, b) => (b.nsPerElement < a.nsPerElement ? b : a));
  return [{
    claim: 3, regime: 'kernel cost', subject: 'cost', verdict: worst.nsPerElement < cheapest.nsPerElement ? 'holds' : 'does not hold',
    evidence: `dearest SmeLU ${worst.label} ${worst.nsPerElement.toFixed(3)} ns/element; cheapest other smooth ${cheapest.label} ${cheapest.nsPerElement.toFixed(3)}`,
  }];
}

function claim4(regime: string, pts: PointResult[], data: Map<object, PointData>): Verdict[] {
  const smelu = pts.filter((p) => p.family === 'smelu' && p.param !== null).sort((a, b) => a.param! - b.param!);
  if (smelu.length < 3) return [];
  const betas = smelu.map((p) => p.param!);
  const pds = smelu.map((p) => data.get(p)!.pd);
  const n = pds[0][0].n;
  const lx = betas.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const sxx = lx.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = jackknife(pds[0].length * n, (u) => {
    const ly = pds.map((pd) => meanLogPd(pd, u));
    const my = ly.reduce((a, b) => a + b, 0) / ly.length;
    return lx.reduce((a, x, i) => a + (x - mx) * (ly[i] - my), 0) / sxx;
  });
  return [{ claim: 4, regime, subject: 'smelu', verdict: decide(slope.hi < 0, slope.lo > 0), evidence: `slope of log PD vs log beta (betas ${betas.join(', ')}): ${iv(slope)}` }];
}

function claim5(regime: string, pts: PointResult[], ens: EnsembleResult[]): Verdict[] {
  const relu = ens.filter((e) => e.family === 'relu' && e.vsRelu && regimeKey(e) === regime).sort((a, b) => a.k - b.k);
  if (!relu.length) return [];
  const out = relu.map((e): Verdict => ({
    claim: 5, regime, subject: `relu ensemble K=${e.k}`, verdict: decide(e.vsRelu!.pd.hi < 1, e.vsRelu!.pd.lo > 1), evidence: `PD ratio ${iv(e.vsRelu!.pd)} (unpaired)`,
  }));
  const smooth = pts.filter((p) => SMOOTH.has(p.family) && p.vsRelu);
  if (smooth.length) {
    const best = smooth.reduce((a, b) => (b.vsRelu!.pd.estimate < a.vsRelu!.pd.estimate ? b : a));
    const e = relu[0].vsRelu!.pd;
    const b = best.vsRelu!.pd;
    out.push({ claim: 5, regime, subject: `${best.label} vs relu ensemble K=${relu[0].k}`, verdict: decide(b.hi < e.lo, b.lo > e.hi), evidence: `${iv(b)} against ${iv(e)}` });
  }
  return out;
}

/** Claim 6: the paired difference of log PD ratios between a full reshuffle and another regime of the same source. */
function claim6(points: PointResult[], data: Map<object, PointData>): Verdict[] {
  const out: Verdict[] = [];
  const chosen = points.filter((p) => p.chosen);
  for (const full of chosen.filter((p) => p.shuffle === 'full' && SMOOTH.has(p.family))) {
    const reluFull = chosen.find((q) => q.family === 'relu' && regimeKey(q) === regimeKey(full));
    for (const other of chosen.filter((q) => q.label === full.label && q.source === full.source && q.shuffle !== 'full')) {
      const reluOther = chosen.find((q) => q.family === 'relu' && regimeKey(q) === regimeKey(other));
      if (!reluFull || !reluOther) continue;
      const [a, b, c, d] = [full, reluFull, other, reluOther].map((p) => data.get(p)!.pd);
      const n = a[0].n;
      const diff = jackknife(a.length * n, (u) => meanLogPd(a, u) - meanLogPd(b, u) - (meanLogPd(c, u) - meanLogPd(d, u)));
      out.push({
        claim: 6, regime: `${full.source} full vs ${other.shuffle}`, subject: full.label, verdict: decide(diff.lo > 0, diff.hi < 0),
        evidence: `log ratio difference ${iv(diff)} (ratios ${f(full.vsRelu?.pd.estimate ?? NaN)} full, ${f(other.vsRelu?.pd.estimate ?? NaN)} ${other.shuffle})`,
      });
    }
  }
  return out;
}

/** Every verdict of a run: claims 1 to 5 per regime, claim 6 across regimes (claim 3's cost half: {@link costVerdict}). */
export function verdicts(points: PointResult[], ens: EnsembleResult[], data: Map<object, PointData>): Verdict[] {
  const regimes = [...new Set(points.map(regimeKey))];
  const out: Verdict[] = [];
  for (const regime of regimes) {
    const pts = points.filter((p) => p.chosen && regimeKey(p) === regime);
    if (!pts.some((p) => p.family === 'relu')) continue;
    out.push(claim1(regime, pts), ...claim2(regime, pts), ...claim3(regime, pts), ...claim4(regime, pts, data), ...claim5(regime, pts, ens));
  }
  return [...out, ...claim6(points, data)];
}
