import { describe, expect, it } from 'vitest';
import { forward } from '../../lib/index';
import {
  buildModel, Concat, ctrModel, Dense, Embedding, LayerNorm, mlp, Rng, Sequential, SequentialModel, type Layer,
} from '../../lib/nn';
import { sameBits, weights } from './helpers/bits';

function randn(n: number, r: Rng, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

/** dL/dparam and dL/dx of L = sum c * layer(x) against central finite differences (float32). */
function gradCheck(layer: Layer, m: number, seed: number, tol = 3e-3): void {
  const r = Rng.fromSeed(seed);
  for (const pi of layer.paramInits()) pi.param.value.set(randn(pi.param.value.length, r, 0.5));
  const x = randn(m * layer.inSize, r);
  const c = randn(m * layer.outSize, r);
  const loss = (): number => {
    const y = layer.forward(x, m);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i] * y[i];
    return s;
  };
  loss();
  const dx = layer.backward(c, true)!.slice();
  const grads = layer.paramInits().map((pi) => pi.param.grad.slice());
  const fd = (arr: Float32Array, j: number): number => {
    const v = arr[j];
    const h = 1e-2;
    arr[j] = v + h;
    const up = loss();
    arr[j] = v - h;
    const down = loss();
    arr[j] = v;
    return (up - down) / (2 * h);
  };
  layer.paramInits().forEach((pi, k) => {
    for (let j = 0; j < pi.param.value.length; j += 3) {
      const want = fd(pi.param.value, j);
      expect(Math.abs(want - grads[k][j]), `${pi.param.name}[${j}]`).toBeLessThan(tol * Math.max(1, Math.abs(want)));
    }
  });
  for (let j = 0; j < x.length; j += 2) {
    const want = fd(x, j);
    expect(Math.abs(want - dx[j]), `dx[${j}]`).toBeLessThan(tol * Math.max(1, Math.abs(want)));
  }
}

describe('Dense', () => {
  it('computes f(x W + b) like a float64 reference', () => {
    const r = Rng.fromSeed(1);
    const d = new Dense({ inSize: 5, units: 3, activation: { kind: 'smelu', beta: 0.5 } });
    d.W.value.set(randn(15, r));
    d.b!.value.set(randn(3, r));
    const x = randn(4 * 5, r);
    const y = d.forward(x, 4);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        let z = d.b!.value[j];
        for (let k = 0; k < 5; k++) z += x[i * 5 + k] * d.W.value[k * 3 + j];
        const ref = forward({ kind: 'smelu', beta: 0.5 }, Float32Array.of(z))[0];
        expect(y[i * 3 + j]).toBeCloseTo(ref, 5);
      }
    }
  });

  for (const act of ['relu', 'smelu', 'gelu', 'swish', 'identity', 'sigmoid'] as const) {
    it(`has correct gradients with ${act} (fused path)`, () => {
      gradCheck(new Dense({ inSize: 4, units: 3, activation: act === 'smelu' ? { kind: 'smelu', beta: 1 } : act }), 5, 3);
    });
  }

  it('has correct gradients with layer norm before the activation', () => {
    gradCheck(new Dense({ inSize: 4, units: 5, activation: 'gelu', layerNorm: true }), 4, 4);
  });

  it('has correct gradients with a learnable per-unit gSmeLU', () => {
    const d = new Dense({ inSize: 3, units: 4, activation: { kind: 'gsmelu', alpha: 0.8, beta: 0.6 }, learnable: 'unit' });
    gradCheck(d, 5, 5);
    expect(d.paramInits().map((p) => p.param.name)).toContain('dense.act.alpha');
  });

  it('keeps y (not z) for relu and smelu, z for the others, nothing for identity', () => {
    const kept = (act: 'relu' | 'smelu' | 'gelu' | 'identity'): number => {
      const d = new Dense({ inSize: 3, units: 2, activation: act });
      d.forward(new Float32Array(12), 4);
      return (d as unknown as { zBuf: { data: Float32Array } }).zBuf.data.length;
    };
    expect(kept('relu')).toBe(0);
    expect(kept('smelu')).toBe(0);
    expect(kept('identity')).toBe(0);
    expect(kept('gelu')).toBe(8);
  });

  it('handles a shorter last batch without reallocating', () => {
    const d = new Dense({ inSize: 2, units: 2, activation: 'relu' });
    const y1 = d.forward(new Float32Array(8), 4);
    const y2 = d.forward(new Float32Array(4), 2);
    expect(y2.length).toBe(4);
    expect(y2.buffer).toBe(y1.buffer);
  });
});

describe('LayerNorm', () => {
  it('normalizes rows and has correct gradients', () => {
    const ln = new LayerNorm({ size: 6 });
    ln.gamma.value.fill(1);
    const x = Float32Array.from({ length: 12 }, (_, i) => i * i);
    const y = ln.forward(x, 2);
    for (let i = 0; i < 2; i++) {
      const row = Array.from(y.subarray(i * 6, i * 6 + 6));
      const mean = row.reduce((a, b) => a + b) / 6;
      expect(mean).toBeCloseTo(0, 5);
      expect(row.reduce((a, b) => a + (b - mean) ** 2, 0) / 6).toBeCloseTo(1, 3);
    }
    gradCheck(new LayerNorm({ size: 5 }), 3, 6);
  });
});

describe('Embedding', () => {
  it('looks up rows, pools bags (sum and mean) and refuses out-of-range ids', () => {
    const e = new Embedding({ vocab: 5, dim: 2 });
    e.table.value.set([0, 1, 10, 11, 20, 21, 30, 31, 40, 41]);
    expect(Array.from(e.lookup(Uint32Array.of(9, 3, 9, 1), 2, 2, 1))).toEqual([30, 31, 10, 11]);
    const ids = Uint32Array.of(1, 2, 4);
    const offsets = Uint32Array.of(0, 2, 2, 3);
    expect(Array.from(e.pool(ids, offsets, 3))).toEqual([30, 32, 0, 0, 40, 41]);
    const mean = new Embedding({ vocab: 5, dim: 2, pooling: 'mean' });
    mean.table.value.set(e.table.value);
    expect(Array.from(mean.pool(ids, offsets, 3))).toEqual([15, 16, 0, 0, 40, 41]);
    expect(() => e.lookup(Uint32Array.of(5), 1)).toThrow(/id 5 in batch row 0 is outside \[0, 5\)/);
  });

  it('has a sparse gradient: only the rows used, accumulated in first-use order', () => {
    const e = new Embedding({ vocab: 100, dim: 2, pooling: 'mean' });
    const ids = Uint32Array.of(7, 3, 7, 50);
    const offsets = Uint32Array.of(0, 2, 4);
    e.pool(ids, offsets, 2);
    e.backward(Float32Array.of(1, 2, 10, 20));
    const t = e.table;
    expect(t.count).toBe(3);
    expect(Array.from(t.rows.subarray(0, 3))).toEqual([7, 3, 50]);
    // row 7 appears in both bags (mean of 2): 0.5 * (1, 2) + 0.5 * (10, 20)
    expect(Array.from(t.grad.subarray(0, 6))).toEqual([5.5, 11, 0.5, 1, 5, 10]);
    // a second backward starts from zero
    e.lookup(Uint32Array.of(3), 1);
    e.backward(Float32Array.of(1, 1));
    expect(t.count).toBe(1);
    expect(Array.from(t.grad.subarray(0, 2))).toEqual([1, 1]);
  });

  it('grows its gradient slots when a batch uses many rows', () => {
    const e = new Embedding({ vocab: 5000, dim: 3 });
    const ids = Uint32Array.from({ length: 3000 }, (_, i) => (i * 7) % 5000);
    e.lookup(ids, ids.length);
    e.backward(new Float32Array(ids.length * 3).fill(1));
    expect(e.table.count).toBe(3000);
    expect(e.table.grad[2999 * 3 + 2]).toBe(1);
  });
});

describe('Concat and Sequential', () => {
  it('concatenates rows and splits gradients', () => {
    const c = new Concat([2, 1]);
    const out = c.forward([Float32Array.of(1, 2, 3, 4), Float32Array.of(9, 8)], 2);
    expect(Array.from(out)).toEqual([1, 2, 9, 3, 4, 8]);
    const [a, b] = c.backward(Float32Array.of(1, 2, 3, 4, 5, 6));
    expect(Array.from(a)).toEqual([1, 2, 4, 5]);
    expect(Array.from(b)).toEqual([3, 6]);
  });

  it('refuses layers whose sizes do not chain', () => {
    expect(() => new Sequential([new Dense({ inSize: 2, units: 3 }), new Dense({ inSize: 4, units: 1 })])).toThrow(/takes 4 inputs/);
  });

  it('rebuilds an MLP and a CTR model from their configs with the same outputs', () => {
    const m = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, activation: 'swish', layerNorm: true, seed: 5 });
    const copy = buildModel(JSON.parse(JSON.stringify(m.config())), 5);
    expect(copy.params().map((p) => p.name)).toEqual(m.params().map((p) => p.name));
    weights(m).forEach((w, i) => expect(sameBits(w, copy.params()[i].value)).toBe(true));
    const batch = { m: 2, dense: Float32Array.of(1, 2, 3, 4, -1, 0, 1, 2), cat: new Uint32Array(0), bags: [], labels: new Float32Array(2) };
    expect(sameBits(m.forward(batch), copy.forward(batch))).toBe(true);

    const c = ctrModel({ numDense: 2, fields: [10, { vocab: 20, dim: 3, bag: true, pooling: 'mean' }], hidden: [4], seed: 1 });
    const c2 = buildModel(c.config(), 1);
    const cb = {
      m: 2, dense: Float32Array.of(1, 2, 3, 4), cat: Uint32Array.of(3, 9), labels: new Float32Array(2),
      bags: [{ ids: Uint32Array.of(1, 2, 19), offsets: Uint32Array.of(0, 1, 3) }],
    };
    expect(sameBits(c.forward(cb), c2.forward(cb))).toBe(true);
    expect(c.outputs).toBe(1);
    expect(() => c.checkShape({ numDense: 2, numCat: 2, numBags: 1 })).toThrow(/categorical/);
  });

  it('initializes each tensor from its own stream: same seed same bits, other seed other bits', () => {
    const a = new SequentialModel(mlp({ inputs: 3, hidden: [4], outputs: 1 }).config().layers, 7);
    const b = new SequentialModel(a.config().layers, 7);
    const c = new SequentialModel(a.config().layers, 8);
    expect(sameBits(a.params()[0].value, b.params()[0].value)).toBe(true);
    expect(sameBits(a.params()[0].value, c.params()[0].value)).toBe(false);
    expect(Array.from(a.params()[1].value)).toEqual([0, 0, 0, 0]); // biases start at zero
  });
});
