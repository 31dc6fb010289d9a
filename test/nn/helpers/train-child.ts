/**
 * Child process of the kill-and-resume test: trains ctrRun() with a checkpoint every 10 steps,
 * printing "step N" after each step. Env: CKPT (path), RESUME=1 to continue from it, DELAY_MS to
 * slow each step down so that the parent can kill it mid-training.
 */
import { fit } from '../../../lib/nn';
import { ctrRun } from './ctr-run';

const { model, data, options } = ctrRun();
const ckpt = process.env.CKPT!;
const delay = Number(process.env.DELAY_MS ?? 0);
const pause = new Int32Array(new SharedArrayBuffer(4));
fit(model, data, {
  ...options,
  checkpoint: { path: ckpt, everySteps: 10 },
  resume: process.env.RESUME === '1' ? ckpt : undefined,
  progressEvery: 1,
  onProgress: (e) => {
    if (e.phase !== 'step') return;
    process.stdout.write(`step ${e.step}\n`);
    if (delay) Atomics.wait(pause, 0, 0, delay);
  },
});
process.stdout.write('done\n');
