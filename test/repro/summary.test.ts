import { describe, expect, it } from 'vitest';
import { claimMatrix, headlineTable, shuffleMatrix, tally } from '../../lib/repro/summary';
import type { Verdict } from '../../lib/repro/verdicts';

const v = (claim: number, regime: string, subject: string, verdict: Verdict['verdict'], evidence = 'e'): Verdict => ({ claim, regime, subject, verdict, evidence });

describe('verdict digest', () => {
  const vs: Verdict[] = [
    v(1, 'both full', 'all', 'inconclusive'),
    v(2, 'both full', 'smelu(beta=1)', 'holds', 'PD ratio 0.8 [0.7, 0.9]'),
    v(2, 'both full', 'gelu', 'does not hold'),
    v(2, 'both full', 'swish(beta=1)', 'holds'),
    v(2, 'both full', 'all', 'inconclusive'),
    v(2, 'both window:256', 'smelu(beta=1)', 'inconclusive', 'PD ratio 0.95 [0.8, 1.1]'),
    v(3, 'kernel cost', 'cost', 'holds'),
    v(6, 'both full vs window:256', 'smelu(beta=1)', 'does not hold'),
    v(6, 'both full vs window:256', 'gelu', 'inconclusive'),
  ];

  it('counts verdicts per claim and regime, leaving out claim 2\'s "all" line and the cost verdict', () => {
    expect(tally([])).toBe('–');
    expect(tally([vs[0]])).toBe('**inconclusive**');
    const m = claimMatrix(vs).split('\n');
    expect(m[0]).toBe('| regime | claim 1 | claim 2 |');
    expect(m[2]).toBe('| both full | **inconclusive** | 2 holds · 1 not |');
    expect(m[3]).toBe('| both window:256 | – | **inconclusive** |');
    expect(m).toHaveLength(4);
  });

  it('quotes the evidence of the headline activations and tallies claim 6 per pair of regimes', () => {
    const h = headlineTable(vs, ['smelu(beta=1)', 'relu']).split('\n');
    expect(h[0]).toBe('| regime | smelu(beta=1) |');
    expect(h[2]).toBe('| both full | **holds**: PD ratio 0.8 [0.7, 0.9] |');
    expect(shuffleMatrix(vs)).toContain('| both full vs window:256 | 1 not · 1 inc. |');
    expect(shuffleMatrix(vs.filter((x) => x.claim !== 6))).toBe('');
  });
});
