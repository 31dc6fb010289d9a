import { afterEach, describe, expect, it, vi } from 'vitest';
import { getThreads, setThreads } from '../../lib/index';
import {
  ctrModel, Dense, evaluate, fit, formatProgress, LearnableGsmelu, loadDigits, mlp, predict, Sgd, syntheticCtr,
  terminalProgress, type FitOptions, type ProgressEvent,
} from '../../lib/nn';
import { sameWeights, weights } from './helpers/bits';

const digits = loadDigits();
const [digitsTrain, digitsTest] = digits.split(0.8, 1);
const ctr = syntheticCtr({ rows: 12000, seed: 2, bags: [{ vocab: 40, maxLen: 3 }] });
const [ctrTrain, ctrTest] = ctr.split(0.75);

function ctrNet(seed: number, activation: 'relu' | 'smelu' = 'smelu') {
  return ctrModel({
    numDense: 8, fields: [1000, 1000, 500, 200, 100, 50, 20, 10, { vocab: 40, bag: true, pooling: 'mean' }],
    embeddingDim: 4, hidden: [16, 8], activation, seed,
  });
}

const ctrOpts: FitOptions = { epochs: 2, batchSize: 64, optimizer: { kind: 'adagrad', lr: 0.05 }, loss: 'bce', seed: 3, shuffleSeed: 4 };

describe('fit', () => {
  it('learns the digits (MLP, softmax cross-entropy, Adam)', () => {
    const model = mlp({ inputs: 64, hidden: [32], outputs: 10, activation: { kind: 'smelu', beta: 0.5 } });
    const r = fit(model, digitsTrain, {
      epochs: 8, batchSize: 32, optimizer: { kind: 'adam', lr: { kind: 'warmup', warmupSteps: 20, then: 0.003 } }, loss: 'softmax_ce', seed: 1,
    });
    expect(r.history).toHaveLength(8);
    expect(r.history[7].loss).toBeLessThan(r.history[0].loss / 4);
    const m = evaluate(model, digitsTest, { loss: 'softmax_ce' });
    expect(m.accuracy).toBeGreaterThan(0.93);
    const probs = predict(model, digitsTest, { loss: 'softmax_ce' });
    expect(probs.length).toBe(digitsTest.n * 10);
  });

  it('learns a CTR model with embeddings (bag field included) well above chance', () => {
    const model = ctrNet(1);
    const r = fit(model, ctrTrain, { ...ctrOpts, epochs: 3, validation: ctrTest });
    const v = r.history[2].validation!;
    expect(v.auc).toBeGreaterThan(0.72);
    expect(v.logLoss).toBeLessThan(0.53);
    expect(r.steps).toBe(3 * Math.ceil(ctrTrain.n / 64));
  });

  it('gives bitwise-identical weights for the same seeds, different ones for another seed', () => {
    const a = ctrNet(9);
    const b = ctrNet(5); // initial weights differ: fit's seed re-initializes
    fit(a, ctrTrain, ctrOpts);
    fit(b, ctrTrain, ctrOpts);
    expect(sameWeights(weights(a), weights(b))).toBe(true);
    const c = ctrNet(0);
    fit(c, ctrTrain, { ...ctrOpts, shuffleSeed: 5 });
    expect(sameWeights(weights(a), weights(c))).toBe(false);
    const d = ctrNet(0);
    fit(d, ctrTrain, { ...ctrOpts, seed: 4 });
    expect(sameWeights(weights(a), weights(d))).toBe(false);
  });

  describe('with different thread counts', () => {
    const before = getThreads();
    afterEach(() => setThreads(before));

    it('gives the same bits with setThreads(1) and setThreads(2)', () => {
      const run = (threads: number): Float32Array[] => {
        setThreads(threads);
        const m = mlp({ inputs: 64, hidden: [48, 24], outputs: 10, activation: 'gelu', layerNorm: true });
        fit(m, digitsTrain, { epochs: 1, batchSize: 64, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 }, loss: 'softmax_ce', seed: 6, clipNorm: 1 });
        return weights(m);
      };
      expect(sameWeights(run(1), run(2))).toBe(true);
    });
  });

  it('trains learnable gSmeLU parameters, keeping them in their domain', () => {
    const model = mlp({ inputs: 64, hidden: [16], outputs: 10, activation: { kind: 'gsmelu', gNeg: 0.05, alpha: 0.5, beta: 0.5 }, learnable: 'unit' });
    fit(model, digitsTrain, { epochs: 3, batchSize: 32, optimizer: { kind: 'adam', lr: 0.01 }, loss: 'softmax_ce', seed: 2 });
    const act = ((model.net.layers[0] as Dense).act as LearnableGsmelu);
    const vals = Array.from({ length: 16 }, (_, k) => act.values(k));
    expect(vals.some((v) => v.alpha !== 0.5 || v.beta !== 0.5)).toBe(true);
    for (const v of vals) expect(v.alpha + v.beta).toBeGreaterThanOrEqual(act.minWidth);
    expect(evaluate(model, digitsTest, { loss: 'softmax_ce' }).accuracy).toBeGreaterThan(0.85);
  });

  it('continues from the current weights without a seed, and keeps an optimizer instance', () => {
    const model = mlp({ inputs: 64, hidden: [8], outputs: 10, seed: 3 });
    const opt = new Sgd({ lr: 0.05 });
    const r1 = fit(model, digitsTrain, { epochs: 1, batchSize: 100, optimizer: opt, loss: 'softmax_ce' });
    const r2 = fit(model, digitsTrain, { epochs: 1, batchSize: 100, optimizer: opt, loss: 'softmax_ce' });
    expect(opt.t).toBe(r1.steps + r2.steps);
    expect(r2.loss).toBeLessThan(r1.loss);
  });

  it('validates its options and the data shape', () => {
    const model = mlp({ inputs: 64, hidden: [4], outputs: 10 });
    expect(() => fit(model, digitsTrain, { epochs: 1, batchSize: 0, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'softmax_ce' })).toThrow(/batchSize/);
    expect(() => fit(model, ctrTrain, { epochs: 1, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'bce' })).toThrow(/the MLP reads numeric columns only; the data has 8 categorical and 1 bag column/);
    expect(() => fit(model, digitsTrain, { epochs: 1, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'bce' })).toThrow(/bce needs a model with 1 output/);
    expect(() => fit(model, digitsTrain, { epochs: 1, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'mse' })).toThrow(/needs 10 label value\(s\) per row, the data has 1/);
    const nine = mlp({ inputs: 64, hidden: [4], outputs: 9 });
    expect(() => fit(nine, digitsTrain, { epochs: 1, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'softmax_ce' })).toThrow(/10 classes, the model 9 outputs/);
  });

  it('stops at maxSteps', () => {
    const model = mlp({ inputs: 64, hidden: [4], outputs: 10 });
    const r = fit(model, digitsTrain, { epochs: 5, batchSize: 50, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'softmax_ce', maxSteps: 7 });
    expect(r.steps).toBe(7);
    expect(r.epochs).toBe(0);
  });
});

describe('progress', () => {
  it('is silent without a callback', () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    try {
      fit(mlp({ inputs: 64, hidden: [4], outputs: 10 }), digitsTrain, { epochs: 1, batchSize: 64, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'softmax_ce' });
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('reports steps, epoch ends (with validation) and the end', () => {
    const events: ProgressEvent[] = [];
    fit(mlp({ inputs: 64, hidden: [4], outputs: 10 }), digitsTrain, {
      epochs: 2, batchSize: 100, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'softmax_ce', onProgress: (e) => events.push(e), progressEvery: 5, validation: digitsTest,
    });
    const steps = events.filter((e) => e.phase === 'step');
    expect(digitsTrain.n).toBe(1438); // 15 batches of 100 per epoch
    expect(steps.map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(steps[2]).toMatchObject({ epoch: 0, batch: 15, batchesPerEpoch: 15 });
    const ends = events.filter((e) => e.phase === 'epoch');
    expect(ends).toHaveLength(2);
    expect(ends[1].validation!.accuracy).toBeGreaterThan(0);
    expect(events[events.length - 1].phase).toBe('done');
    expect(steps[0].examplesPerSec).toBeGreaterThan(0);
    expect(steps[0].lr).toBe(0.1);
  });

  it('draws a terminal line with examples/s and loss, in place on a TTY', () => {
    const chunks: string[] = [];
    const stream = { isTTY: true, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WritableStream;
    const report = terminalProgress({ stream, intervalMs: 0, width: 10 });
    const e: ProgressEvent = {
      phase: 'step', epoch: 0, epochs: 2, step: 5, batch: 5, batchesPerEpoch: 10, examples: 640, loss: 0.6931,
      lr: 0.05, examplesPerSec: 12345.6, elapsedMs: 52,
    };
    report(e);
    report({ ...e, phase: 'epoch', batch: 10, validation: { auc: 0.75 } });
    report({ ...e, phase: 'done' });
    expect(chunks[0]).toBe('\repoch 1/2  [#####.....]   50%  12,346 ex/s  loss 0.6931  lr 0.0500\x1b[K');
    expect(chunks[1]).toContain('val_auc 0.7500');
    expect(chunks[1].endsWith('\n')).toBe(true);
    expect(formatProgress({ ...e, loss: NaN })).toContain('loss NaN');
  });
});
