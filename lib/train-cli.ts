/**
 * `smelu train`: trains a model on the digits data or on synthetic CTR data from the command line,
 * with a progress bar (examples/s, loss), optional checkpoints and resume, then evaluates it.
 */
import { parseCommandArgs, runCommand, UsageError, type CommandSpec } from './cli-args';
import * as nn from './nn';
import type { Dataset, Model } from './nn';
import { parseActivation } from './repro/cli';

const USAGE = `usage: smelu train [options]

  --dataset digits|ctr   digits (real, 10 classes) or synthetic CTR with embeddings (default digits)
  --rows N               rows of synthetic CTR data (default 100000)
  --activation A         relu, smelu, smelu:0.5, gelu, swish:2, ... (default smelu)
  --hidden 64,32         hidden layer widths (default 64,32)
  --epochs N             (default 5)
  --batch N              batch size (default 128)
  --lr X                 Adagrad learning rate (default 0.05)
  --seed N               initialization seed (default 1); the example order uses --seed + 1
  --checkpoint FILE      save the training state there every 200 steps (atomic)
  --resume FILE          continue from a checkpoint, bit for bit
  --help`;

interface TrainArgs {
  dataset: 'digits' | 'ctr';
  rows: number;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  activation: ReturnType<typeof parseActivation>;
  checkpoint?: string;
  resume?: string;
}

function count(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

const text = { type: 'string' } as const;
const TRAIN: CommandSpec = {
  name: 'smelu train',
  usage: USAGE,
  options: { dataset: text, rows: text, activation: text, hidden: text, epochs: text, batch: text, lr: text, seed: text, checkpoint: text, resume: text },
};

/** Parses the arguments after `train`; null for --help; throws {@link UsageError} for a bad option. */
export function parseTrainArgs(args: string[]): TrainArgs | null {
  const parsed = parseCommandArgs(TRAIN, args);
  return parsed && trainArgsFrom(parsed.values);
}

/** The parsed option values as TrainArgs, each checked. */
function trainArgsFrom(values: Record<string, unknown>): TrainArgs {
  const s = (k: string) => values[k] as string | undefined;
  const dataset = s('dataset') ?? 'digits';
  if (dataset !== 'digits' && dataset !== 'ctr') throw new UsageError(`--dataset must be digits or ctr, got '${dataset}'`);
  const lr = s('lr') === undefined ? 0.05 : Number(s('lr'));
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a positive number, got '${s('lr')}'`);
  const hidden = (s('hidden') ?? '64,32').split(',').map((w) => count('hidden', w.trim(), 0));
  return checkTrainArgs({
    dataset,
    rows: count('rows', s('rows'), 100_000, 100),
    hidden,
    epochs: count('epochs', s('epochs'), 5),
    batch: count('batch', s('batch'), 128),
    lr,
    seed: count('seed', s('seed'), 1, 0),
    activation: parseActivation(s('activation') ?? 'smelu'),
    checkpoint: s('checkpoint'),
    resume: s('resume'),
  });
}

function setup(a: TrainArgs): { model: Model; data: Dataset; loss: 'bce' | 'softmax_ce' } {
  if (a.dataset === 'digits') {
    const data = nn.loadDigits();
    const model = nn.mlp({ inputs: 64, hidden: a.hidden, outputs: 10, activation: a.activation, seed: a.seed });
    return { model, data, loss: 'softmax_ce' };
  }
  const data = nn.syntheticCtr({ rows: a.rows, seed: 7 });
  const fields = [1000, 1000, 500, 200, 100, 50, 20, 10];
  const model = nn.ctrModel({ numDense: data.numDense, fields, hidden: a.hidden, activation: a.activation, seed: a.seed });
  return { model, data, loss: 'bce' };
}

/** Most rows the synthetic data of `smelu train` may have (the data is built in memory). */
export const MAX_TRAIN_ROWS = 10_000_000;

/**
 * Checks parsed `smelu train` options for values that make no sense, before any data is built:
 * a learning rate the optimizer refuses (e.g. 1e308), sizes beyond reason, a checkpoint path that
 * cannot be written (found now, not 200 steps in).
 * @param a the parsed options.
 * @returns a, unchanged.
 * @throws UsageError naming the option.
 */
export function checkTrainArgs(a: TrainArgs): TrainArgs {
  try {
    nn.checkSchedule(a.lr, '--lr');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (a.rows > MAX_TRAIN_ROWS) throw new UsageError(`--rows must be at most ${MAX_TRAIN_ROWS}, got ${a.rows}`);
  if (a.epochs > 10_000) throw new UsageError(`--epochs must be at most 10000, got ${a.epochs}`);
  if (a.batch > 1 << 20) throw new UsageError(`--batch must be at most ${1 << 20}, got ${a.batch}`);
  if (a.hidden.some((w) => w > 1 << 16)) throw new UsageError(`--hidden widths must be at most ${1 << 16}`);
  if (a.checkpoint !== undefined) {
    try {
      nn.checkWritable(a.checkpoint);
    } catch (e) {
      throw new UsageError(`--checkpoint: ${(e as Error).message}`);
    }
  }
  return a;
}

/** Runs `smelu train`; returns the exit code (2 for a bad option). */
export function trainCommand(args: string[]): Promise<number> {
  return runCommand(TRAIN, args, ({ values }) => runTraining(trainArgsFrom(values)));
}

function runTraining(a: TrainArgs): number {
  const { model, data, loss } = setup(a);
  const [train, test] = data.split(0.8, 42);
  nn.fit(model, train, {
    epochs: a.epochs,
    batchSize: a.batch,
    loss,
    seed: a.resume ? undefined : a.seed,
    shuffleSeed: a.seed + 1,
    optimizer: { kind: 'adagrad', lr: a.lr },
    validation: test,
    onProgress: nn.terminalProgress(),
    checkpoint: a.checkpoint ? { path: a.checkpoint, everySteps: 200 } : undefined,
    resume: a.resume,
  });
  process.stdout.write(`${JSON.stringify(nn.evaluate(model, test, { loss }))}\n`);
  return 0;
}
