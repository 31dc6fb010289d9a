/**
 * ONNX export: trained models run in onnxruntime-node on a test split and must give smelu's own
 * predictions within 1e-5, for every activation (non-default parameters), learnable gSmeLU, layer
 * norm, and the CTR model with single-valued fields, sum and mean bags.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation } from '../../../lib/activation';
import { ctrModel, exportOnnx, fit, mlp, onnxFeeds, predict, syntheticCtr, type Dataset, type LossName, type Model, type OnnxOutput } from '../../../lib/nn';
import { ACTIVATIONS, BOUND, digitsTest, exportCli, inCheckpointDir, maxAbsDiff, trainedMlp, trainedStack } from './parity-cases';

/** Measured max |diff| per case, printed at the end (the figures docs/export.md quotes). */
const measured: Record<string, number> = {};
afterAll(() => console.info(`ONNX export, max |onnxruntime - smelu|:\n${Object.entries(measured).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`));

/** Runs the exported model on `data` and returns max |onnx - smelu's predict|. */
async function maxDiff(label: string, model: Model, data: Dataset, loss: LossName, opts: { opset?: number; output: OnnxOutput }): Promise<number> {
  const session = await ort.InferenceSession.create(exportOnnx(model, opts));
  const feeds = Object.fromEntries(
    Object.entries(onnxFeeds(model, { ...data, m: data.n })).map(([k, f]) => [k, new ort.Tensor(f.type, f.data, f.dims)]),
  );
  const got = (await session.run(feeds)).output.data as Float32Array;
  const want = predict(model, data, { loss });
  expect(got.length).toBe(want.length);
  const d = maxAbsDiff(got, want);
  measured[`${label}, opset ${opts.opset ?? 17}, ${opts.output}`] = d;
  return d;
}

describe('exportOnnx on the digits test split (softmax outputs and logits)', () => {
  for (const act of ACTIVATIONS) {
    for (const opset of act.kind.startsWith('gelu') ? [17, 20] : [17]) {
      it(`${JSON.stringify(act)} at opset ${opset}: max |diff| <= 1e-5`, async () => {
        const model = trainedMlp(act);
        const probs = await maxDiff(JSON.stringify(act), model, digitsTest, 'softmax_ce', { opset, output: 'softmax' });
        expect(probs).toBeLessThanOrEqual(BOUND);
        const session = await ort.InferenceSession.create(exportOnnx(model, { opset }));
        const f = onnxFeeds(model, { ...digitsTest, m: digitsTest.n }).dense;
        const got = (await session.run({ dense: new ort.Tensor(f.type, f.data, f.dims) })).output.data as Float32Array;
        const want = model.forward({ ...digitsTest, m: digitsTest.n, bags: [] });
        const d = maxAbsDiff(got, want);
        measured[`${JSON.stringify(act)}, opset ${opset}, logits`] = d;
        expect(d).toBeLessThanOrEqual(BOUND);
      });
    }
  }

  it('standalone layers: layernorm, activation, learnable gsmelu, dense without bias', async () => {
    expect(await maxDiff('standalone layers', trainedStack(), digitsTest, 'softmax_ce', { output: 'softmax' })).toBeLessThanOrEqual(BOUND);
  });

  it('learnable gSmeLU (per unit and per layer) with layer norm', async () => {
    const start: Activation = { kind: 'gsmelu', gNeg: 0.05, gPos: 1, alpha: 0.8, beta: 0.8, t: 0 };
    for (const learnable of ['unit', 'layer'] as const) {
      const model = trainedMlp(start, { learnable, layerNorm: true });
      expect(await maxDiff(`learnable gsmelu per ${learnable} + layer norm`, model, digitsTest, 'softmax_ce', { output: 'softmax' })).toBeLessThanOrEqual(BOUND);
    }
  });
});

describe('exportOnnx of the CTR model', () => {
  const data = syntheticCtr({ rows: 2500, seed: 4, fields: [300, 50, 7], bags: [{ vocab: 200, maxLen: 6 }, { vocab: 40, maxLen: 3 }] });
  const [train, test] = data.split(0.8, 1);

  it('single fields, sum and mean bags (with empty bags), layer norm, gSmeLU: max |diff| <= 1e-5', async () => {
    expect(test.bags[0].offsets.some((o, i) => i > 0 && o === test.bags[0].offsets[i - 1])).toBe(true);
    const model = ctrModel({
      numDense: data.numDense, fields: [300, 50, 7, { vocab: 200, bag: true, pooling: 'sum' }, { vocab: 40, bag: true, pooling: 'mean', dim: 3 }],
      embeddingDim: 6, hidden: [24, 12], layerNorm: true, activation: { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.2, t: 0 }, seed: 2,
    });
    fit(model, train, { epochs: 2, batchSize: 100, loss: 'bce', seed: 2, optimizer: { kind: 'adam', lr: 0.01 } });
    const d = await maxDiff('ctr: 3 single fields, sum + mean bags, layer norm, gsmelu', model, test, 'bce', { output: 'sigmoid' });
    expect(d).toBeLessThanOrEqual(BOUND);
  });

  it('a learnable per-unit gSmeLU tower and opset 20', async () => {
    const model = ctrModel({
      numDense: data.numDense, fields: [300, 50, 7, { vocab: 200, bag: true }, { vocab: 40, bag: true, pooling: 'mean' }],
      hidden: [16], activation: { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 1, beta: 1, t: 0 }, learnable: 'unit', seed: 3,
    });
    fit(model, train, { epochs: 1, batchSize: 100, loss: 'bce', seed: 3, optimizer: { kind: 'adam', lr: 0.02 } });
    expect(await maxDiff('ctr: learnable per-unit gsmelu tower, bags', model, test, 'bce', { opset: 20, output: 'sigmoid' })).toBeLessThanOrEqual(BOUND);
  });
});

describe('exportOnnx options', () => {
  const model = mlp({ inputs: 4, hidden: [3], outputs: 2, activation: 'smelu', seed: 1 });

  it('is deterministic and refuses bad options naming them', () => {
    expect(exportOnnx(model)).toEqual(exportOnnx(model));
    expect(() => exportOnnx(model, { opset: 16 })).toThrow(RangeError);
    expect(() => exportOnnx(model, { opset: 16 })).toThrow(/opts\.opset/);
    expect(() => exportOnnx(model, { output: 'probs' as OnnxOutput })).toThrow(/opts\.output/);
    expect(() => exportOnnx({} as Model)).toThrow(TypeError);
  });

  it('declares the stated opset and the documented input and output names', async () => {
    for (const opset of [17, 21]) {
      const s = await ort.InferenceSession.create(exportOnnx(model, { opset }));
      expect(s.inputNames).toEqual(['dense']);
      expect(s.outputNames).toEqual(['output']);
    }
    const ctr = ctrModel({ numDense: 2, fields: [5, { vocab: 4, bag: true }], hidden: [3] });
    const s = await ort.InferenceSession.create(exportOnnx(ctr));
    expect(s.inputNames).toEqual(['dense', 'cat', 'bag0']);
  });
});

describe('smelu export', () => {
  it('writes a checkpoint as an ONNX model that predicts like smelu; bad options exit 2 with usage', () =>
    inCheckpointDir({ kind: 'rescu2', beta: 0.5 }, async (dir, ckpt, model) => {
      const out = path.join(dir, 'm.onnx');
      const r = exportCli(['--onnx', out, '--checkpoint', ckpt, '--output', 'softmax', '--opset', '20']);
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readFileSync(out)).toEqual(Buffer.from(exportOnnx(model, { opset: 20, output: 'softmax' })));
      for (const bad of [['--bogus'], ['--onnx', out], ['--onnx', out, '--checkpoint', ckpt, '--opset', '16']]) {
        const b = exportCli(bad);
        expect(b.status).toBe(2);
        expect(b.stderr).toMatch(/usage: smelu export/);
      }
    }));
});
