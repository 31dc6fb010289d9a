import { describe, expect, it } from 'vitest';
import { ctrModel, evaluate, fit, fitAsync, syntheticCtr, type AsyncFitOptions, type ProgressEvent } from '../../lib/nn';
import { sameWeights, weights } from './helpers/bits';

const data = syntheticCtr({ rows: 8000, seed: 12 });
const [train, test] = data.split(0.75);
const net = () => ctrModel({ numDense: 8, fields: [1000, 1000, 500, 200, 100, 50, 20, 10], embeddingDim: 4, hidden: [16], seed: 1 });
const opts: AsyncFitOptions = { epochs: 2, batchSize: 16, optimizer: { kind: 'adagrad', lr: 0.05 }, loss: 'bce', seed: 5, shuffleSeed: 6 };

describe('asynchronous (Hogwild) training', () => {
  it('with one worker equals the deterministic fit bit for bit (same shard math)', async () => {
    const a = net();
    fit(a, train, opts);
    const b = net();
    const r = await fitAsync(b, train, { ...opts, workers: 1 });
    expect(sameWeights(weights(a), weights(b))).toBe(true);
    expect(r.steps).toBe(2 * Math.ceil(train.n / 16));
  });

  it('with racing workers converges, but two runs with the same seeds differ in their bits', async () => {
    const untrained = evaluate(net(), test, { loss: 'bce' });
    const runs: Float32Array[][] = [];
    const events: ProgressEvent[] = [];
    for (let i = 0; i < 2; i++) {
      const m = net();
      const r = await fitAsync(m, train, { ...opts, workers: 3, validation: test, onProgress: (e) => events.push(e) });
      expect(r.workers).toBe(3);
      expect(r.examples).toBe(2 * train.n); // every example once per epoch, across the shards
      const v = r.history[1].validation!;
      expect(v.auc).toBeGreaterThan(0.68);
      expect(v.loss).toBeLessThan(untrained.loss);
      runs.push(weights(m));
    }
    expect(events.length).toBeGreaterThan(0);
    expect(sameWeights(runs[0], runs[1])).toBe(false);
    // the deterministic mode, same seeds: identical bits
    const a = net();
    const b = net();
    fit(a, train, opts);
    fit(b, train, opts);
    expect(sameWeights(weights(a), weights(b))).toBe(true);
  });

  it('rejects bad options before starting workers', async () => {
    await expect(fitAsync(net(), train, { ...opts, workers: 0 })).rejects.toThrow(/workers/);
    await expect(fitAsync(net(), train, { ...opts, optimizer: { kind: 'nope' } as never })).rejects.toThrow(/optimizer kind/);
  });

  it('reports a failing worker as a rejection', async () => {
    const bad = syntheticCtr({ rows: 100, seed: 1 });
    bad.labels[50] = 3; // bce refuses labels outside [0, 1] inside the worker
    await expect(fitAsync(net(), bad, { ...opts, workers: 2 })).rejects.toThrow(/label 3 of row/);
  });
});
