/** The training stream of a replica: order regimes, evaluation cuts, the one-ulp move, frozen embeddings. */
import { describe, expect, it } from 'vitest';
import { ctrModel, fit, Rng, syntheticCtr } from '../../lib/nn';
import { cutPoints, epochOrder, parseShuffle, parseShuffleList, trainingStream } from '../../lib/repro/order';
import { moveOneUlp, trainable } from '../../lib/repro/train';
import { Param } from '../../lib/nn/param';

describe('order regimes', () => {
  it('full: a permutation; none: the given order; window: permutations inside each window', () => {
    const full = epochOrder(100, { kind: 'full' }, Rng.fromSeed(1));
    expect([...full].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect([...full]).not.toEqual([...Array(100).keys()]);
    expect([...epochOrder(10, { kind: 'none' }, Rng.fromSeed(1))]).toEqual([...Array(10).keys()]);
    const w = epochOrder(103, { kind: 'window', size: 10 }, Rng.fromSeed(2));
    for (let i = 0; i < 103; i++) expect(Math.floor(w[i] / 10)).toBe(Math.floor(i / 10));
    expect([...w]).not.toEqual([...Array(103).keys()]);
  });

  it('the stream is a function of the seed; epochs draw different orders', () => {
    const a = trainingStream(50, 2, { kind: 'full' }, 9n);
    expect(a).toEqual(trainingStream(50, 2, { kind: 'full' }, 9n));
    expect(a.subarray(0, 50)).not.toEqual(a.subarray(50));
    expect(a).not.toEqual(trainingStream(50, 2, { kind: 'full' }, 10n));
  });

  it('parses regimes and window sweeps', () => {
    expect(parseShuffleList('window:256,4096,65536')).toEqual(['window:256', 'window:4096', 'window:65536']);
    expect(parseShuffleList('full,none,window:8')).toEqual(['full', 'none', 'window:8']);
    expect(parseShuffle('window:64')).toEqual({ kind: 'window', size: 64 });
    expect(() => parseShuffle('window:1')).toThrow(/window:W with an integer W >= 2/);
    expect(() => parseShuffleList('full,12')).toThrow(RangeError);
    expect(() => parseShuffle('sometimes')).toThrow(/got 'sometimes'/);
  });

  it('evaluation cuts fall on whole batches and end the stream', () => {
    expect(cutPoints(1000, 64, 300)).toEqual({ cuts: [320, 640, 960, 1000], evals: new Set([320, 640, 960, 1000]) });
    const plain = cutPoints(1000, 64, undefined, 512);
    expect(plain.cuts).toEqual([512, 1000]);
    expect([...plain.evals]).toEqual([1000]);
  });
});

describe('ulp source', () => {
  it('moves exactly one nonzero weight by one float32 ulp', () => {
    const w = new Param('w', [64], true);
    const b = new Param('b', [4], false);
    w.value.set(Float32Array.from({ length: 64 }, (_, i) => (i % 3 ? (i - 30) / 7 : 0)));
    const before = w.value.slice();
    const at = moveOneUlp([w, b], 42n);
    expect(at.tensor).toBe('w');
    const changed = [...w.value.keys()].filter((i) => w.value[i] !== before[i]);
    expect(changed).toEqual([at.index]);
    const x = before[at.index];
    const bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];
    expect(Math.abs(bits(w.value[at.index]) - bits(x))).toBe(1);
    expect(Math.abs(w.value[at.index]) > Math.abs(x)).toBe(at.up === x > 0);
    expect(b.value.every((v) => v === 0)).toBe(true);
  });
});

describe('frozen embeddings', () => {
  it('the trainer sees only the tower: embeddings stay as they were, the tower learns', () => {
    const data = syntheticCtr({ rows: 512, seed: 3, numDense: 2, fields: [20, 10] });
    const model = ctrModel({ numDense: 2, fields: [20, 10], embeddingDim: 4, hidden: [8] });
    model.init(1);
    const before = model.params().map((p) => p.value.slice());
    fit(trainable(model, true), data, { epochs: 1, batchSize: 64, optimizer: { kind: 'adagrad', lr: 0.1 }, loss: 'bce', shuffle: false });
    model.params().forEach((p, i) => expect(p.value.every((v, k) => v === before[i][k]), p.name).toBe(p.sparse));
    expect(trainable(model, false)).toBe(model);
  });
});
