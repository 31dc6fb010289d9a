/**
 * smelu/tfjs layers: a tf.sequential model with SmeLU trains; models with every smelu layer
 * round-trip through save / load (in memory) with identical predictions; a missing
 * @tensorflow/tfjs gives one clear error.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/nn';
import { GSmeLU, GsmeluProjection, RESCU2, SmeLU, SmeluActivation, tf } from '../../lib/tfjs';

type Tensor = ReturnType<typeof tf.tensor>;
type LayersModel = Awaited<ReturnType<typeof tf.loadLayersModel>>;
type Artifacts = Parameters<Parameters<typeof tf.io.withSaveHandler>[0]>[0];

/** A noisy 2-class problem: label = [x0 * x1 + sin(2 x2) > 0]. */
function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  const r = Rng.fromSeed(seed);
  const x = Float32Array.from({ length: n * 4 }, () => r.uniform(-2, 2));
  const y = Float32Array.from({ length: n }, (_, i) => (x[4 * i] * x[4 * i + 1] + Math.sin(2 * x[4 * i + 2]) > 0 ? 1 : 0));
  return { x: tf.tensor2d(x, [n, 4]), y: tf.tensor2d(y, [n, 1]) };
}

async function saveAndLoad(model: LayersModel): Promise<{ loaded: LayersModel; artifacts: Artifacts }> {
  let artifacts: Artifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  return { loaded, artifacts: artifacts! };
}

describe('smelu/tfjs layers in tf models', () => {
  it('a tf.sequential model with SmeLU and a learnable GSmeLU trains: the loss decreases, gSmeLU parameters move, and it reloads with identical predictions', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        new SmeLU({ beta: 0.5 }),
        tf.layers.dense({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        new GSmeLU({ gNeg: 0.05, alpha: 0.7, beta: 0.7, perUnit: true }),
        tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
    const { x, y } = data(512, 3);
    const start = model.layers[3].getWeights().map((w) => w.dataSync().slice());
    const h = await model.fit(x, y, { epochs: 30, batchSize: 64, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    console.info(`tf.sequential with SmeLU + GSmeLU: loss ${loss[0].toFixed(4)} -> ${loss[loss.length - 1].toFixed(4)}`);
    expect(loss[loss.length - 1]).toBeLessThan(0.75 * loss[0]);
    const moved = model.layers[3].getWeights().map((w, q) => Math.max(...Array.from(w.dataSync(), (v, k) => Math.abs(v - start[q][k]))));
    expect(Math.min(...moved)).toBeGreaterThan(1e-4);
    const { loaded } = await saveAndLoad(model);
    expect((loaded.predict(x) as Tensor).dataSync()).toEqual((model.predict(x) as Tensor).dataSync());
    tf.dispose([x, y]);
  });

  it('every smelu layer round-trips through save / load with identical predictions and config', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [4] }),
        new SmeLU({ beta: 0.3 }),
        tf.layers.dense({ units: 8 }),
        new RESCU2({ beta: 0.8 }),
        tf.layers.dense({ units: 8 }),
        new GSmeLU({ gNeg: 0.1, gPos: 1.2, alpha: 0.5, beta: 1.5, t: 0.2, perUnit: true }),
        new SmeluActivation({ activation: { kind: 'softplus', beta: 2, threshold: 5 } }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const { x } = data(100, 5);
    const want = (model.predict(x) as Tensor).dataSync();
    const { loaded, artifacts } = await saveAndLoad(model);
    expect(JSON.stringify(artifacts.modelTopology)).toMatch(/"class_name":"SmeLU".*"class_name":"RESCU2".*"class_name":"GSmeLU".*"class_name":"SmeluActivation"/);
    expect((loaded.predict(x) as Tensor).dataSync()).toEqual(want);
    expect(loaded.layers[5].getConfig()).toMatchObject({ gNeg: 0.1, gPos: 1.2, alpha: 0.5, beta: 1.5, t: 0.2, perUnit: true });
    expect(loaded.layers[6].getConfig()).toMatchObject({ activation: { kind: 'softplus', beta: 2, threshold: 5 } });
  });

  it('GsmeluProjection keeps alpha + beta >= minWidth after every batch, like smelu\'s own layer', async () => {
    const act = new GSmeLU({ alpha: 0.5, beta: 0.5, perUnit: true, minWidth: 0.1 });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] }), act, tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const w = act.getWeights();
    // narrow the transition of unit 0 and invert that of unit 2 (a learning step could do either)
    act.setWeights([w[0], w[1], tf.tensor1d([0.01, 0.5, -0.3]), tf.tensor1d([0.02, 0.5, 0.1]), w[4]]);
    const { x, y } = data(8, 7);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [new GsmeluProjection()] });
    const [alpha, beta] = [act.getWeights()[2].dataSync(), act.getWeights()[3].dataSync()];
    expect(Array.from(alpha, (a, k) => a + beta[k]).map((s) => Number(s.toFixed(6)))).toEqual([0.1, 1, 0.1]);
    expect(alpha[1]).toBe(0.5);
    expect(alpha[0] - 0.01).toBeCloseTo(beta[0] - 0.02, 6); // both sides widened equally
    tf.dispose([x, y]);
  });

  it('refuses bad layer parameters naming them', () => {
    expect(() => new GSmeLU({ minWidth: 0 })).toThrow(/minWidth/);
    expect(() => new SmeLU({ beta: -1 })).toThrow(/beta/);
    expect(() => new GSmeLU({ alpha: -2, beta: 1 })).toThrow(RangeError);
    expect(() => new SmeluActivation({ activation: 'tanh' as 'relu' })).toThrow(TypeError);
  });
});

describe('smelu/tfjs without @tensorflow/tfjs', () => {
  it('fails with one error naming the package to install', () => {
    const root = path.resolve(__dirname, '..', '..');
    // hide the package from the resolver, as if it were not installed
    const hide = `const M = require('module'); const r = M._resolveFilename;
      M._resolveFilename = function (req, ...a) {
        if (req === '@tensorflow/tfjs') { const e = new Error("Cannot find module '@tensorflow/tfjs'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
        return r.call(this, req, ...a);
      };
      try { require('smelu/tfjs'); } catch (e) { console.log(e.message); process.exit(3); }`;
    const r = spawnSync(process.execPath, ['-e', hide], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stdout.trim()).toBe('smelu/tfjs needs the package @tensorflow/tfjs (an optional peer dependency): npm install @tensorflow/tfjs');
    const main = spawnSync(process.execPath, ['-e', hide.replace("require('smelu/tfjs')", "require('smelu')")], { cwd: root, encoding: 'utf8' });
    expect(main.status, main.stderr).toBe(0);
  });
});
