import { readFileSync } from 'fs';
import { resolve } from 'path';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_KINDS, backward, forward } from '../../lib';
import { formatParity, parityVectors, type ParityFile } from '../../lib/parity';

const FILE = resolve(__dirname, '../../docs/parity/activations.json');

describe('parity vectors (docs/parity/activations.json)', () => {
  const shipped = readFileSync(FILE, 'utf8');
  const file = JSON.parse(shipped) as ParityFile;

  it('equal what lib/parity.ts generates from the reference (regenerate: npm run build:ts && node scripts/parity.js)', () => {
    expect(shipped).toBe(formatParity(parityVectors()));
  });

  it('cover every activation, with a PyTorch expression, float32 values the rounding of the float64 ones', () => {
    expect(new Set(file.cases.map((c) => c.kind))).toEqual(new Set(ACTIVATION_KINDS));
    for (const c of file.cases) {
      expect(c.torch).toMatch(/x/);
      expect(c.x.every((v) => Math.fround(v) === v)).toBe(true);
      expect(c.float32.y).toEqual(c.float64.y.map(Math.fround));
      expect(c.float32.dy).toEqual(c.float64.dy.map(Math.fround));
    }
  });

  it("agree with smelu's own float32 kernels within the stated tolerance", () => {
    const tol = file.tolerance.float32;
    for (const c of file.cases) {
      const act = { kind: c.kind, ...c.params } as never;
      const x = Float32Array.from(c.x);
      const y = forward(act, x);
      const dz = backward(act, x, new Float32Array(x.length).fill(1));
      c.x.forEach((_, i) => {
        expect(Math.abs(y[i] - c.float64.y[i]), `${c.kind} ${JSON.stringify(c.params)} f(${c.x[i]})`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(c.float64.y[i])));
        expect(Math.abs(dz[i] - c.float64.dy[i]), `${c.kind} ${JSON.stringify(c.params)} f'(${c.x[i]})`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(c.float64.dy[i])));
      });
    }
  });
});
