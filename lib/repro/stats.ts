/**
 * Summary statistics for the reproducibility lab: mean, sample standard deviation and a Student-t
 * 95% interval for the mean.
 *
 * The t quantile is computed, not tabled, from the closed-form Student t CDF for integer degrees
 * of freedom (Abramowitz & Stegun 26.7.3 / 26.7.4) and bisection: pair counts are arbitrary
 * integers (N(N-1)/2), and a table would need an interpolation rule of its own.
 */

export interface Summary {
  /** Number of values summarized. */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 when n < 2. */
  sd: number;
  /** Lower end of the 95% t-interval for the mean; equals the mean when n < 2. */
  lo: number;
  /** Upper end of the 95% t-interval for the mean; equals the mean when n < 2. */
  hi: number;
}

/** Mean, sample standard deviation and the 95% t-interval of `values`. */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, lo: NaN, hi: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: 0, lo: mean, hi: mean };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, lo: mean - half, hi: mean + half };
}

/** P(T <= t) for Student's t with integer `df` >= 1 degrees of freedom. */
export function tCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`df must be a positive integer, got ${df}`);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const a = centralMass(Math.abs(t), df); // P(|T| <= |t|)
  return t >= 0 ? 0.5 + a / 2 : 0.5 - a / 2;
}

/** P(-t <= T <= t), t >= 0, by the finite trigonometric series for integer df. */
function centralMass(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const s = Math.sin(theta);
  const c2 = Math.cos(theta) ** 2;
  if (df % 2 === 0) {
    // sin(theta) * (1 + c2/2 + 1*3 c2^2/(2*4) + ... ) with df/2 terms
    let term = 1;
    let sum = 1;
    for (let j = 1; j <= df / 2 - 1; j++) {
      term *= (c2 * (2 * j - 1)) / (2 * j);
      sum += term;
    }
    return s * sum;
  }
  // (2/pi) (theta + sin cos (1 + 2/3 c2 + 2*4/(3*5) c2^2 + ...)) with (df-1)/2 terms
  if (df === 1) return (2 / Math.PI) * theta;
  let term = 1;
  let sum = 1;
  for (let j = 1; j <= (df - 3) / 2; j++) {
    term *= (c2 * 2 * j) / (2 * j + 1);
    sum += term;
  }
  return (2 / Math.PI) * (theta + s * Math.cos(theta) * sum);
}

/** The p-quantile (0.5 <= p < 1) of Student's t with integer `df`, by bisection on {@link tCdf}. */
export function tQuantile(p: number, df: number): number {
  if (!(p >= 0.5 && p < 1)) throw new RangeError(`p must be in [0.5, 1), got ${p}`);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2; // df = 1, p = 0.975 needs 12.7
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * `x` with `digits` decimals, except a nonzero value that would print as zero: that one gets two
 * significant digits (`6.3e-6`), so a PD or ratio at rounding level is not read as exactly 0.
 */
export function fixed(x: number, digits: number): string {
  return x !== 0 && Math.abs(x) < 0.5 * 10 ** -digits ? x.toExponential(1) : x.toFixed(digits);
}
