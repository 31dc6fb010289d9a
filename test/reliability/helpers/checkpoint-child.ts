/**
 * Child process for checkpoint-kill.full.test.ts: saves checkpoints to env CKPT in a loop, as fast as it
 * can, until it is killed. Save number s (starting at env START) has position.step = s and every
 * parameter and optimizer value equal to s, so a reader can tell a whole save from a mix of two.
 * Prints "saved s" after each save returns.
 */
import { saveCheckpoint, type TrainState } from '../../../lib/nn';

/** A state of about 2 MB (a small model's weights and Adam moments), every value = step. */
export function stateAt(step: number): TrainState {
  const fill = (n: number) => new Float32Array(n).fill(step);
  return {
    model: { kind: 'sequential', layers: [] } as unknown as TrainState['model'],
    params: [
      { name: 'dense0/W', value: fill(256 * 512) },
      { name: 'dense0/b', value: fill(512) },
      { name: 'dense1/W', value: fill(512 * 64) },
    ],
    optimizer: { config: { kind: 'adam' } as unknown as TrainState['optimizer']['config'], t: step, state: [fill(256 * 512), fill(512 * 64)] },
    shuffleRng: [1, 2, 3, step],
    position: { step, epoch: 0, batch: step, epochLossSum: step / 2, epochExamples: step, history: [] },
    run: { batchSize: 32, loss: 'mse', shuffle: true, shuffleSeed: '1', clipNorm: null, rows: 1000, data: 'sha1-of-nothing' },
  };
}

if (process.env.CKPT) {
  const file = process.env.CKPT;
  for (let step = Number(process.env.START ?? '1'); ; step++) {
    saveCheckpoint(file, stateAt(step));
    process.stdout.write(`saved ${step}\n`);
  }
}
