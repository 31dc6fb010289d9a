import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsBootstrapSource, writeTranspiled } from '../helpers/ts-child';
import {
  CheckpointError, Dataset, decodeCheckpoint, encodeCheckpoint, fit, loadCheckpoint, loadWeights, mlp, saveCheckpoint, type TrainState,
} from '../../lib/nn';
import { sameBits, sameWeights, weights } from './helpers/bits';
import { ctrRun } from './helpers/ctr-run';

const dir = mkdtempSync(join(tmpdir(), 'smelu-nn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real state: a short run of the shared CTR setup, saved by fit itself. */
function trainedState(steps: number): TrainState {
  const { model, data, options } = ctrRun();
  const path = join(dir, `state-${steps}.ckpt`);
  fit(model, data, { ...options, maxSteps: steps, checkpoint: { path, everySteps: 1000 } });
  return loadCheckpoint(path);
}

describe('checkpoint file', () => {
  const state = trainedState(12);
  const bytes = encodeCheckpoint(state);

  it('round-trips every tensor and field', () => {
    const back = decodeCheckpoint(bytes);
    expect(back.model).toEqual(state.model);
    expect(back.position).toEqual(state.position);
    expect(back.run).toEqual(state.run);
    expect(back.shuffleRng).toEqual(state.shuffleRng);
    expect(back.optimizer.t).toBe(12);
    expect(back.params.map((p) => p.name)).toEqual(state.params.map((p) => p.name));
    back.params.forEach((p, i) => expect(sameBits(p.value, state.params[i].value)).toBe(true));
    back.optimizer.state.forEach((a, i) => expect(sameBits(a, state.optimizer.state[i])).toBe(true));
    expect(state.position).toMatchObject({ step: 12, epoch: 0, batch: 12 });
  });

  it('refuses a flipped byte anywhere (checksum), naming the file', () => {
    for (const at of [30, Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      expect(() => decodeCheckpoint(bad, 'x.ckpt'), `byte ${at}`).toThrow(/checkpoint x\.ckpt: checksum mismatch/);
    }
  });

  it('refuses truncated, extended, foreign and other-version files', () => {
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 100))).toThrow(/truncated: the file has \d+ of its \d+ bytes/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 10))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/unexpected bytes after the end/);
    expect(() => decodeCheckpoint(Buffer.from('PK\x03\x04 definitely a zip file, not a checkpoint'))).toThrow(/not a smelu checkpoint/);
    const v2 = Buffer.from(bytes);
    v2.writeUInt32LE(2, 8);
    expect(() => decodeCheckpoint(v2)).toThrow(/unsupported format version 2 \(this build reads version 1\)/);
    expect(() => loadCheckpoint(join(dir, 'nope.ckpt'))).toThrow(CheckpointError);
  });

  it('is written atomically: no temp file left, an old file is replaced whole', () => {
    const path = join(dir, 'atomic.ckpt');
    writeFileSync(path, 'old contents');
    saveCheckpoint(path, state);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('never half-loads: a checkpoint of another model leaves weights and optimizer untouched', () => {
    const { model, data, options } = ctrRun();
    const path = join(dir, 'other.ckpt');
    const other = mlp({ inputs: 8, hidden: [3], outputs: 1 });
    const denseOnly = new Dataset({ labels: data.labels, dense: data.dense, numDense: data.numDense }); // an MLP refuses categorical columns
    fit(other, denseOnly, { ...options, maxSteps: 2, checkpoint: { path, everySteps: 1 } });
    const before = weights(model);
    expect(() => fit(model, data, { ...options, resume: path })).toThrow(/different model config/);
    expect(sameWeights(before, weights(model))).toBe(true);
    const own = join(dir, 'own.ckpt');
    saveCheckpoint(own, { ...state, run: { ...state.run, batchSize: 99 } });
    expect(() => fit(model, data, { ...options, resume: own })).toThrow(/'batchSize' differs/);
    const otherData = data.slice(0);
    otherData.labels[0] = 1 - otherData.labels[0];
    expect(() => fit(model, otherData, { ...options, resume: join(dir, 'state-12.ckpt') })).toThrow(/'data' differs/);
    expect(sameWeights(before, weights(model))).toBe(true);
  });

  it('loads only the weights for a warm start, refusing another model', () => {
    const { model, data, options } = ctrRun();
    loadWeights(model, state);
    state.params.forEach((p, i) => expect(sameBits(p.value, model.params()[i].value)).toBe(true));
    const r = fit(model, data, { ...options, seed: undefined, shuffleSeed: 99, epochs: 1 }); // continues from the loaded weights
    expect(r.steps).toBe(60);
    const other = mlp({ inputs: 8, hidden: [3], outputs: 1 });
    const before = weights(other);
    expect(() => loadWeights(other, state)).toThrow(/different model config/);
    expect(sameWeights(before, weights(other))).toBe(true);
  });

  it('resumes in-process bit for bit, across an epoch boundary', () => {
    const full = ctrRun();
    const r = fit(full.model, full.data, full.options);
    const path = join(dir, 'resume.ckpt');
    const a = ctrRun();
    fit(a.model, a.data, { ...a.options, maxSteps: 70, checkpoint: { path, everySteps: 35 } });
    const b = ctrRun(); // a fresh process would start like this: other weights, no optimizer state
    const r2 = fit(b.model, b.data, { ...b.options, resume: path });
    expect(sameWeights(weights(full.model), weights(b.model))).toBe(true);
    expect(r2.steps).toBe(r.steps);
    expect(r2.history).toEqual(r.history);
  });
});

const childEntry = resolve(__dirname, 'helpers/train-child.ts');
let childSources: string | undefined;

/** Runs the child trainer (from the TS sources, transpiled once here); resolves with its stdout lines and how it ended. */
function child(env: Record<string, string>, killAfterStep?: number): Promise<{ lines: string[]; signal: string | null; code: number | null }> {
  if (!childSources) writeTranspiled(childEntry, (childSources = join(dir, 'child-sources.json')));
  const proc = spawn(process.execPath, ['-e', tsBootstrapSource(childEntry, childSources)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (killAfterStep !== undefined && l === `step ${killAfterStep}`) proc.kill('SIGKILL');
    }
  });
  return new Promise((res) => proc.on('exit', (code, signal) => res({ lines, signal, code })));
}

describe('kill and resume', () => {
  it('a run killed with SIGKILL mid-training and resumed ends bitwise equal to an uninterrupted run', async () => {
    const ckpt = join(dir, 'killed.ckpt');
    const killed = await child({ CKPT: ckpt, DELAY_MS: '20' }, 25);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines).not.toContain('done');
    const last = Number(killed.lines[killed.lines.length - 1].split(' ')[1]);
    expect(last).toBeLessThan(180); // 3 epochs of 60 steps: it really stopped mid-run
    const saved = loadCheckpoint(ckpt);
    expect(saved.position.step % 10).toBe(0);
    expect(saved.position.step).toBeGreaterThanOrEqual(20);
    expect(saved.position.step).toBeLessThanOrEqual(last);

    const resumed = await child({ CKPT: ckpt, RESUME: '1' });
    expect(resumed.code).toBe(0);
    expect(resumed.lines[0]).toBe(`step ${saved.position.step + 1}`);
    expect(resumed.lines[resumed.lines.length - 1]).toBe('done');
    const final = loadCheckpoint(ckpt);
    expect(final.position).toMatchObject({ step: 180, epoch: 3, batch: 0 });

    const { model, data, options } = ctrRun();
    const r = fit(model, data, options);
    model.params().forEach((p, i) => expect(sameBits(p.value, final.params[i].value), p.name).toBe(true));
    expect(final.position.history).toEqual(r.history);
    expect(existsSync(ckpt)).toBe(true);
  });
});
