/**
 * `smelu repro`: runs a reproducibility sweep from a preset, with overrides, a progress bar on
 * stderr and the report paths on stdout. Usage errors exit with 2, like the main command.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { activation, activationLabel, ACTIVATION_KINDS, type Activation } from '../activations';
import { PRESETS, sameActivation, SOURCES, type ExperimentConfig, type Source, type TrainSpec } from './config';
import { parseShuffleList } from './order';

export const REPRO_USAGE = `usage: smelu repro --preset quick|ctr|ctr-stream|digits [options]

Trains N replicas per (activation, source of difference, order regime, learning rate), measures the
prediction difference (PD) between every pair of replicas on held-out data, compares every
activation to ReLU paired by replica seeds, and writes results.json, results.md (with verdicts per
claim generated from the intervals) and charts (tradeoff.svg, sources.svg, windows.svg,
curves.svg) to the output directory. Finished replicas are cached in <out>/cache: a rerun (or an
interrupted sweep) only trains what is missing.

options:
  --preset NAME          quick (seconds, a smoke test), ctr (synthetic CTR with feature crosses, epochs),
                         ctr-stream (one pass over drifting data in time order, windowed shuffles),
                         digits (8x8 digits, 10 classes)
  --replicas N           replicas per point (>= 2; >= 3 for intervals; default from the preset)
  --activations LIST     comma-separated: relu, linear (no activation: the floor), smelu, smelu:0.5, gsmelu,
                         rescu2:1, gelu, gelu_tanh, swish:2, softplus:4 (kind[:beta]); default: the preset's sweep
  --sources LIST         comma-separated from init, order, both, ulp, async, warm; the first one runs every
                         activation, the others the preset's comparison subset
  --shuffle LIST         order regimes, each a point of the results: full, none, window:W; window sizes can be
                         swept: window:256,4096,65536
  --epochs N             training epochs (default from the preset)
  --passes N             the same count, for streams: --passes 1 = single-pass training
  --lr X                 learning rate (every activation; see --tune)
  --tune lr=A,B,...      pick each activation's learning rate from this grid on a validation split carved
                         from the end of the training data (same grid and budget for every activation)
  --validation-fraction F  share of the training rows held out for --tune (default 0.1)
  --optimizer NAME       adagrad, sgd or adam
  --batch N              rows per batch
  --hidden LIST          hidden layer widths, e.g. 64,32
  --embedding-dim N      embedding width of each categorical field
  --eval-every N         test loss and PD every N examples seen (curves of PD over training); 0 = off
  --data-seeds K         repeat synthetic data (digits: the split) with K seeds (default from the preset)
  --async-workers N      racing Hogwild workers of the async source (>= 2)
  --async-batch N        rows per batch of each async worker
  --out DIR              output directory (default repro-<preset>)
  --threads N            worker threads (default: available cores)
  --ensembles LIST       ensemble sizes K (of ReLU and of the preset's smooth models), e.g. 2,4; 'none'
  --layer-norm           normalize hidden layers (layer norm before the activation)
  --frozen-embeddings    every replica gets replica 0's embeddings, frozen (PD of the tower alone; CTR only)
  --help                 print this help`;

export class UsageError extends Error {}

export interface ReproArgs {
  config: ExperimentConfig;
  out: string;
  threads: number;
}

type Flags = Record<string, string>;

const FLAGS = [
  'preset', 'replicas', 'activations', 'sources', 'epochs', 'passes', 'out', 'threads', 'ensembles', 'shuffle', 'lr', 'tune',
  'validation-fraction', 'optimizer', 'batch', 'hidden', 'embedding-dim', 'eval-every', 'data-seeds', 'async-workers', 'async-batch',
];
const SWITCHES = ['layer-norm', 'frozen-embeddings'];

/** --name value / --name=value pairs, and switches without a value. */
function readFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(`unexpected argument '${args[i]}'`);
    const [, name, inline] = m;
    if (SWITCHES.includes(name) && inline === undefined) {
      flags[name] = 'true';
      continue;
    }
    if (!FLAGS.includes(name)) throw new UsageError(`unknown option '--${name}'`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    flags[name] = value;
  }
  return flags;
}

function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** `kind` or `kind:beta` (gsmelu takes the sweep's leaky setting). */
export function parseActivation(s: string): Activation {
  if (s.trim() === 'linear') return { kind: 'identity' };
  const [kind, beta, ...rest] = s.trim().split(':');
  if (!(ACTIVATION_KINDS as readonly string[]).includes(kind) || kind === 'identity' || kind === 'sigmoid') {
    throw new UsageError(`unknown activation '${kind}' (use relu, smelu, gsmelu, rescu2, gelu, gelu_tanh, swish, softplus)`);
  }
  if (rest.length) throw new UsageError(`activation '${s}': expected kind or kind:beta`);
  const desc: Record<string, unknown> = kind === 'gsmelu' ? { kind, gNeg: 0.1, gPos: 1, alpha: 1, beta: 1 } : { kind };
  if (beta !== undefined) {
    if (!['smelu', 'gsmelu', 'rescu2', 'swish', 'softplus'].includes(kind)) throw new UsageError(`activation ${kind} takes no parameter`);
    const b = Number(beta);
    if (beta === '' || !Number.isFinite(b)) throw new UsageError(`activation '${s}': beta must be a number`);
    desc.beta = b;
  }
  try {
    return activation(desc as unknown as Activation).descriptor as Activation;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function parseList<T>(name: string, v: string, parse: (s: string) => T): T[] {
  const items = v.split(',').filter((s) => s.trim() !== '');
  if (!items.length) throw new UsageError(`--${name} needs at least one entry`);
  return items.map(parse);
}

function parseSource(s: string): Source {
  if (!(SOURCES as readonly string[]).includes(s.trim())) throw new UsageError(`unknown source '${s}' (use ${SOURCES.join(', ')})`);
  return s.trim() as Source;
}

/** `none`, or ensemble sizes >= 2 (members: replicas of ReLU and the preset's ensemble activations). */
function parseEnsembles(v: string, base: ExperimentConfig['ensemble']): ExperimentConfig['ensemble'] {
  if (v === 'none') return null;
  const sizes = parseList('ensembles', v, (s) => positiveInt('ensembles', s.trim(), 2));
  return { activations: base?.activations ?? [{ kind: 'relu' }], source: base?.source ?? 'both', sizes };
}

function positiveNumber(name: string, v: string, max = Infinity): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x >= max) throw new UsageError(`--${name} must be a number > 0${max < Infinity ? ` and < ${max}` : ''}, got '${v}'`);
  return x;
}

/** `lr=A,B,...`: the learning-rate grid. */
function parseTune(v: string): number[] {
  const m = /^lr=(.+)$/.exec(v.trim());
  if (!m) throw new UsageError(`--tune expects lr=A,B,... (e.g. lr=0.01,0.03,0.1,0.3), got '${v}'`);
  return [...new Set(parseList('tune', m[1], (x) => positiveNumber('tune', x.trim())))];
}

const OPTIMIZERS = ['adagrad', 'sgd', 'adam'] as const;

/** The recipe options: --lr --optimizer --batch --hidden --embedding-dim --tune and the order regimes. */
function applyRecipe(cfg: ExperimentConfig, fl: Flags): void {
  const t = cfg.train;
  if (fl.epochs && fl.passes) throw new UsageError('give --epochs or --passes, not both');
  if (fl.epochs) t.epochs = positiveInt('epochs', fl.epochs);
  if (fl.passes) t.epochs = positiveInt('passes', fl.passes);
  if (fl.lr) t.learningRate = positiveNumber('lr', fl.lr);
  if (fl.optimizer) {
    if (!(OPTIMIZERS as readonly string[]).includes(fl.optimizer)) throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${fl.optimizer}'`);
    t.optimizer = fl.optimizer as TrainSpec['optimizer'];
  }
  if (fl.batch) t.batchSize = positiveInt('batch', fl.batch);
  if (fl.hidden) cfg.model.hidden = parseList('hidden', fl.hidden, (x) => positiveInt('hidden', x.trim()));
  if (fl['embedding-dim']) cfg.model.embeddingDim = positiveInt('embedding-dim', fl['embedding-dim']);
  if (fl['eval-every']) t.evalEvery = positiveInt('eval-every', fl['eval-every'], 0);
  if (fl['async-workers']) t.asyncThreads = positiveInt('async-workers', fl['async-workers'], 2);
  if (fl['async-batch']) t.asyncBatch = positiveInt('async-batch', fl['async-batch']);
  if (fl.shuffle) {
    try {
      t.shuffles = parseShuffleList(fl.shuffle);
    } catch (e) {
      throw new UsageError(`--shuffle: ${(e as Error).message}`);
    }
  }
  if (fl.tune) cfg.tune = { lr: parseTune(fl.tune), validationFraction: cfg.tune?.validationFraction ?? 0.1 };
  else if (fl.lr) cfg.tune = null; // an explicit rate replaces the preset's grid
  if (fl['validation-fraction']) {
    if (!cfg.tune) throw new UsageError('--validation-fraction needs --tune');
    cfg.tune.validationFraction = positiveNumber('validation-fraction', fl['validation-fraction'], 1);
  }
}

/** Parses the arguments after `repro` into a config; throws {@link UsageError}. */
export function parseReproArgs(args: string[]): ReproArgs {
  const fl = readFlags(args);
  if (!fl.preset) throw new UsageError(`--preset is required (${Object.keys(PRESETS).join(', ')})`);
  const make = PRESETS[fl.preset];
  if (!make) throw new UsageError(`unknown preset '${fl.preset}' (use ${Object.keys(PRESETS).join(', ')})`);
  const cfg = make();
  if (fl.replicas) cfg.replicas = positiveInt('replicas', fl.replicas, 2);
  if (fl['data-seeds']) cfg.dataSeeds = positiveInt('data-seeds', fl['data-seeds']);
  applyRecipe(cfg, fl);
  if (fl.activations) {
    cfg.activations = parseList('activations', fl.activations, parseActivation);
    // An explicit list runs in full under every source: the preset's subset may not be in it.
    cfg.sourceSubset = null;
  }
  if (fl['layer-norm']) cfg.model.layerNorm = true;
  if (fl['frozen-embeddings']) {
    if (cfg.data.kind !== 'ctr') throw new UsageError('--frozen-embeddings needs data with categorical fields (a ctr preset)');
    cfg.model.frozenEmbeddings = true;
  }
  if (fl.ensembles) cfg.ensemble = parseEnsembles(fl.ensembles, cfg.ensemble);
  if (cfg.ensemble) {
    const listed = cfg.ensemble.activations.filter((a) => cfg.activations.some((b) => sameActivation(a, b)));
    cfg.ensemble = listed.length ? { ...cfg.ensemble, activations: listed } : null;
  }
  if (fl.sources) cfg.sources = [...new Set(parseList('sources', fl.sources, parseSource))];
  if (cfg.model.frozenEmbeddings && cfg.sources.includes('async')) throw new UsageError('--frozen-embeddings does not combine with the async source');
  if (cfg.sources.includes('warm') && cfg.train.warmEpochs >= cfg.train.epochs) {
    throw new UsageError(`the warm source needs more epochs (${cfg.train.epochs}) than the warm-start checkpoint has (${cfg.train.warmEpochs})`);
  }
  const labels = cfg.activations.map(activationLabel);
  if (new Set(labels).size !== labels.length) throw new UsageError('--activations lists an activation twice');
  const threads = fl.threads ? positiveInt('threads', fl.threads) : Math.max(1, os.availableParallelism());
  return { config: cfg, out: path.resolve(fl.out ?? `repro-${cfg.preset}`), threads };
}

/** The `smelu repro` command; resolves to the exit code. */
export async function reproCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${REPRO_USAGE}\n`);
    return 0;
  }
  let parsed: ReproArgs;
  try {
    parsed = parseReproArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`smelu repro: ${e.message}\n(smelu repro --help for usage)\n`);
    return 2;
  }
  // Loaded here, not at the top: --help and usage errors need neither workers nor vega.
  const { runWithProgress } = await import('./progress');
  const summary = await runWithProgress(parsed);
  process.stdout.write(`${summary.files.join('\n')}\n`);
  process.stderr.write(`trained ${summary.trained}, cached ${summary.cached}, ${summary.seconds.toFixed(1)} s\n`);
  return 0;
}
