/**
 * `smelu repro`: runs a reproducibility sweep from a preset, with overrides, a progress bar on
 * stderr and the report paths on stdout. Usage errors exit with 2, like the main command.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { activation, activationLabel, ACTIVATION_KINDS, type Activation } from '../activation';
import { parseCommandArgs, runCommand, UsageError, type CommandSpec } from '../cli-args';
import { fileStamp, type FileDataConfig, type FileFormat, type TestSpec } from './filedata';
import { checkSweep, LINEAR, presetConfig, PRESETS, sameActivation, shufflesOf, SOURCES, type ExperimentConfig, type QueueOptions, type ReproArgs, type Source, type TrainSpec } from './config';
import { parseShuffleList } from './order';
import { loadFileSplit } from './filedata';
import { writeRatings } from './ratings';
import { QueueDispatcher, queueOptions } from './queue';
import { MalformedLineError } from '../nn';

const REPRO_USAGE = `usage: smelu repro --preset quick|ctr|ctr-stream|digits [options]
       smelu repro --data FILE --label COL [--positive SPEC] [--categorical ...] [options]

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
  --help                 print this help

your data (instead of --preset; CSV/TSV with a header, LIBSVM, Criteo TSV; gzip is detected):
  --data FILE            the data (training rows, or all rows split by --test-fraction / --test-last)
  --format F             csv, tsv, libsvm or criteo (default from the name: .tsv -> tsv, .svm/.libsvm -> libsvm, else csv)
  --label COL            the column to predict (CSV/TSV): 0/1, or any value with --positive
  --positive SPEC        which label cells are positive: '>=4', '==1', 'yes', ...
  --categorical LIST     categorical columns (hashed into --buckets rows of an embedding each)
  --bag LIST             multi-valued columns as column:separator, e.g. genres:'|' (separators are not commas)
  --numeric LIST         numeric columns (dense features); with --numeric (or --order-by) every column needs
                         a role: list the others in --ignore
  --ignore LIST          columns to leave out
  --order-by COL         sort rows by this numeric column (e.g. a timestamp); it is not a feature
  --test FILE | --test-fraction F | --test-last F
                         held-out data: a file, a random share, or the last share in the given order
                         (next-period evaluation; the default, with F = 0.2)
  --buckets N            hash buckets per categorical or bag field (default 16384)
  --stream               files larger than memory: one pass (--passes 1) over the training file read in
                         chunks, in file order with --shuffle none or window:W; needs --test FILE
  --make-ratings FILE [--rows N]
                         write an example ratings file (user, item, genres, year, timestamp, rating) and exit

queue mode (several machines; docs/distributed.md; needs the optional packages bullmq and ioredis):
  --queue redis://HOST:PORT/DB
                         enqueue the replicas not in the cache as BullMQ jobs and wait for them to be
                         trained by workers (smelu worker --queue ...); rerun the command to resume
  --attempts N           attempts per replica before it is reported as failed (default 3)
  --data-url BASE        workers fetch the data files from BASE/<file name> (default: the same path)`;

/** The CLI's usage error (lib/cli-args.ts), re-exported for the lab's callers. */
export { UsageError };

export type { ReproArgs };

type Flags = Record<string, string>;

const FLAGS = [
  'preset', 'replicas', 'activations', 'sources', 'epochs', 'passes', 'out', 'threads', 'ensembles', 'shuffle', 'lr', 'tune',
  'validation-fraction', 'optimizer', 'batch', 'hidden', 'embedding-dim', 'eval-every', 'data-seeds', 'async-workers', 'async-batch',
  'data', 'format', 'label', 'positive', 'categorical', 'numeric', 'bag', 'order-by', 'test', 'test-fraction', 'test-last', 'buckets',
  'make-ratings', 'rows', 'ignore', 'queue', 'attempts', 'data-url',
];
/** The options that describe a data file (only with --data). */
const DATA_FLAGS = ['format', 'label', 'positive', 'categorical', 'numeric', 'bag', 'ignore', 'order-by', 'test', 'test-fraction', 'test-last', 'buckets'];
const FORMATS = ['csv', 'tsv', 'libsvm', 'criteo'] as const;
const SWITCHES = ['layer-norm', 'frozen-embeddings', 'stream'];

const REPRO: CommandSpec = {
  name: 'smelu repro',
  usage: REPRO_USAGE,
  options: Object.fromEntries([...FLAGS.map((f) => [f, { type: 'string' }] as const), ...SWITCHES.map((f) => [f, { type: 'boolean' }] as const)]),
};

/** The options given, by name (a switch reads 'true'); throws {@link UsageError} for a bad one. */
function readFlags(args: string[]): Flags {
  const flags: Flags = {};
  const parsed = parseCommandArgs(REPRO, args);
  if (parsed === null) throw new UsageError('--help goes alone');
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '') throw new UsageError(`option '--${name}' needs a value`);
    flags[name] = String(value);
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
    throw new UsageError(`unknown activation '${kind}' (use relu, linear, smelu, gsmelu, rescu2, gelu, gelu_tanh, swish, softplus)`);
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

const names = (flag: string, v: string): string[] => parseList(flag, v, (x) => x.trim());

/** `name:sep,name:sep` (a separator is any text but a comma). */
function parseBags(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of names('bag', v)) {
    const i = item.indexOf(':');
    if (i <= 0 || i === item.length - 1) throw new UsageError(`--bag expects column:separator (e.g. genres:'|'), got '${item}'`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function parseTest(fl: Flags): TestSpec {
  const given = ['test', 'test-fraction', 'test-last'].filter((k) => fl[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --test, --test-fraction, --test-last (got ${given.map((k) => `--${k}`).join(' and ')})`);
  if (fl.test) {
    const file = path.resolve(fl.test);
    if (!fs.existsSync(file)) throw new UsageError(`--test: no such file '${fl.test}'`);
    return { kind: 'file', file };
  }
  if (fl['test-fraction']) return { kind: 'fraction', fraction: positiveNumber('test-fraction', fl['test-fraction'], 1) };
  return { kind: 'last', fraction: fl['test-last'] ? positiveNumber('test-last', fl['test-last'], 1) : 0.2 };
}

/** Roles must not overlap: a column is the label, categorical, numeric, a bag or the order, never two of them. */
function checkRoles(d: FileDataConfig): void {
  const roles: Array<[string, string[]]> = [
    ['--label', d.label ? [d.label] : []], ['--categorical', d.categorical ?? []], ['--numeric', d.numeric ?? []],
    ['--bag', Object.keys(d.bags ?? {})], ['--ignore', d.ignore ?? []], ['--order-by', d.orderBy ? [d.orderBy] : []],
  ];
  const seen = new Map<string, string>();
  for (const [flag, cols] of roles) {
    for (const c of cols) {
      const prev = seen.get(c);
      if (prev) throw new UsageError(`${prev} and ${flag} both name the column '${c}' (a column has one role)`);
      seen.set(c, flag);
    }
  }
}

/** The data part of `--data FILE ...`. */
function fileData(fl: Flags): FileDataConfig {
  const file = path.resolve(fl.data);
  if (!fs.existsSync(file)) throw new UsageError(`--data: no such file '${fl.data}'`);
  const plain = file.replace(/\.gz$/, '');
  const format = (fl.format ?? (plain.endsWith('.tsv') ? 'tsv' : plain.endsWith('.svm') || plain.endsWith('.libsvm') ? 'libsvm' : 'csv')) as FileFormat;
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${fl.format}'`);
  const csv = format === 'csv' || format === 'tsv';
  for (const k of ['label', 'positive', 'categorical', 'numeric', 'bag', 'ignore', 'order-by']) {
    if (!csv && fl[k] !== undefined) throw new UsageError(`--${k} applies to CSV/TSV data, not --format ${format}`);
  }
  if (csv && !fl.label) throw new UsageError('--label is required with CSV/TSV data (the column to predict)');
  const test = parseTest(fl);
  const d: FileDataConfig = {
    kind: 'file', file, format, label: fl.label, positive: fl.positive,
    categorical: fl.categorical ? names('categorical', fl.categorical) : undefined,
    numeric: fl.numeric ? names('numeric', fl.numeric) : undefined,
    bags: fl.bag ? parseBags(fl.bag) : undefined,
    ignore: fl.ignore ? names('ignore', fl.ignore) : undefined,
    orderBy: fl['order-by'],
    buckets: fl.buckets ? positiveInt('buckets', fl.buckets, 2) : 1 << 14,
    test, seed: 5, stamp: fileStamp([file, ...(test.kind === 'file' ? [test.file] : [])]),
  };
  if (csv) checkRoles(d);
  return d;
}

/** The config of `--data FILE`: the file with the lab's default recipe (a ctr-like model; one data seed). */
function fileConfig(fl: Flags): ExperimentConfig {
  return {
    preset: 'file',
    data: fileData(fl),
    model: { hidden: [64, 32], embeddingDim: 8 },
    train: { epochs: 2, batchSize: 128, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 1, asyncThreads: 2, shuffles: ['full', 'window:4096'] },
    activations: [{ kind: 'relu' }, LINEAR, { kind: 'smelu', beta: 1 }, { kind: 'gelu' }, { kind: 'swish', beta: 1 }],
    sources: ['both'],
    sourceSubset: null,
    replicas: 5,
    seed: 7,
    ensemble: null,
    dataSeeds: 1,
    tune: null,
  };
}

function baseConfig(fl: Flags): ExperimentConfig {
  if (fl.data) {
    if (fl.preset) throw new UsageError('give --preset or --data, not both');
    return fileConfig(fl);
  }
  const stray = DATA_FLAGS.find((k) => fl[k] !== undefined);
  if (stray) throw new UsageError(`--${stray} needs --data FILE`);
  if (!fl.preset) throw new UsageError(`--preset (${Object.keys(PRESETS).join(', ')}) or --data FILE is required`);
  const cfg = presetConfig(fl.preset);
  if (!cfg) throw new UsageError(`unknown preset '${fl.preset}' (use ${Object.keys(PRESETS).join(', ')})`);
  return cfg;
}

/** Parses the arguments after `repro` into a config; throws {@link UsageError}. */
export function parseReproArgs(args: string[]): ReproArgs {
  const fl = readFlags(args);
  const cfg = baseConfig(fl);
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
    if (cfg.data.kind === 'digits') throw new UsageError('--frozen-embeddings needs data with categorical fields (a ctr preset)');
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
  if (fl.stream) checkStream(cfg);
  if (cfg.data.kind === 'file' && cfg.data.test.kind !== 'fraction' && fl['data-seeds']) throw new UsageError('--data-seeds needs a random split (--test-fraction): the other splits are fixed');
  try {
    checkSweep(cfg, threads, os.availableParallelism());
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let queue: QueueOptions | null;
  try {
    queue = queueOptions(fl);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { config: cfg, out: path.resolve(fl.out ?? `repro-${cfg.preset}`), threads, queue };
}

/** The `smelu repro` command; resolves to the exit code. */
export function reproCommand(args: string[]): Promise<number> {
  return runCommand(REPRO, args, async () => {
    if (makeRatings(args)) return 0;
    const parsed = parseReproArgs(args);
    await checkData(parsed.config);
    return run(parsed);
  });
}

async function run(parsed: ReproArgs): Promise<number> {
  // Loaded here, not at the top: --help and usage errors need neither workers nor vega.
  const { runWithProgress } = await import('./progress');
  const summary = await runWithProgress(parsed, parsed.queue ? new QueueDispatcher(parsed.queue) : undefined);
  process.stdout.write(`${summary.files.join('\n')}\n`);
  const { canRenderSvg, SVG_HINT } = await import('../chart');
  if (!(await canRenderSvg())) process.stderr.write(`${SVG_HINT}\n`);
  process.stderr.write(`trained ${summary.trained}, cached ${summary.cached}, ${summary.seconds.toFixed(1)} s\n`);
  return 0;
}

/** --stream: one pass over a file read in chunks; what needs all rows in memory is refused. */
function checkStream(cfg: ExperimentConfig): void {
  const d = cfg.data;
  if (d.kind !== 'file') throw new UsageError('--stream needs --data FILE');
  if (d.format === 'libsvm') throw new UsageError('--stream reads CSV, TSV or Criteo files (LIBSVM needs a first pass for its width)');
  if (d.test.kind !== 'file') throw new UsageError('--stream needs --test FILE (the held-out rows must fit in memory, the training rows need not)');
  if (d.orderBy) throw new UsageError('--order-by needs all rows in memory: with --stream the file must already be in order');
  if (cfg.train.epochs !== 1) throw new UsageError('--stream is single-pass training: give --passes 1');
  if (cfg.tune) throw new UsageError('--tune needs a validation split in memory: not with --stream');
  const bad = cfg.sources.find((s) => s === 'async' || s === 'warm');
  if (bad) throw new UsageError(`the ${bad} source is not available with --stream`);
  if (shufflesOf(cfg).includes('full')) throw new UsageError("--stream cannot reshuffle all rows: use --shuffle none or window:W");
  d.stream = true;
}

/** `--make-ratings FILE [--rows N]`: writes the example ratings file and returns true. */
function makeRatings(args: string[]): boolean {
  const fl = readFlags(args);
  if (!fl['make-ratings']) {
    if (fl.rows) throw new UsageError('--rows goes with --make-ratings FILE');
    return false;
  }
  const extra = Object.keys(fl).filter((k) => k !== 'make-ratings' && k !== 'rows');
  if (extra.length) throw new UsageError(`--make-ratings takes only --rows (got --${extra[0]})`);
  const rows = fl.rows ? positiveInt('rows', fl.rows, 10) : 20000;
  writeRatings(path.resolve(fl['make-ratings']), { rows });
  process.stdout.write(`${path.resolve(fl['make-ratings'])}\n`);
  return true;
}

/** Loads a data file once before any worker starts: a bad specification exits 2 naming its option. */
async function checkData(cfg: ExperimentConfig): Promise<void> {
  if (cfg.data.kind !== 'file') return;
  try {
    await loadFileSplit(cfg.data);
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof TypeError || e instanceof MalformedLineError)) throw e;
    throw new UsageError(optionNamed(e.message));
  }
}

const LOADER_OPTIONS: Record<string, string> = { label: '--label', numeric: '--numeric', categorical: '--categorical', bags: '--bag', positive: '--positive', ignore: '--ignore' };

/** The loader's messages name its options (`categorical: ...`); the CLI's user knows them as flags. */
export function optionNamed(message: string): string {
  if (message.startsWith('--')) return message; // already in the CLI's words
  const m = message.replace(/(?<![-'])\b(label|numeric|categorical|bags|positive|ignore)\b(?=[:,\s]|$)/g, (w) => LOADER_OPTIONS[w]);
  const out = m.replace("the 'positive' option", '--positive');
  return /^--/.test(out) ? out : `--data: ${out}`;
}
