/** The models both export tests (ONNX and TF.js) check against smelu's own predictions. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Activation } from '../../../lib/activation';
import { denseConfig, fit, loadDigits, mlp, SequentialModel, type Model } from '../../../lib/nn';

/** The largest |exported - smelu| allowed. */
export const BOUND = 1e-5;

export const digits = loadDigits(undefined, { scale: true });
export const [digitsTrain, digitsTest] = digits.split(0.8, 3);

/** Every activation kind, with non-default parameters where it has any. */
export const ACTIVATIONS: Activation[] = [
  { kind: 'relu' },
  { kind: 'smelu', beta: 0.6 },
  { kind: 'smelu', beta: 0 },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1.3, alpha: 0.4, beta: 1.7, t: -0.2 },
  { kind: 'rescu2', beta: 0.7 },
  { kind: 'gelu' },
  { kind: 'gelu_tanh' },
  { kind: 'swish', beta: 1.8 },
  // threshold 2 puts the linear branch inside the data's range
  { kind: 'softplus', beta: 2.5, threshold: 2 },
  { kind: 'sigmoid' },
];

/** An MLP 64-32-16-10 trained one epoch on the digits training split. */
export function trainedMlp(activation: Activation, o: { learnable?: 'layer' | 'unit'; layerNorm?: boolean; checkpoint?: string } = {}): Model {
  const model = mlp({ inputs: 64, hidden: [32, 16], outputs: 10, activation, seed: 5, learnable: o.learnable, layerNorm: o.layerNorm });
  const checkpoint = o.checkpoint ? { path: o.checkpoint, everySteps: 1000 } : undefined;
  fit(model, digitsTrain, { epochs: 1, batchSize: 64, loss: 'softmax_ce', seed: 5, optimizer: { kind: 'adagrad', lr: 0.05 }, checkpoint });
  return model;
}

/** max |got - want| over every value. */
export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  return d;
}

const root = path.resolve(__dirname, '..', '..', '..');

/** Runs `smelu export ARGS` from the built CLI. */
export function exportCli(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'export', ...args], { encoding: 'utf8' });
}

/** Trains an MLP that checkpoints into a fresh temporary directory, runs `body`, removes the directory. */
export async function inCheckpointDir(activation: Activation, body: (dir: string, checkpoint: string, model: Model) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-export-'));
  try {
    const checkpoint = path.join(dir, 'm.ckpt');
    await body(dir, checkpoint, trainedMlp(activation, { checkpoint }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A stack of standalone layers (dense, layernorm, activation, learnable gsmelu), trained one epoch. */
export function trainedStack(): Model {
  const model = new SequentialModel([
    denseConfig({ inSize: 64, units: 24 }),
    { type: 'layernorm', size: 24, eps: 1e-3 },
    { type: 'activation', size: 24, activation: { kind: 'rescu2', beta: 0.9 } },
    denseConfig({ inSize: 24, units: 12, bias: false }),
    { type: 'gsmelu', size: 12, perUnit: true, init: { gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 0.7, t: 0.05 }, minWidth: 1e-3 },
    denseConfig({ inSize: 12, units: 10 }),
  ], 9);
  fit(model, digitsTrain, { epochs: 1, batchSize: 64, loss: 'softmax_ce', seed: 9, optimizer: { kind: 'adam', lr: 0.01 } });
  return model;
}
