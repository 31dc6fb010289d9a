/**
 * Results as text and pictures: the markdown tables and the vega-lite specs of the charts (drawn
 * to SVG by lib/chart.ts).
 */
import * as path from 'node:path';
import type { VegaLiteSpec } from '../chart';
import { shufflesOf, sweepName, type ExperimentConfig, type Source } from './config';
import type { Interval } from './paired';
import { primaryPd, regimeKey, type EnsembleResult, type PointResult, type Results } from './report';
import { RULES } from './verdicts';
import { fixed, type Summary } from './stats';

const f = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : fixed(x, d));
const ms = (s: Summary, d = 4): string => `${f(s.mean, d)} ± ${f(s.sd, d)}`;
const signed = (x: number | null, d = 2): string => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(d)}`);

function isBinary(cfg: ExperimentConfig): boolean {
  return cfg.data.kind !== 'digits';
}

const ivCell = (x: { estimate: number; lo: number; hi: number } | undefined, d = 3): string => (x ? `${f(x.estimate, d)} [${f(x.lo, d)}, ${f(x.hi, d)}]` : '–');

function headers(binary: boolean): string[] {
  const q = binary ? 'AUC' : 'accuracy';
  const pd = binary ? ['relative PD % (mean ± sd over pairs)', 'PD % [95% jackknife]', 'abs PD', 'L2 PD'] : ['L1 PD % (mean ± sd over pairs)', 'PD % [95% jackknife]', 'top-1 disagreement %'];
  return ['activation', 'param', 'lr', 'log loss', q, 'Δ loss vs ReLU %', `Δ ${q}`, ...pd, 'PD / ReLU [95% jackknife]', 'pair ratios (mean ± sd)', 'loss / ReLU [95%]', 's / replica'];
}

function pdCells(r: PointResult | EnsembleResult, binary: boolean): string[] {
  const main = binary ? r.pd.relative : r.pd.l1;
  const head = [main ? `${f(main.mean, 2)} ± ${f(main.sd, 2)}` : '–', ivCell(r.pdInterval, 2)];
  return binary ? [...head, f(r.pd.absolute?.mean, 4), f(r.pd.l2?.mean, 4)] : [...head, r.pd.top1 ? `${f(r.pd.top1.mean, 2)} ± ${f(r.pd.top1.sd, 2)}` : '–'];
}

function vsCells(r: PointResult | EnsembleResult): string[] {
  const v = r.vsRelu;
  if (!v) return ['–', '–', '–'];
  return [ivCell(v.pd), v.paired ? `${f(v.pd.pairs.mean, 3)} ± ${f(v.pd.pairs.sd, 3)}` : 'unpaired', ivCell(v.loss, 4)];
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], rows: string[][]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The swept beta, or the fixed parameters of a one-point family such as gSmeLU. */
function paramCell(r: PointResult): string {
  if (r.param !== null) return String(r.param);
  const inner = /\((.*)\)$/.exec(r.label);
  return inner ? inner[1] : '–';
}

/** The main table: every activation of one regime at its chosen rate. */
export function pointsTable(cfg: ExperimentConfig, rows: PointResult[]): string {
  const binary = isBinary(cfg);
  return table(
    headers(binary),
    rows.map((r) => [
      r.family, paramCell(r), String(r.learningRate), ms(r.loss), ms(r.quality),
      signed(r.lossChangePct), signed(r.qualityChange, 4), ...pdCells(r, binary), ...vsCells(r), f(r.seconds, 1),
    ]),
  );
}

/** PD of each activation under each source, side by side (one table per order regime). */
export function sourcesTable(cfg: ExperimentConfig, res: Results, shuffle: string): string {
  const chosen = res.points.filter((p) => p.chosen && p.shuffle === shuffle);
  const labels = [...new Set(chosen.filter((p) => p.source !== cfg.sources[0]).map((p) => p.label))];
  const cell = (label: string, s: Source) => {
    const p = chosen.find((q) => q.label === label && q.source === s);
    if (!p) return '–';
    return `${f(primaryPd(p.pd).mean, 2)} (×${f(p.vsRelu?.pd.estimate, 2)})`;
  };
  return table(['activation', ...cfg.sources], labels.map((l) => [l, ...cfg.sources.map((s) => cell(l, s))]));
}

/** The learning-rate grid: validation loss (what picks the rate), test loss and PD at every rate. */
export function tuningTable(res: Results, regime: string): string {
  const pts = res.points.filter((p) => regimeKey(p) === regime);
  return table(
    ['activation', 'lr', 'validation loss', 'test log loss', 'PD %', 'chosen'],
    pts.map((p) => [p.label, String(p.learningRate), f(p.validLoss, 4), f(p.loss.mean, 4), f(primaryPd(p.pd).mean, 2), p.chosen ? 'yes' : '']),
  );
}

/** Activations whose chosen rate is the grid's smallest or largest: the grid may not hold their best rate. */
function edgeNote(cfg: ExperimentConfig, res: Results, regime: string): string[] {
  const grid = cfg.tune!.lr;
  const [lo, hi] = [Math.min(...grid), Math.max(...grid)];
  const edge = res.points.filter((p) => p.chosen && regimeKey(p) === regime && (p.learningRate === lo || p.learningRate === hi));
  if (!edge.length || grid.length < 2) return [];
  return ['', `Chosen at the edge of the grid (a wider grid may find a better rate): ${edge.map((p) => `${p.label} (${p.learningRate})`).join(', ')}.`];
}

/** PD and test loss over training, one column pair per activation. */
export function curvesTable(res: Results, regime: string): string | null {
  const pts = res.points.filter((p) => p.chosen && regimeKey(p) === regime && p.curve);
  if (!pts.length) return null;
  const ex = pts[0].curve!.examples;
  return table(
    ['examples seen', ...pts.map((p) => `${p.label} PD % / loss`)],
    ex.map((e, i) => [String(e), ...pts.map((p) => (p.curve!.examples[i] === e ? `${f(p.curve!.pd[i], 2)} / ${f(p.curve!.loss[i], 4)}` : '–'))]),
  );
}

export function ensembleTable(cfg: ExperimentConfig, res: Results, compare: PointResult[]): string {
  const binary = isBinary(cfg);
  const head = ['model', 'cost (x one model)', 'log loss', binary ? 'AUC' : 'accuracy', 'Δ loss vs ReLU %', ...headers(binary).slice(7, -1)];
  const rows = [
    ...res.ensembles.map((e) => [`${e.label} (K = ${e.k}, ${e.shuffle}, ${e.ensembles} ensembles)`, String(e.cost), ms(e.loss), ms(e.quality), signed(e.lossChangePct), ...pdCells(e, binary), ...vsCells(e)]),
    ...compare.map((p) => [`${p.label} (${p.shuffle})`, '1', ms(p.loss), ms(p.quality), signed(p.lossChangePct), ...pdCells(p, binary), ...vsCells(p)]),
  ];
  return table(head, rows);
}

/** Kernel cost of each activation, and relative to ReLU. */
function costTable(res: Results): string {
  const relu = res.cost!.find((c) => c.label === 'relu')?.nsPerElement;
  return table(
    ['activation', 'ns / element', 'x ReLU'],
    res.cost!.map((c) => [c.label, f(c.nsPerElement, 3), relu ? f(c.nsPerElement / relu, 2) : '–']),
  );
}

export function verdictTable(res: Results): string {
  return table(['claim', 'regime', 'subject', 'verdict', 'from'], res.verdicts.map((v) => [String(v.claim), v.regime, v.subject, `**${v.verdict}**`, v.evidence]));
}

function dataLine(d: ExperimentConfig['data']): string {
  if (d.kind === 'ctr') return `synthetic CTR (${d.train} training, ${d.test} test rows, teacher ${d.teacher ?? 'nn'}${d.drift ? `, drift ${d.drift}` : ''})`;
  if (d.kind === 'digits') return `8x8 digits, ${d.testFraction * 100}% held out`;
  const test = d.test.kind === 'file' ? `test file ${path.basename(d.test.file)}` : d.test.kind === 'fraction' ? `a random ${d.test.fraction * 100}% held out` : `the last ${d.test.fraction * 100}% held out (next period)`;
  const cols = [d.label && `label ${d.label}${d.positive ? ` (positive ${d.positive})` : ''}`, d.categorical?.length && `categorical ${d.categorical.join(', ')}`,
    d.bags && Object.keys(d.bags).length && `bags ${Object.keys(d.bags).join(', ')}`, d.numeric?.length && `numeric ${d.numeric.join(', ')}`, d.orderBy && `ordered by ${d.orderBy}`].filter(Boolean);
  return `${path.basename(d.file)} (${d.format}${cols.length ? `; ${cols.join('; ')}` : ''}; ${d.buckets} hash buckets per field; ${test})`;
}

/** What the run varied and how: regimes, async staleness, tuning, data seeds. */
function setup(cfg: ExperimentConfig): string[] {
  const t = cfg.train;
  const lines = [
    `- data: ${dataLine(cfg.data)}; ${cfg.dataSeeds ?? 1} data seed(s)${cfg.data.kind !== 'ctr' && (cfg.dataSeeds ?? 1) > 1 ? ' (each redraws the random train/test split)' : ''}.`,
    `- model: hidden ${cfg.model.hidden.join(' → ')}${cfg.model.embeddingDim ? `, embeddings ${cfg.model.embeddingDim}` : ''}${cfg.model.layerNorm ? ', layer norm' : ''}${cfg.model.frozenEmbeddings ? ", frozen shared embeddings (replica 0's)" : ''}.`,
    `- recipe: ${t.optimizer}, batch ${t.batchSize}, ${t.epochs === 1 ? 'one pass (single-pass training)' : `${t.epochs} epochs`}; learning rate ${cfg.tune ? `tuned per activation and order regime over {${cfg.tune.lr.join(', ')}} on the last ${cfg.tune.validationFraction * 100}% of the training rows (validation split, not trained on; the test set is never used), under source ${cfg.sources[0]}, and used for every source` : t.learningRate}.`,
    `- order regimes: ${shufflesOf(cfg).join(', ')} (full: a fresh permutation each epoch; window:W: permutations inside consecutive windows of W rows in the given order; none: the given order).`,
  ];
  if (cfg.sources.includes('async')) lines.push(`- async: ${t.asyncThreads} racing Hogwild workers on shared weights, batch ${t.asyncBatch ?? t.batchSize} rows per worker step (the staleness knobs), same seeds and stream for every replica.`);
  if (cfg.sources.includes('ulp')) lines.push('- ulp: the seeds of replica 0; replica r > 0 moves one nonzero initial weight (tensor, element and direction drawn from seed stream 3, index r) by one float32 ulp.');
  if (cfg.sources.includes('warm')) lines.push(`- warm: a shared checkpoint after ${t.warmEpochs} epoch(s) with replica 0's seeds, then ${t.epochs - t.warmEpochs} epoch(s) on each replica's own order.`);
  if (t.evalEvery) lines.push(`- PD over training: test loss and PD every ${t.evalEvery} examples (rounded up to whole batches).`);
  return lines;
}

/** The linear floor: is the linear tower clearly worse than ReLU (otherwise the data cannot show what an activation does)? */
function floorLines(res: Results): string[] {
  return res.points
    .filter((p) => p.family === 'linear' && p.chosen && p.vsRelu)
    .map((p) => `- ${regimeKey(p)}: linear tower loss / ReLU loss ${ivCell(p.vsRelu!.loss, 4)}: ${p.vsRelu!.loss.lo > 1.01 ? 'clearly worse than ReLU (the data need the tower)' : 'NOT clearly worse than ReLU: these data cannot show what an activation does'}.`);
}

/** The whole markdown report of a run. */
export function markdown(cfg: ExperimentConfig, res: Results, meta: { seconds: number; trained: number; cached: number; replicaSeconds?: number; threads?: number }): string {
  const pdName = isBinary(cfg) ? 'relative PD' : 'L1 PD';
  const regimes = [...new Set(res.points.map(regimeKey))];
  const rate = meta.seconds > 0 && meta.trained ? ` (${f((60 * meta.trained) / meta.seconds, 1)} replicas per minute on ${meta.threads ?? '?'} worker threads)` : '';
  const parts = [
    `# Reproducibility sweep: preset \`${cfg.preset}\`${sweepName(cfg).slice(cfg.preset.length)}`,
    '',
    ...setup(cfg),
    '',
    `${cfg.replicas} replicas per point and data seed; ${pdName} over all ${(cfg.replicas * (cfg.replicas - 1)) / 2} pairs per seed. Replica r of every activation shares its seeds with ReLU's replica r: "PD / ReLU" is the paired ratio with a delete-one-replica jackknife 95% interval computed on the log scale (so it stays positive); "pair ratios" is the spread of the per-pair ratios. The pairs' mean ± sd is descriptive (pairs share models).`,
    `This run trained ${meta.trained} replicas${rate} and reused ${meta.cached} from the cache, in ${f(meta.seconds, 0)} s` +
      (meta.replicaSeconds === undefined ? '.' : `; the replicas' training times add up to ${f(meta.replicaSeconds, 0)} s (one worker each, on a shared machine).`),
    '',
    '## Verdicts (generated from the intervals)',
    '',
    ...RULES.map((r) => `- ${r}`),
    '',
    verdictTable(res),
  ];
  const floor = floorLines(res);
  if (floor.length) parts.push('', '## The linear floor', '', ...floor);
  for (const regime of regimes) {
    parts.push('', `## Source \`${regime.split(' ')[0]}\`, order \`${regime.split(' ')[1]}\``, '', pointsTable(cfg, res.points.filter((p) => p.chosen && regimeKey(p) === regime)));
    if (cfg.tune) parts.push('', '### Learning-rate grid (PD against loss at every rate)', '', tuningTable(res, regime), ...edgeNote(cfg, res, regime));
    const curves = curvesTable(res, regime);
    if (curves) parts.push('', '### PD over training', '', curves);
  }
  if (cfg.sources.length > 1) {
    for (const s of shufflesOf(cfg)) parts.push('', `## ${pdName} (%) by source of difference, order \`${s}\` (× = ratio to ReLU)`, '', sourcesTable(cfg, res, s));
  }
  const smooth = res.points.filter((p) => p.chosen && p.source === cfg.ensemble?.source && ['smelu', 'gelu', 'swish'].includes(p.family) && (p.param === null || p.param === 1));
  if (res.ensembles.length) parts.push('', '## Ensembles against single models', '', ensembleTable(cfg, res, smooth));
  if (res.cost?.length) parts.push('', '## Activation cost (forward + backward, one thread, median ns per element)', '', costTable(res));
  return `${parts.join('\n')}\n`;
}

/** The first regime: the first source under the first order regime. */
const firstRegime = (cfg: ExperimentConfig): string => `${cfg.sources[0]} ${shufflesOf(cfg)[0]}`;

/** Rows of the tradeoff chart: one per chosen point of the first regime, plus its ensembles. */
function chartRows(cfg: ExperimentConfig, res: Results): Record<string, unknown>[] {
  const first = firstRegime(cfg);
  const pts = res.points
    .filter((p) => p.chosen && regimeKey(p) === first && p.lossChangePct !== null)
    .map((p) => ({ family: p.family, param: p.param ?? 0, text: p.param === null ? '' : String(p.param), label: p.label, x: p.lossChangePct, ...band(p.pdInterval) }));
  const ens = res.ensembles
    .filter((e) => e.lossChangePct !== null && regimeKey(e) === first)
    .map((e) => ({ family: `${e.family} ensemble`, param: e.k, text: `K=${e.k}`, label: `${e.label} K=${e.k}`, x: e.lossChangePct, ...band(e.pdInterval) }));
  return [...pts, ...ens];
}

/** Fixed colors: ReLU and its ensembles in black and gray, the SmeLU family in warm colors. */
const FAMILY_COLORS = {
  domain: ['relu', 'relu ensemble', 'linear', 'smelu', 'smelu ensemble', 'gsmelu', 'rescu2', 'gelu', 'gelu_tanh', 'swish', 'swish ensemble', 'softplus'],
  range: ['#000000', '#8c8c8c', '#bcbd22', '#d62728', '#f4a3a3', '#ff7f0e', '#8c564b', '#1f77b4', '#17becf', '#2ca02c', '#98df8a', '#9467bd'],
};

const band = (s: Interval) => ({ y: s.estimate, lo: s.lo, hi: s.hi });

/**
 * PD (vertical) against loss change vs ReLU (horizontal): one curve per family in parameter order,
 * one point per parameter value, error bars = the 95% interval over pairs.
 */
export function tradeoffSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec {
  const pdName = isBinary(cfg) ? 'relative PD (%)' : 'L1 PD (%)';
  const enc = {
    x: { field: 'x', type: 'quantitative', title: 'log loss change vs ReLU (%)', scale: { zero: false } },
    color: { field: 'family', type: 'nominal', title: 'family', scale: FAMILY_COLORS },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${sweepName(cfg)}: ${pdName} against loss change vs ReLU (${firstRegime(cfg)}, ${cfg.replicas} replicas)`,
      subtitle: 'labels: beta (or ensemble size K); bars: 95% jackknife interval over replicas (log scale); lower and further left is better',
    },
    width: 560,
    height: 380,
    data: { values: chartRows(cfg, res) },
    layer: [
      { mark: { type: 'line', opacity: 0.6 }, encoding: { ...enc, y: { field: 'y', type: 'quantitative', title: pdName, scale: { zero: false } }, order: { field: 'param', type: 'quantitative' } } },
      { mark: { type: 'rule' }, encoding: { ...enc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { ...enc, y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'label' }, { field: 'x' }, { field: 'y' }] } },
      { mark: { type: 'text', dx: 5, dy: -6, fontSize: 8, align: 'left' }, encoding: { ...enc, y: { field: 'y', type: 'quantitative' }, text: { field: 'text' } } },
    ],
  };
}

/** Grouped bars: PD per activation, one bar per source (first order regime), with the jackknife interval. */
export function sourcesSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec {
  const shuffle = shufflesOf(cfg)[0];
  const chosen = res.points.filter((p) => p.chosen && p.shuffle === shuffle);
  const labels = new Set(chosen.filter((p) => p.source !== cfg.sources[0]).map((p) => p.label));
  const rows = chosen.filter((p) => labels.has(p.label)).map((p) => ({ label: p.label, source: p.source, ...band(p.pdInterval) }));
  const pdName = isBinary(cfg) ? 'relative PD (%)' : 'L1 PD (%)';
  const x = { field: 'label', type: 'nominal', title: 'activation', sort: null };
  const off = { field: 'source', type: 'nominal', sort: cfg.sources };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${sweepName(cfg)}: ${pdName} by source of difference (order ${shuffle})`, subtitle: 'bars: 95% jackknife interval over replicas' },
    width: 480,
    height: 300,
    data: { values: rows },
    layer: [
      { mark: 'bar', encoding: { x, xOffset: off, y: { field: 'y', type: 'quantitative', title: pdName }, color: { ...off, title: 'source' } } },
      { mark: 'rule', encoding: { x, xOffset: off, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}

/** PD ratio to ReLU against the order regime (window sizes in order), one line per activation; null with one regime. */
export function windowsSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec | null {
  const shuffles = shufflesOf(cfg);
  if (shuffles.length < 2) return null;
  const rows = res.points
    .filter((p) => p.chosen && p.source === cfg.sources[0] && p.vsRelu && p.family !== 'relu')
    .map((p) => ({ label: p.label, family: p.family, regime: p.shuffle, ...band(p.vsRelu!.pd) }));
  const x = { field: 'regime', type: 'ordinal', title: 'order regime', sort: shuffles };
  const color = { field: 'label', type: 'nominal', title: 'activation' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${sweepName(cfg)}: PD / ReLU's PD by order regime (source ${cfg.sources[0]})`, subtitle: 'bars: 95% paired jackknife interval; below 1 = less PD than ReLU' },
    width: 480,
    height: 300,
    data: { values: rows },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title: 'PD ratio to ReLU', scale: { type: 'log' } }, color } },
      { mark: 'rule', encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    ],
  };
}

/** PD against examples seen, one line per activation (first regime, chosen rates); null without eval-every. */
export function curvesSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec | null {
  const first = firstRegime(cfg);
  const rows = res.points
    .filter((p) => p.chosen && regimeKey(p) === first && p.curve)
    .flatMap((p) => p.curve!.examples.map((e, i) => ({ label: p.label, examples: e, pd: p.curve!.pd[i], loss: p.curve!.loss[i] })));
  if (!rows.length) return null;
  const pdName = isBinary(cfg) ? 'relative PD (%)' : 'L1 PD (%)';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${sweepName(cfg)}: ${pdName} over training (${first})`, subtitle: 'mean over all pairs and data seeds at each evaluation' },
    width: 480,
    height: 300,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'examples', type: 'quantitative', title: 'examples seen' },
      y: { field: 'pd', type: 'quantitative', title: pdName },
      color: { field: 'label', type: 'nominal', title: 'activation' },
      tooltip: [{ field: 'label' }, { field: 'examples' }, { field: 'pd' }, { field: 'loss' }],
    },
  };
}
