/**
 * exportTfjs: trained smelu models (MLP with every activation, learnable gSmeLU with layer norm,
 * the CTR model with bags) as tf.LayersModels predict like smelu within 1e-5 on a test split,
 * and the exported model round-trips through save / load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ctrModel, fit, mlp, predict, syntheticCtr, type Dataset, type LossName, type Model } from '../../lib/nn';
import { ACTIVATIONS, BOUND, digitsTest, exportCli, inCheckpointDir, maxAbsDiff, trainedMlp, trainedStack } from '../nn/export/parity-cases';
import { exportTfjs, fileHandler, tf, tfjsInputs, type TfjsOutput } from '../../lib/tfjs';

type Tensor = ReturnType<typeof tf.tensor>;
type LayersModel = ReturnType<typeof exportTfjs>;

const measured: Record<string, number> = {};
afterAll(() => console.info(`exportTfjs, max |tfjs - smelu|:\n${Object.entries(measured).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`));

function run(tm: LayersModel, model: Model, data: Dataset): Float32Array {
  const inputs = tfjsInputs(model, { ...data, m: data.n });
  const out = tm.predict(inputs.length === 1 ? inputs[0] : inputs) as Tensor;
  const v = out.dataSync() as Float32Array;
  tf.dispose([...inputs, out]);
  return v;
}

function maxDiff(label: string, model: Model, data: Dataset, loss: LossName, output: TfjsOutput): number {
  const got = run(exportTfjs(model, { output }), model, data);
  const want = predict(model, data, { loss });
  expect(got.length).toBe(want.length);
  const d = maxAbsDiff(got, want);
  measured[`${label}, ${output}`] = d;
  return d;
}

describe('exportTfjs of MLPs on the digits test split', () => {
  for (const act of ACTIVATIONS) {
    it(`${JSON.stringify(act)}: max |diff| <= 1e-5`, () => {
      const model = trainedMlp(act);
      expect(maxDiff(JSON.stringify(act), model, digitsTest, 'softmax_ce', 'softmax')).toBeLessThanOrEqual(BOUND);
    });
  }

  it('standalone layers: layernorm, activation, learnable gsmelu, dense without bias', () => {
    expect(maxDiff('standalone layers', trainedStack(), digitsTest, 'softmax_ce', 'softmax')).toBeLessThanOrEqual(BOUND);
  });

  it('learnable gSmeLU per unit with layer norm', () => {
    const model = trainedMlp({ kind: 'gsmelu', gNeg: 0.05, alpha: 0.8, beta: 0.8 }, { learnable: 'unit', layerNorm: true });
    expect(maxDiff('learnable gsmelu per unit + layer norm', model, digitsTest, 'softmax_ce', 'softmax')).toBeLessThanOrEqual(BOUND);
  });

  it('holds no tensors beyond its weights (disposing the model frees everything)', () => {
    const before = tf.memory().numTensors;
    const tm = exportTfjs(mlp({ inputs: 5, hidden: [8], outputs: 2, activation: 'smelu', layerNorm: true }));
    expect(tf.memory().numTensors - before).toBe(tm.getWeights().length);
    tm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses other models and bad options', () => {
    expect(() => exportTfjs({} as Model)).toThrow(TypeError);
    expect(() => exportTfjs(mlp({ inputs: 2, hidden: [2], outputs: 1 }), { output: 'probs' as TfjsOutput })).toThrow(/opts\.output/);
  });
});

describe('exportTfjs of the CTR model', () => {
  it('single fields, sum and mean bags, layer norm, learnable gSmeLU: within 1e-5, and after save / load identical', async () => {
    const data = syntheticCtr({ rows: 2000, seed: 4, fields: [300, 50, 7], bags: [{ vocab: 200, maxLen: 6 }, { vocab: 40, maxLen: 3 }] });
    const [train, test] = data.split(0.8, 1);
    const model = ctrModel({
      numDense: data.numDense, fields: [300, 50, 7, { vocab: 200, bag: true }, { vocab: 40, bag: true, pooling: 'mean', dim: 3 }],
      embeddingDim: 6, hidden: [24, 12], layerNorm: true, activation: { kind: 'gsmelu', gNeg: 0.1, alpha: 0.5, beta: 1.2 }, learnable: 'unit', seed: 2,
    });
    fit(model, train, { epochs: 2, batchSize: 100, loss: 'bce', seed: 2, optimizer: { kind: 'adam', lr: 0.01 } });
    expect(maxDiff('ctr: single fields, sum + mean bags, layer norm, learnable gsmelu', model, test, 'bce', 'sigmoid')).toBeLessThanOrEqual(BOUND);

    const tm = exportTfjs(model, { output: 'sigmoid' });
    expect(tm.inputNames).toEqual(['dense', 'cat', 'bag0', 'bag1']);
    let artifacts: Parameters<Parameters<typeof tf.io.withSaveHandler>[0]>[0] | undefined;
    await tm.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(run(loaded, model, test)).toEqual(run(tm, model, test));
  });
});

describe('smelu export --tfjs and the file handler', () => {
  it('writes model.json + weights.bin from a checkpoint; tf.loadLayersModel(fileHandler(dir)) predicts like smelu', () =>
    inCheckpointDir({ kind: 'smelu', beta: 0.4 }, async (dir, ckpt, model) => {
      const out = path.join(dir, 'web');
      const r = exportCli(['--tfjs', out, '--checkpoint', ckpt, '--output', 'softmax']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
      const loaded = await tf.loadLayersModel(fileHandler(out));
      const d = maxAbsDiff(run(loaded, model, digitsTest), predict(model, digitsTest, { loss: 'softmax_ce' }));
      measured['smelu export --tfjs, reloaded from files, softmax'] = d;
      expect(d).toBeLessThanOrEqual(BOUND);
      expect(() => fileHandler('')).toThrow(TypeError);
    }));
});
