/** Training guards: divergence stops before the weights or a checkpoint change, labels and options are checked up front. */
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset, DivergenceError, fit, fitAsync, loadCheckpoint, mlp, type AsyncFitOptions, type FitOptions } from '../../lib/nn';

const dir = mkdtempSync(join(tmpdir(), 'smelu-guards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 40 rows, 3 dense features; `poison` rows get NaN features (what a hand-built Dataset can hold). */
function data(poison: number[] = [], labels?: Float32Array): Dataset {
  const n = 40;
  const dense = new Float32Array(n * 3);
  for (let i = 0; i < dense.length; i++) dense[i] = Math.sin(i * 1.7);
  for (const r of poison) dense.fill(NaN, r * 3, r * 3 + 3);
  const y = labels ?? Float32Array.from({ length: n }, (_, i) => i % 2);
  return new Dataset({ labels: y, dense, numDense: 3 });
}

const model = () => mlp({ inputs: 3, hidden: [4], outputs: 1, activation: 'smelu' });
const base: FitOptions = { epochs: 2, batchSize: 8, loss: 'bce', seed: 3, shuffleSeed: 5, optimizer: { kind: 'sgd', lr: 0.1 } };
const snapshot = (m: ReturnType<typeof model>) => m.params().map((p) => Float32Array.from(p.value));

describe('divergence', () => {
  it("'stop' (default) throws naming the step and the batch's rows, weights untouched by that step, no NaN checkpoint", () => {
    const m = model();
    const path = join(dir, 'div.ckpt');
    let err: unknown;
    try {
      fit(m, data([17]), { ...base, shuffle: false, checkpoint: { path, everySteps: 1 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as DivergenceError;
    expect(d.step).toBe(3); // rows 16..23 are the third batch
    expect(d.rows).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect(d.message).toMatch(/step 3: the (loss|gradient) is not finite \(batch rows 16, 17, .*\)/);
    for (const p of m.params()) expect(p.value.every(Number.isFinite)).toBe(true);
    const st = loadCheckpoint(path);
    expect(st.position.step).toBe(2);
    for (const p of st.params) expect(p.value.every(Number.isFinite)).toBe(true);
  });

  it("'skip-batch' leaves the bad batch out and counts it; the result is finite", () => {
    const m = model();
    const r = fit(m, data([17]), { ...base, shuffle: false, divergence: 'skip-batch' });
    expect(r.skippedBatches).toBe(2); // once per epoch
    expect(r.steps).toBe(10);
    expect(Number.isFinite(r.loss)).toBe(true);
    for (const p of m.params()) expect(p.value.every(Number.isFinite)).toBe(true);
  });

  it('a finite blow-up (features of 1e30) stops at the first non-finite step with finite weights', () => {
    const m = model();
    const d = data();
    d.dense.fill(1e30, 51, 54);
    expect(() => fit(m, d, { ...base, shuffle: false })).toThrow(DivergenceError);
    for (const p of m.params()) expect(p.value.every(Number.isFinite)).toBe(true);
  });

  it('refuses an unknown divergence policy', () => {
    expect(() => fit(model(), data(), { ...base, divergence: 'ignore' as never })).toThrow(/divergence must be 'stop' or 'skip-batch'/);
  });
});

describe('divergence in fitAsync (same option, same errors)', () => {
  const asyncBase: AsyncFitOptions = { epochs: 2, batchSize: 8, loss: 'bce', seed: 3, shuffleSeed: 5, optimizer: { kind: 'sgd', lr: 0.1 }, shuffle: false, workers: 1 };
  const bitsOf = (w: Float32Array[]) => w.map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

  it("'stop' rejects with fit's DivergenceError; with one worker the weights are fit's of the step before", async () => {
    const m = model();
    const err = await fitAsync(m, data([17]), asyncBase).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as DivergenceError;
    expect(d.step).toBe(3);
    expect(d.rows).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect(d.message).toMatch(/^training diverged at step 3: the (loss|gradient) is not finite \(batch rows 16, 17, .*\)/);
    const before = model();
    fit(before, data([17]), { ...base, shuffle: false, maxSteps: 2 });
    expect(bitsOf(snapshot(m))).toEqual(bitsOf(snapshot(before)));
  });

  it("'skip-batch' skips and counts as fit does; one worker gives fit's loss, history and weights", async () => {
    const m = model();
    const r = await fitAsync(m, data([17]), { ...asyncBase, divergence: 'skip-batch' });
    const s = model();
    const want = fit(s, data([17]), { ...base, shuffle: false, divergence: 'skip-batch' });
    expect(r.skippedBatches).toBe(2);
    expect(r.steps).toBe(want.steps);
    expect(r.examples).toBe(want.examples);
    expect(r.history.map((h) => h.loss)).toEqual(want.history.map((h) => h.loss));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(bitsOf(snapshot(m))).toEqual(bitsOf(snapshot(s)));
  });

  it("several workers: 'stop' names the diverging batch's rows and leaves finite weights", async () => {
    const m = model();
    const err = await fitAsync(m, data([17]), { ...asyncBase, workers: 3, batchSize: 4 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).rows).toContain(17); // worker 2's shard holds row 17 (every 3rd row)
    for (const p of m.params()) expect(p.value.every(Number.isFinite)).toBe(true);
  });

  it('checks divergence and the other shared options as fit does, before any worker starts', async () => {
    await expect(fitAsync(model(), data(), { ...asyncBase, divergence: 'ignore' as never })).rejects.toThrow(new TypeError("divergence must be 'stop' or 'skip-batch', got ignore"));
    await expect(fitAsync(model(), data(), { ...asyncBase, clipNorm: Infinity })).rejects.toThrow(RangeError);
    await expect(fitAsync(model(), data(), { ...asyncBase, progressEvery: 0 })).rejects.toThrow(/progressEvery must be a positive integer/);
    await expect(fitAsync(model(), data(), { ...asyncBase, shuffle: 'yes' as never })).rejects.toThrow(/shuffle must be a boolean/);
  });

  it('an inherited divergence option is not read', async () => {
    (Object.prototype as Record<string, unknown>).divergence = 'skip-batch';
    try {
      await expect(fitAsync(model(), data([17]), asyncBase)).rejects.toThrow(DivergenceError);
    } finally {
      delete (Object.prototype as Record<string, unknown>).divergence;
    }
  });
});

describe('labels are checked before any step', () => {
  it('a bad label in the last row fails before the weights change, naming the row in file order', () => {
    const y = Float32Array.from({ length: 40 }, (_, i) => i % 2);
    y[39] = 2;
    const m = model();
    m.init(3);
    const before = snapshot(m);
    expect(() => fit(m, data([], y), { ...base, seed: undefined })).toThrow(/label 2 of row 39 \(0-based, in file order\) does not fit bce/);
    m.params().forEach((p, i) => expect(p.value).toEqual(before[i]));
  });

  it('softmax labels must be class indices of the model', () => {
    const y = Float32Array.from({ length: 40 }, (_, i) => i % 3);
    y[5] = 1.5;
    const m = mlp({ inputs: 3, hidden: [4], outputs: 3, activation: 'relu' });
    expect(() => fit(m, data([], y), { ...base, loss: 'softmax_ce' })).toThrow(/label 1.5 of row 5 .* softmax_ce with 3 classes/);
  });
});

describe('numeric options', () => {
  it.each([
    [{ maxSteps: -1 }, /maxSteps must be an integer >= 0/],
    [{ maxSteps: 2.5 }, /maxSteps must be an integer >= 0/],
    [{ maxSteps: NaN }, /maxSteps must be an integer >= 0/],
    [{ clipNorm: Infinity }, /clipNorm must be a finite number > 0/],
    [{ clipNorm: 0 }, /clipNorm must be a finite number > 0/],
    [{ shuffle: 'yes' }, /shuffle must be a boolean/],
  ])('%j is refused', (extra, msg) => {
    expect(() => fit(model(), data(), { ...base, ...(extra as object) })).toThrow(msg);
  });

  it('an unwritable checkpoint path fails before the first step', () => {
    const m = model();
    m.init(3);
    const before = snapshot(m);
    expect(() => fit(m, data(), { ...base, seed: undefined, checkpoint: { path: join(dir, 'no', 'such', 'x.ckpt'), everySteps: 1 } }))
      .toThrow(/checkpoint\.path .*cannot be written \(ENOENT\)/);
    expect(() => fit(m, data(), { ...base, seed: undefined, checkpoint: { path: dir, everySteps: 1 } })).toThrow(/is a folder/);
    m.params().forEach((p, i) => expect(p.value).toEqual(before[i]));
  });

  it('options inherited from Object.prototype are not read', () => {
    const clean = fit(model(), data(), base);
    const proto = Object.prototype as Record<string, unknown>;
    const names = ['maxSteps', 'shuffle', 'clipNorm', 'divergence', 'resume', 'checkpoint', 'validation', 'progressEvery', 'onProgress'];
    try {
      Object.assign(proto, { maxSteps: 1, shuffle: false, clipNorm: 1e-6, divergence: 'skip-batch', resume: 'nope.ckpt', checkpoint: { path: '/nope/x', everySteps: 1 }, progressEvery: 0 });
      const polluted = fit(model(), data(), base);
      expect(polluted.steps).toBe(clean.steps);
      expect(polluted.loss).toBe(clean.loss);
    } finally {
      for (const k of names) delete proto[k];
    }
    expect(existsSync(join(dir, 'nope.ckpt'))).toBe(false);
  });
});
