import { describe, expect, it } from 'vitest';
import {
  absolutePd,
  l1Pd,
  l2Pd,
  pairwise,
  relativePd,
  swapRate,
  top1Disagreement,
  topKOverlap,
} from '../../lib/repro/metrics';
import { summarize, tCdf, tQuantile } from '../../lib/repro/stats';

describe('binary PD', () => {
  const p1 = [0.2, 0, 0.5];
  const p2 = [0.4, 0, 0.5];

  it('relative PD: |0.2 - 0.4| / 0.3 on one of three examples, in percent', () => {
    expect(relativePd(p1, p2)).toBeCloseTo((100 * (0.2 / 0.3)) / 3, 12);
  });

  it('counts 0/0 (both probabilities zero) as 0, and one zero against one as 200%', () => {
    expect(relativePd([0, 0], [0, 0])).toBe(0);
    expect(relativePd([0], [1])).toBeCloseTo(200, 12);
    expect(Number.isFinite(relativePd([0, 1e-30], [0, 0]))).toBe(true);
  });

  it('is symmetric and 0 for identical models', () => {
    expect(relativePd(p1, p2)).toBe(relativePd(p2, p1));
    expect(relativePd(p1, p1)).toBe(0);
  });

  it('absolute and L2 PD', () => {
    expect(absolutePd(p1, p2)).toBeCloseTo(0.2 / 3, 12);
    expect(l2Pd(p1, p2)).toBeCloseTo(Math.sqrt(0.04 / 3), 12);
  });

  it('rejects arrays of different length or empty ones', () => {
    expect(() => relativePd([0.1], [0.1, 0.2])).toThrow(RangeError);
    expect(() => absolutePd([], [])).toThrow(/empty/);
  });
});

describe('multiclass PD', () => {
  // row 1: TV = (0.3 + 0 + 0.3) / 2 = 0.3; row 2: TV = (1 + 1 + 0) / 2 = 1
  const p1 = Float32Array.from([0.5, 0.3, 0.2, 1, 0, 0]);
  const p2 = Float32Array.from([0.2, 0.3, 0.5, 0, 1, 0]);

  it('L1 PD is the mean total variation', () => {
    expect(l1Pd(p1, p2, 3)).toBeCloseTo(0.65, 6);
    expect(l1Pd(p1, p1, 3)).toBe(0);
  });

  it('top-1 disagreement counts argmax changes; ties go to the first class in both', () => {
    expect(top1Disagreement(p1, p2, 3)).toBe(1);
    const a = [0.4, 0.4, 0.2, 0.1, 0.8, 0.1];
    const b = [0.5, 0.3, 0.2, 0.1, 0.1, 0.8];
    expect(top1Disagreement(a, b, 3)).toBe(0.5);
  });

  it('rejects a length that is not rows x classes', () => {
    expect(() => l1Pd([0.5, 0.5, 1], [0.5, 0.5, 1], 2)).toThrow(/multiple/);
  });
});

describe('ranking extensions', () => {
  const q = [0, 0, 0, 1, 1];
  const s1 = [3, 2, 1, 1, 2];
  const s2 = [1, 2, 3, 1, 3];

  it('swap rate: 3 swapped pairs of 4', () => {
    expect(swapRate(s1, s2, q)).toBe(0.75);
    expect(swapRate(s1, s1, q)).toBe(0);
  });

  it('a tie in one model against an order in the other is a swap', () => {
    expect(swapRate([1, 1], [1, 2], [7, 7])).toBe(1);
  });

  it('top-k Jaccard per query, averaged: (1/3 + 1) / 2', () => {
    expect(topKOverlap(s1, s2, q, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKOverlap(s1, s1, q, 1)).toBe(1);
  });
});

describe('pairwise aggregation', () => {
  it('visits all N(N-1)/2 pairs with mean, sd and a t-interval', () => {
    const models = [[0], [1], [3]];
    const r = pairwise(models, absolutePd);
    expect(r.values).toEqual([1, 3, 2]);
    expect(r.n).toBe(3);
    expect(r.mean).toBe(2);
    expect(r.sd).toBeCloseTo(1, 12);
    const half = 4.302652729911275 / Math.sqrt(3);
    expect(r.lo).toBeCloseTo(2 - half, 8);
    expect(r.hi).toBeCloseTo(2 + half, 8);
  });

  it('needs two models; one pair has no spread', () => {
    expect(() => pairwise([[0.5]], absolutePd)).toThrow(/at least 2/);
    const r = pairwise([[0.5], [0.7]], absolutePd);
    expect(r).toMatchObject({ n: 1, sd: 0 });
    expect(r.lo).toBe(r.hi);
  });
});

describe('Student t', () => {
  it('matches tabled 97.5% quantiles', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062047, 5);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.3026527, 6);
    expect(tQuantile(0.975, 9)).toBeCloseTo(2.2621572, 6);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.0422725, 6);
    expect(tQuantile(0.975, 189)).toBeCloseTo(1.9726, 3);
  });

  it('CDF is symmetric and 1/2 at 0', () => {
    expect(tCdf(0, 5)).toBe(0.5);
    expect(tCdf(-1.3, 7) + tCdf(1.3, 7)).toBeCloseTo(1, 14);
  });

  it('summarize of an empty list is NaN, of one value has no spread', () => {
    expect(summarize([]).mean).toBeNaN();
    expect(summarize([4])).toEqual({ n: 1, mean: 4, sd: 0, lo: 4, hi: 4 });
  });
});
