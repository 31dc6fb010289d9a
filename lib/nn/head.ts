/**
 * A model's output head: how logits become predictions. 'sigmoid' (a probability per output,
 * binary classification), 'softmax' (class probabilities per row) or 'linear' (the logits,
 * regression). Stored in model files, so predicting needs no loss name.
 */
import { BatchGatherer, type Dataset } from './data/dataset';
import { getLoss, type Loss, type LossName } from './loss';
import type { Batch, DataShape } from './batch';

/** What predicting needs of a model (every `Model` is one). */
export interface Predictor {
  /** Logits per row. */
  readonly outputs: number;
  /** Logits of a batch, in a buffer the next call overwrites. */
  forward(batch: Batch): Float32Array;
  /** Throws when data of this shape do not fit. */
  checkShape(shape: DataShape): void;
}

/** How logits become predictions. */
export type Head = 'sigmoid' | 'softmax' | 'linear';

const HEAD_LOSS: Record<Head, LossName> = { sigmoid: 'bce', softmax: 'softmax_ce', linear: 'mse' };
const LOSS_HEAD: Record<string, Head> = { bce: 'sigmoid', softmax_ce: 'softmax', mse: 'linear' };

/**
 * Checks a head name.
 * @param h the value.
 * @param what the option's name, for the message.
 * @returns the head.
 * @throws TypeError for anything but 'sigmoid', 'softmax' or 'linear'.
 */
export function checkHead(h: unknown, what = 'head'): Head {
  if (h === 'sigmoid' || h === 'softmax' || h === 'linear') return h;
  throw new TypeError(`${what} must be 'sigmoid', 'softmax' or 'linear', got ${JSON.stringify(h)}`);
}

/**
 * The head a loss trains: bce -> sigmoid, softmax_ce -> softmax, mse -> linear.
 * @param loss a loss name.
 * @returns the head, or undefined for a custom loss.
 */
export function headOfLoss(loss: string): Head | undefined {
  return LOSS_HEAD[loss];
}

/**
 * The default head of a model with `outputs` logits: sigmoid for one, softmax for more.
 * @param outputs logits per row.
 * @returns the head.
 */
export function defaultHead(outputs: number): Head {
  return outputs === 1 ? 'sigmoid' : 'softmax';
}

/**
 * The loss whose predict() applies a head.
 * @param head the head.
 * @returns the loss.
 */
export function headLoss(head: Head): Loss {
  return getLoss(HEAD_LOSS[head]);
}

/**
 * Predictions for every row of a dataset through the model's head, in a new array.
 * @param model the model.
 * @param head its head.
 * @param data the rows (labels are not read).
 * @param batchSize rows per forward (default 1024).
 * @returns [n x outputs], a fresh array.
 * @throws RangeError for data that do not fit the model.
 */
export function predictDataset(model: Predictor, head: Head, data: Dataset, batchSize = 1024): Float32Array {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError(`batchSize must be a positive integer, got ${batchSize}`);
  model.checkShape(data.shape());
  const k = model.outputs;
  const loss = headLoss(head);
  const out = new Float32Array(data.n * k);
  const g = new BatchGatherer(data, Math.min(batchSize, Math.max(1, data.n)));
  const order = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) order[i] = i;
  for (let s = 0; s < data.n; s += g.capacity) {
    const b = g.gather(order, s, Math.min(data.n, s + g.capacity));
    loss.predict(model.forward(b), b.m, k, out.subarray(s * k, (s + b.m) * k));
  }
  return out;
}
