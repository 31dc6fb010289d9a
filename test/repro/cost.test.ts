import { describe, expect, it } from 'vitest';
import { getThreads } from '../../lib/index';
import { activationCosts } from '../../lib/repro/cost';

describe('activationCosts', () => {
  it('times each activation and restores the thread count', () => {
    const before = getThreads();
    const c = activationCosts([{ kind: 'relu' }, { kind: 'smelu', beta: 0.5 }]);
    expect(c.map((x) => x.label)).toEqual(['relu', 'smelu(beta=0.5)']);
    for (const x of c) expect(x.nsPerElement).toBeGreaterThan(0);
    expect(getThreads()).toBe(before);
  });
});
