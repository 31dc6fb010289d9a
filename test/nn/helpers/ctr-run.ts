/** One small CTR training run, shared by the checkpoint test and its child process. */
import { ctrModel, syntheticCtr, type CtrModel, type Dataset, type FitOptions } from '../../../lib/nn';

export function ctrRun(): { model: CtrModel; data: Dataset; options: FitOptions } {
  const data = syntheticCtr({ rows: 3000, seed: 21 });
  const model = ctrModel({ numDense: 8, fields: [1000, 1000, 500, 200, 100, 50, 20, 10], embeddingDim: 4, hidden: [16], activation: 'smelu' });
  const options: FitOptions = {
    epochs: 3, batchSize: 50, loss: 'bce', seed: 7, shuffleSeed: 9, clipNorm: 5,
    optimizer: { kind: 'adam', lr: { kind: 'warmup', warmupSteps: 10, then: 0.01 } },
  };
  return { model, data, options };
}
